import { createHash } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { chmod, chown, copyFile, lstat, mkdir, readdir, unlink, utimes } from "node:fs/promises";
import { join, posix } from "node:path";
import { makeNode } from "../tree-archive.ts";
import { ScopedTree, TreeError, unpackTar, type Located } from "../../util/scoped-tree.ts";
import { resolveInRoot } from "../containers/rootfs.ts";
import { pipeCommands, runCommand, streamOutput } from "../runtime/command.ts";
import { readTar, tarHeader, writeTar, TarType } from "../../util/tar.ts";
import { BuildStepError } from "./errors.ts";

/**
 * COPY and ADD's file work: finding the sources (globs as Go's filepath.Match reads them,
 * symlinks followed inside their root only), hashing them for the cache, and writing them into
 * the step's layer. Plain copies resolve their destination in the mounted root, then write into
 * the unmounted upper directory with GNU tar (the fast path, for big contexts); archives,
 * downloads and heredocs go through a ScopedTree over the mounted root. Neither a hostile
 * context nor a hostile image can lead a copy outside its root.
 */

export interface CopyItem {
  /** Where the source is in its root ("/dir/file"), symlinks resolved. */
  path: string;
  /** Its name as the instruction reached it: a copied symlink's own, not its target's (dockerd's). */
  name: string;
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
    return { path: located.path, name: posix.basename(path), isDirectory: stats.isDirectory(), original };
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
 * times, as tarsum leaves them out), for the step's cache key. `item.path` is resolved inside
 * `root`, so GNU tar reads from it without leaving the root (it archives symlinks as links).
 */
export async function sourceDigest(root: string, item: CopyItem): Promise<string> {
  const hash = createHash("sha256");
  if (!item.isDirectory) {
    // One file is hashed in-process: a tar process would cost more than the file.
    const stats = await lstat(join(root, item.path));
    hash.update(JSON.stringify([item.name, stats.mode, stats.uid, stats.gid, stats.size]));
    for await (const chunk of createReadStream(join(root, item.path))) hash.update(chunk);
    return `file:${hash.digest("hex")}`;
  }
  for await (const chunk of streamOutput("tar", ["-c", "-f", "-", "-C", join(root, item.path), "--sort=name", "--mtime=@0", "--numeric-owner", "."])) hash.update(chunk);
  return `dir:${hash.digest("hex")}`;
}

/** A destination directory resolved in the mounted root, with the directories on its way as that root shows them. */
export interface DirectoryPlan {
  /** In-root path, symlinks resolved. */
  path: string;
  /** Each directory from the top down; `stats` undefined for one that does not exist yet. */
  components: Array<{ path: string; stats?: { mode: number; uid: number; gid: number } }>;
}

/**
 * Resolves `directory` inside the mounted root (an image's symlinks lead to their targets in
 * the root, never out of it) and notes the owner and mode of each existing directory on the
 * way, so the copy can recreate them in the upper directory as overlayfs's copy-up would.
 */
export async function planDirectory(rootfs: string, directory: string): Promise<DirectoryPlan> {
  const resolved = (await resolveInRoot(rootfs, directory)).slice(rootfs.length) || "/";
  const components: DirectoryPlan["components"] = [];
  let path = "/";
  for (const part of resolved.split("/").filter((p) => p !== "")) {
    path = posix.join(path, part);
    const stats = await lstat(join(rootfs, path)).catch(() => undefined);
    if (stats !== undefined && !stats.isDirectory()) throw new BuildStepError(`cannot copy to ${directory}: ${path} is not a directory`);
    components.push({ path, stats: stats === undefined ? undefined : { mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid } });
  }
  return { path: resolved, components };
}

/**
 * Makes the planned directory in the (unmounted) upper directory and returns its host path.
 * Every component must be a real directory there: a symlink an earlier copy of this step
 * made is refused rather than followed.
 */
export async function ensureUpperDirectory(upper: string, plan: DirectoryPlan, ownerOfNew: { uid: number; gid: number }): Promise<string> {
  for (const component of plan.components) {
    const path = join(upper, component.path);
    const existing = await lstat(path).catch(() => undefined);
    if (existing !== undefined) {
      if (!existing.isDirectory()) throw new BuildStepError(`cannot copy to ${plan.path}: ${component.path} is not a directory`);
      continue;
    }
    await mkdir(path, { mode: 0o755 });
    const owner = component.stats ?? ownerOfNew;
    await chown(path, owner.uid, owner.gid);
    if (component.stats !== undefined) await chmod(path, component.stats.mode);
  }
  return join(upper, plan.path);
}

/**
 * Copies one source into `directory` of the upper directory: a directory's content (GNU tar
 * from the source into the target, owners and modes as asked; `directory` itself keeps its
 * own), or a file under `fileName`. `linkable`: the source may be hard-linked instead (owners
 * and modes stay as they are).
 */
export async function copyIntoUpper(root: string, item: CopyItem, directory: string, fileName: string | undefined, ownership: CopyOwnership, linkable: boolean): Promise<void> {
  const source = join(root, item.path);
  if (item.isDirectory) {
    // A directory's content goes into the target; the target keeps its own owner and mode (moby
    // skips the archive's "." entry where the target exists): `cp -a src/.` and tar's "./" would
    // give it the source's, the build context's 0700 for `COPY . .`.
    const target = await lstat(directory);
    await copyDirectoryContent(source, directory, ownership, linkable);
    await chown(directory, target.uid, target.gid);
    await chmod(directory, target.mode & 0o7777);
    // Changed now, as the entries made in it would leave it (the copy gave it the source's time).
    const now = new Date();
    await utimes(directory, now, now);
    return;
  }
  const target = join(directory, fileName ?? item.name);
  const existing = await lstat(target).catch(() => undefined);
  if (existing?.isDirectory()) throw new BuildStepError(`cannot copy to ${target.slice(directory.length)}: it is a directory`);
  if (existing !== undefined) await unlink(target);
  const stats = await lstat(source);
  await copyFile(source, target, constants.COPYFILE_FICLONE);
  const owner = ownership.owner ?? { uid: stats.uid, gid: stats.gid };
  await chown(target, owner.uid, owner.gid);
  await chmod(target, ownership.mode ?? stats.mode & 0o7777);
  await utimes(target, stats.atime, stats.mtime);
}

async function copyDirectoryContent(source: string, directory: string, ownership: CopyOwnership, linkable: boolean): Promise<void> {
  if (linkable) {
    // The build's own unpacked context, already owned by root and deleted after the build: its
    // files become the layer's by hard links, without writing them again.
    await runCommand("cp", ["-a", "-l", "--remove-destination", "--no-target-directory", `${source}/.`, directory]).catch((err: unknown) => {
      throw new BuildStepError(`failed to copy files: ${(err as Error).message}`);
    });
    return;
  }
  const adjust = [
    ...(ownership.owner === undefined ? [] : [`--owner=${ownership.owner.uid}`, `--group=${ownership.owner.gid}`]),
    ...(ownership.mode === undefined ? [] : [`--mode=${ownership.mode.toString(8)}`]),
  ];
  await pipeCommands(
    ["tar", ["-c", "-f", "-", "-C", source, "--numeric-owner", ...adjust, "."]],
    ["tar", ["-x", "-f", "-", "-C", directory, "--numeric-owner", "--same-owner", "--same-permissions"]],
  ).catch((err: unknown) => {
    throw new BuildStepError(`failed to copy files: ${(err as Error).message}`);
  });
}

/** Writes an inline file (a heredoc's content, a downloaded URL) at `destination`. */
export async function writeInlineFile(target: ScopedTree, file: InlineFile, destination: string, ownership: CopyOwnership): Promise<void> {
  const header = tarHeader({ name: posix.basename(destination), type: TarType.file, mode: file.mode, size: file.data.length, mtime: file.mtime });
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
