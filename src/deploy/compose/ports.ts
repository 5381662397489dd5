/**
 * The short port syntax (`[ip:][host:]container[/proto]`), as compose-go's types.ParsePortConfig
 * reads it through docker/go-connections v0.4.0's nat.ParsePortSpecs: ranges expand to one
 * entry per port, sorted as Go sorts the "80/tcp" keys (as strings), errors in its words.
 */
import { isIP } from "node:net";

export interface ShortPortSpec {
  hostIp: string;
  protocol: string;
  target: number;
  published: string;
  mode: "ingress";
}

export function parsePortSpec(value: string): ShortPortSpec[] {
  const bindings = new Map<string, Array<{ hostIp: string; hostPort: string }>>();
  for (const mapping of parseMappings(value)) {
    const list = bindings.get(mapping.port) ?? [];
    list.push(mapping.binding);
    bindings.set(mapping.port, list);
  }
  const ports: ShortPortSpec[] = [];
  for (const key of [...bindings.keys()].sort()) {
    const [port, protocol] = key.split("/");
    for (const binding of bindings.get(key)!) {
      ports.push({ hostIp: binding.hostIp, protocol: protocol.toLowerCase(), target: Number(port.split("-")[0]), published: binding.hostPort, mode: "ingress" });
    }
  }
  return ports;
}

function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(":");
  const n = parts.length;
  if (n === 1) return ["", "", parts[0]];
  if (n === 2) return ["", parts[0], parts[1]];
  if (n === 3) return [parts[0], parts[1], parts[2]];
  return [parts.slice(0, n - 2).join(":"), parts[n - 2], parts[n - 1]];
}

function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split("/");
  if (raw === "" || parts[0] === "") return ["", ""];
  if (parts.length === 1) return ["tcp", raw];
  if (parts[1] === "") return ["tcp", parts[0]];
  return [parts[1], parts[0]];
}

/** Go's strconv.ParseUint(s, 10, 16) error texts. */
function parseUint16(text: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(text)}: invalid syntax`);
  const value = Number(text);
  if (value > 65535) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(text)}: value out of range`);
  return value;
}

function parsePortRange(ports: string): [number, number] {
  if (ports === "") throw new Error("Empty string specified for ports.");
  if (!ports.includes("-")) {
    const port = parseUint16(ports);
    return [port, port];
  }
  const parts = ports.split("-");
  const start = parseUint16(parts[0]);
  const end = parseUint16(parts[1]);
  if (end < start) throw new Error(`Invalid range specified for the Port: ${ports}`);
  return [start, end];
}

/** Go's net.SplitHostPort(host + ":"), which only strips IPv6 brackets here. */
function stripBrackets(rawIp: string): string {
  const hostPort = `${rawIp}:`;
  if (hostPort.startsWith("[")) {
    const end = hostPort.indexOf("]");
    if (end === -1) throw new Error(`address ${hostPort}: missing ']' in address`);
    if (end + 1 !== hostPort.length - 1) throw new Error(`address ${hostPort}: ${hostPort[end + 1] === ":" ? "too many colons in address" : "missing port in address"}`);
    return hostPort.slice(1, end);
  }
  if (rawIp.includes(":")) throw new Error(`address ${hostPort}: too many colons in address`);
  return rawIp;
}

function parseMappings(raw: string): Array<{ port: string; binding: { hostIp: string; hostPort: string } }> {
  const [rawIp, rawHostPort, rawContainerPort] = splitParts(raw);
  const [proto, containerPort] = splitProtoPort(rawContainerPort);
  let ip: string;
  try {
    ip = stripBrackets(rawIp);
  } catch (error) {
    throw new Error(`Invalid ip address ${rawIp}: ${(error as Error).message}`);
  }
  if (ip !== "" && isIP(ip) === 0) throw new Error(`Invalid ip address: ${ip}`);
  if (containerPort === "") throw new Error(`No port specified: ${raw}<empty>`);
  let start: number;
  let end: number;
  try {
    [start, end] = parsePortRange(containerPort);
  } catch {
    throw new Error(`Invalid containerPort: ${containerPort}`);
  }
  let hostStart = 0;
  let hostEnd = 0;
  if (rawHostPort.length > 0) {
    try {
      [hostStart, hostEnd] = parsePortRange(rawHostPort);
    } catch {
      throw new Error(`Invalid hostPort: ${rawHostPort}`);
    }
  }
  // A host range with a single container port is a range to pick a free host port from.
  if (rawHostPort !== "" && end - start !== hostEnd - hostStart && end !== start) {
    throw new Error(`Invalid ranges specified for container and host Ports: ${containerPort} and ${rawHostPort}`);
  }
  const protocol = proto.toLowerCase();
  if (!["tcp", "udp", "sctp"].includes(protocol)) throw new Error(`Invalid proto: ${proto}`);
  const mappings: Array<{ port: string; binding: { hostIp: string; hostPort: string } }> = [];
  let hostPort = rawHostPort;
  for (let i = 0; i <= end - start; i++) {
    if (rawHostPort.length > 0) hostPort = String(hostStart + i);
    if (start === end && hostStart !== hostEnd) hostPort = `${hostPort}-${hostEnd}`;
    mappings.push({ port: `${start + i}/${protocol}`, binding: { hostIp: ip, hostPort } });
  }
  return mappings;
}
