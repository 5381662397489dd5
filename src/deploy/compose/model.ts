/**
 * The typed Compose model moor deploys from, and the step that reads it out of the normalized
 * document (compose-go's mapstructure decoding of types.ServiceConfig, for the keys moor
 * supports). Every key the schema allows that moor does not act on is listed in
 * `unsupported`, never dropped silently.
 */
import { parseComposeDuration } from "./duration.ts";
import { goFormat } from "./merge.ts";
import { splitShellWords } from "./shellwords.ts";
import { isMapping } from "./canonical.ts";
import type { YamlMapping, YamlValue } from "./yaml-file.ts";

export interface Project {
  /** The normalized project name (`-p`, COMPOSE_PROJECT_NAME, `name:`, or the directory). */
  name: string;
  /** The project directory: relative paths in the files are resolved against it. */
  workingDir: string;
  /** The Compose files, absolute, in merge order. */
  composeFiles: string[];
  /** Variables used for interpolation: the process environment over `.env` / `--env-file`. */
  environment: Record<string, string>;
  /** Active services: no `profiles`, or one of them enabled, or named explicitly. */
  services: Record<string, Service>;
  /** Services left out by profiles. */
  disabledServices: Record<string, Service>;
  volumes: Record<string, Volume>;
  /** Profiles in effect (the requested ones, plus those of explicitly named services). */
  profiles: string[];
  /** Keys the app file uses that moor does not act on. */
  unsupported: Unsupported[];
  /** What compose would warn about (unset variables, obsolete `version`, ...). */
  warnings: string[];
}

export interface Unsupported {
  /** Where, with list indexes in brackets: "services.web.volumes[0].bind.selinux". */
  path: string;
  message: string;
}

export interface Service {
  name: string;
  profiles: string[];
  image: string | null;
  build: Build | null;
  /** null: the image's; []: explicitly empty. Shell-form strings are split as compose splits them. */
  command: string[] | null;
  entrypoint: string[] | null;
  /**
   * `env_file` contents overridden by `environment`, `KEY`-only entries looked up in the
   * project environment. null: declared without a value and set nowhere; compose passes it on
   * as a bare `KEY`, which the container never sees as a variable.
   */
  environment: Record<string, string | null>;
  envFiles: EnvFile[];
  volumes: ServiceVolume[];
  tmpfs: string[];
  volumesFrom: string[];
  readOnly: boolean;
  user: string | null;
  workingDir: string | null;
  hostname: string | null;
  labels: Record<string, string>;
  healthcheck: Healthcheck | null;
  restart: string | null;
  dependsOn: Record<string, Dependency>;
  stopSignal: string | null;
  /** Nanoseconds. */
  stopGracePeriod: number | null;
  networkMode: string | null;
  ports: Port[];
  /** The service's `x-moor` extension, as written (undefined when absent). */
  xMoor: YamlValue | undefined;
  /**
   * com.docker.compose.config-hash as docker compose computes it for this service; equal to
   * compose's only while the service uses no key listed in `unsupported` (see labels.ts).
   */
  configHash: string;
}

export interface Build {
  /** Absolute, unless a URL or git reference. */
  context: string;
  dockerfile: string;
  args: Record<string, string>;
  target: string | null;
  labels: Record<string, string>;
}

export interface EnvFile {
  path: string;
  required: boolean;
  format: string;
}

export type ServiceVolume =
  | { type: "volume"; source: string | null; target: string; readOnly: boolean; nocopy: boolean; subpath: string | null }
  | { type: "bind"; source: string; target: string; readOnly: boolean; createHostPath: boolean; propagation: string | null }
  | { type: "tmpfs"; target: string; readOnly: boolean; size: number | null; mode: number | null };

export interface Healthcheck {
  /** ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]; a string `test` becomes CMD-SHELL as in compose. null: the image's. */
  test: string[] | null;
  /** Nanoseconds; null: the engine's default. */
  interval: number | null;
  timeout: number | null;
  startPeriod: number | null;
  startInterval: number | null;
  retries: number | null;
  disable: boolean;
}

export interface Dependency {
  condition: "service_started" | "service_healthy" | "service_completed_successfully";
  required: boolean;
  restart: boolean;
}

export interface Port {
  name: string | null;
  mode: string;
  hostIp: string | null;
  target: number;
  /** A port or range ("8080", "8000-8010"); null: none published (or a random one for long syntax without it). */
  published: string | null;
  protocol: string;
  appProtocol: string | null;
}

export interface Volume {
  /** The volume's name in the engine: `<project>_<key>` unless `name:` or `external`. */
  name: string;
  driver: string | null;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
  external: boolean;
  /** The volume's `x-moor` extension, as written (undefined when absent). */
  xMoor: YamlValue | undefined;
}

const supportedServiceKeys = new Set([
  "name",
  "image",
  "build",
  "command",
  "entrypoint",
  "environment",
  "env_file",
  "volumes",
  "tmpfs",
  "volumes_from",
  "read_only",
  "user",
  "working_dir",
  "hostname",
  "labels",
  "healthcheck",
  "restart",
  "depends_on",
  "stop_signal",
  "stop_grace_period",
  "network_mode",
  "ports",
  "profiles",
  "networks",
]);
const supportedBuildKeys = new Set(["context", "dockerfile", "args", "target", "labels"]);
const supportedVolumeKeys: Record<string, Set<string>> = {
  volume: new Set(["type", "source", "target", "read_only", "volume"]),
  bind: new Set(["type", "source", "target", "read_only", "bind"]),
  tmpfs: new Set(["type", "source", "target", "read_only", "tmpfs"]),
};
const supportedVolumeOptions: Record<string, Set<string>> = {
  volume: new Set(["nocopy", "subpath"]),
  bind: new Set(["create_host_path", "propagation"]),
  tmpfs: new Set(["size", "mode"]),
};
const supportedTopLevelKeys = new Set(["name", "services", "volumes", "networks"]);
const supportedTopLevelVolumeKeys = new Set(["name", "driver", "driver_opts", "labels", "external"]);

/** Reports keys moor would ignore: `report(path, what)` for each. Extensions (`x-*`) are the user's and never reported. */
export function findUnsupported(document: YamlMapping, projectName: string, serviceNames: readonly string[]): Unsupported[] {
  const unsupported: Unsupported[] = [];
  const report = (path: string, subject: string, key: string) => unsupported.push({ path, message: `${subject}key \`${key}\` is not supported by moor and would be ignored` });
  const userKeys = (mapping: YamlMapping) => Object.keys(mapping).filter((key) => !key.startsWith("x-"));

  for (const key of userKeys(document)) {
    if (!supportedTopLevelKeys.has(key)) report(key, "", key);
  }
  // The implicit network every service joins is what moor runs; anything declared about networks is not.
  const networks = isMapping(document.networks) ? document.networks : {};
  for (const [name, network] of Object.entries(networks)) {
    const implicit = name === "default" && isMapping(network) && Object.keys(network).length === 1 && network.name === `${projectName}_default`;
    if (!implicit) report(`networks.${name}`, "", `networks.${name}`);
  }
  for (const [name, volume] of Object.entries(isMapping(document.volumes) ? document.volumes : {})) {
    if (!isMapping(volume)) continue;
    for (const key of userKeys(volume)) if (!supportedTopLevelVolumeKeys.has(key)) report(`volumes.${name}.${key}`, `volume ${name}: `, key);
  }

  const services = isMapping(document.services) ? document.services : {};
  for (const name of serviceNames) {
    const service = services[name];
    if (!isMapping(service)) continue;
    const subject = `service ${name}: `;
    const at = (rest: string) => `services.${name}.${rest}`;
    for (const key of userKeys(service)) {
      if (!supportedServiceKeys.has(key)) report(at(key), subject, key);
    }
    if (isMapping(service.networks) && Object.entries(service.networks).some(([network, options]) => network !== "default" || options !== null)) {
      report(at("networks"), subject, "networks");
    }
    if (isMapping(service.build)) {
      for (const key of userKeys(service.build)) if (!supportedBuildKeys.has(key)) report(at(`build.${key}`), subject, `build.${key}`);
    }
    (Array.isArray(service.volumes) ? service.volumes : []).forEach((volume, index) => {
      if (!isMapping(volume)) return;
      const type = String(volume.type);
      const where = `volumes[${index}]`;
      const keys = supportedVolumeKeys[type];
      if (keys === undefined) {
        report(at(`${where}.type`), subject, `${where}.type: ${type}`);
        return;
      }
      for (const key of userKeys(volume)) {
        if (!keys.has(key)) {
          report(at(`${where}.${key}`), subject, `${where}.${key}`);
          continue;
        }
        const options = volume[key];
        if (key !== type || !isMapping(options)) continue;
        for (const option of userKeys(options)) if (!supportedVolumeOptions[type].has(option)) report(at(`${where}.${key}.${option}`), subject, `${where}.${key}.${option}`);
      }
    });
  }
  return unsupported;
}

function stringOrNull(value: YamlValue | undefined): string | null {
  return value === undefined || value === null ? null : goFormat(value);
}

/** compose-go's Labels decoding: a mapping, or "key=value" items (a bare key is ""). */
function decodeLabels(value: YamlValue | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (isMapping(value)) {
    for (const [key, item] of Object.entries(value)) labels[key] = item === null ? "" : goFormat(item);
  } else if (Array.isArray(value)) {
    for (const entry of value) {
      const text = goFormat(entry);
      const equals = text.indexOf("=");
      if (equals < 0) labels[text] = "";
      else labels[text.slice(0, equals)] = text.slice(equals + 1);
    }
  }
  return labels;
}

/** compose-go's MappingWithEquals decoding: null marks a key given without a value. */
function decodeMappingWithEquals(value: YamlValue | undefined): Record<string, string | null> {
  const mapping: Record<string, string | null> = {};
  if (isMapping(value)) {
    for (const [key, item] of Object.entries(value)) mapping[key] = item === null ? null : goFormat(item);
  } else if (Array.isArray(value)) {
    for (const entry of value) {
      const text = goFormat(entry);
      const equals = text.indexOf("=");
      const key = equals < 0 ? text : text.slice(0, equals);
      if (key !== "" && /\s$/u.test(key)) throw new Error(`environment variable ${key} is declared with a trailing space`);
      mapping[key] = equals < 0 ? null : text.slice(equals + 1);
    }
  }
  return mapping;
}

function decodeCommand(value: YamlValue | undefined): string[] | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return splitShellWords(value);
  return Array.isArray(value) ? value.map((item) => goFormat(item)) : null;
}

function decodeDuration(value: YamlValue | undefined): number | null {
  return value === undefined || value === null ? null : parseComposeDuration(goFormat(value));
}

/** UnitBytes: a plain integer, or go-units RAMInBytes ("64m"). */
function decodeBytes(value: YamlValue | undefined, parseSize: (text: string) => number): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "number") return value;
  return /^[+-]?\d+$/.test(value as string) ? Number(value) : parseSize(String(value));
}

function decodeHealthcheck(value: YamlValue | undefined): Healthcheck | null {
  if (!isMapping(value)) return null;
  const test = value.test;
  return {
    test: typeof test === "string" ? ["CMD-SHELL", test] : Array.isArray(test) ? test.map((item) => goFormat(item)) : null,
    interval: decodeDuration(value.interval),
    timeout: decodeDuration(value.timeout),
    startPeriod: decodeDuration(value.start_period),
    startInterval: decodeDuration(value.start_interval),
    retries: value.retries === undefined || value.retries === null ? null : Number(value.retries),
    disable: value.disable === true,
  };
}

/** null for the mount types moor does not support (npipe, cluster, image): they are in `unsupported`. */
function decodeVolume(value: YamlValue, parseSize: (text: string) => number): ServiceVolume | null {
  const volume = isMapping(value) ? value : {};
  const target = goFormat(volume.target ?? "");
  const readOnly = volume.read_only === true;
  const options = (key: string): YamlMapping => (isMapping(volume[key]) ? (volume[key] as YamlMapping) : {});
  switch (volume.type) {
    case "bind": {
      const bind = options("bind");
      return { type: "bind", source: goFormat(volume.source ?? ""), target, readOnly, createHostPath: bind.create_host_path !== false, propagation: stringOrNull(bind.propagation) };
    }
    case "tmpfs": {
      const tmpfs = options("tmpfs");
      return { type: "tmpfs", target, readOnly, size: decodeBytes(tmpfs.size, parseSize), mode: typeof tmpfs.mode === "number" ? tmpfs.mode : tmpfs.mode == null ? null : Number.parseInt(String(tmpfs.mode), 8) };
    }
    case "volume": {
      const options_ = options("volume");
      return { type: "volume", source: stringOrNull(volume.source), target, readOnly, nocopy: options_.nocopy === true, subpath: stringOrNull(options_.subpath) };
    }
    default:
      return null;
  }
}

function decodePort(value: YamlValue): Port {
  const port = isMapping(value) ? value : {};
  return {
    name: stringOrNull(port.name),
    mode: goFormat(port.mode ?? "ingress"),
    hostIp: stringOrNull(port.host_ip),
    target: Number(port.target ?? 0),
    published: stringOrNull(port.published),
    protocol: goFormat(port.protocol ?? "tcp"),
    appProtocol: stringOrNull(port.app_protocol),
  };
}

function decodeDependsOn(value: YamlValue | undefined): Record<string, Dependency> {
  const dependsOn: Record<string, Dependency> = {};
  for (const [name, dependency] of Object.entries(isMapping(value) ? value : {})) {
    if (name.startsWith("x-")) continue;
    const options = isMapping(dependency) ? dependency : {};
    dependsOn[name] = { condition: (options.condition ?? "service_started") as Dependency["condition"], required: options.required !== false, restart: options.restart === true };
  }
  return dependsOn;
}

function stringList(value: YamlValue | undefined): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.map((item) => goFormat(item)) : [];
}

/**
 * Types one service of the normalized document. `environment` here holds only what the file
 * says; the loader folds in env files and computes the config hash.
 */
export function decodeService(name: string, raw: YamlMapping, parseSize: (text: string) => number): Omit<Service, "configHash"> {
  const build = isMapping(raw.build) ? raw.build : null;
  return {
    name,
    profiles: stringList(raw.profiles),
    image: stringOrNull(raw.image),
    build:
      build === null
        ? null
        : {
            context: goFormat(build.context ?? "."),
            dockerfile: goFormat(build.dockerfile ?? "Dockerfile"),
            // Build args without a value that the environment does not set were dropped by normalization.
            args: Object.fromEntries(Object.entries(decodeMappingWithEquals(build.args)).filter((entry): entry is [string, string] => entry[1] !== null)),
            target: stringOrNull(build.target),
            labels: decodeLabels(build.labels),
          },
    command: decodeCommand(raw.command),
    entrypoint: decodeCommand(raw.entrypoint),
    environment: decodeMappingWithEquals(raw.environment),
    envFiles: (Array.isArray(raw.env_file) ? raw.env_file : []).filter(isMapping).map((entry) => ({ path: goFormat(entry.path ?? ""), required: entry.required !== false, format: entry.format == null ? "" : goFormat(entry.format) })),
    volumes: (Array.isArray(raw.volumes) ? raw.volumes : []).map((volume) => decodeVolume(volume, parseSize)).filter((volume) => volume !== null),
    tmpfs: stringList(raw.tmpfs),
    volumesFrom: stringList(raw.volumes_from),
    readOnly: raw.read_only === true,
    user: stringOrNull(raw.user),
    workingDir: stringOrNull(raw.working_dir),
    hostname: stringOrNull(raw.hostname),
    labels: decodeLabels(raw.labels),
    healthcheck: decodeHealthcheck(raw.healthcheck),
    restart: stringOrNull(raw.restart),
    dependsOn: decodeDependsOn(raw.depends_on),
    stopSignal: stringOrNull(raw.stop_signal),
    stopGracePeriod: decodeDuration(raw.stop_grace_period),
    networkMode: stringOrNull(raw.network_mode),
    ports: (Array.isArray(raw.ports) ? raw.ports : []).map(decodePort),
    xMoor: raw["x-moor"],
  };
}

export function decodeVolumes(document: YamlMapping): Record<string, Volume> {
  const volumes: Record<string, Volume> = {};
  for (const [key, value] of Object.entries(isMapping(document.volumes) ? document.volumes : {})) {
    const volume = isMapping(value) ? value : {};
    volumes[key] = {
      name: goFormat(volume.name ?? key),
      driver: stringOrNull(volume.driver),
      driverOpts: Object.fromEntries(Object.entries(isMapping(volume.driver_opts) ? volume.driver_opts : {}).map(([option, item]) => [option, goFormat(item)])),
      labels: decodeLabels(volume.labels),
      external: volume.external === true,
      xMoor: volume["x-moor"],
    };
  }
  return volumes;
}
