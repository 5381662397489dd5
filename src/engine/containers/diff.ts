import type { BigIntStats, Dirent } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { extendedAttribute } from "../runtime/syscalls.ts";
import { childPath, type TreePath } from "../fs.ts";
import { nameBytes, namePath, nameText } from "../../util/name-text.ts";

/** What happened to a path, with dockerd's numbers (moby archive ChangeType). */
export type ChangeKind = 0 | 1 | 2;
export const ChangeKinds = { modified: 0, added: 1, deleted: 2 } as const;

export interface FilesystemChange {
  path: string;
  kind: ChangeKind;
}

/** The stat fields a change is judged by (moby archive statDifferent). */
interface EntryStat {
  mode: bigint;
  uid: bigint;
  gid: bigint;
  rdev: bigint;
  size: bigint;
  mtimeNs: bigint;
}

const fileTypeMask = 0o170000n;
const directoryType = 0o040000n;
const characterDeviceType = 0o020000n;

/**
 * dockerd diffs a container against its init layer (moby daemon/initlayer), which puts these
 * paths over the image. moor's init layer (rootfs.ts) is shared and not among the image layers
 * the diff reads, so the diff knows its entries from this table; runc may still make mount
 * points in a container's upper directory (for containers created before the init layer).
 * "mount-point" files are bind-mounted over in every container (their upper copy is runc's empty
 * mount point and never changes); "file" entries are the init layer's other files.
 */
const initLayer = new Map<string, "dir" | "file" | "mount-point">([
  ["/dev", "dir"],
  ["/dev/pts", "dir"],
  ["/dev/shm", "dir"],
  ["/proc", "dir"],
  ["/sys", "dir"],
  ["/etc", "dir"],
  ["/.dockerenv", "file"],
  ["/dev/console", "file"],
  ["/etc/mtab", "file"],
  ["/etc/resolv.conf", "mount-point"],
  ["/etc/hosts", "mount-point"],
  ["/etc/hostname", "mount-point"],
]);
// The init layer makes its entries as root with mode 0755. Its files' times are unknown here,
// so any copy of them in the container counts as a change (no file has a negative size).
const initDirStat: EntryStat = { mode: directoryType | 0o755n, uid: 0n, gid: 0n, rdev: 0n, size: 0n, mtimeNs: 0n };
const initFileStat: EntryStat = { mode: 0o100755n, uid: 0n, gid: 0n, rdev: 0n, size: -1n, mtimeNs: 0n };

/** A path of the image's merged tree: its stat and, for a directory, the layers that fill it. */
interface LowerEntry {
  stat: EntryStat;
  /**
   * Layer directories (topmost first) holding a directory at this path, down to a whiteout or a
   * non-directory; fillingLayers cuts them at the first opaque one.
   */
  dirLayers: string[];
}

/**
 * The changes `docker diff` lists for a container: its overlayfs upper directory compared with
 * the image's layers (bottom first, as mounted). dockerd's overlay2 driver mounts both trees and
 * compares them (moby archive ChangesDirs, the "naive diff"); reading the upper directory gives
 * the same answer without mounting: a whiteout (0/0 character device) is a deletion, an opaque
 * directory (trusted.overlay.opaque=y) hides everything below it, a path the image has counts as
 * modified only if its mode, owner, device, or (for non-directories) size or mtime differ, and a
 * directory with changes inside is listed as modified before them. dockerd's order is Go map
 * order (it varies between calls); moor lists depth first in byte order of names, with each
 * directory before its contents. Capabilities (security.capability) are not compared.
 */
export async function containerChanges(upperDir: string, layerDirsBottomFirst: string[]): Promise<FilesystemChange[]> {
  const upperRoot = await lstatOrUndefined(upperDir);
  if (upperRoot === undefined) return [];
  return diffDirectory(upperDir, "", [...layerDirsBottomFirst].reverse(), false, true);
}

/**
 * The changes inside the directory at `path` ("" for the root). `lowerLayers` are the layers
 * filling the image's directory there (none if the image has none); `upperOpaque` says the
 * container's directory replaced the image's; `listed` says the directory itself is already
 * listed (added or modified). Entries are looked at concurrently, their changes kept in order.
 */
async function diffDirectory(upperDir: string, path: string, lowerLayers: string[], upperOpaque: boolean, listed: boolean): Promise<FilesystemChange[]> {
  const entries = await readdir(at(upperDir, path), { withFileTypes: true, encoding: "buffer" }).catch(ignoreMissing<Array<Dirent<Buffer>>>([]));
  const upper = new Map(entries.map((entry) => [nameText(entry.name), entry]));
  const names = new Set(upper.keys());
  // An opaque directory shows none of the image's entries: those it does not have again are gone.
  if (upperOpaque) for (const name of await lowerNames(lowerLayers, path)) names.add(name);
  const children = [...names].sort(byteOrder);
  const images = await Promise.all(children.map((name) => lowerEntry(lowerLayers, `${path}/${name}`)));
  const changes = (await Promise.all(children.map((name, index) => diffEntry(upperDir, `${path}/${name}`, upper.get(name), images[index])))).flat();
  if (changes.length > 0 && !listed && path !== "") changes.unshift({ path, kind: ChangeKinds.modified });
  return changes;
}

/** The changes at one path: the entry itself, then (for a directory) what is inside. */
async function diffEntry(upperDir: string, path: string, upper: Dirent<Buffer> | undefined, image: LowerEntry | undefined): Promise<FilesystemChange[]> {
  if (upper === undefined) return [{ path, kind: ChangeKinds.deleted }];
  const lower = oldEntry(path, image);
  const upperPath = at(upperDir, path);
  if (upper.isCharacterDevice()) {
    const stat = await lstatOrUndefined(upperPath);
    if (stat === undefined) return []; // removed while the container runs
    if (isWhiteout(stat)) return lower === undefined ? [] : [{ path, kind: ChangeKinds.deleted }];
  }
  if (initLayer.get(path) === "mount-point") return [];
  if (lower === undefined) {
    const added: FilesystemChange[] = [{ path, kind: ChangeKinds.added }];
    return upper.isDirectory() ? added.concat(await diffDirectory(upperDir, path, [], false, true)) : added;
  }
  const stat = await lstatOrUndefined(upperPath);
  if (stat === undefined) return [];
  const modified = statDifferent(lower.stat, stat);
  const own: FilesystemChange[] = modified ? [{ path, kind: ChangeKinds.modified }] : [];
  if (!upper.isDirectory()) return own;
  return own.concat(await diffDirectory(upperDir, path, fillingLayers(lower.dirLayers, path), isOpaque(upperPath), modified));
}

/** The image's entry at `path` as the container saw it at start: the init layer's over the image's. */
function oldEntry(path: string, image: LowerEntry | undefined): LowerEntry | undefined {
  const init = initLayer.get(path);
  if (init === "file" || init === "mount-point") return { stat: initFileStat, dirLayers: [] };
  if (init === "dir" && (image === undefined || (image.stat.mode & fileTypeMask) !== directoryType)) return { stat: initDirStat, dirLayers: [] };
  return image;
}

/**
 * The image's entry at `path`, looked up through `layers` (topmost first, all holding the parent
 * directory): the topmost layer's entry unless it is a whiteout; for a directory, every layer
 * below that also has one, until a whiteout or non-directory ends it (opacity is applied later).
 */
async function lowerEntry(layers: string[], path: string): Promise<LowerEntry | undefined> {
  let top: BigIntStats | undefined;
  const dirLayers: string[] = [];
  for (const layer of layers) {
    const stat = await lstatOrUndefined(at(layer, path));
    if (stat === undefined) continue;
    const isDir = (stat.mode & fileTypeMask) === directoryType;
    if (top === undefined) {
      if (isWhiteout(stat)) return undefined;
      top = stat;
      if (!isDir) return { stat, dirLayers: [] };
    } else if (!isDir) {
      break;
    }
    dirLayers.push(layer);
  }
  return top === undefined ? undefined : { stat: top, dirLayers };
}

/** Names in the image's directory at `path` (filled by `layers`, topmost first), whiteouts applied. */
async function lowerNames(layers: string[], path: string): Promise<string[]> {
  const visible = new Map<string, boolean>();
  for (const layer of layers) {
    const entries = await readdir(at(layer, path), { withFileTypes: true, encoding: "buffer" }).catch(ignoreMissing<Array<Dirent<Buffer>>>([]));
    for (const entry of entries) {
      const name = nameText(entry.name);
      if (visible.has(name)) continue;
      const whiteout = entry.isCharacterDevice() && isWhiteout(await lstat(at(layer, `${path}/${name}`), { bigint: true }));
      visible.set(name, !whiteout);
    }
  }
  return [...visible].filter(([, shown]) => shown).map(([name]) => name);
}

/** Whether `dir` is an opaque directory of an overlay layer (trusted.overlay.opaque=y). */
function isOpaque(dir: TreePath): boolean {
  return extendedAttribute(dir, "trusted.overlay.opaque", 8)?.toString("latin1") === "y";
}

/** The layers (topmost first) that fill a merged directory: down to the first opaque one. */
function fillingLayers(dirLayers: string[], path: string): string[] {
  const filling: string[] = [];
  for (const [index, layer] of dirLayers.entries()) {
    filling.push(layer);
    if (index < dirLayers.length - 1 && isOpaque(at(layer, path))) break;
  }
  return filling;
}

/** moby archive statDifferent: directories' sizes and times are not a measure of change. */
export function statDifferent(before: EntryStat, after: EntryStat): boolean {
  if (before.mode !== after.mode || before.uid !== after.uid || before.gid !== after.gid || before.rdev !== after.rdev) return true;
  if ((before.mode & fileTypeMask) === directoryType) return false;
  return !sameFsTime(before.mtimeNs, after.mtimeNs) || before.size !== after.size;
}

/** moby archive sameFsTime: layers from tar have whole-second times, so those match by the second. */
function sameFsTime(a: bigint, b: bigint): boolean {
  const second = 1_000_000_000n;
  return a === b || (a / second === b / second && (a % second === 0n || b % second === 0n));
}

function isWhiteout(stat: EntryStat): boolean {
  return (stat.mode & fileTypeMask) === characterDeviceType && stat.rdev === 0n;
}

/** Go's sort of names: by bytes, not UTF-16 units. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(nameBytes(a), nameBytes(b));
}

/**
 * The place of `path` ("" or "/a/b", names as nameText reads them) under `root`: text, or bytes
 * when a name on it is not UTF-8.
 */
function at(root: string, path: string): TreePath {
  return childPath(root, namePath(path));
}

async function lstatOrUndefined(path: TreePath): Promise<BigIntStats | undefined> {
  return lstat(path, { bigint: true }).catch(ignoreMissing(undefined));
}

function ignoreMissing<T>(value: T): (err: unknown) => T {
  return (err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return value;
    throw err;
  };
}
