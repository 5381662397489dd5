import { BuildStepError } from "./errors.ts";
import { parseSignal } from "../signals.ts";

/** EXPOSE's port specs (`80`, `80/udp`, `8000-8010/tcp`) as ExposedPorts keys, with dockerd's errors. */
export function parseExposedPorts(specs: readonly string[]): Record<string, Record<string, never>> {
  const ports: Record<string, Record<string, never>> = {};
  for (const spec of specs) {
    const slash = spec.lastIndexOf("/");
    const range = slash === -1 ? spec : spec.slice(0, slash);
    const proto = slash === -1 ? "tcp" : spec.slice(slash + 1).toLowerCase();
    if (!["tcp", "udp", "sctp"].includes(proto)) throw new BuildStepError(`invalid proto: ${proto}`);
    const match = /^(\d+)(?:-(\d+))?$/.exec(range);
    if (match === null) throw new BuildStepError(`invalid containerPort: ${range}`);
    const start = Number(match[1]);
    const end = match[2] === undefined ? start : Number(match[2]);
    if (start > 65535 || end > 65535 || end < start) throw new BuildStepError(`invalid containerPort: ${range}`);
    for (let port = start; port <= end; port++) ports[`${port}/${proto}`] = {};
  }
  return ports;
}

/** STOPSIGNAL: a signal name (with or without SIG, RTMIN+n) or number, as moby's signal.ParseSignal accepts it. */
export function validateStopSignal(signal: string): void {
  if (parseSignal(signal) === undefined) throw new BuildStepError(`Invalid signal: ${signal}`);
}
