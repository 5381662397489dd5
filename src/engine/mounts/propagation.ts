// Shared and slave binds need a source whose mount propagates (moby daemon/oci_linux.go
// ensureShared, ensureSharedOrSlave, getSourceMount): the mount holding the source is found in
// the engine's mountinfo and its optional fields say whether it is shared or a slave.

export interface MountInfoEntry {
  mountPoint: string;
  /** Optional fields: `shared:N`, `master:N`, `propagate_from:N`, `unbindable`. */
  optional: string[];
}

/** Parses /proc/self/mountinfo (proc(5)); mount points have spaces and such octal-escaped. */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const entries: MountInfoEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    const separator = fields.indexOf("-", 6);
    if (fields.length < 7 || separator === -1) continue;
    entries.push({
      mountPoint: fields[4].replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))),
      optional: fields.slice(6, separator),
    });
  }
  return entries;
}

/** The mount a path lives on: the longest mount point that prefixes it (moby compares strings). */
export function sourceMountOf(path: string, mounts: readonly MountInfoEntry[]): MountInfoEntry | undefined {
  let found: MountInfoEntry | undefined;
  for (const mount of mounts) {
    if (path.startsWith(mount.mountPoint) && (found === undefined || mount.mountPoint.length >= found.mountPoint.length)) found = mount;
  }
  return found;
}

/**
 * Why a bind with this propagation cannot be made from `source` (its symlinks resolved), or
 * undefined when it can: shared binds need a shared source mount, slave binds a shared or slave one.
 */
export function propagationProblem(source: string, propagation: string, mounts: readonly MountInfoEntry[]): string | undefined {
  const shared = propagation === "shared" || propagation === "rshared";
  const slave = propagation === "slave" || propagation === "rslave";
  if (!shared && !slave) return undefined;
  const mount = sourceMountOf(source, mounts);
  if (mount === undefined) return `can't find mount point of ${source}`;
  const isShared = mount.optional.some((field) => field.startsWith("shared:"));
  const isSlave = mount.optional.some((field) => field.startsWith("master:"));
  if (shared && !isShared) return `path ${source} is mounted on ${mount.mountPoint} but it is not a shared mount`;
  if (slave && !isShared && !isSlave) return `path ${source} is mounted on ${mount.mountPoint} but it is not a shared or slave mount`;
  return undefined;
}
