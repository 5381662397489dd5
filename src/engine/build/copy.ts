import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { posix } from "node:path";
import { makeNode } from "../containers/archive.ts";
import { packTree, ScopedTree, TreeError, unpackTar, type Located } from "../../util/scoped-tree.ts";
import { readTar, writeTar, TarType, type TarHeader } from "../../util/tar.ts";
import { BuildStepError } from "./errors.ts";

/**
 * COPY and ADD's file work: finding the sources (globs as Go's filepath.Match reads them,
 * symlinks followed inside their root only), hashing them for the cache, and writing them into
 * a mounted root filesystem through a ScopedTree, so neither a hostile context nor a hostile
 * image can lead a copy outside its root.
 */

export interface CopyItem {
  /** Where the source is in its root ("/dir/file"), symlinks resolved. */
  path: string;
  isDirectory: boolean;
  /** As the user wrote it, for messages. */
  original: string;
}

/** Inline content (a heredoc, or a downloaded file) to write as one file. */
export interface InlineFile {
  name: string;
  data: Buffer;
  mode: number;
  mtime: number;
}

export interface CopyOwnership {
  /** undefined: keep the source's owners. */
  owner?: { uid: number; gid: number };
  /** Permission bits for every copied entry (--chmod). */
  mode?: number;
}

const globCharacters = /[*?[\\]/;

/** The sources one COPY/ADD argument names in `tree` (a glob may name several, or none). */
export async function findSources(tree: ScopedTree, rootPath: string, pattern: string, missing: () => string): Promise<CopyItem[]> {
  const relative = posix.normalize(pattern);
  if (relative === ".." || relative.startsWith("../")) throw new BuildStepError(`forbidden path outside the build context: ${pattern} ()`);
  const cleaned = posix.normalize(`/${pattern}`).replace(/(.)\/$/, "$1");
  if (!globCharacters.test(cleaned)) return [await locateSource(tree, cleaned, pattern, missing)];
  const matches = await globMatches(rootPath, cleaned.split("/").filter((part) => part !== ""));
  const items: CopyItem[] = [];
  for (const match of matches.sort()) items.push(await locateSource(tree, match, pattern, missing));
  return items;
}

async function locateSource(tree: ScopedTree, path: string, original: string, missing: () => string): Promise<CopyItem> {
  let located: Located | undefined;
  try {
    located = await tree.locate(path, { followFinal: true });
    const stats = await tree.lstat(located);
    return { path: located.path, isDirectory: stats.isDirectory(), original };
  } catch (err) {
    if (err instanceof TreeError && (err.code === "ENOENT" || err.code === "ENOTDIR")) throw new BuildStepError(missing());
    throw err;
  } finally {
    if (located !== undefined) await tree.release(located);
  }
}

/** Paths under `root` whose components match the pattern's, level by level; symlinks are not entered. */
async function globMatches(root: string, parts: string[]): Promise<string[]> {
  let current = ["/"];
  for (const part of parts) {
    const next: string[] = [];
    const matcher = globRegExp(part);
    for (const dir of current) {
      const entries = await readdir(posix.join(root, dir), { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        if (matcher.test(entry.name)) next.push(posix.join(dir, entry.name));
      }
    }
    current = next;
  }
  return current;
}

/** Go's path.Match for one path component: `*`, `?`, `[...]` (with `^`/`!` negation) and `\` escapes. */
export function globRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "*") source += "[^/]*";
    else if (ch === "?") source += "[^/]";
    else if (ch === "\\" && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]);
    else if (ch === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end === -1) throw new BuildStepError(`syntax error in pattern`);
      let body = pattern.slice(i + 1, end);
      if (body.startsWith("^") || body.startsWith("!")) body = `^${body.slice(1)}`;
      source += `[${body.replace(/\\(.)/g, "\\$1")}]`;
      i = end;
    } else source += escapeRegExp(ch);
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * A digest of what a source holds (names, types, modes, owners, link targets and content; not
 * times, as tarsum leaves them out), for the step's cache key.
 */
export async function sourceDigest(tree: ScopedTree, item: CopyItem): Promise<string> {
  const hash = createHash("sha256");
  const located = await tree.locate(item.path, { followFinal: true });
  try {
    for await (const { header, body } of readTar(packTree(tree, located, "."))) {
      hash.update(JSON.stringify([header.name, header.type, header.mode, header.uid, header.gid, header.linkname, header.size, header.devmajor, header.devminor]));
      for await (const chunk of body) hash.update(chunk);
    }
  } finally {
    await tree.release(located);
  }
  return `${item.isDirectory ? "dir" : "file"}:${hash.digest("hex")}`;
}

/**
 * Copies one source into the destination tree: a directory's content into `destination`, a
 * file to `destination` itself. Missing parents are made (0755, owned like the copy).
 */
export async function copyItem(source: ScopedTree, item: CopyItem, target: ScopedTree, destination: string, ownership: CopyOwnership): Promise<void> {
  const located = await source.locate(item.path, { followFinal: true });
  try {
    const directory = item.isDirectory ? destination : posix.dirname(destination);
    const topName = item.isDirectory ? "." : posix.basename(destination);
    await unpackInto(target, directory, adjusted(packTree(source, located, topName), ownership), ownership);
  } finally {
    await source.release(located);
  }
}

/** Writes an inline file (a heredoc's content, a downloaded URL) at `destination`. */
export async function writeInlineFile(target: ScopedTree, file: InlineFile, destination: string, ownership: CopyOwnership): Promise<void> {
  const header: TarHeader = {
    name: posix.basename(destination),
    type: TarType.file,
    mode: file.mode,
    uid: 0,
    gid: 0,
    size: file.data.length,
    mtime: file.mtime,
    linkname: "",
    uname: "",
    gname: "",
    devmajor: 0,
    devminor: 0,
    pax: {},
  };
  await unpackInto(target, posix.dirname(destination), adjusted(writeTar([{ header, body: [file.data] }]), ownership), ownership);
}

/** Extracts an archive (ADD of a local tar) into `destination`, keeping its owners unless --chown. */
export async function extractArchive(target: ScopedTree, archive: AsyncIterable<Buffer>, destination: string, ownership: CopyOwnership): Promise<void> {
  await unpackInto(target, destination, adjusted(archive, ownership), ownership);
}

async function unpackInto(target: ScopedTree, directory: string, archive: AsyncIterable<Buffer>, ownership: CopyOwnership): Promise<void> {
  try {
    // Locating an entry inside makes every missing directory on the way, the target included.
    const probe = await target.locate(posix.join(directory, ".moor-copy-target"), { createDirectories: { owner: ownership.owner ?? { uid: 0, gid: 0 } } });
    const path = posix.dirname(probe.path);
    await target.release(probe);
    await unpackTar(target, path, archive, { noOverwriteDirNonDir: false, owner: "archive", makeNode });
  } catch (err) {
    throw asStepError(err);
  }
}

function adjusted(archive: AsyncIterable<Buffer>, ownership: CopyOwnership): AsyncIterable<Buffer> {
  if (ownership.owner === undefined && ownership.mode === undefined) return archive;
  return writeTar(
    (async function* () {
      for await (const { header, body } of readTar(archive)) {
        const changed = { ...header };
        if (ownership.owner !== undefined) {
          changed.uid = ownership.owner.uid;
          changed.gid = ownership.owner.gid;
          changed.uname = "";
          changed.gname = "";
        }
        if (ownership.mode !== undefined && header.type !== TarType.symlink) changed.mode = (header.mode & ~0o7777) | ownership.mode;
        yield { header: changed, body };
      }
    })(),
  );
}

function asStepError(err: unknown): unknown {
  if (err instanceof TreeError) return new BuildStepError(err.message);
  return err;
}
