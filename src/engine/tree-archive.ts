import { constants, type BigIntStats } from "node:fs";
import { MoorError } from "../errors.ts";
import { baseName, joinPath, preserveTrailingDotOrSeparator } from "../util/archive-copy.ts";
import { TreeError, packTree, unpackTar, type Located, type ScopedTree, type TreeHandle, type UnpackOptions } from "../util/scoped-tree.ts";
import { TarFormatError, TarType, type TarHeader } from "../util/tar.ts";
import { makeDeviceNode } from "./runtime/syscalls.ts";
import { gunzip } from "../util/gunzip.ts";
import { peekHead } from "../util/stream-head.ts";

/**
 * docker cp's engine side (moby daemon/archive.go) on any tree a process would see chrooted into
 * it (ScopedTree): stat a path, archive it, extract an archive into a directory. Containers and
 * volumes each provide their tree and the words for a missing path.
 */

/** The X-Docker-Container-Path-Stat record (moby's container.PathStat), field for field. */
export interface PathStat {
  name: string;
  size: number;
  /** Go's os.FileMode bits. */
  mode: number;
  /** RFC 3339 with nanoseconds, UTC. */
  mtime: string;
  /** For a symlink: where it leads, resolved inside the tree. */
  linkTarget: string;
}

/** Stats `path` in the tree, as `HEAD /containers/{id}/archive` answers. */
export async function statTreePath(tree: ScopedTree, path: string, notFound: () => string): Promise<PathStat> {
  const { stat, located } = await locateAndStat(tree, path, notFound);
  await tree.release(located);
  return stat;
}

/**
 * Archives `path` in the tree: `send` gets its stat and the tar stream, whose top entry is named
 * after the path's last component (`/` for the root), as dockerd names it.
 */
export async function archiveTreePath(tree: ScopedTree, path: string, notFound: () => string, send: (stat: PathStat, tar: AsyncIterable<Buffer>) => Promise<void>): Promise<void> {
  const { stat, located } = await locateAndStat(tree, path, notFound);
  try {
    // moby's TarResourceRebaseOpts: entries take the requested name; the root's are "/…".
    await send(stat, packTree(tree, located, stat.name === "/" ? "" : stat.name));
  } finally {
    await tree.release(located);
  }
}

export interface TreeExtractOptions {
  /** Refuse to replace a directory with a non-directory and the reverse. */
  noOverwriteDirNonDir: boolean;
  notFound: () => string;
  /** Checks that the resolved destination may be written and says whose the entries become. */
  ownerAt: (destination: string) => Promise<UnpackOptions["owner"]>;
}

/**
 * Extracts a tar stream (plain or gzip) into the directory `path` of the tree. The path is
 * followed to the end (a symlink to a directory is fine) and must be a directory.
 */
export async function extractToTree(tree: ScopedTree, path: string, input: AsyncIterable<Buffer>, options: TreeExtractOptions): Promise<void> {
  const absolute = preserveTrailingDotOrSeparator(joinPath("/", path), path);
  let destination: string;
  try {
    const located = await tree.locate(absolute, { followFinal: true });
    try {
      if (!(await tree.lstat(located)).isDirectory()) throw new MoorError("invalid", "extraction point is not a directory");
      destination = located.path;
    } finally {
      await tree.release(located);
    }
  } catch (err) {
    throw asMoorError(err, options.notFound);
  }
  const owner = await options.ownerAt(destination);
  try {
    await unpackTar(tree, destination, gunzipped(input), { noOverwriteDirNonDir: options.noOverwriteDirNonDir, owner, makeNode });
  } catch (err) {
    throw asMoorError(err);
  }
}

/**
 * moby's ResolvePath and StatPath: every component but the last resolved inside the tree (the
 * last too when the path ends in "/" or "/."), the result lstat'ed; a symlink's target resolved
 * all the way.
 */
async function locateAndStat(tree: ScopedTree, path: string, notFound: () => string): Promise<{ stat: PathStat; located: Located }> {
  const absolute = preserveTrailingDotOrSeparator(joinPath("/", path), path);
  let located: Located | undefined;
  try {
    located = await tree.locate(absolute);
    const stats = await tree.lstat(located);
    let linkTarget = "";
    if (stats.isSymbolicLink()) {
      const target = await tree.locate(absolute, { followFinal: true, lexicalPastMissing: true });
      linkTarget = target.path;
      await tree.release(target);
    }
    return { stat: pathStat(baseName(absolute), stats, linkTarget), located };
  } catch (err) {
    if (located !== undefined) await tree.release(located);
    throw asMoorError(err, notFound);
  }
}

/** Tree errors as dockerd reports them: a missing path is a 404, a refused entry the client's fault. */
function asMoorError(err: unknown, notFound?: () => string): unknown {
  if (err instanceof TarFormatError) return new MoorError("invalid", `Error processing tar file: ${err.message}`, { cause: err });
  if (!(err instanceof TreeError)) return err;
  if (err.code === "ENOENT" && notFound !== undefined) return new MoorError("not_found", notFound(), { cause: err });
  if (["EBREAKOUT", "EEXIST", "EROFS", "EBUSY", "EINVAL", "EPERM", "EXDEV"].includes(err.code)) return new MoorError("invalid", err.message, { cause: err });
  return new MoorError("internal", err.message, { cause: err });
}

export function pathStat(name: string, stats: BigIntStats, linkTarget: string): PathStat {
  return { name, size: Number(stats.size), mode: goFileMode(Number(stats.mode)), mtime: rfc3339NanoOf(stats.mtimeNs), linkTarget };
}

/** Go's os.FileMode of an st_mode: permission bits, and its own bits for type and set-id flags. */
export function goFileMode(mode: number): number {
  let fileMode = mode & 0o777;
  switch (mode & 0o170000) {
    case 0o040000:
      fileMode += 2 ** 31; // ModeDir
      break;
    case 0o120000:
      fileMode += 2 ** 27; // ModeSymlink
      break;
    case 0o060000:
      fileMode += 2 ** 26; // ModeDevice
      break;
    case 0o020000:
      fileMode += 2 ** 26 + 2 ** 21; // ModeDevice | ModeCharDevice
      break;
    case 0o010000:
      fileMode += 2 ** 25; // ModeNamedPipe
      break;
    case 0o140000:
      fileMode += 2 ** 24; // ModeSocket
      break;
  }
  if (mode & 0o4000) fileMode += 2 ** 23; // ModeSetuid
  if (mode & 0o2000) fileMode += 2 ** 22; // ModeSetgid
  if (mode & 0o1000) fileMode += 2 ** 20; // ModeSticky
  return fileMode;
}

/** Go's time.RFC3339Nano of a time in nanoseconds, in UTC: trailing zeros of the fraction dropped. */
export function rfc3339NanoOf(nanoseconds: bigint): string {
  const seconds = nanoseconds / 1_000_000_000n - (nanoseconds < 0n && nanoseconds % 1_000_000_000n !== 0n ? 1n : 0n);
  const fraction = nanoseconds - seconds * 1_000_000_000n;
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  const digits = fraction === 0n ? "" : `.${fraction.toString().padStart(9, "0").replace(/0+$/, "")}`;
  return `${base}${digits}Z`;
}

/** dockerd decompresses what it is sent (moby's DecompressStream); gzip is what clients use. */
async function* gunzipped(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const { head, whole } = await peekHead(input, 2);
  if (head.length < 2 || head[0] !== 0x1f || head[1] !== 0x8b) {
    yield* whole;
    return;
  }
  yield* gunzip(whole);
}

/** Device nodes and FIFOs, made in the directory the tree holds open. */
export async function makeNode(directory: TreeHandle, name: string, header: TarHeader): Promise<void> {
  const kind = header.type === TarType.fifo ? constants.S_IFIFO : header.type === TarType.charDevice ? constants.S_IFCHR : constants.S_IFBLK;
  // Owner-only until the entry's own mode is set.
  makeDeviceNode(directory.entry(name), kind | 0o600, header.devmajor, header.devminor);
}
