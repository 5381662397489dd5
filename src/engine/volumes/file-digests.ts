/**
 * The sha256 of every regular file's content in a directory tree, taken by reading the files
 * themselves (not an archive of them), so that a backup can checksum a volume while GNU tar and
 * the compressor write its archive on their own; and a way to tell afterwards whether any file
 * changed since it was read, which would make the archive and its checksums disagree.
 */
import { createHash } from "node:crypto";
import { closeSync, constants as fsConstants, lstatSync, openSync, readdirSync, readSync, type BigIntStats } from "node:fs";
import { join } from "node:path";

export interface FileDigests {
  /** Path (under the prefix given) → sha256 of the file's content, hex; hard links share their file's. */
  sha256: Map<string, string>;
  /** Regular files, each hard-linked file counted once. */
  files: number;
  /** Their bytes, each hard-linked file counted once. */
  bytes: number;
  /** Path → what identifies the version of the file that was read (see identity). */
  identities: Map<string, string>;
}

/** Bytes read from a file at a time. */
const chunkSize = 1024 * 1024;

/** Entries a walk handles between two turns of the event loop. */
const walkSlice = 256;

/** How long a digest holds the event loop at most before letting it turn (about two chunks' work), in ms. */
const digestSlice = 4;

/** A pause that lets the event loop turn once `digestSlice` ms have passed since the last. */
function slicer(): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < digestSlice) return;
    await new Promise((resolve) => setImmediate(resolve));
    since = performance.now();
  };
}

/**
 * Digests every regular file under `root`, named `prefix/<path relative to root>`. Each read is
 * reported to `onBytes`; `signal` stops the walk between two reads.
 */
export async function digestFiles(root: string, prefix: string, { onBytes, signal }: { onBytes?: (bytes: number) => void; signal?: AbortSignal } = {}): Promise<FileDigests> {
  const digests: FileDigests = { sha256: new Map(), files: 0, bytes: 0, identities: new Map() };
  const byInode = new Map<string, string>();
  const buffer = Buffer.allocUnsafe(chunkSize);
  const pause = slicer();
  for await (const { path, stats } of regularFiles(root, prefix)) {
    signal?.throwIfAborted();
    const inode = `${stats.dev}:${stats.ino}`;
    let sha256 = stats.nlink > 1n ? byInode.get(inode) : undefined;
    if (sha256 === undefined) {
      sha256 = await digestFile(join(root, path.slice(prefix.length + 1)), Number(stats.size), buffer, pause, onBytes, signal);
      if (stats.nlink > 1n) byInode.set(inode, sha256);
      digests.files += 1;
      digests.bytes += Number(stats.size);
    }
    digests.sha256.set(path, sha256);
    digests.identities.set(path, identity(stats));
  }
  return digests;
}

/**
 * The first file under `root` that is not as `digests` read it: changed, added or removed since
 * (undefined: none). A file's ctime changes with any write to it, so an unchanged identity means
 * its content is what was digested.
 */
export async function firstChange(root: string, prefix: string, digests: FileDigests): Promise<string | undefined> {
  const seen = new Set<string>();
  for await (const { path, stats } of regularFiles(root, prefix)) {
    if (digests.identities.get(path) !== identity(stats)) return path;
    seen.add(path);
  }
  return [...digests.identities.keys()].find((path) => !seen.has(path));
}

/**
 * The sha256 of a listing of `sha256` in the form `sha256sum` prints (`<sha256>  <path>`, one
 * line each), in byte order of the paths: one checksum for all the files' content and names.
 */
export function listingChecksum(sha256: Iterable<readonly [string, string]>): string {
  const encoded = [...sha256].map(([path, sum]) => [Buffer.from(path), sum] as const).sort(([a], [b]) => Buffer.compare(a, b));
  const hash = createHash("sha256");
  for (const [path, sum] of encoded) hash.update(`${sum}  `).update(path).update("\n");
  return hash.digest("hex");
}

function identity(stats: BigIntStats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.ctimeNs}`;
}

/** Every regular file under root (symlinks not followed), with its lstat. */
async function* regularFiles(root: string, prefix: string): AsyncGenerator<{ path: string; stats: BigIntStats }> {
  const pending: Array<[string, string]> = [[root, prefix]];
  let sinceYield = 0;
  while (pending.length > 0) {
    const [dir, name] = pending.pop()!;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (++sinceYield >= walkSlice) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
      const path = `${name}/${entry.name}`;
      if (entry.isDirectory()) pending.push([join(dir, entry.name), path]);
      else if (entry.isFile()) yield { path, stats: lstatSync(join(dir, entry.name), { bigint: true }) };
    }
  }
}

/**
 * sha256 of a file's content, read with synchronous reads: per file, the thread pool's round
 * trips cost more than the reads themselves (most files of a volume are small, and in the page
 * cache). The event loop turns between slices of a few milliseconds (see pause()).
 */
async function digestFile(path: string, size: number, buffer: Buffer, pause: () => Promise<void>, onBytes: ((bytes: number) => void) | undefined, signal: AbortSignal | undefined): Promise<string> {
  const hash = createHash("sha256");
  const fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  try {
    // Reading stops at the size lstat gave: a file that grew meanwhile shows as changed later.
    for (let done = 0; done < size; ) {
      const read = readSync(fd, buffer, 0, Math.min(buffer.length, size - done), null);
      if (read === 0) break;
      hash.update(buffer.subarray(0, read));
      done += read;
      onBytes?.(read);
      await pause();
      signal?.throwIfAborted();
    }
    return hash.digest("hex");
  } finally {
    closeSync(fd);
  }
}
