// A container's mount points, decided at create in dockerd's order and with its precedence
// (moby daemon/volumes.go registerMountPoints, daemon/volumes_linux.go validateBindDaemonRoot):
// volumes-from first, then Binds, then Mounts, each later source replacing an earlier one on
// the same destination, except that Binds and Mounts may not share one ("Duplicate mount
// point"). The image's and the request's VOLUMEs come after, in the container service, because
// they need the image's files. Volumes are created as they are met, so a failure after one was
// made leaves it behind, as dockerd does; the caller removes the anonymous ones it is told of.
import { MoorError } from "../../errors.ts";
import type { MountRecord } from "../../store/container-store.ts";
import { duplicateMountPoint, isReadWriteMode, parseBind, parseMountSpec, parseVolumesFrom, type MountRequest, type ParsedMount, type ValidationContext } from "./parse.ts";

/** What a create asks to mount, as HostConfig carries it. */
export interface MountRequestSet {
  binds: readonly string[];
  mounts: readonly MountRequest[];
  tmpfs: Readonly<Record<string, string>>;
  volumesFrom: readonly string[];
  volumeDriver: string;
  /** Read-only binds stay non-recursive (clients older than API 1.44 expect that). */
  readOnlyNonRecursive: boolean;
}

export interface CreatedVolume {
  name: string;
  driver: string;
  mountpoint: string;
}

export interface RegistrationContext extends ValidationContext {
  /** The engine's data root: binds of it or into it get rslave propagation. */
  daemonRoot: string;
  /** The mount points of another container (volumes-from); throws when it does not exist. */
  mountsOf(container: string): readonly MountRecord[];
  /** Creates a volume, or returns the existing one of that name; name "" makes an anonymous one. */
  createVolume(request: { name: string; driver: string; options?: Record<string, string> | null; labels?: Record<string, string> | null }): Promise<CreatedVolume>;
  /** Looks up an existing volume by name (volumes-from of a mount without a source). */
  getVolume(name: string): CreatedVolume;
}

/** A mount point on its way into the store, and whether a new empty volume is filled from the image. */
export type RegisteredMount = MountRecord & { copyData: boolean };

const defaultVolumeDriver = "local";

/**
 * The mount points of a new container, keyed by destination. Anonymous volumes made on the way
 * are pushed to `createdAnonymous` as soon as they exist, so a caller can remove them if this or
 * anything after it fails.
 */
export async function registerMountPoints(request: MountRequestSet, context: RegistrationContext, createdAnonymous: string[]): Promise<Map<string, RegisteredMount>> {
  const mountPoints = new Map<string, RegisteredMount>();
  // Destinations taken by Binds and Mounts, which may not repeat among themselves.
  const claimed = new Set<string>();

  for (const entry of request.volumesFrom) {
    const { container, mode } = parseVolumesFrom(entry);
    let sourceMounts: readonly MountRecord[];
    try {
      sourceMounts = context.mountsOf(container);
    } catch (err) {
      throw new MoorError("invalid", (err as Error).message, { cause: err });
    }
    for (const mount of sourceMounts) {
      // dockerd looks a mount without a source up as a volume: a tmpfs from Mounts has none, so
      // it cannot be inherited (moby answers "get: no such volume").
      if (mount.source === "") context.getVolume(mount.volumeName ?? "");
      // Inherited binds are made on the host when missing, whatever their origin said (moby's
      // copy drops SkipMountpointCreation).
      mountPoints.set(mount.destination, { ...mount, rw: mount.rw && isReadWriteMode(mode), mode: "", createSource: mount.type === "bind", copyData: false });
    }
  }

  for (const raw of request.binds) {
    const bind = parseBind(raw, request.volumeDriver);
    applyDaemonRootRule(bind, context.daemonRoot);
    if (claimed.has(bind.destination) || Object.hasOwn(request.tmpfs, bind.destination)) throw duplicateMountPoint(bind.destination);
    if (bind.type === "bind" && !bind.rw && request.readOnlyNonRecursive) {
      bind.spec.BindOptions = { ...bind.spec.BindOptions, ReadOnlyNonRecursive: true };
    }
    const record = bind.type === "volume" ? await withVolume(bind, context, createdAnonymous, undefined) : toRecord(bind, { createSource: true });
    claimed.add(bind.destination);
    mountPoints.set(bind.destination, record);
  }

  for (const spec of request.mounts) {
    const mount = parseMountSpec(structuredClone(spec), context);
    applyDaemonRootRule(mount, context.daemonRoot);
    if (claimed.has(mount.destination)) throw duplicateMountPoint(spec.Target ?? "");
    let record: RegisteredMount;
    if (mount.type === "volume") {
      record = await withVolume(mount, context, createdAnonymous, spec.VolumeOptions ?? undefined);
    } else {
      if (mount.type === "bind" && !mount.rw && request.readOnlyNonRecursive) {
        mount.spec.BindOptions = { ...mount.spec.BindOptions, ReadOnlyNonRecursive: true };
      }
      record = toRecord(mount, { createSource: mount.type === "bind" && Boolean(spec.BindOptions?.CreateMountpoint) });
    }
    claimed.add(mount.destination);
    mountPoints.set(mount.destination, record);
  }
  return mountPoints;
}

/**
 * A bind of the data root, or of a directory holding it, gets rslave propagation when none was
 * asked for, so the container never keeps private copies of the engine's mounts; an explicit
 * mode other than rslave or rshared is refused. Compared as strings, as dockerd does.
 */
function applyDaemonRootRule(mount: ParsedMount, daemonRoot: string): void {
  if (mount.type !== "bind") return;
  const source = mount.spec.Source ?? "";
  if (!touchesDaemonRoot(source, daemonRoot)) return;
  const propagation = mount.spec.BindOptions?.Propagation ?? "";
  if (mount.spec.BindOptions == null || propagation === "") {
    mount.propagation = "rslave";
    return;
  }
  if (propagation === "rslave" || propagation === "rshared") return;
  throw new MoorError(
    "invalid",
    `invalid mount config: must use either propagation mode "rslave" or "rshared" when mount source is within the daemon root, daemon root: ${JSON.stringify(daemonRoot)}, bind mount source: ${JSON.stringify(source)}, propagation: ${JSON.stringify(propagation)}`,
  );
}

/** A path inside the data root, or one holding it; compared as strings, as dockerd does. */
export function touchesDaemonRoot(path: string, daemonRoot: string): boolean {
  return path.startsWith(daemonRoot) || daemonRoot.startsWith(path);
}

async function withVolume(
  mount: ParsedMount,
  context: RegistrationContext,
  createdAnonymous: string[],
  options: MountRequest["VolumeOptions"] | undefined,
): Promise<RegisteredMount> {
  const volume = await context.createVolume({
    name: mount.name,
    driver: mount.driver || defaultVolumeDriver,
    options: options?.DriverConfig?.Options ?? null,
    labels: options?.Labels ?? null,
  });
  if (mount.name === "") createdAnonymous.push(volume.name);
  return {
    ...toRecord(mount, { createSource: false }),
    volumeName: volume.name,
    source: volume.mountpoint,
    driver: volume.driver,
    // Local volumes get SELinux's shared label when no mode was given (setBindModeIfNull).
    mode: volume.driver === defaultVolumeDriver && mount.mode === "" ? "z" : mount.mode,
  };
}

function toRecord(mount: ParsedMount, { createSource }: { createSource: boolean }): RegisteredMount {
  return {
    destination: mount.destination,
    type: mount.type,
    volumeName: null,
    source: mount.source,
    mode: mount.mode,
    rw: mount.rw,
    propagation: mount.propagation,
    driver: mount.driver,
    spec: JSON.stringify(mount.spec),
    createSource,
    copyData: mount.copyData,
  };
}
