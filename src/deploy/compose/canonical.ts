/**
 * The steps compose-go's loader applies to the document between parsing and typing, ported
 * from transform/*.go, loader/omitEmpty.go, validation/*.go, paths/*.go, loader/environment.go
 * and loader/normalize.go: short syntaxes become their long form, defaults are filled in,
 * relative paths become absolute, `KEY`-only environment entries are looked up, implicit
 * dependencies (volumes_from, network_mode: service:x) join depends_on.
 */
import { isIP } from "node:net";
import { posix } from "node:path";
import { formatPath, listItem, matches, pattern, type Path } from "./path.ts";
import { parsePortSpec } from "./ports.ts";
import { parseVolumeSpec, type ShortVolumeSpec } from "./volume-spec.ts";
import type { YamlMapping, YamlValue } from "./yaml-file.ts";

export function isMapping(value: YamlValue | undefined): value is YamlMapping {
  return value !== null && value !== undefined && typeof value === "object" && !Array.isArray(value);
}

type Transform = (value: YamlValue, path: Path, warn: (message: string) => void) => YamlValue;

/** Visits a document, letting the first matching pattern take over its subtree. */
function transformTree(value: YamlValue, path: Path, table: ReadonlyArray<[Path, Transform]>, warn: (message: string) => void): YamlValue {
  const transform = table.find(([tablePath]) => matches(path, tablePath))?.[1];
  if (transform !== undefined) return transform(value, path, warn);
  if (Array.isArray(value)) return value.map((item) => transformTree(item, [...path, listItem], table, warn));
  if (isMapping(value)) {
    for (const key of Object.keys(value)) value[key] = transformTree(value[key], [...path, key], table, warn);
  }
  return value;
}

function goType(value: YamlValue): string {
  if (Array.isArray(value)) return "[]interface {}";
  if (isMapping(value)) return "map[string]interface {}";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float64";
  return value === null ? "<nil>" : typeof value === "boolean" ? "bool" : "string";
}

/** The long form of a short volume, as compose-go's mapstructure encoding writes it (zero values left out). */
function encodeVolume(volume: ShortVolumeSpec): YamlMapping {
  const encoded: YamlMapping = { type: volume.type };
  if (volume.source !== "") encoded.source = volume.source;
  if (volume.target !== "") encoded.target = volume.target;
  if (volume.readOnly) encoded.read_only = true;
  if (volume.bind !== undefined) {
    const bind: YamlMapping = {};
    if (volume.bind.selinux) bind.selinux = volume.bind.selinux;
    if (volume.bind.propagation) bind.propagation = volume.bind.propagation;
    if (volume.bind.createHostPath) bind.create_host_path = true;
    encoded.bind = bind;
  }
  if (volume.volume !== undefined) encoded.volume = volume.volume.nocopy ? { nocopy: true } : {};
  return encoded;
}

const mappingChildren: Transform = (value, path, warn) => {
  if (!isMapping(value)) return value;
  for (const key of Object.keys(value)) value[key] = transformTree(value[key], [...path, key], canonicalTransforms, warn);
  return value;
};

const stringOrList: Transform = (value) => (typeof value === "string" ? [value] : value);

const stringListToMapping: Transform = (value) => (Array.isArray(value) ? Object.fromEntries(value.map((name) => [String(name), null])) : value);

const keyValueList: Transform = (value, path) => {
  if (isMapping(value)) return value;
  if (!Array.isArray(value)) throw new Error(`${formatPath(path)}: invalid type ${goType(value)}`);
  const mapping: YamlMapping = {};
  for (const entry of value) {
    const text = String(entry);
    const equals = text.indexOf("=");
    if (equals < 0) throw new Error(`${formatPath(path)}: invalid value ${text}, expected key=value`);
    mapping[text.slice(0, equals)] = text.slice(equals + 1);
  }
  return mapping;
};

const build: Transform = (value, path, warn) => {
  if (typeof value === "string") return { context: value };
  if (isMapping(value)) return mappingChildren(value, path, warn);
  throw new Error(`${formatPath(path)}: invalid type ${goType(value)} for build`);
};

const extendsTransform: Transform = (value, path, warn) => {
  if (typeof value === "string") return { service: value };
  if (isMapping(value)) return mappingChildren(value, path, warn);
  throw new Error(`${formatPath(path)}: invalid type ${goType(value)} for extends`);
};

const dependsOn: Transform = (value, path) => {
  if (Array.isArray(value)) return Object.fromEntries(value.map((name) => [String(name), { condition: "service_started", required: true }]));
  if (!isMapping(value)) throw new Error(`${formatPath(path)}: invalid type ${goType(value)} for depend_on`);
  for (const [name, dependency] of Object.entries(value)) {
    if (!isMapping(dependency)) throw new Error(`${formatPath(path)}.${name}: unsupported value ${JSON.stringify(value)}`);
    dependency.condition ??= "service_started";
    if (!("required" in dependency)) dependency.required = true;
  }
  return value;
};

const envFile: Transform = (value, path) => {
  const entry = (item: YamlValue): YamlValue => {
    if (typeof item === "string") return { path: item, required: true };
    if (isMapping(item)) {
      if (!("required" in item)) item.required = true;
      return item;
    }
    return null;
  };
  if (typeof value === "string") return [entry(value)];
  if (Array.isArray(value)) return value.map(entry);
  throw new Error(`${formatPath(path)}: invalid type ${goType(value)} for env_file`);
};

const volumeMount: Transform = (value, path) => {
  if (isMapping(value)) return value;
  if (typeof value !== "string") throw new Error(`${formatPath(path)}: invalid type ${goType(value)} for service volume mount`);
  const volume = parseVolumeSpec(value);
  if (volume.target !== "") volume.target = cleanPath(volume.target);
  return encodeVolume(volume);
};

const ports: Transform = (value, path) => {
  if (!Array.isArray(value)) throw new Error(`${formatPath(path)}: invalid type ${goType(value)} for port`);
  const result: YamlValue[] = [];
  for (const entry of value) {
    if (isMapping(entry)) {
      result.push(entry);
      continue;
    }
    if (typeof entry !== "string" && !(typeof entry === "number" && Number.isInteger(entry))) throw new Error(`${formatPath(path)}: invalid type ${goType(entry)} for port`);
    for (const port of parsePortSpec(String(entry))) {
      const encoded: YamlMapping = { mode: port.mode };
      if (port.hostIp !== "") encoded.host_ip = port.hostIp;
      if (port.target !== 0) encoded.target = port.target;
      if (port.published !== "") encoded.published = port.published;
      encoded.protocol = port.protocol;
      result.push(encoded);
    }
  }
  return result;
};

const maybeExternal: Transform = (value, path, warn) => {
  if (value === null) return null;
  const resource = mappingChildren(value, path, warn) as YamlMapping;
  const external = resource.external;
  if (isMapping(external)) {
    resource.external = true;
    if ("name" in external) {
      warn(`${formatPath(path)}: external.name is deprecated. Please set name and external: true`);
      if ("name" in resource && external.name !== resource.name) throw new Error(`${formatPath(path)}: name and external.name conflict; only use name`);
      if (!("name" in resource)) resource.name = external.name;
    }
  }
  return resource;
};

/** compose-go's transform.Canonical table (the entries for keys moor reads or must refuse). */
const canonicalTransforms: Array<[Path, Transform]> = [
  [pattern("services.*"), mappingChildren],
  [pattern("services.*.build.additional_contexts"), keyValueList],
  [pattern("services.*.depends_on"), dependsOn],
  [pattern("services.*.env_file"), envFile],
  [pattern("services.*.label_file"), stringOrList],
  [pattern("services.*.extends"), extendsTransform],
  [pattern("services.*.networks"), stringListToMapping],
  [pattern("services.*.models"), stringListToMapping],
  [pattern("services.*.volumes.*"), volumeMount],
  [pattern("services.*.dns"), stringOrList],
  [pattern("services.*.ports"), ports],
  [pattern("services.*.build"), build],
  [pattern("volumes.*"), maybeExternal],
  [pattern("networks.*"), maybeExternal],
  [pattern("secrets.*"), maybeExternal],
  [pattern("configs.*"), maybeExternal],
];

/** Short syntaxes to long ones (compose-go's transform.Canonical), then OmitEmpty's one rule. */
export function canonical(document: YamlMapping, warn: (message: string) => void): YamlMapping {
  transformTree(document, [], canonicalTransforms, warn);
  for (const service of Object.values(isMapping(document.services) ? document.services : {})) {
    // loader/omitEmpty.go: blank dns entries mean nothing.
    if (isMapping(service) && Array.isArray(service.dns)) service.dns = service.dns.filter((entry) => entry !== null && entry !== "");
  }
  return document;
}

/** compose-go's transform.SetDefaultValues. */
export function setDefaultValues(document: YamlMapping): void {
  transformTree(
    document,
    [],
    [
      [pattern("services.*.build"), (value) => (isMapping(value) && !("context" in value) ? { ...value, context: "." } : value)],
      [pattern("services.*.ports.*"), (value) => (isMapping(value) ? { protocol: "tcp", mode: "ingress", ...value } : value)],
      [pattern("services.*.volumes.*.bind"), (value) => (isMapping(value) && !("create_host_path" in value) ? { ...value, create_host_path: true } : value)],
    ],
    () => {},
  );
}

/** compose-go's validation.Validate: the checks the JSON schema cannot express. */
export function checkDocument(document: YamlMapping): void {
  for (const [name, volume] of Object.entries(isMapping(document.volumes) ? document.volumes : {})) {
    if (volume === null) continue;
    if (!isMapping(volume)) throw new Error(`expected volume, got ${JSON.stringify(volume)}`);
    if (volume.external !== true) continue;
    for (const key of Object.keys(volume)) {
      if (key !== "name" && key !== "external" && !key.startsWith("x-")) throw new Error(`volumes.${name}: conflicting parameters "external" and ${JSON.stringify(key)} specified`);
    }
  }
  for (const [name, service] of Object.entries(isMapping(document.services) ? document.services : {})) {
    if (!isMapping(service) || !Array.isArray(service.ports)) continue;
    for (const port of service.ports) {
      if (isMapping(port) && "host_ip" in port && isIP(String(port.host_ip)) === 0) {
        throw new Error(`services.${name}.ports.[]: invalid ip address: ${String(port.host_ip)}`);
      }
    }
  }
}

/** compose-go's paths.ExpandUser: a leading "~" is the home directory (whatever follows it). */
function expandUser(path: string, homeDir: string): string {
  return path.startsWith("~") ? posix.join(homeDir, path.slice(1)) : path;
}

/** compose-go's paths.ResolveRelativePaths, for the paths of the keys moor reads. */
export function resolveRelativePaths(document: YamlMapping, projectDir: string, homeDir: string): void {
  const absolute = (path: string): string => {
    const expanded = expandUser(path, homeDir);
    return expanded === "" || posix.isAbsolute(expanded) ? expanded : posix.join(projectDir, expanded);
  };
  for (const service of Object.values(isMapping(document.services) ? document.services : {})) {
    if (!isMapping(service)) continue;
    if (isMapping(service.build) && typeof service.build.context === "string") {
      const context = service.build.context;
      // Builder URLs and git or http contexts are not paths (paths/context.go).
      const remote = context.includes("://") || context.startsWith("service:") || ["https://", "http://", "git://", "ssh://", "github.com/", "git@"].some((prefix) => context.startsWith(prefix));
      if (!remote) service.build.context = absolute(context);
    }
    if (Array.isArray(service.env_file)) {
      for (const entry of service.env_file) if (isMapping(entry) && typeof entry.path === "string") entry.path = absolute(entry.path);
    }
    if (Array.isArray(service.label_file)) service.label_file = service.label_file.map((entry) => (typeof entry === "string" ? absolute(entry) : entry));
    if (Array.isArray(service.volumes)) {
      for (const volume of service.volumes) {
        if (!isMapping(volume) || volume.type !== "bind") continue;
        if (!("source" in volume)) throw new Error('invalid mount config for type "bind": field Source must not be empty');
        volume.source = absolute(String(volume.source));
      }
    }
  }
  for (const volume of Object.values(isMapping(document.volumes) ? document.volumes : {})) {
    // A local volume with `o: bind` is a bind mount of `device`.
    if (!isMapping(volume) || volume.driver !== "local" || !isMapping(volume.driver_opts)) continue;
    const options = volume.driver_opts;
    if (options.o === "bind" && "device" in options && typeof options.device === "string") options.device = absolute(options.device);
  }
}

/** compose-go's loader.ResolveEnvironment: a list entry `KEY` takes the project environment's value when it has one. */
export function resolveEnvironment(document: YamlMapping, environment: Readonly<Record<string, string>>): void {
  for (const service of Object.values(isMapping(document.services) ? document.services : {})) {
    if (!isMapping(service) || !Array.isArray(service.environment)) continue;
    service.environment = service.environment.flatMap((entry) => {
      if (typeof entry !== "string") return [];
      return Object.hasOwn(environment, entry) ? [`${entry}=${environment[entry]}`] : [entry];
    });
  }
}

/** compose-go's loader.Normalize, for what moor reads. */
export function normalize(document: YamlMapping, projectName: string, environment: Readonly<Record<string, string>>): void {
  const lookup = (name: string) => (Object.hasOwn(environment, name) ? environment[name] : undefined);
  normalizeNetworks(document);
  for (const service of Object.values(isMapping(document.services) ? document.services : {})) {
    if (!isMapping(service)) continue;
    if (service.pull_policy === "if_not_present") service.pull_policy = "missing";
    if (isMapping(service.build)) {
      service.build.context ??= ".";
      if (service.build.dockerfile == null && service.build.dockerfile_inline == null) service.build.dockerfile = "Dockerfile";
      if ("args" in service.build) service.build.args = resolveUnset(service.build.args, lookup, false);
    }
    if ("environment" in service) service.environment = resolveUnset(service.environment, lookup, true);
    const dependsOn: YamlMapping = isMapping(service.depends_on) ? service.depends_on : {};
    const implicit = (name: string, restart: boolean) => {
      if (!(name in dependsOn)) dependsOn[name] = { condition: "service_started", restart, required: true };
    };
    for (const link of Array.isArray(service.links) ? service.links : []) {
      const parts = String(link).split(":");
      implicit(parts.length === 2 ? parts[0] : String(link), true);
    }
    for (const namespace of ["network_mode", "ipc", "pid", "uts", "cgroup"]) {
      const reference = service[namespace];
      if (typeof reference === "string" && reference.startsWith("service:")) implicit(reference.slice("service:".length), true);
    }
    if (Array.isArray(service.volumes)) {
      for (const volume of service.volumes) if (isMapping(volume) && typeof volume.target === "string") volume.target = cleanPath(volume.target);
    }
    for (const source of Array.isArray(service.volumes_from) ? service.volumes_from : []) {
      const text = String(source);
      if (!text.startsWith("container:")) implicit(text.split(":")[0], false);
    }
    if (Object.keys(dependsOn).length > 0) service.depends_on = dependsOn;
  }
  for (const kind of ["networks", "volumes", "configs", "secrets"]) {
    const resources = document[kind];
    if (!isMapping(resources)) continue;
    for (const [key, value] of Object.entries(resources)) {
      const resource = isMapping(value) ? value : {};
      if (resource.name == null) resource.name = isTrue(resource.external) ? key : `${projectName}_${key}`;
      resources[key] = resource;
    }
  }
}

/** Go's path.Clean. */
function cleanPath(path: string): string {
  if (path === "") return ".";
  const normalized = posix.normalize(path);
  return normalized.length > 1 && normalized.endsWith("/") ? normalized.slice(0, -1) : normalized;
}

function isTrue(value: YamlValue | undefined): boolean {
  return value === true || (typeof value === "string" && ["1", "t", "T", "TRUE", "true", "True"].includes(value));
}

/** Services join the implicit `default` network unless they say otherwise (or use network_mode). */
function normalizeNetworks(document: YamlMapping): void {
  const networks: YamlMapping = isMapping(document.networks) ? document.networks : {};
  let usesDefault = false;
  for (const service of Object.values(isMapping(document.services) ? document.services : {})) {
    if (!isMapping(service) || "provider" in service || "network_mode" in service) continue;
    const serviceNetworks = service.networks;
    if (!isMapping(serviceNetworks) || Object.keys(serviceNetworks).length === 0) {
      service.networks = { default: null };
      usesDefault = true;
    } else if ("default" in serviceNetworks) {
      usesDefault = true;
    }
  }
  if (!("default" in networks) && usesDefault) networks.default = null;
  if (Object.keys(networks).length > 0) document.networks = networks;
}

/** compose-go's normalize `resolve`: entries without a value look the environment up; unknown ones stay bare (or go, for build args). */
function resolveUnset(value: YamlValue, lookup: (name: string) => string | undefined, keepEmpty: boolean): YamlValue {
  if (Array.isArray(value)) {
    return value.flatMap((entry) => {
      if (typeof entry !== "string") return [];
      if (entry.includes("=")) return [entry];
      const found = lookup(entry);
      if (found !== undefined) return [`${entry}=${found}`];
      return keepEmpty ? [entry] : [];
    });
  }
  if (isMapping(value)) {
    const resolved: YamlMapping = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== null) resolved[key] = item;
      else if (lookup(key) !== undefined) resolved[key] = lookup(key)!;
      else if (keepEmpty) resolved[key] = null;
    }
    return resolved;
  }
  return value;
}
