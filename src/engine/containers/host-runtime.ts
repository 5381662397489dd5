import { readFileSync, statfsSync } from "node:fs";
import { release } from "node:os";
import { KNOWN_CAPABILITIES, type HostFacts } from "./oci-spec.ts";

/** What the spec builder must be told about this host, read once at engine start. */
export interface ContainerHostFacts {
  spec: HostFacts;
  /** cgroup v2 (unified) hosts give containers their own cgroup namespace, as dockerd does. */
  cgroupnsMode: "private" | "host";
  /** Read-only binds can be made read-only recursively (mount_setattr, Linux 5.12; runc 1.1 has `rro`). */
  recursiveReadOnly: boolean;
}

const cgroup2Magic = 0x63677270;

export function readContainerHostFacts(): ContainerHostFacts {
  return {
    spec: { capabilities: boundingCapabilities() },
    cgroupnsMode: isCgroup2() ? "private" : "host",
    recursiveReadOnly: kernelAtLeast(5, 12),
  };
}

function kernelAtLeast(major: number, minor: number): boolean {
  const [kernelMajor = 0, kernelMinor = 0] = release().split(".").map((part) => Number.parseInt(part, 10));
  return kernelMajor > major || (kernelMajor === major && kernelMinor >= minor);
}

function isCgroup2(): boolean {
  try {
    return Number(statfsSync("/sys/fs/cgroup").type) === cgroup2Magic;
  } catch {
    return false;
  }
}

/** The engine's own bounding set (CapBnd): what a privileged container may have. */
function boundingCapabilities(): string[] | undefined {
  try {
    const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    if (hex === undefined) return undefined;
    const mask = BigInt(`0x${hex}`);
    return KNOWN_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
  } catch {
    return undefined;
  }
}
