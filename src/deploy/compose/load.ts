/**
 * Loads a Compose project the way `docker compose` (compose-go's cli and loader packages) does:
 * files found or given, `.env` read, each file interpolated, merged onto the previous ones and
 * validated against the compose-spec schema, then normalized, checked for consistency, filtered
 * by profiles and typed. It reads files and nothing else: no engine.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, posix, resolve } from "node:path";
import { MoorError } from "../../errors.ts";
import { parseGoBool } from "../../util/go-strconv.ts";
import { ramInBytes } from "../../util/units.ts";
import { canonical, checkDocument, isMapping, normalize, resolveEnvironment, resolveRelativePaths, setDefaultValues } from "./canonical.ts";
import { parseDotenv } from "./dotenv.ts";
import { interpolateDocument, interpolateValue, type InterpolationOptions } from "./interpolate.ts";
import { composeConfigHash } from "./labels.ts";
import { enforceUnicity, mergeDocuments, removePaths } from "./merge.ts";
import { decodeService, decodeVolumes, findUnsupported, type Project, type Service } from "./model.ts";
import { validateAgainstSchema } from "./schema.ts";
import { parseComposeYaml, type YamlMapping } from "./yaml-file.ts";

export interface LoadOptions {
  /** `-f`, in order; relative to workingDir. Empty: COMPOSE_FILE, else compose.yaml (and its override) found from workingDir upwards. */
  files?: readonly string[];
  /** The directory the command runs in. */
  workingDir: string;
  /** `--project-directory`; default: the first file's directory. */
  projectDirectory?: string;
  /** `-p`. */
  projectName?: string;
  /** `--profile`; empty: COMPOSE_PROFILES. */
  profiles?: readonly string[];
  /** Services named on the command line: enabled whatever their profiles. */
  services?: readonly string[];
  /** The process environment. */
  env: Readonly<Record<string, string>>;
  /** `--env-file`; default: `.env` in the project directory. */
  envFiles?: readonly string[];
}

/** A schema violation, with the file being merged when it appeared and compose's path and words. */
export class ComposeSchemaError extends MoorError {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly problem: string,
  ) {
    super("invalid", `validating ${file}: ${problem}`);
  }
}

/** compose-go's cli.DefaultFileNames and DefaultOverrideFileNames, in order of preference. */
const defaultFileNames = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"];
const defaultOverrideFileNames = ["compose.override.yml", "compose.override.yaml", "docker-compose.override.yml", "docker-compose.override.yaml"];

export function loadProject(options: LoadOptions): Project {
  try {
    return load(options);
  } catch (error) {
    if (error instanceof MoorError) throw error;
    throw new MoorError("invalid", (error as Error).message, { cause: error });
  }
}

function load(options: LoadOptions): Project {
  const warnings: string[] = [];
  const warn = (message: string) => {
    if (!warnings.includes(message)) warnings.push(message);
  };
  const environment: Record<string, string> = { ...options.env };
  const explicitFiles = (options.files ?? []).map((file) => resolve(options.workingDir, file));

  // docker compose reads .env twice: from where it runs (it may set COMPOSE_FILE), then from the project directory.
  let projectDir = options.projectDirectory !== undefined ? resolve(options.workingDir, options.projectDirectory) : explicitFiles.length > 0 ? dirname(explicitFiles[0]) : options.workingDir;
  mergeEnvFiles(environment, envFilesFor(options, projectDir));
  let files = explicitFiles;
  if (files.length === 0) files = composeFileFromEnvironment(environment, options.workingDir) ?? findDefaultFiles(options.workingDir, warn);
  if (options.projectDirectory === undefined) projectDir = dirname(files[0]);
  mergeEnvFiles(environment, envFilesFor(options, projectDir));

  const profiles = options.profiles !== undefined && options.profiles.length > 0 ? [...options.profiles] : (environment.COMPOSE_PROFILES ?? "").split(",").map((profile) => profile.trim());
  const lookup = (name: string) => (Object.hasOwn(environment, name) ? environment[name] : undefined);
  const interpolation: InterpolationOptions = { lookup, warn };

  const sources = files.map((file) => ({ file, text: readComposeFile(file) }));
  const projectName = chooseProjectName(options, environment, sources, projectDir, interpolation);
  // compose-go sets COMPOSE_PROJECT_NAME for interpolation to the name it settled on.
  environment.COMPOSE_PROJECT_NAME = projectName;

  let document: YamlMapping = {};
  for (const { file, text } of sources) {
    for (const parsed of parseComposeYaml(text, file)) {
      const content = interpolateDocument(parsed.content, interpolation);
      removePaths(document, parsed.replacedPaths);
      document = enforceUnicity(mergeDocuments(document, content));
      const violation = validateAgainstSchema(document);
      if (violation !== null) throw new ComposeSchemaError(file, violation.path, violation.problem);
      if ("version" in document) {
        warn(`${file}: the attribute \`version\` is obsolete, it will be ignored, please remove it to avoid potential confusion`);
        delete document.version;
      }
      // Long syntaxes can reveal duplicates (a port range against a single port), hence a second pass.
      document = enforceUnicity(canonical(document, warn));
    }
  }
  if (Object.keys(document).length === 0) throw new Error("empty compose file");

  setDefaultValues(document);
  checkDocument(document);
  resolveRelativePaths(document, projectDir, environment.HOME ?? "/");
  resolveEnvironment(document, environment);
  document.name = projectName;
  normalize(document, projectName, environment);

  const rawServices: Record<string, YamlMapping> = Object.fromEntries(Object.entries(isMapping(document.services) ? document.services : {}).filter((entry): entry is [string, YamlMapping] => isMapping(entry[1])));
  const typed = Object.fromEntries(Object.entries(rawServices).map(([name, raw]) => [name, decodeService(name, raw, ramInBytes)]));

  const activeProfiles = [...profiles];
  for (const name of options.services ?? []) {
    if (!(name in typed)) throw new Error(`no such service: ${name}`);
    if (!hasProfile(typed[name].profiles, activeProfiles)) activeProfiles.push(...typed[name].profiles);
  }
  const enabledNames = Object.keys(typed).filter((name) => hasProfile(typed[name].profiles, activeProfiles));
  const volumes = decodeVolumes(document);
  checkConsistency(typed, enabledNames, volumes, document);

  const services: Record<string, Service> = {};
  const disabledServices: Record<string, Service> = {};
  for (const [name, service] of Object.entries(typed)) {
    const enabled = enabledNames.includes(name);
    // Like compose-go, env files are read for active services only: a disabled one may name a file that does not exist.
    const resolved = enabled ? resolveServiceEnvironment(service.environment, service.envFiles, lookup) : service.environment;
    const complete: Service = { ...service, environment: resolved, configHash: composeConfigHash(rawServices[name], resolved, ramInBytes) };
    if (enabled) services[name] = complete;
    else disabledServices[name] = complete;
  }

  return {
    name: projectName,
    workingDir: projectDir,
    composeFiles: files,
    environment,
    services,
    disabledServices,
    volumes,
    profiles: activeProfiles,
    unsupported: findUnsupported(document, projectName, enabledNames),
    warnings,
  };
}

/** compose-go's ServiceConfig.HasProfile. */
function hasProfile(serviceProfiles: readonly string[], enabled: readonly string[]): boolean {
  return serviceProfiles.length === 0 || enabled.some((profile) => profile === "*" || serviceProfiles.includes(profile));
}

function readComposeFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === "ENOENT" ? `open ${file}: no such file or directory` : code === "EISDIR" ? `read ${file}: is a directory` : (error as Error).message);
  }
}

/** COMPOSE_FILE, split on COMPOSE_PATH_SEPARATOR (":" by default); each file must exist. */
function composeFileFromEnvironment(environment: Readonly<Record<string, string>>, workingDir: string): string[] | undefined {
  const value = environment.COMPOSE_FILE;
  if (value === undefined) return undefined;
  const separator = environment.COMPOSE_PATH_SEPARATOR || ":";
  return value.split(separator).map((file) => {
    const absolute = resolve(workingDir, file);
    if (!existsSync(absolute)) throw new Error(`stat ${absolute}: no such file or directory`);
    return absolute;
  });
}

/** compose-go's WithDefaultConfigPath: the first directory upwards holding a compose file, plus its override file. */
function findDefaultFiles(workingDir: string, warn: (message: string) => void): string[] {
  for (let dir = workingDir; ; dir = dirname(dir)) {
    const found = defaultFileNames.map((name) => posix.join(dir, name)).filter((file) => existsSync(file));
    if (found.length > 0) {
      if (found.length > 1) {
        warn(`Found multiple config files with supported names: ${found.join(", ")}`);
        warn(`Using ${found[0]}`);
      }
      const overrides = defaultOverrideFileNames.map((name) => posix.join(dir, name)).filter((file) => existsSync(file));
      if (overrides.length > 1) {
        warn(`Found multiple override files with supported names: ${overrides.join(", ")}`);
        warn(`Using ${overrides[0]}`);
      }
      return overrides.length > 0 ? [found[0], overrides[0]] : [found[0]];
    }
    if (dirname(dir) === dir) throw new Error("no configuration file provided: not found");
  }
}

/** `--env-file`, else `.env` in the project directory unless COMPOSE_DISABLE_ENV_FILE is true. */
function envFilesFor(options: LoadOptions, projectDir: string): string[] {
  if (options.envFiles !== undefined && options.envFiles.length > 0) return options.envFiles.map((file) => resolve(options.workingDir, file));
  const disable = options.env.COMPOSE_DISABLE_ENV_FILE;
  if (disable !== undefined) {
    const parsed = parseGoBool(disable);
    if (parsed === undefined) throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(disable)}: invalid syntax`);
    if (parsed) return [];
  }
  const dotEnv = posix.join(projectDir, ".env");
  return existsSync(dotEnv) && statSync(dotEnv).isFile() ? [dotEnv] : [];
}

/**
 * compose-go's dotenv.GetEnvFromFile then Mapping.Merge: later files override earlier ones,
 * `${VAR}` resolves from the environment first, and the environment keeps what it already has.
 */
function mergeEnvFiles(environment: Record<string, string>, files: readonly string[]): void {
  const fromFiles: Record<string, string> = {};
  for (const file of files) {
    if (!existsSync(file)) throw new Error(`couldn't find env file: ${file}`);
    if (statSync(file).isDirectory()) throw new Error(`${file} is a directory`);
    try {
      parseDotenv(readFileSync(file, "utf8"), fromFiles, (name) => (Object.hasOwn(environment, name) ? environment[name] : Object.hasOwn(fromFiles, name) ? fromFiles[name] : undefined));
    } catch (error) {
      throw new Error(`failed to read ${file}: ${(error as Error).message}`);
    }
  }
  for (const [key, value] of Object.entries(fromFiles)) if (!Object.hasOwn(environment, key)) environment[key] = value;
}

/** compose-go's NormalizeProjectName: lower case, only [a-z0-9_-], no leading "_" or "-". */
export function normalizeProjectName(name: string): string {
  return (name.toLowerCase().match(/[a-z0-9_-]/g) ?? []).join("").replace(/^[_-]+/, "");
}

function invalidProjectName(name: string): Error {
  return new Error(`invalid project name ${JSON.stringify(name)}: must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`);
}

/** `-p`, else COMPOSE_PROJECT_NAME (both must already be normalized), else the last `name:` of the files (interpolated, normalized), else the directory's name. */
function chooseProjectName(options: LoadOptions, environment: Readonly<Record<string, string>>, sources: ReadonlyArray<{ file: string; text: string }>, projectDir: string, interpolation: InterpolationOptions): string {
  const imperative = options.projectName || environment.COMPOSE_PROJECT_NAME;
  if (imperative) {
    if (normalizeProjectName(imperative) !== imperative) throw invalidProjectName(imperative);
    return imperative;
  }
  let named = "";
  for (const { file, text } of sources) {
    for (const parsed of parseComposeYamlLeniently(text, file)) {
      if (typeof parsed.name === "string" && parsed.name !== "") named = parsed.name;
    }
  }
  const name = named !== "" ? normalizeProjectName(String(interpolateValue(named, ["name"], interpolation))) : normalizeProjectName(basename(projectDir));
  if (name === "") throw new Error("project name must not be empty");
  return name;
}

/** The `name:` pre-read ignores files that do not parse: the full load reports them. */
function parseComposeYamlLeniently(text: string, file: string): YamlMapping[] {
  try {
    return parseComposeYaml(text, file).map((document) => document.content);
  } catch {
    return [];
  }
}

/**
 * compose-go's WithServicesEnvironmentResolved: env files are read in order (their `${VAR}`
 * from the project environment, then the service's own), and what `environment` declares wins.
 */
function resolveServiceEnvironment(declared: Readonly<Record<string, string | null>>, envFiles: Service["envFiles"], lookup: (name: string) => string | undefined): Record<string, string | null> {
  const resolvedDeclared: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(declared)) resolvedDeclared[key] = value ?? lookup(key) ?? null;
  const fromFiles: Record<string, string> = Object.fromEntries(Object.entries(resolvedDeclared).filter((entry): entry is [string, string] => entry[1] !== null));
  for (const envFile of envFiles) {
    if (!existsSync(envFile.path)) {
      if (envFile.required) throw new Error(`env file ${envFile.path} not found: stat ${envFile.path}: no such file or directory`);
      continue;
    }
    if (envFile.format !== "" && envFile.format !== ".env") throw new Error(`unsupported env_file format ${JSON.stringify(envFile.format)}`);
    try {
      parseDotenv(readFileSync(envFile.path, "utf8"), fromFiles, (name) => lookup(name) ?? resolvedDeclared[name] ?? undefined);
    } catch (error) {
      throw new Error(`failed to read ${envFile.path}: ${(error as Error).message}`);
    }
  }
  return { ...fromFiles, ...resolvedDeclared };
}

/** The parts of compose-go's checkConsistency (loader/validate.go) and graph.CheckCycle that concern what moor reads. */
function checkConsistency(services: Record<string, Omit<Service, "configHash">>, enabledNames: readonly string[], volumes: Project["volumes"], document: YamlMapping): void {
  const enabled = new Set(enabledNames);
  for (const name of enabledNames) {
    const service = services[name];
    const raw = (document.services as YamlMapping)[name] as YamlMapping;
    if (service.build === null && service.image === null && !("provider" in raw)) {
      throw new Error(`service ${JSON.stringify(name)} has neither an image nor a build context specified: invalid compose project`);
    }
    if (service.networkMode !== null && isMapping(raw.networks) && Object.keys(raw.networks).length > 0) {
      throw new Error(`service ${name} declares mutually exclusive \`network_mode\` and \`networks\`: invalid compose project`);
    }
    const declaredNetworks = isMapping(document.networks) ? document.networks : {};
    for (const network of Object.keys(isMapping(raw.networks) ? raw.networks : {})) {
      if (!(network in declaredNetworks)) throw new Error(`service ${JSON.stringify(name)} refers to undefined network ${network}: invalid compose project`);
    }
    const test = service.healthcheck?.test;
    if (test && test.length > 0 && !["CMD", "CMD-SHELL", "NONE"].includes(test[0])) throw new Error('healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE"');
    for (const [dependency, options] of Object.entries(service.dependsOn)) {
      if (enabled.has(dependency)) continue;
      if (dependency in services && !options.required) continue;
      throw new Error(`service ${JSON.stringify(name)} depends on undefined service ${JSON.stringify(dependency)}: invalid compose project`);
    }
    if (service.networkMode?.startsWith("service:")) {
      const shared = service.networkMode.slice("service:".length);
      if (!enabled.has(shared)) throw new Error(`service ${JSON.stringify(shared)} not found for network_mode 'service:${shared}'`);
    }
    for (const volume of service.volumes) {
      if (volume.type === "volume" && volume.source !== null && !(volume.source in volumes)) {
        throw new Error(`service ${JSON.stringify(name)} refers to undefined volume ${volume.source}: invalid compose project`);
      }
    }
    const mounts = new Map<string, string>();
    service.tmpfs.forEach((tmpfs, index) => {
      const location = `services.${name}.tmpfs[${index}]`;
      const path = tmpfs.split(":")[0];
      if (mounts.has(path)) throw new Error(`${location}: target ${path} already mounted as ${mounts.get(path)}`);
      mounts.set(path, location);
    });
    service.volumes.forEach((volume, index) => {
      const location = `services.${name}.volumes[${index}]`;
      if (mounts.has(volume.target)) throw new Error(`${location}: target ${volume.target} already mounted as ${mounts.get(volume.target)}`);
      mounts.set(volume.target, location);
    });
  }
  checkDependencyCycles(services, enabledNames);
}

/** compose-go's graph.CheckCycle, searching in name order for a stable message (dependencies are known to exist by now). */
function checkDependencyCycles(services: Record<string, Omit<Service, "configHash">>, enabledNames: readonly string[]): void {
  const enabled = new Set(enabledNames);
  const children = new Map(enabledNames.map((name) => [name, Object.keys(services[name].dependsOn).filter((dependency) => enabled.has(dependency)).sort()]));
  const search = (path: string[], name: string): void => {
    for (const child of children.get(name) ?? []) {
      const index = path.indexOf(child);
      if (index >= 0) throw new Error(`dependency cycle detected: ${path.slice(index).join(" -> ")} -> ${child}`);
      search([...path, child], child);
    }
  };
  for (const name of [...enabledNames].sort()) search([name], name);
}
