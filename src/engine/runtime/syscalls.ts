/**
 * The one place moor calls the C library itself (through koffi, a foreign function interface):
 * mount(2) and umount2(2) for the mounts the engine makes on every container start and undoes at
 * every exit, where running mount(8) or umount(8) would fork the engine's large process and
 * start a binary each time (some 3 to 5 ms, and the fork holds up the engine's thread). Volumes
 * with driver options keep mount(8) and umount(8) (local-driver.ts): their options and helpers
 * (NFS, CIFS) are mount(8)'s. And pipe2(2), for pipes between tools and a thread of the engine
 * that reads and writes them with plain blocking calls (Node makes only its own stream pipes).
 * And lgetxattr(2), for overlayfs's opacity of the directories a diff walks, where getfattr(1)
 * would fork the engine in the middle of a deploy's stop of the container it replaced; with
 * lsetxattr(2) and mknod(2), for the opaque directories and whiteouts of the layers it unpacks,
 * where setfattr(1) and mknod(1) would fork it once for each.
 */
import { constants } from "node:fs";
import koffi, { type KoffiFunc } from "koffi";
import { MoorError } from "../../errors.ts";

/** MS_BIND from linux/mount.h. */
const bindFlag = 4096;
/** MNT_DETACH from linux/mount.h. */
const detachFlag = 2;
/** O_CLOEXEC from asm-generic/fcntl.h: no other child the engine starts inherits the pipe. */
const closeOnExecFlag = 0o2000000;
/** F_SETPIPE_SZ from linux/fcntl.h. */
const setPipeSizeCommand = 1031;
/** ENOENT, ENOTDIR, ENODATA and EOPNOTSUPP from asm-generic/errno*.h: the path has no such attribute. */
const noAttributeErrors = new Set([2, 20, 61, 95]);

interface Libc {
  mount: (source: string, target: string, fstype: string | null, flags: number, data: string | null) => number;
  umount2: KoffiFunc<(target: string, flags: number) => number>;
  strerror: (errno: number) => string;
  pipe2: (fds: Int32Array, flags: number) => number;
  fcntl: (fd: number, command: number, ...rest: unknown[]) => number;
  lgetxattr: (path: string | Buffer, name: string, value: Buffer, size: number) => number;
  lsetxattr: (path: string | Buffer, name: string, value: Buffer, size: number, flags: number) => number;
  mknod: (path: string | Buffer, mode: number, device: number) => number;
}

let libc: Libc | undefined;

function loadLibc(): Libc {
  if (libc === undefined) {
    const library = koffi.load("libc.so.6");
    libc = {
      mount: library.func("int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)"),
      umount2: library.func("int umount2(const char *target, int flags)"),
      strerror: library.func("const char *strerror(int errnum)"),
      pipe2: library.func("int pipe2(_Out_ int *fds, int flags)"),
      fcntl: library.func("int fcntl(int fd, int cmd, ...)"),
      lgetxattr: library.func("long lgetxattr(const char *path, const char *name, void *value, size_t size)"),
      lsetxattr: library.func("int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)"),
      mknod: library.func("int mknod(const char *path, unsigned int mode, unsigned long device)"),
    };
  }
  return libc;
}

function mount(what: string, source: string, target: string, fstype: string | null, flags: number, data: string | null): void {
  const c = loadLibc();
  if (c.mount(source, target, fstype, flags, data) === 0) return;
  throw new MoorError("internal", `mount ${what} on ${target}: ${c.strerror(koffi.errno())}`);
}

/** An overlay filesystem at `target`: `lowerdirs` topmost first, as overlayfs's lowerdir option takes them. */
export function mountOverlay(lowerdirs: string[], upperdir: string, workdir: string, target: string): void {
  mount("overlay", "overlay", target, "overlay", 0, `lowerdir=${lowerdirs.join(":")},upperdir=${upperdir},workdir=${workdir}`);
}

/** `source` (a file or a directory, or /proc/self/fd/N of one open) bound at `target`. */
export function bindMount(source: string, target: string): void {
  mount(source, source, target, null, bindFlag, null);
}

/**
 * Unmounts `target`; `detach` (a lazy unmount) takes it out of the tree at once even if busy,
 * and the kernel frees it when its last user is gone. Runs on a thread of libuv's pool:
 * unmounting an overlay syncs its upper filesystem, which can take seconds.
 */
export function unmount(target: string, { detach = false } = {}): Promise<void> {
  const c = loadLibc();
  return new Promise((resolve, reject) => {
    c.umount2.async(target, detach ? detachFlag : 0, (err, result) => {
      if (err) reject(err);
      // koffi sets errno to the call's for the time of this callback.
      else if (result !== 0) reject(new MoorError("internal", `unmount ${target}: ${c.strerror(koffi.errno())}`));
      else resolve();
    });
  });
}

/**
 * A new pipe, blocking, closed on exec: [its reading end, its writing end]. Its buffer is raised
 * to `capacity` bytes where the system allows it (/proc/sys/fs/pipe-max-size, 1 MiB by default),
 * so that a megabyte passes in one read and one write instead of sixteen.
 */
export function pipe(capacity: number): [number, number] {
  const c = loadLibc();
  const fds = new Int32Array(2);
  if (c.pipe2(fds, closeOnExecFlag) !== 0) throw new MoorError("internal", `pipe: ${c.strerror(koffi.errno())}`);
  // A smaller buffer only costs more calls: a refusal (EPERM above the limit) is no failure.
  c.fcntl(fds[1], setPipeSizeCommand, "int", capacity);
  return [fds[0], fds[1]];
}

/**
 * The value of extended attribute `name` of `path` (a symlink's own, not its target's), of at
 * most `maxSize` bytes; undefined if the path or the attribute does not exist. A system call of
 * a few microseconds, made on the engine's thread.
 */
export function extendedAttribute(path: string | Buffer, name: string, maxSize: number): Buffer | undefined {
  const c = loadLibc();
  const value = Buffer.alloc(maxSize);
  const size = c.lgetxattr(cPath(path), name, value, maxSize);
  if (size >= 0) return value.subarray(0, size);
  const errno = koffi.errno();
  if (noAttributeErrors.has(errno)) return undefined;
  throw new MoorError("internal", `reading attribute ${name} of ${String(path)}: ${c.strerror(errno)}`);
}

/** Sets extended attribute `name` of `path` (a symlink's own, not its target's) to `value`. */
export function setExtendedAttribute(path: string | Buffer, name: string, value: string): void {
  const c = loadLibc();
  const bytes = Buffer.from(value);
  if (c.lsetxattr(cPath(path), name, bytes, bytes.length, 0) === 0) return;
  throw new MoorError("internal", `setting attribute ${name} of ${String(path)}: ${c.strerror(koffi.errno())}`);
}

/** A character device 0/0 with no permissions at `path`: an overlayfs whiteout. */
export function makeWhiteout(path: string | Buffer): void {
  makeDeviceNode(path, constants.S_IFCHR, 0, 0);
}

/**
 * A device node or FIFO at `path`, what mknod(1) makes without a process for each. `mode` is the
 * file type's bits (fs.constants' S_IFCHR, S_IFBLK, S_IFIFO) with the permissions.
 */
export function makeDeviceNode(path: string | Buffer, mode: number, major: number, minor: number): void {
  const c = loadLibc();
  if (c.mknod(cPath(path), mode, deviceNumber(major, minor)) === 0) return;
  throw new MoorError("internal", `mknod ${String(path)}: ${c.strerror(koffi.errno())}`);
}

/** glibc's makedev: the minor's low 8 bits, the major's 12, the minor's other 24, the major's other 20. */
function deviceNumber(major: number, minor: number): number {
  if (major > 0xfffff || minor > 0xffffffff) throw new MoorError("invalid", `device number ${major},${minor} out of range`);
  return (minor & 0xff) + (major & 0xfff) * 2 ** 8 + Math.floor(minor / 2 ** 8) * 2 ** 20 + Math.floor(major / 2 ** 12) * 2 ** 44;
}

/** A path as C takes it: a string, or bytes (a name that is not UTF-8) ended by a NUL. */
function cPath(path: string | Buffer): string | Buffer {
  return typeof path === "string" ? path : Buffer.concat([path, Buffer.of(0)]);
}
