// A container's mount points as OCI spec mounts at start (moby daemon/volumes_unix.go
// setupMounts, daemon/container TmpfsMounts, daemon/oci_linux.go withMounts). Pure: the host
// path of each mount point (volumes are mounted by then) and the host's mount table come in.
import { MoorError } from "../../errors.ts";
import type { MountRecord } from "../../store/container-store.ts";
import type { SpecMount } from "../containers/oci-spec.ts";
import type { MountRequest } from "./parse.ts";
import { tmpfsData, tmpfsMountOptions } from "./parse.ts";
import { propagationProblem, type MountInfoEntry } from "./propagation.ts";
import { touchesDaemonRoot } from "./register.ts";

export interface MountSetupFacts {
  /** The kernel and runtime can make a bind read-only recursively (runc's `rro`). */
  recursiveReadOnly: boolean;
  daemonRoot: string;
  /** The engine's mount table, for the shared/slave checks. */
  mountInfo: readonly MountInfoEntry[];
}

/** A mount point with the host path it is mounted from (a volume's data directory, a bind's source). */
export type MountPointAtStart = MountRecord & { hostPath: string };

/**
 * The spec mounts: tmpfs from HostConfig.Tmpfs and from Mounts, then binds and volumes. A
 * tmpfs wins over any mount point on its destination (the image VOLUME it covers stays unused).
 */
export function specMounts(points: readonly MountPointAtStart[], tmpfs: Readonly<Record<string, string>>, facts: MountSetupFacts): SpecMount[] {
  const mounts: SpecMount[] = [];
  for (const [destination, data] of Object.entries(tmpfs)) {
    mounts.push({ destination, type: "tmpfs", source: "tmpfs", options: tmpfsMountOptions(data) });
  }
  for (const point of points) {
    if (point.type !== "tmpfs") continue;
    const spec = JSON.parse(point.spec) as MountRequest;
    mounts.push({ destination: point.destination, type: "tmpfs", source: "tmpfs", options: tmpfsMountOptions(tmpfsData(spec.TmpfsOptions, Boolean(spec.ReadOnly))) });
  }
  const tmpfsDestinations = new Set(mounts.map((m) => m.destination));
  for (const point of points) {
    if (point.type === "tmpfs" || tmpfsDestinations.has(point.destination)) continue;
    mounts.push({ destination: point.destination, type: "bind", source: point.hostPath, options: bindOptions(point, facts) });
  }
  return mounts;
}

function bindOptions(point: MountPointAtStart, facts: MountSetupFacts): string[] {
  const spec = JSON.parse(point.spec) as MountRequest;
  const bind = spec.Type === "bind" ? (spec.BindOptions ?? undefined) : undefined;
  if (bind !== undefined) {
    if (!spec.ReadOnly && bind.ReadOnlyNonRecursive) throw new MoorError("invalid", "mount options conflict: !ReadOnly && BindOptions.ReadOnlyNonRecursive");
    if (!spec.ReadOnly && bind.ReadOnlyForceRecursive) throw new MoorError("invalid", "mount options conflict: !ReadOnly && BindOptions.ReadOnlyForceRecursive");
    if (bind.ReadOnlyNonRecursive && bind.ReadOnlyForceRecursive) {
      throw new MoorError("invalid", "mount options conflict: ReadOnlyNonRecursive && BindOptions.ReadOnlyForceRecursive");
    }
  }
  const problem = propagationProblem(point.hostPath, point.propagation, facts.mountInfo);
  // Binds of the data root got rslave from the engine, not the user: where the host cannot
  // honour it they keep working as private binds (moby's fallback for the daemon root).
  if (problem !== undefined && !fallsBackToPrivate(point, spec, facts.daemonRoot)) throw new MoorError("internal", problem);
  const options = [bind?.NonRecursive ? "bind" : "rbind"];
  if (!point.rw) {
    if (bind?.ReadOnlyForceRecursive && !facts.recursiveReadOnly) throw new MoorError("internal", "recursive read-only mounts are not supported by this kernel or runtime");
    options.push(facts.recursiveReadOnly && !bind?.ReadOnlyNonRecursive ? "rro" : "ro");
  }
  if (point.propagation !== "") options.push(point.propagation);
  return options;
}

function fallsBackToPrivate(point: MountPointAtStart, spec: MountRequest, daemonRoot: string): boolean {
  const slave = point.propagation === "slave" || point.propagation === "rslave";
  return slave && touchesDaemonRoot(point.hostPath, daemonRoot) && !spec.BindOptions?.Propagation;
}
