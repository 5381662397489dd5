/**
 * Merging several Compose files (`-f a.yaml -f b.yaml`), ported from compose-go's override
 * package (merge.go, uncity.go): mappings merge key by key, scalars are replaced, sequences are
 * appended and then de-duplicated by their key (a port by ip:published:target/proto, a volume by
 * its target, an environment entry by its name), `command`/`entrypoint`/`healthcheck.test` are
 * replaced whole, and the map/list forms of `environment`, `labels`, `depends_on`... merge.
 */
import { formatPath, matches, pattern, type Path } from "./path.ts";
import { parseVolumeSpec } from "./volume-spec.ts";
import type { YamlMapping, YamlValue } from "./yaml-file.ts";

type Merger = (base: YamlValue, override: YamlValue, path: Path) => YamlValue;

function isMapping(value: YamlValue | undefined): value is YamlMapping {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Go's fmt %v for the scalars YAML gives (floats past 1e21 aside, which Go writes with an exponent). */
export function goFormat(value: YamlValue): string {
  return value === null ? "<nil>" : String(value);
}

/** A `KEY: value` mapping or list as compose-go's convertIntoSequence: "KEY=value" items, sorted. */
function toSequence(value: YamlValue): YamlValue[] {
  if (Array.isArray(value)) return value;
  if (typeof value === "string") return [value];
  if (!isMapping(value)) return [];
  const sequence: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    if (item === null) sequence.push(key);
    else if (Array.isArray(item)) for (const element of item) sequence.push(`${key}=${goFormat(element)}`);
    else sequence.push(`${key}=${goFormat(item)}`);
  }
  return sequence.sort(compareStrings);
}

function compareStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** A list of names as a mapping, each with `defaults` (depends_on) or null (networks). */
function toMapping(value: YamlValue, defaults: YamlMapping | null): YamlMapping {
  if (isMapping(value)) return value;
  if (!Array.isArray(value)) return {};
  return Object.fromEntries(value.map((name) => [String(name), defaults === null ? null : { ...defaults }]));
}

const mergeToSequence: Merger = (base, override) => [...toSequence(base), ...toSequence(override)];
const replace: Merger = (_base, override) => override;

const mergeExtraHosts: Merger = (base, override) => {
  const right = toSequence(base);
  return [...right, ...toSequence(override).filter((entry) => !right.includes(entry))];
};

const mergeBuild: Merger = (base, override, path) => {
  const asMapping = (value: YamlValue): YamlMapping => (typeof value === "string" ? { context: value } : isMapping(value) ? value : {});
  return mergeMappings(asMapping(base), asMapping(override), path);
};

const dependencyDefaults: YamlMapping = { condition: "service_started", required: true };

const mergeDependsOn: Merger = (base, override, path) => mergeMappings(toMapping(base, dependencyDefaults), toMapping(override, dependencyDefaults), path);
const mergeNamedMapping: Merger = (base, override, path) => mergeMappings(toMapping(base, null), toMapping(override, null), path);

/** Logging options merge only when both files name the same driver (or one names none). */
const mergeLogging: Merger = (base, override, path) => {
  if (!isMapping(base) || !isMapping(override)) return override;
  if (base.driver === override.driver || !("driver" in base) || !("driver" in override)) return mergeMappings(base, override, path);
  return override;
};

/** compose-go merges the later ulimit with itself, so the later one wins whole. */
const mergeUlimit: Merger = (_base, override) => override;

const mergeIpamConfig: Merger = (base, override, path) => {
  if (!Array.isArray(base) || !Array.isArray(override)) throw new Error(`${formatPath(path)}: unexpected type ${goTypeName(base)}`);
  const configs: YamlMapping[] = [];
  for (const original of base) {
    const right = toMapping(original, null);
    for (const candidate of override) {
      const left = toMapping(candidate, null);
      if (left.subnet !== right.subnet && !configs.some((config) => config.subnet === left.subnet)) {
        configs.push(left);
        continue;
      }
      const merged = mergeMappings(right, left, path);
      const existing = configs.findIndex((config) => config.subnet === merged.subnet);
      if (existing >= 0) configs[existing] = merged;
      else configs.push(merged);
    }
  }
  return configs;
};

/** compose-go's mergeSpecials. */
const specialMergers: Array<[Path, Merger]> = [
  [pattern("networks.*.ipam.config"), mergeIpamConfig],
  [pattern("networks.*.labels"), mergeToSequence],
  [pattern("volumes.*.labels"), mergeToSequence],
  [pattern("services.*.annotations"), mergeToSequence],
  [pattern("services.*.build"), mergeBuild],
  [pattern("services.*.build.args"), mergeToSequence],
  [pattern("services.*.build.additional_contexts"), mergeToSequence],
  [pattern("services.*.build.extra_hosts"), mergeExtraHosts],
  [pattern("services.*.build.labels"), mergeToSequence],
  [pattern("services.*.command"), replace],
  [pattern("services.*.depends_on"), mergeDependsOn],
  [pattern("services.*.deploy.labels"), mergeToSequence],
  [pattern("services.*.dns"), mergeToSequence],
  [pattern("services.*.dns_opt"), mergeToSequence],
  [pattern("services.*.dns_search"), mergeToSequence],
  [pattern("services.*.entrypoint"), replace],
  [pattern("services.*.env_file"), mergeToSequence],
  [pattern("services.*.label_file"), mergeToSequence],
  [pattern("services.*.environment"), mergeToSequence],
  [pattern("services.*.extra_hosts"), mergeExtraHosts],
  [pattern("services.*.healthcheck.test"), replace],
  [pattern("services.*.labels"), mergeToSequence],
  [pattern("services.*.volumes.*.volume.labels"), mergeToSequence],
  [pattern("services.*.logging"), mergeLogging],
  [pattern("services.*.models"), mergeNamedMapping],
  [pattern("services.*.networks"), mergeNamedMapping],
  [pattern("services.*.sysctls"), mergeToSequence],
  [pattern("services.*.tmpfs"), mergeToSequence],
  [pattern("services.*.ulimits.*"), mergeUlimit],
];

function goTypeName(value: YamlValue): string {
  if (Array.isArray(value)) return "[]interface {}";
  if (isMapping(value)) return "map[string]interface {}";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float64";
  return value === null ? "<nil>" : typeof value === "boolean" ? "bool" : "string";
}

/** compose-go's override.Merge: `override` (a later file) merged onto `base`; both may be modified. */
export function mergeDocuments(base: YamlMapping, override: YamlMapping): YamlMapping {
  return mergeMappings(base, override, []);
}

function mergeValue(base: YamlValue, override: YamlValue, path: Path): YamlValue {
  const special = specialMergers.find(([specialPath]) => matches(path, specialPath));
  if (special !== undefined) return special[1](base, override, path);
  if (override === null) return base;
  if (isMapping(base)) {
    if (!isMapping(override)) throw new Error(`cannot override ${formatPath(path)}`);
    return mergeMappings(base, override, path);
  }
  if (Array.isArray(base)) {
    if (!Array.isArray(override)) throw new Error(`cannot override ${formatPath(path)}`);
    return [...base, ...override];
  }
  return override;
}

function mergeMappings(base: YamlMapping, override: YamlMapping, path: Path): YamlMapping {
  for (const [key, value] of Object.entries(override)) {
    base[key] = Object.hasOwn(base, key) ? mergeValue(base[key], value, [...path, key]) : value;
  }
  return base;
}

/** Deletes what a later file marks `!reset` or `!override` (compose-go's ResetProcessor.Apply). */
export function removePaths(document: YamlMapping, paths: readonly Path[]): void {
  const visit = (value: YamlValue, path: Path): void => {
    if (!isMapping(value)) return;
    for (const key of Object.keys(value)) {
      const next = [...path, key];
      if (paths.some((candidate) => matches(next, candidate))) delete value[key];
      else visit(value[key], next);
    }
  };
  visit(document, []);
}

type Indexer = (entry: YamlValue, path: Path) => string;

const keyValueIndexer: Indexer = (entry, path) => {
  if (typeof entry !== "string") throw new Error(`${formatPath(path)}: unexpected type ${goTypeName(entry)}`);
  const equals = entry.indexOf("=");
  return equals < 0 ? entry : entry.slice(0, equals);
};

const volumeIndexer: Indexer = (entry, path) => {
  if (isMapping(entry)) {
    if (typeof entry.target !== "string") throw new Error(`service volume ${formatPath(path)} is missing a mount target`);
    return entry.target;
  }
  if (typeof entry === "string") return parseVolumeSpec(entry).target;
  return "";
};

const deviceIndexer: Indexer = (entry, path) => {
  if (isMapping(entry)) {
    if (typeof entry.target !== "string") throw new Error(`service device ${formatPath(path)} is missing a mount target`);
    return entry.target;
  }
  if (typeof entry === "string") {
    const parts = entry.split(":");
    return parts.length === 1 ? parts[0] : parts[1];
  }
  return "";
};

const exposeIndexer: Indexer = (entry, path) => {
  if (typeof entry === "string") return entry;
  if (typeof entry === "number" && Number.isInteger(entry)) return String(entry);
  throw new Error(`${formatPath(path)}: unsupported expose value ${goFormat(entry)}`);
};

const mountIndexer =
  (defaultPath: string): Indexer =>
  (entry, path) => {
    if (typeof entry === "string") return `${defaultPath}/${entry}`;
    if (isMapping(entry)) return "target" in entry ? String(entry.target) : `${defaultPath}/${goFormat(entry.source ?? null)}`;
    throw new Error(`${formatPath(path)}: unsupported expose value ${goFormat(entry)}`);
  };

const portIndexer: Indexer = (entry, path) => {
  if (typeof entry === "number") return String(entry);
  if (typeof entry === "string") return entry;
  if (isMapping(entry)) {
    if (!("target" in entry)) throw new Error(`service ports ${formatPath(path)} is missing a target port`);
    const published = "published" in entry ? goFormat(entry.published) : "%!s(<nil>)";
    return `${"host_ip" in entry ? goFormat(entry.host_ip) : "0.0.0.0"}:${published}:${goFormat(entry.target)}/${"protocol" in entry ? goFormat(entry.protocol) : "tcp"}`;
  }
  return "";
};

const envFileIndexer: Indexer = (entry, path) => {
  if (typeof entry === "string") return entry;
  if (isMapping(entry)) {
    if (!("path" in entry)) throw new Error(`environment path attribute ${formatPath(path)} is missing`);
    return String(entry.path);
  }
  return "";
};

/** compose-go's `unique` table: how to tell two entries of a sequence are the same. */
const indexers: Array<[Path, Indexer]> = [
  [pattern("networks.*.labels"), keyValueIndexer],
  [pattern("networks.*.ipam.options"), keyValueIndexer],
  [pattern("services.*.annotations"), keyValueIndexer],
  [pattern("services.*.build.args"), keyValueIndexer],
  [pattern("services.*.build.additional_contexts"), keyValueIndexer],
  [pattern("services.*.build.platform"), keyValueIndexer],
  [pattern("services.*.build.tags"), keyValueIndexer],
  [pattern("services.*.build.labels"), keyValueIndexer],
  [pattern("services.*.cap_add"), keyValueIndexer],
  [pattern("services.*.cap_drop"), keyValueIndexer],
  [pattern("services.*.configs"), mountIndexer("")],
  [pattern("services.*.deploy.labels"), keyValueIndexer],
  [pattern("services.*.dns"), keyValueIndexer],
  [pattern("services.*.dns_opt"), keyValueIndexer],
  [pattern("services.*.dns_search"), keyValueIndexer],
  [pattern("services.*.environment"), keyValueIndexer],
  [pattern("services.*.env_file"), envFileIndexer],
  [pattern("services.*.expose"), exposeIndexer],
  [pattern("services.*.labels"), keyValueIndexer],
  [pattern("services.*.links"), keyValueIndexer],
  [pattern("services.*.networks.*.aliases"), keyValueIndexer],
  [pattern("services.*.networks.*.link_local_ips"), keyValueIndexer],
  [pattern("services.*.ports"), portIndexer],
  [pattern("services.*.profiles"), keyValueIndexer],
  [pattern("services.*.secrets"), mountIndexer("/run/secrets")],
  [pattern("services.*.sysctls"), keyValueIndexer],
  [pattern("services.*.tmpfs"), keyValueIndexer],
  [pattern("services.*.volumes"), volumeIndexer],
  [pattern("services.*.devices"), deviceIndexer],
];

/** compose-go's EnforceUnicity: a later entry with the same key replaces the earlier one in its place. */
export function enforceUnicity(document: YamlMapping): YamlMapping {
  return uniqueValue(document, []) as YamlMapping;
}

function uniqueValue(value: YamlValue, path: Path): YamlValue {
  if (isMapping(value)) {
    for (const key of Object.keys(value)) value[key] = uniqueValue(value[key], [...path, key]);
    return value;
  }
  if (!Array.isArray(value)) return value;
  const indexer = indexers.find(([indexerPath]) => matches(path, indexerPath))?.[1];
  if (indexer === undefined) return value;
  const sequence: YamlValue[] = [];
  const positions = new Map<string, number>();
  value.forEach((entry, index) => {
    const key = indexer(entry, [...path, `[${index}]`]);
    const position = positions.get(key);
    if (position !== undefined) {
      sequence[position] = entry;
    } else {
      positions.set(key, sequence.length);
      sequence.push(entry);
    }
  });
  return sequence;
}
