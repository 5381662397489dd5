/**
 * Interpolation of a whole Compose document, as compose-go's interpolation package and
 * loader/interpolate.go: every string value (never a key) is substituted, then strings at the
 * paths compose types as booleans or numbers are cast, so `read_only: "${RO:-true}"` becomes true.
 */
import { formatPath, listItem, matches, pattern, type Path } from "./path.ts";
import { InvalidTemplateError, substitute, type Lookup } from "./template.ts";
import type { YamlValue } from "./yaml-file.ts";

/** A cast failure's text, worded as Go's strconv and compose-go's toBoolean word it. */
class CastError extends Error {}

type Cast = (value: string, warn: (message: string) => void) => YamlValue;

function toInt(value: string): number {
  if (!/^[+-]?\d+$/.test(value)) throw new CastError(`strconv.Atoi: parsing ${JSON.stringify(value)}: invalid syntax`);
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new CastError(`strconv.Atoi: parsing ${JSON.stringify(value)}: value out of range`);
  return parsed;
}

function toInt64(value: string): number {
  if (!/^[+-]?\d+$/.test(value)) throw new CastError(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new CastError(`strconv.ParseInt: parsing ${JSON.stringify(value)}: value out of range`);
  return parsed;
}

function toFloat(value: string): number {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) return Number(value);
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(value);
  if (special !== null) return special[2].toLowerCase() === "nan" ? Number.NaN : special[1] === "-" ? -Infinity : Infinity;
  throw new CastError(`strconv.ParseFloat: parsing ${JSON.stringify(value)}: invalid syntax`);
}

/** compose-go's toBoolean: YAML 1.1 spellings still work, with its warning. */
function toBoolean(value: string, warn: (message: string) => void): boolean {
  switch (value.toLowerCase()) {
    case "true":
      return true;
    case "false":
      return false;
    case "y":
    case "yes":
    case "on":
      warn(`${JSON.stringify(value)} for boolean is not supported by YAML 1.2, please use \`true\``);
      return true;
    case "n":
    case "no":
    case "off":
      warn(`${JSON.stringify(value)} for boolean is not supported by YAML 1.2, please use \`false\``);
      return false;
    default:
      throw new CastError(`invalid boolean: ${value}`);
  }
}

const service = (rest: string) => pattern(`services.*.${rest}`);

/** compose-go's interpolateTypeCastMapping. */
const casts: Array<[Path, Cast]> = [
  [service("cpu_count"), toInt64],
  [service("cpu_percent"), toFloat],
  [service("cpu_period"), toInt64],
  [service("cpu_quota"), toInt64],
  [service("cpu_rt_period"), toInt64],
  [service("cpu_rt_runtime"), toInt64],
  [service("cpus"), toFloat],
  [service("cpu_shares"), toInt64],
  [service("init"), toBoolean],
  [service("depends_on.*.required"), toBoolean],
  [service("depends_on.*.restart"), toBoolean],
  [service("deploy.replicas"), toInt],
  [service("deploy.update_config.parallelism"), toInt],
  [service("deploy.update_config.max_failure_ratio"), toFloat],
  [service("deploy.rollback_config.parallelism"), toInt],
  [service("deploy.rollback_config.max_failure_ratio"), toFloat],
  [service("deploy.restart_policy.max_attempts"), toInt],
  [service("deploy.placement.max_replicas_per_node"), toInt],
  [service("healthcheck.retries"), toInt],
  [service("healthcheck.disable"), toBoolean],
  [service("oom_kill_disable"), toBoolean],
  [service("oom_score_adj"), toInt64],
  [service("pids_limit"), toInt64],
  [[...service("ports"), listItem, "target"], toInt],
  [service("privileged"), toBoolean],
  [service("read_only"), toBoolean],
  [service("scale"), toInt],
  [service("stdin_open"), toBoolean],
  [service("tty"), toBoolean],
  [service("ulimits.*"), toInt],
  [service("ulimits.*.hard"), toInt],
  [service("ulimits.*.soft"), toInt],
  [[...service("volumes"), listItem, "read_only"], toBoolean],
  [[...service("volumes"), listItem, "volume", "nocopy"], toBoolean],
  [pattern("networks.*.external"), toBoolean],
  [pattern("networks.*.internal"), toBoolean],
  [pattern("networks.*.attachable"), toBoolean],
  [pattern("networks.*.enable_ipv4"), toBoolean],
  [pattern("networks.*.enable_ipv6"), toBoolean],
  [pattern("volumes.*.external"), toBoolean],
  [pattern("secrets.*.external"), toBoolean],
  [pattern("configs.*.external"), toBoolean],
];

export interface InterpolationOptions {
  lookup: Lookup;
  /** Hears compose's warnings: unset variables, YAML 1.1 booleans. */
  warn: (message: string) => void;
}

/** Interpolates every value of a document; errors read as compose-go's. */
export function interpolateDocument(document: Record<string, YamlValue>, options: InterpolationOptions): Record<string, YamlValue> {
  return interpolateValue(document, [], options) as Record<string, YamlValue>;
}

/** The same for a lone value at a path (the project `name`, read before the rest). */
export function interpolateValue(value: YamlValue, path: Path, options: InterpolationOptions): YamlValue {
  if (typeof value === "string") {
    let substituted: string;
    try {
      substituted = substitute(value, options.lookup, (name) => options.warn(`The ${JSON.stringify(name)} variable is not set. Defaulting to a blank string.`));
    } catch (error) {
      if (error instanceof InvalidTemplateError) {
        throw new Error(`invalid interpolation format for ${formatPath(path)}.\nYou may need to escape any $ with another $.\n${error.template}`);
      }
      throw new Error(`error while interpolating ${formatPath(path)}: ${(error as Error).message}`);
    }
    const cast = casts.find(([castPath]) => matches(path, castPath))?.[1];
    if (cast === undefined) return substituted;
    try {
      return cast(substituted, options.warn);
    } catch (error) {
      throw new Error(`error while interpolating ${formatPath(path)}: failed to cast to expected type: ${(error as Error).message}`);
    }
  }
  if (Array.isArray(value)) return value.map((item) => interpolateValue(item, [...path, listItem], options));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateValue(item, [...path, key], options)]));
  }
  return value;
}
