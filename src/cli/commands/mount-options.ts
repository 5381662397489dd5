// The storage flags of `create` and `run` (-v/--volume, --mount, --tmpfs, --volumes-from,
// --read-only) as the docker CLI 28.2.2 turns them into a create request: docker/cli
// cli/command/container/opts.go parse(), opts/mount.go MountOpt.Set and
// cli/compose/loader/volume.go ParseVolume. Pure: the working directory that relative
// sources are made absolute against is passed in.
import { posix } from "node:path";
import { goQuote } from "../../errors.ts";
import { goMapOrder } from "../../util/go-json.ts";
import { parseGoBool } from "../../util/go-strconv.ts";
import { ramInBytes } from "../../util/units.ts";
import { OptionError } from "./run-options.ts";

/**
 * A flag value docker's flag parser (pflag) rejects while reading the command line; the
 * message is pflag's whole `invalid argument "<value>" for "<flag>" flag: <reason>`.
 */
export class MountFlagError extends Error {
  constructor(
    readonly flag: string,
    readonly value: string,
    /** The text docker's option type returned (MountOpt.Set). */
    readonly reason: string,
  ) {
    super(`invalid argument ${goQuote(value)} for "${flag}" flag: ${reason}`);
  }
}

/** A `HostConfig.Mounts` entry with the fields, their order and the omissions Go's JSON gives it. */
export interface MountSpec {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; ReadOnlyNonRecursive?: boolean; ReadOnlyForceRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; Subpath?: string; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  ImageOptions?: { Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface StorageFlags {
  volume?: string[];
  mount?: string[];
  tmpfs?: string[];
  volumesFrom?: string[];
  readOnly?: boolean;
}

/** What the storage flags put in the create request. */
export interface StorageRequest {
  /** Config.Volumes: the anonymous `-v` volumes, always present as docker sends it. */
  volumes: Record<string, Record<string, never>>;
  /** HostConfig.Binds: null without any. */
  binds: string[] | null;
  /** HostConfig.Mounts: left out without any (omitempty). */
  mounts?: MountSpec[];
  /** HostConfig.Tmpfs: left out without any (omitempty). */
  tmpfs?: Record<string, string>;
  /** HostConfig.VolumesFrom: as given, null without any. */
  volumesFrom: string[] | null;
  /** HostConfig.ReadonlyRootfs. */
  readonlyRootfs: boolean;
}

/**
 * The request fragments for these flags, failing as docker does: --mount values first (pflag
 * rejects them while parsing flags, MountFlagError), then -v (parse() does, OptionError).
 */
export function storageRequest(flags: StorageFlags, cwd: string): StorageRequest {
  const mounts = (flags.mount ?? []).map((value) => parseMountFlag(value, cwd));
  const { volumes, binds } = parseVolumeFlags(flags.volume ?? [], cwd);
  const tmpfs = parseTmpfsFlags(flags.tmpfs ?? []);
  return {
    volumes,
    binds,
    ...(mounts.length > 0 ? { mounts } : {}),
    ...(Object.keys(tmpfs).length > 0 ? { tmpfs } : {}),
    volumesFrom: flags.volumesFrom && flags.volumesFrom.length > 0 ? [...flags.volumesFrom] : null,
    readonlyRootfs: Boolean(flags.readOnly),
  };
}

/**
 * `-v` values (opts.go parse): each distinct spec once; one with a source is a bind sent as
 * written (a relative bind source starting with "." made absolute), one without is an
 * anonymous volume in Config.Volumes, keyed by the raw spec (`-v x:/foo` keys "x:/foo").
 */
export function parseVolumeFlags(specs: string[], cwd: string): { volumes: Record<string, Record<string, never>>; binds: string[] | null } {
  const volumes: Record<string, Record<string, never>> = {};
  const binds: string[] = [];
  for (const spec of new Set(specs)) {
    const parsed = parseVolume(spec);
    if (parsed.source === "") {
      volumes[spec] = {};
      continue;
    }
    let bind = spec;
    if (parsed.type === "bind") {
      const colon = spec.indexOf(":");
      if (colon !== -1) {
        const hostPart = spec.slice(0, colon);
        bind = `${hostPart.startsWith(".") ? posix.resolve(cwd, hostPart) : hostPart}${spec.slice(colon)}`;
      }
    }
    binds.push(bind);
  }
  return { volumes: goMapOrder(volumes), binds: binds.length > 0 ? binds : null };
}

export interface ParsedVolume {
  source: string;
  target: string;
  type: "bind" | "volume";
}

/**
 * compose's ParseVolume, as the CLI uses it for `-v`: split on ":" except after a lone letter
 * (a Windows drive), so `a:b:c:d` is `a:b` on `c:d`; the mode part is not checked here (the
 * daemon does). Throws OptionError with docker's text.
 */
export function parseVolume(spec: string): ParsedVolume {
  const bytes = Buffer.byteLength(spec);
  if (bytes === 0) throw new OptionError("invalid empty volume spec");
  if (bytes <= 2) return { source: "", target: spec, type: "volume" };
  let source = "";
  let target = "";
  let buffer: string[] = [];
  const end = null;
  for (const char of [...spec, end]) {
    if (char === ":" && isWindowsDrive(buffer)) {
      buffer.push(char);
    } else if (char === ":" || char === end) {
      const text = buffer.join("");
      let problem: string | undefined;
      if (buffer.length === 0) problem = "empty section between colons";
      else if (source === "" && char === end) target = text;
      else if (source === "") source = text;
      else if (target === "") target = text;
      else if (char === ":") problem = "too many colons";
      // A third part is the mode, which the CLI reads only for compose files.
      if (problem !== undefined) throw new OptionError(`invalid spec: ${spec}: ${problem}`);
      buffer = [];
    } else {
      buffer.push(char);
    }
  }
  return { source, target, type: source !== "" && isFilePath(source) ? "bind" : "volume" };
}

function isWindowsDrive(buffer: string[]): boolean {
  return buffer.length === 1 && /^\p{L}$/u.test(buffer[0]);
}

function isFilePath(source: string): boolean {
  if (".~/".includes(source[0])) return true;
  const chars = [...source];
  if (chars.length === 1) return false;
  if (source.startsWith("\\\\")) return true;
  return isWindowsDrive([chars[0]]) && chars[1] === ":";
}

/** `--tmpfs /path[:options]`: destination to options, the options unchecked (the daemon reads them at start). */
export function parseTmpfsFlags(specs: string[]): Record<string, string> {
  const tmpfs: Record<string, string> = {};
  for (const spec of specs) {
    const colon = spec.indexOf(":");
    if (colon === -1) tmpfs[spec] = "";
    else tmpfs[spec.slice(0, colon)] = spec.slice(colon + 1);
  }
  return goMapOrder(tmpfs);
}

interface MountDraft {
  type: string;
  source: string;
  target: string;
  readOnly: boolean;
  consistency: string;
  bind?: { propagation: string; nonRecursive: boolean; readOnlyNonRecursive: boolean; readOnlyForceRecursive: boolean };
  volume?: { noCopy: boolean; labels: Record<string, string>; subpath: string; driverName: string; driverOptions?: Record<string, string> };
  image?: { subpath: string };
  tmpfs?: { sizeBytes: number; mode: number };
}

/** One `--mount` value (MountOpt.Set): CSV `key=value` fields; throws MountFlagError. */
/** Why docker's flag parser would refuse this `--mount` value, or undefined. */
export function mountFlagProblem(value: string): string | undefined {
  try {
    parseMountFlag(value, "/");
    return undefined;
  } catch (err) {
    if (err instanceof MountFlagError) return err.reason;
    throw err;
  }
}

export function parseMountFlag(value: string, cwd: string): MountSpec {
  try {
    return mountSpecOf(parseMount(value, cwd));
  } catch (err) {
    if (err instanceof MountValueError) throw new MountFlagError("--mount", value, err.message);
    throw err;
  }
}

class MountValueError extends Error {}

function parseMount(value: string, cwd: string): MountDraft {
  const fields = readCsvRecord(value);
  const mount: MountDraft = { type: "volume", source: "", target: "", readOnly: false, consistency: "" };
  const volumeOptions = () => (mount.volume ??= { noCopy: false, labels: {}, subpath: "", driverName: "" });
  const bindOptions = () => (mount.bind ??= { propagation: "", nonRecursive: false, readOnlyNonRecursive: false, readOnlyForceRecursive: false });
  const tmpfsOptions = () => (mount.tmpfs ??= { sizeBytes: 0, mode: 0 });
  const setOnMap = (target: Record<string, string>, text: string) => {
    const [key, entry] = cut(text, "=");
    if (key !== "") target[key] = entry;
  };
  for (const field of fields) {
    const [rawKey, val, hasValue] = cut(field, "=");
    // docker/cli reads keys case-insensitively (a TODO there says it should not).
    const key = rawKey.toLowerCase();
    if (!hasValue) {
      if (key === "readonly" || key === "ro") mount.readOnly = true;
      else if (key === "volume-nocopy") volumeOptions().noCopy = true;
      else if (key === "bind-nonrecursive") bindOptions().nonRecursive = true;
      else throw new MountValueError(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    const invalid = () => new MountValueError(`invalid value for ${key}: ${val}`);
    switch (key) {
      case "type":
        mount.type = val.toLowerCase();
        break;
      case "source":
      case "src":
        mount.source = val.startsWith(".") ? posix.resolve(cwd, val) : val;
        break;
      case "target":
      case "dst":
      case "destination":
        mount.target = val;
        break;
      case "readonly":
      case "ro":
        mount.readOnly = parseGoBool(val) ?? throwError(invalid());
        break;
      case "consistency":
        mount.consistency = val.toLowerCase();
        break;
      case "bind-propagation":
        bindOptions().propagation = val.toLowerCase();
        break;
      case "bind-nonrecursive":
        // docker also logs a deprecation warning (bind-recursive=disabled) through logrus.
        bindOptions().nonRecursive = parseGoBool(val) ?? throwError(invalid());
        break;
      case "bind-recursive":
        // "enabled" is the default and makes no BindOptions.
        if (val === "disabled") bindOptions().nonRecursive = true;
        else if (val === "writable") bindOptions().readOnlyNonRecursive = true;
        else if (val === "readonly") bindOptions().readOnlyForceRecursive = true;
        else if (val !== "enabled") throw new MountValueError(`invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`);
        break;
      case "volume-subpath":
        volumeOptions().subpath = val;
        break;
      case "volume-nocopy":
        volumeOptions().noCopy = parseGoBool(val) ?? throwError(new MountValueError(`invalid value for volume-nocopy: ${val}`));
        break;
      case "volume-label":
        setOnMap(volumeOptions().labels, val);
        break;
      case "volume-driver":
        volumeOptions().driverName = val;
        break;
      case "volume-opt":
        setOnMap((volumeOptions().driverOptions ??= {}), val);
        break;
      case "image-subpath":
        (mount.image ??= { subpath: "" }).subpath = val;
        break;
      case "tmpfs-size":
        tmpfsOptions().sizeBytes = sizeOrUndefined(val) ?? throwError(invalid());
        break;
      case "tmpfs-mode":
        tmpfsOptions().mode = parseOctalUint32(val) ?? throwError(invalid());
        break;
      default:
        throw new MountValueError(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (mount.type === "") throw new MountValueError("type is required");
  if (mount.target === "") throw new MountValueError("target is required");
  for (const [options, prefix, type] of [
    [mount.volume, "volume", "volume"],
    [mount.image, "image", "image"],
    [mount.bind, "bind", "bind"],
    [mount.tmpfs, "tmpfs", "tmpfs"],
  ] as const) {
    if (options !== undefined && mount.type !== type) throw new MountValueError(`cannot mix '${prefix}-*' options with mount type '${mount.type}'`);
  }
  if (mount.bind?.readOnlyNonRecursive && !mount.readOnly) {
    throw new MountValueError("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction");
  }
  if (mount.bind?.readOnlyForceRecursive) {
    if (!mount.readOnly) throw new MountValueError("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction");
    if (mount.bind.propagation !== "rprivate") {
      throw new MountValueError("option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction");
    }
  }
  return mount;
}

/** The mount as Go's encoding/json writes mount.Mount: zero fields and empty maps left out. */
function mountSpecOf(mount: MountDraft): MountSpec {
  const spec: MountSpec = {};
  if (mount.type !== "") spec.Type = mount.type;
  if (mount.source !== "") spec.Source = mount.source;
  if (mount.target !== "") spec.Target = mount.target;
  if (mount.readOnly) spec.ReadOnly = true;
  if (mount.consistency !== "") spec.Consistency = mount.consistency;
  if (mount.bind) {
    const bind: NonNullable<MountSpec["BindOptions"]> = {};
    if (mount.bind.propagation !== "") bind.Propagation = mount.bind.propagation;
    if (mount.bind.nonRecursive) bind.NonRecursive = true;
    if (mount.bind.readOnlyNonRecursive) bind.ReadOnlyNonRecursive = true;
    if (mount.bind.readOnlyForceRecursive) bind.ReadOnlyForceRecursive = true;
    spec.BindOptions = bind;
  }
  if (mount.volume) {
    // Any volume-* key makes VolumeOptions with an (empty) DriverConfig.
    const volume: NonNullable<MountSpec["VolumeOptions"]> = {};
    if (mount.volume.noCopy) volume.NoCopy = true;
    if (Object.keys(mount.volume.labels).length > 0) volume.Labels = goMapOrder(mount.volume.labels);
    if (mount.volume.subpath !== "") volume.Subpath = mount.volume.subpath;
    const driver: NonNullable<NonNullable<MountSpec["VolumeOptions"]>["DriverConfig"]> = {};
    if (mount.volume.driverName !== "") driver.Name = mount.volume.driverName;
    if (mount.volume.driverOptions && Object.keys(mount.volume.driverOptions).length > 0) driver.Options = goMapOrder(mount.volume.driverOptions);
    volume.DriverConfig = driver;
    spec.VolumeOptions = volume;
  }
  if (mount.image) spec.ImageOptions = mount.image.subpath === "" ? {} : { Subpath: mount.image.subpath };
  if (mount.tmpfs) {
    const tmpfs: NonNullable<MountSpec["TmpfsOptions"]> = {};
    if (mount.tmpfs.sizeBytes !== 0) tmpfs.SizeBytes = mount.tmpfs.sizeBytes;
    if (mount.tmpfs.mode !== 0) tmpfs.Mode = mount.tmpfs.mode;
    spec.TmpfsOptions = tmpfs;
  }
  return spec;
}

function throwError(err: Error): never {
  throw err;
}

/** Go's strings.Cut. */
function cut(text: string, separator: string): [string, string, boolean] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, "", false] : [text.slice(0, at), text.slice(at + separator.length), true];
}

/** strconv.ParseUint(text, 8, 32); undefined when Go would fail. */
function parseOctalUint32(text: string): number | undefined {
  if (!/^[0-7]+$/.test(text)) return undefined;
  const value = BigInt(`0o${text}`);
  return value <= 0xffffffffn ? Number(value) : undefined;
}

/**
 * The first record of Go's encoding/csv Reader with its defaults (RFC 4180 quotes, no lazy
 * quotes, blank lines skipped, \r\n read as \n), with its error texts: docker reads a --mount
 * value with it, so quoting (`"src=/a,b"`) and its errors come from there.
 */
export function readCsvRecord(text: string): string[] {
  let offset = 0;
  let numLine = 0;
  const readLine = (): { line: string; eof: boolean } => {
    const newline = text.indexOf("\n", offset);
    let line = newline === -1 ? text.slice(offset) : text.slice(offset, newline + 1);
    offset = newline === -1 ? text.length : newline + 1;
    let eof = newline === -1;
    if (line.length > 0 && eof) {
      eof = false;
      if (line.endsWith("\r")) line = line.slice(0, -1);
    }
    numLine++;
    if (line.endsWith("\r\n")) line = `${line.slice(0, -2)}\n`;
    return { line, eof };
  };
  const lengthNL = (line: string) => (line.endsWith("\n") ? 1 : 0);
  const bytes = (part: string) => Buffer.byteLength(part);

  let { line, eof } = readLine();
  while (!eof && line.length === lengthNL(line)) ({ line, eof } = readLine());
  if (eof) throw new MountValueError("EOF");

  const recordLine = numLine;
  const fields: string[] = [];
  const parseError = (lineNumber: number, column: number, problem: string) =>
    new MountValueError(
      lineNumber === recordLine
        ? `parse error on line ${lineNumber}, column ${column}: ${problem}`
        : `record on line ${recordLine}; parse error on line ${lineNumber}, column ${column}: ${problem}`,
    );
  const quoteProblem = 'extraneous or missing " in quoted-field';
  let posLine = numLine;
  let col = 1;
  for (;;) {
    if (!line.startsWith('"')) {
      const comma = line.indexOf(",");
      const field = comma === -1 ? line.slice(0, line.length - lengthNL(line)) : line.slice(0, comma);
      const quote = field.indexOf('"');
      if (quote !== -1) throw parseError(numLine, col + bytes(field.slice(0, quote)), 'bare " in non-quoted-field');
      fields.push(field);
      if (comma === -1) break;
      col += bytes(line.slice(0, comma)) + 1;
      line = line.slice(comma + 1);
      continue;
    }
    line = line.slice(1);
    col += 1;
    let value = "";
    for (;;) {
      const quote = line.indexOf('"');
      if (quote !== -1) {
        value += line.slice(0, quote);
        col += bytes(line.slice(0, quote)) + 1;
        line = line.slice(quote + 1);
        if (line.startsWith('"')) {
          value += '"';
          line = line.slice(1);
          col += 1;
        } else if (line.startsWith(",")) {
          line = line.slice(1);
          col += 1;
          fields.push(value);
          break;
        } else if (line.length === lengthNL(line)) {
          fields.push(value);
          return fields;
        } else {
          throw parseError(numLine, col - 1, quoteProblem);
        }
      } else if (line.length > 0) {
        value += line;
        col += bytes(line);
        ({ line } = readLine());
        if (line.length > 0) {
          posLine++;
          col = 1;
        }
      } else {
        throw parseError(posLine, col, quoteProblem);
      }
    }
  }
  return fields;
}

/** go-units RAMInBytes, or undefined where it fails. */
function sizeOrUndefined(text: string): number | undefined {
  try {
    return ramInBytes(text);
  } catch {
    return undefined;
  }
}
