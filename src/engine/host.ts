import { readFileSync, statfsSync } from "node:fs";
import os from "node:os";

/** Facts about the host that /version and /info report, read once at start. */
export interface HostFacts {
  kernelVersion: string;
  operatingSystem: string;
  osVersion: string;
  /** uname -m style (x86_64), as /info's Architecture. */
  machine: string;
  /** Go's GOARCH naming (amd64), as /version's Arch. */
  goArch: string;
  cpus: number;
  memoryBytes: number;
  hostname: string;
}

// statfs f_type magic numbers, named as dockerd names backing filesystems (moby fsmagic).
const filesystemNames: Record<number, string> = {
  0xef53: "extfs",
  0x58465342: "xfs",
  0x9123683e: "btrfs",
  0x01021994: "tmpfs",
  0x794c7630: "overlayfs",
  0x2fc12fc1: "zfs",
  0x6969: "nfs",
};

/** The filesystem a directory lives on, as /info's "Backing Filesystem" names it. */
export function backingFilesystem(path: string): string {
  try {
    const type = Number(statfsSync(path).type);
    return filesystemNames[type] ?? `0x${type.toString(16)}`;
  } catch {
    return "unknown";
  }
}

const goArchByNodeArch: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };

export function readHostFacts(): HostFacts {
  const osRelease = parseOsRelease();
  return {
    kernelVersion: os.release(),
    operatingSystem: osRelease.PRETTY_NAME ?? "Linux",
    osVersion: osRelease.VERSION_ID ?? "",
    machine: os.machine(),
    goArch: goArchByNodeArch[process.arch] ?? process.arch,
    cpus: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    hostname: os.hostname(),
  };
}

function parseOsRelease(): Record<string, string> {
  let text = "";
  try {
    text = readFileSync("/etc/os-release", "utf8");
  } catch {
    return {};
  }
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (match) fields[match[1]] = match[2].replace(/^"(.*)"$/, "$1");
  }
  return fields;
}
