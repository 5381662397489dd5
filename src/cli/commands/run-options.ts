import { UsageError, type FlagValues } from "../command.ts";
import { goMapOrder } from "../../util/go-json.ts";
import { parseGoDuration } from "../../util/go-duration.ts";

/** A create/run option the docker CLI rejects after parsing: its message, for "moor: ...". */
export class OptionError extends Error {}

export type PortBindings = Record<string, Array<{ HostIp: string; HostPort: string }>>;

/**
 * `-p/--publish` as docker/cli parses it (cli/command/container/opts.go with go-connections
 * nat.ParsePortSpecs): `[ip:][hostPort:]containerPort[/proto]` with ranges, or the long form
 * `published=8080,target=80[,protocol=udp]`. Ports map to their bindings and are exposed too;
 * keys are sorted as Go marshals maps.
 */
export function parsePublish(specs: string[]): { exposedPorts: Record<string, Record<string, never>>; portBindings: PortBindings } {
  const exposedPorts: Record<string, Record<string, never>> = {};
  const portBindings: PortBindings = {};
  for (const spec of specs.map(standardNotation)) {
    for (const { port, hostIp, hostPort } of parsePortSpec(spec)) {
      exposedPorts[port] = {};
      (portBindings[port] ??= []).push({ HostIp: hostIp, HostPort: hostPort });
    }
  }
  return { exposedPorts: goMapOrder(exposedPorts), portBindings: goMapOrder(portBindings) };
}

/** docker/cli convertToStandardNotation: the long form as `published:target/protocol`. */
function standardNotation(spec: string): string {
  if (!spec.includes("=")) return spec;
  const params: Record<string, string> = { protocol: "tcp" };
  for (const param of spec.split(",")) {
    const equals = param.indexOf("=");
    if (equals <= 0) throw new OptionError(`invalid publish opts format (should be name=value but got '${param}')`);
    params[param.slice(0, equals)] = param.slice(equals + 1);
  }
  return `${params.published ?? ""}:${params.target ?? ""}/${params.protocol}`;
}

function parsePortSpec(raw: string): Array<{ port: string; hostIp: string; hostPort: string }> {
  const parts = raw.split(":");
  let [ip, hostPort, containerPort] = ["", "", ""];
  if (parts.length === 1) containerPort = parts[0];
  else if (parts.length === 2) [hostPort, containerPort] = parts;
  else [ip, hostPort, containerPort] = [parts.slice(0, -2).join(":"), parts.at(-2)!, parts.at(-1)!];
  const [proto, port] = splitProtoPort(containerPort);
  if (port === "") throw new OptionError(`no port specified: ${raw}<empty>`);
  if (!["tcp", "udp", "sctp"].includes(proto)) throw new OptionError(`invalid proto: ${proto}`);
  if (ip.startsWith("[")) {
    const close = ip.indexOf("]");
    if (close === -1 || close !== ip.length - 1) throw new OptionError(`invalid IP address ${ip}: address ${ip}:: missing ']' in address`);
    ip = ip.slice(1, close);
  }
  if (ip !== "" && !isIp(ip)) throw new OptionError(`invalid IP address: ${ip}`);
  const container = portRange(port);
  if (container === undefined) throw new OptionError(`invalid containerPort: ${port}`);
  let host: [number, number] | undefined;
  if (hostPort !== "") {
    host = portRange(hostPort);
    if (host === undefined) throw new OptionError(`invalid hostPort: ${hostPort}`);
    // A host range for one container port is the range to allocate from.
    if (container[1] - container[0] !== host[1] - host[0] && container[1] !== container[0]) {
      throw new OptionError(`invalid ranges specified for container and host Ports: ${port} and ${hostPort}`);
    }
  }
  const count = container[1] - container[0] + 1;
  return Array.from({ length: count }, (_, i) => {
    let binding = "";
    if (host !== undefined) {
      binding = String(host[0] + i);
      if (count === 1 && host[0] !== host[1]) binding += `-${host[1]}`;
    }
    return { port: `${container[0] + i}/${proto}`, hostIp: ip, hostPort: binding };
  });
}

/** nat.SplitProtoPort: "80/udp" → ["udp", "80"]; no protocol is tcp. */
function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split("/");
  if (raw === "" || parts[0] === "") return ["", ""];
  if (parts.length === 1 || parts[1] === "") return ["tcp", parts[0]];
  return [parts[1].toLowerCase(), parts[0]];
}

/** `80` or `8000-8010`, each 0 to 65535; undefined when invalid. */
function portRange(text: string): [number, number] | undefined {
  const [start, end] = text.split(/-(.*)/s, 2);
  const number = (part: string) => (/^[+-]?\d+$/.test(part) && Number(part) >= 0 && Number(part) <= 65535 ? Number(part) : undefined);
  const first = number(start);
  if (first === undefined) return undefined;
  if (end === undefined || end === start) return [first, first];
  const last = number(end);
  if (last === undefined || last < first) return undefined;
  return [first, last];
}

function isIp(text: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) return text.split(".").every((part) => Number(part) <= 255 && !/^0\d/.test(part));
  return text.includes(":") && /^[0-9a-fA-F:.]+$/.test(text) && (text.match(/::/g) ?? []).length <= 1;
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

const healthDurationFlags = [
  ["health-interval", "Interval"],
  ["health-timeout", "Timeout"],
  ["health-start-period", "StartPeriod"],
  ["health-start-interval", "StartInterval"],
] as const;

/**
 * The healthcheck the --health-* flags and --no-healthcheck ask for (docker/cli opts.go),
 * undefined when none is given. Zero fields are left out, as Go's omitempty does.
 */
export function healthcheckOf(flags: FlagValues): HealthConfig | undefined {
  const command = (flags["health-cmd"] as string | undefined) ?? "";
  const durations = Object.fromEntries(healthDurationFlags.map(([flag, field]) => [field, flagDuration(flags, flag)]));
  const retriesText = flags["health-retries"] as string | undefined;
  if (retriesText !== undefined && !/^[+-]?\d+$/.test(retriesText)) {
    throw new UsageError(`invalid argument "${retriesText}" for "--health-retries" flag: strconv.ParseInt: parsing ${JSON.stringify(retriesText)}: invalid syntax`, 125);
  }
  const retries = Number(retriesText ?? "0");
  const any = command !== "" || retries !== 0 || Object.values(durations).some((value) => value !== 0);
  if (flags["no-healthcheck"]) {
    if (any) throw new OptionError("--no-healthcheck conflicts with --health-* options");
    return { Test: ["NONE"] };
  }
  if (!any) return undefined;
  for (const [flag, value] of [
    ["health-interval", durations.Interval],
    ["health-timeout", durations.Timeout],
    ["health-retries", retries],
    ["health-start-period", durations.StartPeriod],
    ["health-start-interval", durations.StartInterval],
  ] as const) {
    if (value < 0) throw new OptionError(`--${flag} cannot be negative`);
  }
  const health: HealthConfig = {};
  if (command !== "") health.Test = ["CMD-SHELL", command];
  for (const field of ["Interval", "Timeout", "StartPeriod", "StartInterval"] as const) {
    if (durations[field] !== 0) health[field] = durations[field];
  }
  if (retries !== 0) health.Retries = retries;
  return health;
}

function flagDuration(flags: FlagValues, flag: string): number {
  const text = flags[flag] as string | undefined;
  if (text === undefined) return 0;
  try {
    return parseGoDuration(text);
  } catch (err) {
    throw new UsageError(`invalid argument "${text}" for "--${flag}" flag: ${(err as Error).message}`, 125);
  }
}

