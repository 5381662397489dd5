/**
 * The checksum (sha256 or BLAKE3) of every regular file's content in a directory tree, taken by reading the files
 * themselves (not an archive of them), so that a backup can checksum a volume while GNU tar and
 * the compressor write its archive on their own; and a way to tell afterwards whether any file
 * changed since it was read, which would make the archive and its checksums disagree.
 */
import { createHasher, reusableHasher, type Hasher, type HashName } from "../../util/content-hash.ts";
import { closeSync, constants as fsConstants, lstatSync, openSync, readFileSync, readSync, renameSync, writeFileSync, type BigIntStats } from "node:fs";
import { lstat } from "node:fs/promises";
import { basename, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Worker } from "node:worker_threads";
import { childPath, entriesOf, entryName, type TreePath } from "../fs.ts";
import { hasEscapedBytes, nameBytes, namePath } from "../../util/name-text.ts";

export interface FileDigests {
  /** What the checksums were taken with. */
  hash: HashName;
  /** Path (under the prefix given) → the checksum of the file's content, hex; hard links share their file's. */
  checksums: Map<string, string>;
  /** Regular files, each hard-linked file counted once. */
  files: number;
  /** Their bytes, each hard-linked file counted once. */
  bytes: number;
  /** listingChecksum() of `checksums`. */
  checksum: string;
  /**
   * Path → what identifies the version of each file that was read, and of each directory whose
   * entries were listed (see identity): a directory's ctime changes when an entry is added,
   * removed or renamed in it.
   */
  identities: Map<string, string>;
}

/** Bytes read from a file at a time. */
const chunkSize = 1024 * 1024;

/**
 * The niceness of the thread that digests a volume for a backup: below tar and the compressor,
 * which write the archive meanwhile, so that the compressor (the slowest part) keeps a whole core.
 */
const digestNiceness = 10;

/** A digest running on a thread of its own (see digestInBackground). */
export interface BackgroundDigest {
  /** The digests (without the identities, which stay with the thread). */
  digests: Promise<Omit<FileDigests, "identities">>;
  /**
   * Tells the thread that the archive has read these paths (it is past them): once its digest is
   * in, it checks them for changes (see firstChange) while the archive goes on.
   */
  passed(paths: string[]): void;
  /**
   * Once the archive is done: the first change the thread found among the paths passed, or else
   * among those never passed, which it checks now (undefined: no change).
   */
  firstChange(): Promise<string | undefined>;
  /** Ends the thread; a digest not done yet rejects with `reason`. */
  stop(reason: Error): void;
}

/** What the engine tells the digest's thread: paths the archive has passed, or that the archive is done. */
export type DigestMessage = { passed: string[] } | { done: true };

/**
 * digestFiles() on a thread of its own, which runs at a lower priority (see digestNiceness) and
 * leaves the engine's thread free, with the digest cache in `cache.path`, which it then replaces
 * with this digest's (see writeDigestCache); then firstChange() of what the archive has passed,
 * as it passes it, with `since` (see firstChange).
 */
export function digestInBackground(root: string, prefix: string, since: bigint, hash: HashName, cache: { path: string; stagingDir: string }): BackgroundDigest {
  // The engine runs built (scripts/build.mjs): digest-worker.js is beside this module's chunk.
  const worker = new Worker(new URL("./digest-worker.js", import.meta.url), { workerData: { root, prefix, since, hash, cache, niceness: digestNiceness } });
  let failed: (err: unknown) => void = () => undefined;
  const ended = new Promise<never>((_, reject) => (failed = reject));
  ended.catch(() => undefined);
  worker.once("error", failed);
  worker.once("exit", (code) => failed(new Error(`the thread digesting ${root} ended (exit code ${code}) without an answer`)));
  const answer = <T>() => Promise.race([new Promise<T>((resolve) => worker.once("message", resolve)), ended]);
  const digests = answer<Omit<FileDigests, "identities">>();
  const tell = (message: DigestMessage) => worker.postMessage(message);
  return {
    digests,
    passed: (paths) => tell({ passed: paths }),
    firstChange: async () => {
      await digests;
      const changed = answer<string | undefined>();
      tell({ done: true });
      return changed;
    },
    stop: (reason) => {
      failed(reason);
      void worker.terminate();
    },
  };
}

/**
 * The checksums an earlier digest of the same tree took: path → the identity the file had when
 * it was read, and its checksum. Kept only for files whose ctime was no later than that digest's
 * mark (see changeMark): a change after the mark gives a file a later ctime, so a file whose
 * identity still matches has the content that was read, and is not read again.
 */
export type DigestCache = ReadonlyMap<string, { identity: string; checksum: string }>;

/** The format of a digest cache's file. */
const digestCacheFormat = "moor-digest-cache/2";

/** The digest cache in `path` of checksums taken with `hash`; empty if there is none, or it cannot be read as one. */
export function readDigestCache(path: string, hash: HashName): DigestCache {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as { format?: unknown; hash?: unknown; entries?: unknown };
    if (parsed.format !== digestCacheFormat || parsed.hash !== hash || !Array.isArray(parsed.entries)) return new Map();
    const cache = new Map<string, { identity: string; checksum: string }>();
    for (const entry of parsed.entries as unknown[]) {
      if (!Array.isArray(entry) || entry.length !== 3 || !entry.every((field) => typeof field === "string")) return new Map();
      const [path, identity, checksum] = entry as [string, string, string];
      cache.set(path, { identity, checksum });
    }
    return cache;
  } catch {
    return new Map();
  }
}

/**
 * Writes the digest cache of `digests` (its files whose ctime is no later than `since`, the mark
 * taken before they were read) into `path`, whole or not at all: written first into
 * `stagingDir` (on the same filesystem, removed if the engine stops meanwhile), then renamed.
 */
export function writeDigestCache(path: string, digests: FileDigests, since: bigint, stagingDir: string): void {
  const entries: Array<[string, string, string]> = [];
  for (const [file, checksum] of digests.checksums) {
    const known = digests.identities.get(file);
    if (known !== undefined && ctimeOf(known) <= since) entries.push([file, known, checksum]);
  }
  const staged = join(stagingDir, basename(path));
  writeFileSync(staged, JSON.stringify({ format: digestCacheFormat, hash: digests.hash, entries }), { mode: 0o600 });
  renameSync(staged, path);
}

/**
 * Digests every regular file under `root` with `hash`, named `prefix/<path relative to root>`,
 * reading only those `cache` (of checksums taken with the same hash) does not hold as they are. Synchronous: it runs on a thread of its own
 * (digestInBackground). A file removed meanwhile is left out; its directory's changed identity
 * tells firstChange.
 */
export function digestFiles(root: string, prefix: string, hash: HashName, cache: DigestCache = new Map()): FileDigests {
  const digests: FileDigests = { hash, checksums: new Map(), files: 0, bytes: 0, checksum: "", identities: new Map() };
  const byInode = new Map<string, string>();
  const buffer = Buffer.allocUnsafe(chunkSize);
  const hasher = reusableHasher(hash);
  walk(root, prefix, digests.identities, (path, location, stats) => {
    const inode = `${stats.dev}:${stats.ino}`;
    let checksum = stats.nlink > 1n ? byInode.get(inode) : undefined;
    const known = identity(stats);
    if (checksum === undefined) {
      const cached = cache.get(path);
      checksum = cached !== undefined && cached.identity === known ? cached.checksum : digestFile(location, Number(stats.size), hasher, buffer);
      if (checksum === undefined) return;
      if (stats.nlink > 1n) byInode.set(inode, checksum);
      digests.files += 1;
      digests.bytes += Number(stats.size);
    }
    digests.checksums.set(path, checksum);
    digests.identities.set(path, known);
  });
  digests.checksum = listingChecksum(digests.checksums, hash);
  return digests;
}

/**
 * Of `identities` (a digest's, or some of them), a file or directory under `root` that is not as
 * the digest read it (undefined: none): a file written, removed or replaced since, or a
 * directory with entries added, removed or renamed. A file's ctime changes with any write to it,
 * so an unchanged identity means its content is what was digested. A ctime later than `since`
 * (a ctime taken on the same clock before the archive and the digest began) counts as a change
 * too, even with the identity the digest saw: the change may have come after tar read the file
 * and before the digest did, so that the two disagree.
 */
export function firstChange(root: string, prefix: string, identities: Iterable<readonly [string, string]>, since: bigint): string | undefined {
  for (const [path, known] of identities) {
    const stats = lstatSync(path === prefix ? root : childPath(root, namePath(path.slice(prefix.length + 1))), { bigint: true, throwIfNoEntry: false });
    if (stats === undefined || identity(stats) !== known || stats.ctimeNs > since) return path;
  }
  return undefined;
}

/**
 * The ctime of `path`, a file just written, for firstChange's `since`: resolved once the clock
 * that stamps ctimes has moved on, so that any change made after this resolves has a later
 * ctime. That clock is the kernel's coarse one, a tick (1 to 10 ms) behind the real time.
 */
export async function changeMark(path: string): Promise<bigint> {
  const mark = (await lstat(path, { bigint: true })).ctimeNs;
  const tickNs = 10_000_000n;
  const waitNs = mark + tickNs - BigInt(Date.now()) * 1_000_000n;
  if (waitNs > 0n) await delay(Math.ceil(Number(waitNs) / 1_000_000) + 1);
  return mark;
}

/**
 * The checksum (with `hash`) of a listing of `checksums` (taken with `hash`) in the form
 * `sha256sum` and `b3sum` print (`<hex>  <path>`, one line each), in byte order of the paths:
 * one checksum for all the files' content and names.
 */
export function listingChecksum(checksums: Iterable<readonly [string, string]>, hash: HashName): string {
  const entries = [...checksums];
  const hasher = createHasher(hash);
  if (entries.some(([path]) => hasEscapedBytes(path))) {
    // Names that are not UTF-8 (see nameText) are listed, and ordered, as their bytes.
    const lines = entries.map(([path, sum]) => ({ name: nameBytes(path), sum })).sort((a, b) => Buffer.compare(a.name, b.name));
    hasher.update(Buffer.concat(lines.flatMap(({ name, sum }) => [Buffer.from(`${sum}  `), name, newline])));
    return hasher.digest("hex");
  }
  // Below U+D800, code units order as UTF-8 bytes do, and strings compare fastest natively.
  const sorted = entries.some(([path]) => beyondD7FF.test(path)) ? entries.sort(([a], [b]) => compareAsUtf8(a, b)) : entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // One update of the whole listing: three calls into the hash per file cost more than the hashing.
  hasher.update(Buffer.from(sorted.map(([path, sum]) => `${sum}  ${path}\n`).join("")));
  return hasher.digest("hex");
}

const newline = Buffer.from("\n");

const beyondD7FF = /[\ud800-\uffff]/;

/**
 * The order of two strings' UTF-8 bytes, from their UTF-16 code units (a comparison of Buffers
 * costs a call into C++ each, and sorting 30,000 paths makes half a million): code units order
 * as code points do, and so as UTF-8 does, except that surrogates (characters from U+10000) come
 * before U+E000 to U+FFFF, which they follow in UTF-8.
 */
export function compareAsUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  return unit >= 0xe000 ? unit - 0x800 : unit;
}

function identity(stats: BigIntStats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.ctimeNs}`;
}

/** The ctime an identity() holds (its last field). */
function ctimeOf(identity: string): bigint {
  return BigInt(identity.slice(identity.lastIndexOf(":") + 1));
}

/**
 * Calls `file` with every regular file under root (symlinks not followed): its path as named in
 * digests (`prefix/...`, see nameText for names that are not UTF-8), where it is, and its lstat;
 * each directory's identity goes into `directories`, taken before its entries are listed.
 * Entries removed meanwhile are skipped.
 */
function walk(root: string, prefix: string, directories: Map<string, string>, file: (path: string, location: TreePath, stats: BigIntStats) => void): void {
  const pending: Array<[TreePath, string]> = [[root, prefix]];
  while (pending.length > 0) {
    const [dir, name] = pending.pop()!;
    const stats = lstatSync(dir, { bigint: true, throwIfNoEntry: false });
    if (stats === undefined) continue;
    directories.set(name, identity(stats));
    const entries = entriesOf(dir);
    if (entries === undefined) continue;
    for (const entry of entries) {
      const path = `${name}/${entryName(entry)}`;
      const location = childPath(dir, entry.name);
      if (entry.isDirectory()) pending.push([location, path]);
      else if (entry.isFile()) {
        const fileStats = lstatSync(location, { bigint: true, throwIfNoEntry: false });
        if (fileStats?.isFile()) file(path, location, fileStats);
      }
    }
  }
}

/** The checksum of a file's content with `hasher` (undefined: the file is gone). */
function digestFile(path: TreePath, size: number, hasher: Hasher, buffer: Buffer): string | undefined {
  let fd: number;
  try {
    // Non-blocking: a FIFO put in a file's place meanwhile must not hold the thread up (its read fails).
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    // Reading stops at the size lstat gave: a file that grew meanwhile shows as changed later.
    for (let done = 0; done < size; ) {
      const read = readSync(fd, buffer, 0, Math.min(buffer.length, size - done), null);
      if (read === 0) break;
      hasher.update(buffer.subarray(0, read));
      done += read;
    }
    return hasher.digest("hex");
  } finally {
    closeSync(fd);
  }
}
