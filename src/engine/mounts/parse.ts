// Parsing and validation of what a container create asks to mount, as dockerd's Linux parser
// does it (moby daemon/volume/mounts/linux_parser.go, validate.go, volume_copy.go and
// moby/sys/mount MergeTmpfsOptions). Pure: the one fact from the host these need (does a bind
// source exist) is passed in.
import { MoorError, goQuote } from "../../errors.ts";
import { cleanPath } from "../../util/archive-copy.ts";
import { mountFlags } from "./flags.ts";

/** A `HostConfig.Mounts` entry as the API carries it (moby api/types/mount.Mount). */
export interface MountRequest {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: {
    Propagation?: string;
    NonRecursive?: boolean;
    CreateMountpoint?: boolean;
    ReadOnlyNonRecursive?: boolean;
    ReadOnlyForceRecursive?: boolean;
  } | null;
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string> | null;
    DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null;
    Subpath?: string;
  } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number; Options?: string[][] | null } | null;
  ImageOptions?: unknown;
  ClusterOptions?: unknown;
}

export type MountType = "bind" | "volume" | "tmpfs";

/**
 * A mount point as dockerd's parser makes it (moby volume/mounts.MountPoint), before any volume
 * exists: volumes carry their name ("" for an anonymous one) and get their source when created.
 */
export interface ParsedMount {
  type: MountType;
  destination: string;
  /** Host path of a bind; "" for volumes (until created) and tmpfs. */
  source: string;
  /** Volume name; "" for an anonymous volume, binds and tmpfs. */
  name: string;
  driver: string;
  rw: boolean;
  /** The raw mode string of a `-v` spec; "" otherwise. */
  mode: string;
  propagation: string;
  /** Fill a new, empty volume from the image (volumes only). */
  copyData: boolean;
  /** The request in moby's mount.Mount shape, as inspect's HostConfig and volumes-from keep it. */
  spec: MountRequest;
}

const propagationModes = new Set(["private", "rprivate", "shared", "rshared", "slave", "rslave"]);
const defaultPropagation = "rprivate";
const rwModes = new Set(["rw", "ro"]);
const labelModes = new Set(["z", "Z"]);
const copyModes = new Set(["nocopy"]);
const consistencyModes = new Set(["consistent", "cached", "delegated"]);

/** linuxValidMountMode: each element of one class, each class at most once. */
export function isValidMountMode(mode: string): boolean {
  if (mode === "") return true;
  const counts = { rw: 0, label: 0, propagation: 0, copy: 0, consistency: 0 };
  for (const option of mode.split(",")) {
    if (rwModes.has(option)) counts.rw++;
    else if (labelModes.has(option)) counts.label++;
    else if (propagationModes.has(option)) counts.propagation++;
    else if (copyModes.has(option)) counts.copy++;
    else if (consistencyModes.has(option)) counts.consistency++;
    else return false;
  }
  return Object.values(counts).every((count) => count <= 1);
}

/** False when the mode makes the mount read-only (or is not a valid mode at all). */
export function isReadWriteMode(mode: string): boolean {
  return isValidMountMode(mode) && !mode.split(",").includes("ro");
}

function propagationOf(mode: string): string | undefined {
  return mode.split(",").find((option) => propagationModes.has(option));
}

const invalidSpec = (raw: string) => `invalid volume specification: '${raw}'`;
const invalidMode = (mode: string) => `invalid mode: ${mode}`;
const mountConfigError = (type: string | undefined, cause: string) => `invalid mount config for type ${goQuote(type ?? "")}: ${cause}`;

function validateDestination(target: string): string | undefined {
  const unified = target.replaceAll("\\", "/");
  if (cleanPath(unified) === "/") return "invalid specification: destination can't be '/'";
  if (!unified.startsWith("/")) return `invalid mount path: '${unified}' mount path must be absolute`;
  return undefined;
}

/** Go's filepath.IsLocal: relative, and never leaves its directory lexically. */
function isLocalPath(path: string): boolean {
  if (path === "" || path.startsWith("/")) return false;
  const clean = cleanPath(path);
  return clean !== ".." && !clean.startsWith("../");
}

export interface ValidationContext {
  /** Whether a bind source exists on the host (lstat follows dockerd: any file type counts). */
  pathExists(path: string): boolean;
}

/**
 * validateMountConfigImpl: returns the cause of the first problem, or undefined. Bind sources
 * are checked for existence only for `HostConfig.Mounts` (Binds create missing directories).
 */
function mountConfigProblem(mount: MountRequest, checkBindSource: ValidationContext | undefined): string | undefined {
  const type = mount.Type;
  if (type !== "bind" && mount.BindOptions) return "field BindOptions must not be specified";
  if (type !== "volume" && mount.VolumeOptions) return "field VolumeOptions must not be specified";
  if (type !== "image" && mount.ImageOptions) return "field ImageOptions must not be specified";
  if (type !== "tmpfs" && mount.TmpfsOptions) return "field TmpfsOptions must not be specified";
  if (type !== "cluster" && mount.ClusterOptions) return "field ClusterOptions must not be specified";
  const target = mount.Target ?? "";
  if (target === "") return "field Target must not be empty";
  const destinationProblem = validateDestination(target);
  if (destinationProblem !== undefined) return destinationProblem;
  const source = mount.Source ?? "";
  switch (type) {
    case "bind": {
      if (source === "") return "field Source must not be empty";
      const propagation = mount.BindOptions?.Propagation ?? "";
      if (propagation !== "" && !propagationModes.has(propagation)) return `invalid propagation mode: ${propagation}`;
      if (!source.replaceAll("\\", "/").startsWith("/")) return `invalid mount path: '${source.replaceAll("\\", "/")}' mount path must be absolute`;
      if (checkBindSource && !checkBindSource.pathExists(source) && !mount.BindOptions?.CreateMountpoint) {
        return `bind source path does not exist: ${source}`;
      }
      return undefined;
    }
    case "volume": {
      // Daemons up to 29.0 (so every API version moor serves) refuse this.
      if (source === "" && mount.ReadOnly) return "must not set ReadOnly mode when using anonymous volumes";
      const subpath = mount.VolumeOptions?.Subpath ?? "";
      if (subpath !== "") {
        if (source === "") return "must not set Subpath when using anonymous volumes";
        if (!isLocalPath(subpath)) return "subpath must be a relative path within the volume";
      }
      return undefined;
    }
    case "tmpfs": {
      if (source !== "") return "field Source must not be specified";
      try {
        tmpfsData(mount.TmpfsOptions, Boolean(mount.ReadOnly));
      } catch (err) {
        return (err as Error).message;
      }
      return undefined;
    }
    default:
      return "mount type unknown";
  }
}

function toMountPoint(spec: MountRequest, mode: string): ParsedMount {
  const type = spec.Type as MountType;
  const mount: ParsedMount = {
    type,
    destination: cleanPath((spec.Target ?? "").replaceAll("\\", "/")),
    source: "",
    name: "",
    driver: "",
    rw: !spec.ReadOnly,
    mode,
    propagation: "",
    copyData: false,
    spec,
  };
  if (type === "volume") {
    mount.name = spec.Source ?? "";
    mount.driver = spec.VolumeOptions?.DriverConfig?.Name ?? "";
    mount.copyData = !spec.VolumeOptions?.NoCopy;
  } else if (type === "bind") {
    mount.source = cleanPath((spec.Source ?? "").replaceAll("\\", "/"));
    mount.propagation = spec.BindOptions?.Propagation || defaultPropagation;
  }
  return mount;
}

/**
 * A `HostConfig.Binds` entry, `src:dst[:mode]` (ParseMountRaw). An absolute source is a bind,
 * anything else names a volume. Errors are dockerd's, untyped there, so a 500.
 */
export function parseBind(raw: string, volumeDriver = ""): ParsedMount {
  const parts = splitN(raw, ":", 4);
  if (parts[0] === "") throw new MoorError("internal", invalidSpec(raw));
  const spec: MountRequest = {};
  let mode = "";
  switch (parts.length) {
    case 1:
      spec.Target = parts[0];
      break;
    case 2:
      // `/foo:rw` is a destination and a mode, but a volume needs a source.
      if (isValidMountMode(parts[1])) throw new MoorError("internal", invalidSpec(raw));
      [spec.Source, spec.Target] = parts;
      break;
    case 3:
      [spec.Source, spec.Target, mode] = parts;
      break;
    default:
      throw new MoorError("internal", invalidSpec(raw));
  }
  if (!isValidMountMode(mode)) throw new MoorError("internal", invalidMode(mode));
  spec.Type = (spec.Source ?? "").startsWith("/") ? "bind" : "volume";
  spec.ReadOnly = !isReadWriteMode(mode);
  if (volumeDriver !== "" && spec.Type === "volume") spec.VolumeOptions = { DriverConfig: { Name: volumeDriver } };
  if (mode.split(",").includes("nocopy")) spec.VolumeOptions = { ...spec.VolumeOptions, NoCopy: true };
  const propagation = propagationOf(mode);
  if (propagation !== undefined) spec.BindOptions = { Propagation: propagation };
  const problem = mountConfigProblem(spec, undefined);
  if (problem !== undefined) throw new MoorError("internal", `${invalidSpec(raw)}: ${mountConfigError(spec.Type, problem)}`);
  return toMountPoint(spec, mode);
}

/** A `HostConfig.Mounts` entry (ParseMountSpec); a bind source must exist unless CreateMountpoint. */
export function parseMountSpec(spec: MountRequest, context: ValidationContext): ParsedMount {
  const problem = mountConfigProblem(spec, context);
  if (problem !== undefined) throw new MoorError("invalid", mountConfigError(spec.Type, problem));
  return toMountPoint(spec, "");
}

/** `container[:mode]` of `HostConfig.VolumesFrom`; the mode may not carry propagation or copy. */
export function parseVolumesFrom(spec: string): { container: string; mode: string } {
  if (spec === "") throw new MoorError("invalid", "volumes-from specification cannot be an empty string");
  const colon = spec.indexOf(":");
  const container = colon === -1 ? spec : spec.slice(0, colon);
  const mode = colon === -1 ? "" : spec.slice(colon + 1);
  if (mode === "") return { container, mode: "rw" };
  if (!isValidMountMode(mode) || propagationOf(mode) !== undefined || mode.split(",").includes("nocopy")) {
    throw new MoorError("invalid", invalidMode(mode));
  }
  return { container, mode };
}

/** A `HostConfig.Tmpfs` destination (ValidateTmpfsMountDestination). */
export function validateTmpfsDestination(destination: string): void {
  const problem = validateDestination(destination);
  if (problem !== undefined) throw new MoorError("invalid", problem);
}

/**
 * The mount data of a `Mounts` tmpfs (ConvertTmpfsOptions): `ro`, `mode=<octal>`, `size=<n>`
 * in the largest unit that divides it, then the extra options (only exec and noexec).
 */
export function tmpfsData(options: MountRequest["TmpfsOptions"], readOnly: boolean): string {
  const data: string[] = [];
  if (readOnly) data.push("ro");
  if (options?.Mode) data.push(`mode=${options.Mode.toString(8)}`);
  if (options?.SizeBytes) {
    let size = options.SizeBytes;
    let suffix = "";
    for (const [unit, divisor] of [["g", 2 ** 30], ["m", 2 ** 20], ["k", 2 ** 10]] as const) {
      if (size % divisor === 0) {
        size /= divisor;
        suffix = unit;
        break;
      }
    }
    data.push(`size=${size}${suffix}`);
  }
  for (const option of options?.Options ?? []) {
    if (option.length < 1 || option.length > 2) throw new Error("invalid option array length");
    if (option[0] !== "exec" && option[0] !== "noexec") throw new Error(`invalid option: ${option[0]}`);
    data.push(option.join("="));
  }
  return data.join(",");
}

const tmpfsDataKeys = new Set(["", "size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol"]);

/**
 * The options of a tmpfs mount in the OCI spec: dockerd's defaults (noexec, nosuid, nodev,
 * rprivate) then the user's, the later of two colliding options winning (MergeTmpfsOptions).
 */
export function tmpfsMountOptions(data: string): string[] {
  const options = ["noexec", "nosuid", "nodev", defaultPropagation, ...(data === "" ? [] : data.split(","))];
  const seenFlags = new Set<string>();
  const seenData = new Set<string>();
  const merged: string[] = [];
  for (const option of options.reverse()) {
    if (option === "defaults") continue;
    const mountFlag = mountFlags[option];
    if (mountFlag !== undefined) {
      // A flag and its negation collide, and so do all propagation flags.
      const flag = mountFlag.propagation ? "propagation" : String(mountFlag.bits);
      if (!seenFlags.has(flag)) merged.unshift(option);
      seenFlags.add(flag);
      continue;
    }
    const equals = option.indexOf("=");
    const key = equals === -1 ? option : option.slice(0, equals);
    if (equals === -1 || !tmpfsDataKeys.has(key)) throw new MoorError("invalid", `invalid tmpfs option ${goQuote(key)}`);
    if (!seenData.has(key)) merged.unshift(option);
    seenData.add(key);
  }
  return merged;
}

/** Go's strings.SplitN. */
function splitN(s: string, separator: string, n: number): string[] {
  const parts = s.split(separator);
  return parts.length <= n ? parts : [...parts.slice(0, n - 1), parts.slice(n - 1).join(separator)];
}

/** dockerd's text for two mounts on one destination. */
export function duplicateMountPoint(destination: string): MoorError {
  return new MoorError("invalid", `Duplicate mount point: ${destination}`);
}
