import type { BigIntStats, Stats } from "node:fs";
import * as fs from "node:fs";
import { posix } from "node:path";
import { promisify } from "node:util";
import { goErrnoText } from "./go-errno.ts";
import { readTar, tarHeader, TarType, writeTar, type TarEntryToWrite, type TarHeader } from "./tar.ts";
import { nameBytes, namePath, nameText, quotedName } from "./name-text.ts";

/**
 * A directory tree seen as a process chrooted into it sees it: symlinks are followed inside the
 * tree (absolute targets from its root, ".." stopping at the root), and mount points show what
 * is mounted there. This is how docker cp must see a container's filesystem without letting a
 * hostile image or a running container reach host files.
 *
 * Every directory on the way is opened (O_PATH, O_NOFOLLOW) and the next name looked up through
 * /proc/self/fd/<fd>/<name>, as openat does: a name is never looked up again from a path string,
 * so swapping a directory for a symlink while a copy runs does not redirect it outside the tree.
 */

/** Linux's O_PATH (asm-generic value); Node does not export it. */
export const O_PATH = 0o10000000;
const { O_DIRECTORY, O_NOFOLLOW, O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NONBLOCK } = fs.constants;

// Metadata system calls take microseconds; made through libuv's thread pool one after the other,
// each would cost a thread hand-off, most of an archive's time. They run synchronously (behind
// async signatures, so failures are rejections); file data moves asynchronously.
const openFd = async (path: fs.PathLike, flags: number, mode?: number): Promise<number> => fs.openSync(path, flags, mode);
const closeFd = async (fd: number): Promise<void> => fs.closeSync(fd);
const fchown = async (fd: number, uid: number, gid: number): Promise<void> => fs.fchownSync(fd, uid, gid);
const fchmod = async (fd: number, mode: number): Promise<void> => fs.fchmodSync(fd, mode);
const futimes = async (fd: number, atime: number, mtime: number): Promise<void> => fs.futimesSync(fd, atime, mtime);
const lstat = async (path: fs.PathLike): Promise<Stats> => fs.lstatSync(path);
const stat = async (path: fs.PathLike): Promise<Stats> => fs.statSync(path);
const lstatBig = async (path: fs.PathLike): Promise<BigIntStats> => fs.lstatSync(path, { bigint: true });
const statBig = async (path: fs.PathLike): Promise<BigIntStats> => fs.statSync(path, { bigint: true });
// Names and link targets are read as their bytes, as text without loss (name-text.ts).
const readlink = async (path: fs.PathLike): Promise<string> => nameText(fs.readlinkSync(path, { encoding: "buffer" }));
const readdir = async (path: fs.PathLike): Promise<string[]> => fs.readdirSync(path, { encoding: "buffer" }).map(nameText);
const mkdir = async (path: fs.PathLike, mode: number): Promise<void> => fs.mkdirSync(path, mode);
const rmdir = async (path: fs.PathLike): Promise<void> => fs.rmdirSync(path);
const unlink = async (path: fs.PathLike): Promise<void> => fs.unlinkSync(path);
const symlink = async (target: string, path: fs.PathLike): Promise<void> => fs.symlinkSync(namePath(target), path);
const link = async (existing: fs.PathLike, path: fs.PathLike): Promise<void> => fs.linkSync(existing, path);
const lchown = async (path: fs.PathLike, uid: number, gid: number): Promise<void> => fs.lchownSync(path, uid, gid);
const chown = async (path: fs.PathLike, uid: number, gid: number): Promise<void> => fs.chownSync(path, uid, gid);
const chmod = async (path: fs.PathLike, mode: number): Promise<void> => fs.chmodSync(path, mode);
const utimes = async (path: fs.PathLike, atime: number, mtime: number): Promise<void> => fs.utimesSync(path, atime, mtime);
const lutimes = async (path: fs.PathLike, atime: number, mtime: number): Promise<void> => fs.lutimesSync(path, atime, mtime);
const fstat = async (fd: number): Promise<Stats> => fs.fstatSync(fd);
const readFd = promisify(fs.read);
const writeFd = promisify(fs.write);

/** What the kernel would have said, with the tree's path in the message (`lstat /a/b: not a directory`). */
export class TreeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "TreeError";
  }
}

function treeError(code: string, op: string, path: string): TreeError {
  return new TreeError(code, `${op} ${path}: ${goErrnoText(code) ?? code}`);
}

/** A Node system error about a /proc/self/fd path, retold about the entry's own path. */
function asTreeError(err: unknown, path: string): unknown {
  const error = err as NodeJS.ErrnoException;
  if (err instanceof TreeError || error?.code === undefined || error.syscall === undefined) return err;
  const description = error.message.startsWith(`${error.code}: `) ? error.message.slice(error.code.length + 2).split(", ")[0] : error.message;
  return new TreeError(error.code, `${error.syscall} ${path}: ${description}`);
}

function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** An open directory (or mount source) of the tree; its entries are reached through its fd. */
export class TreeHandle {
  constructor(
    readonly fd: number,
    /** The directory's path in the tree, symlinks resolved. */
    readonly path: string,
    /** False inside a read-only mount or a read-only tree. */
    readonly writable: boolean,
  ) {}

  get self(): string {
    return `/proc/self/fd/${this.fd}`;
  }

  /** A path to the entry `name` (text as nameText reads it: bytes where it is not UTF-8). */
  entry(name: string): string | Buffer {
    const path = namePath(name);
    return typeof path === "string" ? `${this.self}/${path}` : Buffer.concat([Buffer.from(`${this.self}/`), path]);
  }
}

/**
 * Where a path led: an entry of an open directory (which may not exist), or an open node: the
 * root, a mount point, or a directory reached by "..".
 */
export type Located = { kind: "entry"; path: string; parent: TreeHandle; name: string } | { kind: "open"; path: string; handle: TreeHandle };

export interface TreeMount {
  /** Absolute path in the tree where the source appears. */
  path: string;
  /** Host path of the mounted directory or file. */
  source: string;
  readOnly: boolean;
}

export interface LocateOptions {
  /** Follow a symlink in the last component too (a trailing "/" or "/." always does). */
  followFinal?: boolean;
  /** Create missing directories on the way (mode 0755) and give them this owner, if any. */
  createDirectories?: { owner?: { uid: number; gid: number } };
  /**
   * Where a directory on the way is missing, end there with the rest of the path taken as
   * written (moby's FollowSymlinkInScope, which names where a dangling symlink leads).
   */
  lexicalPastMissing?: boolean;
}

const maxSymlinkHops = 255;

export class ScopedTree {
  private readonly mounts = new Map<string, TreeMount>();

  private constructor(private readonly root: TreeHandle) {}

  /**
   * Opens the tree at `root`. Mounts land where their paths resolve in the tree (a destination
   * under a symlink lands at the symlink's target, as with runc).
   */
  static async open(root: string, options: { mounts?: TreeMount[]; readOnly?: boolean } = {}): Promise<ScopedTree> {
    const fd = await openFd(root, O_PATH | O_DIRECTORY);
    const tree = new ScopedTree(new TreeHandle(fd, "/", !options.readOnly));
    const mounts = [...(options.mounts ?? [])].sort((a, b) => a.path.length - b.path.length);
    for (const mount of mounts) {
      const located = await tree.locate(mount.path, { followFinal: true }).catch(() => undefined);
      tree.mounts.set(located?.path ?? posix.normalize(`/${mount.path}`), mount);
      if (located !== undefined) await tree.release(located);
    }
    return tree;
  }

  async close(): Promise<void> {
    await closeFd(this.root.fd).catch(() => undefined);
  }

  /** Closes what a located node holds open (never the tree's root). */
  async release(located: Located): Promise<void> {
    await this.closeHandle(located.kind === "entry" ? located.parent : located.handle);
  }

  private async closeHandle(handle: TreeHandle): Promise<void> {
    if (handle !== this.root) await closeFd(handle.fd).catch(() => undefined);
  }

  /** The mount whose path is exactly this one, if any. */
  mountAt(path: string): TreeMount | undefined {
    return this.mounts.get(path);
  }

  /** The mount holding `path`: mounted there or at the nearest directory above it. */
  mountHolding(path: string): TreeMount | undefined {
    for (let current = posix.normalize(path); ; current = posix.dirname(current)) {
      const mount = this.mounts.get(current);
      if (mount !== undefined) return mount;
      if (current === "/" || current === ".") return undefined;
    }
  }

  async openMount(mount: TreeMount, path: string): Promise<TreeHandle> {
    try {
      return new TreeHandle(await openFd(mount.source, O_PATH), path, !mount.readOnly);
    } catch (err) {
      throw codeOf(err) === "ENOENT" ? treeError("ENOENT", "lstat", path) : err;
    }
  }

  /**
   * Resolves an absolute tree path. Missing last components are fine (an entry that does not
   * exist); a missing directory on the way is ENOENT, a non-directory ENOTDIR.
   */
  async locate(path: string, options: LocateOptions = {}): Promise<Located> {
    const stack: TreeHandle[] = [this.root];
    const pending = components(path);
    const followFinal = options.followFinal === true || /\/\.?$/.test(path);
    let kept: TreeHandle | undefined;
    let hops = 0;
    try {
      while (pending.length > 0) {
        const part = pending.shift()!;
        const current = stack[stack.length - 1];
        if (part === "..") {
          if (stack.length > 1) await this.closeHandle(stack.pop()!);
          continue;
        }
        const childPath = posix.join(current.path, part);
        const last = pending.length === 0;
        const mount = this.mounts.get(childPath);
        if (mount !== undefined) {
          const handle = await this.openMount(mount, childPath);
          if (last) {
            kept = handle;
            return { kind: "open", path: childPath, handle };
          }
          stack.push(handle);
          if (!(await stat(handle.self)).isDirectory()) throw treeError("ENOTDIR", "lstat", posix.join(childPath, pending[0]));
          continue;
        }
        const ref = current.entry(part);
        const stats = await lstat(ref).catch((err: unknown) => {
          if (codeOf(err) === "ENOENT") return undefined;
          throw err;
        });
        if (stats === undefined) {
          if (last) {
            kept = current;
            return { kind: "entry", path: childPath, parent: current, name: part };
          }
          if (options.lexicalPastMissing) {
            kept = current;
            return { kind: "entry", path: posix.join(childPath, ...pending), parent: current, name: part };
          }
          if (options.createDirectories === undefined) throw treeError("ENOENT", "lstat", childPath);
          if (!current.writable) throw treeError("EROFS", "mkdir", childPath);
          await mkdir(ref, 0o755);
          const owner = options.createDirectories.owner;
          if (owner !== undefined) await lchown(ref, owner.uid, owner.gid);
          pending.unshift(part);
          continue;
        }
        if (stats.isSymbolicLink() && (!last || followFinal)) {
          if (++hops > maxSymlinkHops) throw treeError("ELOOP", "lstat", childPath);
          const target = await readlink(ref);
          if (target.startsWith("/")) while (stack.length > 1) await this.closeHandle(stack.pop()!);
          pending.unshift(...components(target));
          continue;
        }
        if (last) {
          kept = current;
          return { kind: "entry", path: childPath, parent: current, name: part };
        }
        if (!stats.isDirectory()) throw treeError("ENOTDIR", "lstat", posix.join(childPath, pending[0]));
        let fd: number;
        try {
          fd = await openFd(ref, O_PATH | O_DIRECTORY | O_NOFOLLOW);
        } catch (err) {
          // Replaced since the lstat: look at it again.
          if (!["ENOENT", "ENOTDIR", "ELOOP"].includes(codeOf(err) ?? "") || ++hops > maxSymlinkHops) throw err;
          pending.unshift(part);
          continue;
        }
        stack.push(new TreeHandle(fd, childPath, current.writable));
      }
      kept = stack[stack.length - 1];
      return { kind: "open", path: kept.path, handle: kept };
    } finally {
      for (const handle of stack) if (handle !== kept) await this.closeHandle(handle);
    }
  }

  /** lstat of a located node (a mount point or the root: what is mounted there); ENOENT if missing. */
  async lstat(located: Located): Promise<BigIntStats> {
    try {
      return located.kind === "entry" ? await lstatBig(located.parent.entry(located.name)) : await statBig(located.handle.self);
    } catch (err) {
      throw codeOf(err) === "ENOENT" ? treeError("ENOENT", "lstat", located.path) : err;
    }
  }
}

/** Path components without empty ones and ".". */
function components(path: string): string[] {
  return path.split("/").filter((part) => part !== "" && part !== ".");
}

function typeOfMode(mode: number): string | undefined {
  switch (mode & 0o170000) {
    case 0o040000:
      return TarType.directory;
    case 0o100000:
      return TarType.file;
    case 0o120000:
      return TarType.symlink;
    case 0o020000:
      return TarType.charDevice;
    case 0o060000:
      return TarType.blockDevice;
    case 0o010000:
      return TarType.fifo;
    default:
      return undefined; // sockets: not archived (moby skips them too)
  }
}

/** Linux's dev_t split into major and minor numbers. */
function deviceNumbers(rdev: bigint): { devmajor: number; devminor: number } {
  return {
    devmajor: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    devminor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  };
}

/** A tar header as moby's archive writes one: the whole st_mode, mtime in whole seconds, no user names. */
function headerFromStats(name: string, stats: BigIntStats, type: string, linkname = ""): TarHeader {
  return tarHeader({
    name: type === TarType.directory && !name.endsWith("/") ? `${name}/` : name,
    type,
    mode: Number(stats.mode) & 0o177777,
    uid: Number(stats.uid),
    gid: Number(stats.gid),
    size: type === TarType.file ? Number(stats.size) : 0,
    mtime: Number(stats.mtimeNs / 1_000_000_000n),
    linkname,
    ...(type === TarType.charDevice || type === TarType.blockDevice ? deviceNumbers(stats.rdev) : {}),
  });
}

const chunkSize = 1024 * 1024;

/**
 * moby's TarWithOptions over one resource: the node named `topName`, and for a directory
 * everything below it as `topName/<relative path>` (names sorted, parents first, mount points
 * entered, hard links after their first name). Entries that vanish while the walk runs are
 * left out, as moby does.
 */
export function packTree(tree: ScopedTree, node: Located, topName: string): AsyncGenerator<Buffer> {
  return writeTar(treeEntries(tree, node, topName));
}

/** packTree's entries. A file stays open while its entry is written: until the next entry is asked for. */
async function* treeEntries(tree: ScopedTree, node: Located, topName: string): AsyncGenerator<TarEntryToWrite> {
  const hardLinks = new Map<string, string>();

  async function* visit(located: Located, name: string): AsyncGenerator<TarEntryToWrite> {
    let stats: BigIntStats;
    try {
      stats = await tree.lstat(located);
    } catch (err) {
      if (err instanceof TreeError && err.code === "ENOENT") return;
      throw err;
    }
    const type = typeOfMode(Number(stats.mode));
    if (type === undefined) return;
    if (type === TarType.directory) {
      yield { header: headerFromStats(name, stats, type) };
      let handle: TreeHandle;
      if (located.kind === "open") handle = located.handle;
      else {
        try {
          handle = new TreeHandle(await openFd(located.parent.entry(located.name), O_PATH | O_DIRECTORY | O_NOFOLLOW), located.path, located.parent.writable);
        } catch (err) {
          if (["ENOENT", "ENOTDIR", "ELOOP"].includes(codeOf(err) ?? "")) return;
          throw err;
        }
      }
      try {
        const names = (await readdir(handle.self)).sort(byteOrder);
        for (const child of names) {
          const path = posix.join(handle.path, child);
          const mount = tree.mountAt(path);
          let childLocated: Located;
          if (mount === undefined) childLocated = { kind: "entry", path, parent: handle, name: child };
          else {
            try {
              childLocated = { kind: "open", path, handle: await tree.openMount(mount, path) };
            } catch {
              childLocated = { kind: "entry", path, parent: handle, name: child };
            }
          }
          try {
            yield* visit(childLocated, `${name.replace(/\/$/, "")}/${child}`);
          } finally {
            if (childLocated.kind === "open") await closeFd(childLocated.handle.fd).catch(() => undefined);
          }
        }
      } finally {
        if (located.kind === "entry") await closeFd(handle.fd).catch(() => undefined);
      }
      return;
    }
    const inode = `${stats.dev}:${stats.ino}`;
    const firstName = stats.nlink > 1n ? hardLinks.get(inode) : undefined;
    if (firstName !== undefined) {
      yield { header: headerFromStats(name, stats, TarType.hardLink, firstName) };
      return;
    }
    if (stats.nlink > 1n) hardLinks.set(inode, name);
    if (type === TarType.symlink) {
      if (located.kind !== "entry") return;
      const target = await readlink(located.parent.entry(located.name)).catch(() => undefined);
      if (target !== undefined) yield { header: headerFromStats(name, stats, type, target) };
      return;
    }
    if (type !== TarType.file) {
      yield { header: headerFromStats(name, stats, type) };
      return;
    }
    let fd: number;
    try {
      // O_NONBLOCK: should the file have been swapped for a FIFO, opening it must not hang. An
      // open node (a file mount) is reached through its /proc magic link, which must be followed.
      fd =
        located.kind === "entry"
          ? await openFd(located.parent.entry(located.name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
          : await openFd(located.handle.self, O_RDONLY | O_NONBLOCK);
    } catch (err) {
      if (["ENOENT", "ELOOP"].includes(codeOf(err) ?? "")) return;
      throw err;
    }
    try {
      const opened = await tree.lstat({ kind: "open", path: located.path, handle: new TreeHandle(fd, located.path, false) });
      if (typeOfMode(Number(opened.mode)) !== TarType.file) return;
      yield { header: headerFromStats(name, opened, TarType.file), body: fileData(fd, Number(opened.size)) };
    } finally {
      await closeFd(fd).catch(() => undefined);
    }
  }

  yield* visit(node, topName);
}

/** Exactly `size` bytes of an open file, as its header announced: a file that grows is cut, one that shrinks is padded with zeros. */
async function* fileData(fd: number, size: number): AsyncGenerator<Buffer> {
  let sent = 0;
  while (sent < size) {
    const buffer = Buffer.allocUnsafe(Math.min(chunkSize, size - sent));
    const { bytesRead } = await readFd(fd, buffer, 0, buffer.length, null);
    if (bytesRead === 0) break;
    sent += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
  for (; sent < size; sent += chunkSize) yield Buffer.alloc(Math.min(chunkSize, size - sent));
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(nameBytes(a), nameBytes(b));
}

export interface UnpackOptions {
  /** docker's noOverwriteDirNonDir: no directory replaced by a non-directory, nor the reverse. */
  noOverwriteDirNonDir: boolean;
  /** Owners: the archive's, one pair for everything (copyUIDGID with a container user), or the extracting user's. */
  owner: "archive" | "unchanged" | { uid: number; gid: number };
  /** Makes a device node or FIFO (Node cannot call mknod); without it such entries are refused. */
  makeNode?: (directory: TreeHandle, name: string, header: TarHeader) => Promise<void>;
  /**
   * Prefix of the paths in messages and in the hard link and symlink checks: "" where the tree
   * is what the user sees (a container), the tree's host path where it is a host directory.
   */
  displayRoot?: string;
}

/**
 * moby's Unpack into the directory `destination` of the tree: entries whose names or link
 * targets lead outside it are refused, as are symlinks pointing outside it; an existing entry is
 * replaced unless both are directories (then merged); owners, modes and times are the archive's;
 * missing parents are made (0755, root's).
 */
export async function unpackTar(tree: ScopedTree, destination: string, input: AsyncIterable<Buffer>, options: UnpackOptions): Promise<void> {
  const displayRoot = options.displayRoot ?? "";
  const show = (path: string) => (displayRoot === "" ? path : posix.join(displayRoot, path).replace(/(.)\/+$/, "$1"));
  const dest = show(destination);
  const within = (path: string, root: string) => root === "/" || path === root || path.startsWith(`${root}/`);
  const directoryTimes: Array<{ path: string; mtime: number }> = [];
  const impliedOwner = options.owner === "unchanged" ? undefined : typeof options.owner === "object" ? options.owner : { uid: 0, gid: 0 };

  // The directory the last entry went into stays open: archives list a directory's entries
  // together, and resolving each one from the root again would cost a lookup per component.
  let current: { path: string; handle: TreeHandle } | undefined;
  try {
    for await (const { header, body } of readTar(input)) {
      const name = posix.normalize(header.name === "" ? "." : header.name).replace(/(.)\/+$/, "$1");
      const joined = posix.join(destination, name);
      const relative = posix.relative(destination, joined);
      if (relative === ".." || relative.startsWith("../") || name === ".." || name.startsWith("../")) {
        throw new TreeError("EBREAKOUT", `${quotedName(header.name)} is outside of ${quotedName(dest)}`);
      }
      const path = show(joined);
      const parentPath = posix.dirname(joined);
      let located: Located;
      const cachedPath = current !== undefined && current.path === parentPath && joined !== destination ? posix.join(current.handle.path, posix.basename(joined)) : undefined;
      if (current !== undefined && cachedPath !== undefined && tree.mountAt(cachedPath) === undefined) {
        located = { kind: "entry", path: cachedPath, parent: current.handle, name: posix.basename(joined) };
      } else {
        located = await tree.locate(joined, { createDirectories: { owner: impliedOwner } });
        if (located.kind === "entry" && joined !== destination) {
          if (current !== undefined) await tree.release({ kind: "open", path: current.path, handle: current.handle });
          current = { path: parentPath, handle: located.parent };
        }
      }
      try {
        const existing = await tree.lstat(located).catch((err: unknown) => {
          if (err instanceof TreeError && err.code === "ENOENT") return undefined;
          throw err;
        });
        const isDirectory = header.type === TarType.directory;
        if (existing !== undefined) {
          if (options.noOverwriteDirNonDir && existing.isDirectory() && !isDirectory) {
            throw new TreeError("EEXIST", `cannot overwrite directory ${quotedName(path)} with non-directory ${quotedName(dest)}`);
          }
          if (options.noOverwriteDirNonDir && !existing.isDirectory() && isDirectory) {
            throw new TreeError("EEXIST", `cannot overwrite non-directory ${quotedName(path)} with directory ${quotedName(dest)}`);
          }
          if (existing.isDirectory() && name === ".") continue;
          if (!(existing.isDirectory() && isDirectory)) {
            // A mount point cannot be replaced (dockerd's unlink fails with EBUSY there).
            if (located.kind === "open") throw treeError("EBUSY", "unlinkat", path);
            if (!located.parent.writable) throw treeError("EROFS", "unlinkat", path);
            await removeAll(located.parent, located.name);
          }
        }
        const writable = located.kind === "entry" ? located.parent.writable : located.handle.writable;
        if (!writable) throw treeError("EROFS", "open", path);
        await createEntry(tree, located, header, body, existing !== undefined && existing.isDirectory() && isDirectory, { ...options, destination, path, show, within, dest });
        if (isDirectory) directoryTimes.push({ path: joined, mtime: header.mtime });
      } catch (err) {
        throw asTreeError(err, path);
      } finally {
        if (located.kind === "open" || located.parent !== current?.handle) await tree.release(located);
      }
    }
  } finally {
    if (current !== undefined) await tree.release({ kind: "open", path: current.path, handle: current.handle });
  }
  // Directory times last: creating entries inside a directory changes its mtime.
  for (const { path, mtime } of directoryTimes) {
    const located = await tree.locate(path);
    try {
      await withNode(located, (node, isSymlink) => (isSymlink ? undefined : utimes(node, mtime, mtime)));
    } finally {
      await tree.release(located);
    }
  }
}

interface EntryContext extends UnpackOptions {
  destination: string;
  dest: string;
  path: string;
  show: (path: string) => string;
  within: (path: string, root: string) => boolean;
}

async function createEntry(tree: ScopedTree, located: Located, header: TarHeader, body: AsyncIterable<Buffer>, merging: boolean, context: EntryContext): Promise<void> {
  const permissions = header.mode & 0o7777;
  const owner = context.owner === "archive" ? { uid: header.uid, gid: header.gid } : context.owner === "unchanged" ? undefined : context.owner;
  if (header.type === TarType.file) {
    if (located.kind !== "entry") throw treeError("EBUSY", "open", context.path);
    const fd = await openFd(located.parent.entry(located.name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, permissions);
    try {
      // Pieces arrive as the connection delivers them (often 64 KiB); written a mebibyte at a time.
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        let buffer = Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        while (buffer.length > 0) buffer = buffer.subarray((await writeFd(fd, buffer, 0, buffer.length)).bytesWritten);
      };
      for await (const piece of body) {
        pending.push(piece);
        pendingBytes += piece.length;
        if (pendingBytes >= chunkSize) await flush();
      }
      await flush();
      // Owner before mode: chown clears set-user-ID bits.
      if (owner !== undefined) await fchown(fd, owner.uid, owner.gid);
      await fchmod(fd, permissions);
      await futimes(fd, header.mtime, header.mtime);
    } finally {
      await closeFd(fd).catch(() => undefined);
    }
    return;
  }
  if (header.type === TarType.directory) {
    if (!merging && located.kind === "entry") await mkdir(located.parent.entry(located.name), permissions);
  } else if (located.kind !== "entry") {
    throw treeError("EBUSY", "open", context.path);
  } else if (header.type === TarType.symlink) {
    const target = posix.join(posix.dirname(context.path), header.linkname);
    if (!context.within(target, context.dest)) {
      throw new TreeError("EBREAKOUT", `invalid symlink ${quotedName(context.path)} -> ${quotedName(header.linkname)}`);
    }
    await symlink(header.linkname, located.parent.entry(located.name));
  } else if (header.type === TarType.hardLink) {
    const target = posix.join(context.destination, header.linkname);
    if (!context.within(context.show(target), context.dest)) {
      throw new TreeError("EBREAKOUT", `invalid hardlink ${quotedName(context.show(target))} -> ${quotedName(header.linkname)}`);
    }
    const targetLocated = await tree.locate(target);
    try {
      if (targetLocated.kind !== "entry") throw treeError("EBUSY", "link", context.show(target));
      await link(targetLocated.parent.entry(targetLocated.name), located.parent.entry(located.name));
    } finally {
      await tree.release(targetLocated);
    }
    if (owner !== undefined) await lchown(located.parent.entry(located.name), owner.uid, owner.gid);
    return;
  } else if (header.type === TarType.charDevice || header.type === TarType.blockDevice || header.type === TarType.fifo) {
    if (context.makeNode === undefined) throw new TreeError("EPERM", `mknod ${context.path}: operation not permitted`);
    await context.makeNode(located.parent, located.name, header);
  } else {
    // moby names the type flag's code.
    throw new TreeError("EINVAL", `unhandled tar header type ${header.type.charCodeAt(0)}`);
  }

  const ref = located.kind === "entry" ? located.parent.entry(located.name) : located.handle.self;
  if (owner !== undefined) await (located.kind === "entry" ? lchown(ref, owner.uid, owner.gid) : chown(ref, owner.uid, owner.gid));
  if (header.type === TarType.symlink) {
    await lutimes(ref, header.mtime, header.mtime);
    return;
  }
  await withNode(located, async (node, isSymlink) => {
    if (isSymlink) return;
    await chmod(node, permissions);
    if (header.type !== TarType.directory) await utimes(node, header.mtime, header.mtime);
  });
}

/**
 * Runs `work` with a path to the located node itself that no one can redirect: chmod and utimes
 * follow symlinks, so they go through an O_PATH descriptor of the node (a symlink put there
 * meanwhile is seen as one, and left alone).
 */
async function withNode(located: Located, work: (node: string, isSymlink: boolean) => Promise<void> | undefined): Promise<void> {
  if (located.kind === "open") {
    await work(located.handle.self, false);
    return;
  }
  const fd = await openFd(located.parent.entry(located.name), O_PATH | O_NOFOLLOW);
  try {
    const node = `/proc/self/fd/${fd}`;
    await work(node, (await fstat(fd)).isSymbolicLink());
  } finally {
    await closeFd(fd).catch(() => undefined);
  }
}

/** rm -rf of one entry of an open directory, without following symlinks anywhere below it. */
async function removeAll(parent: TreeHandle, name: string): Promise<void> {
  const ref = parent.entry(name);
  const stats = await lstat(ref).catch(() => undefined);
  if (stats === undefined) return;
  if (!stats.isDirectory()) {
    await unlink(ref);
    return;
  }
  const fd = await openFd(ref, O_PATH | O_DIRECTORY | O_NOFOLLOW);
  const handle = new TreeHandle(fd, "", parent.writable);
  try {
    for (const child of await readdir(handle.self)) await removeAll(handle, child);
  } finally {
    await closeFd(fd).catch(() => undefined);
  }
  await rmdir(ref);
}
