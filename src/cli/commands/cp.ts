import { counted } from "../progress.ts";
import { lstat, stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import type { ContainerPathStat, EngineClient } from "../../client/client.ts";
import { goQuote } from "../../errors.ts";
import {
  CopyError,
  baseName,
  cleanPath,
  dirName,
  getRebaseName,
  isAbsolute,
  joinPath,
  preserveTrailingDotOrSeparator,
  prepareArchiveCopy,
  splitPathDirEntry,
  type CopyInfo,
} from "../../util/archive-copy.ts";
import { ScopedTree, TreeError, packTree, unpackTar } from "../../util/scoped-tree.ts";
import { rebaseTar } from "../../util/tar.ts";
import { humanSize } from "../../util/units.ts";
import { CommandError, UsageError, type CommandContext, type CommandSpec } from "../command.ts";
import { withClient } from "../program.ts";

/** Go's os.FileMode bits in a path stat. */
const modeDir = 2 ** 31;
const modeSymlink = 2 ** 27;
const modeDevice = 2 ** 26;
const modeIrregular = 2 ** 19;

function hasBit(mode: number, bit: number): boolean {
  return Math.floor(mode / bit) % 2 === 1;
}

interface CopyConfig {
  sourcePath: string;
  destPath: string;
  followLink: boolean;
  copyUIDGID: boolean;
  quiet: boolean;
}

/** A place the engine copies from or into: a container's filesystem, or a volume's data (moor's). */
interface RemoteSide {
  kind: "container" | "volume";
  name: string;
  stat(path: string): Promise<ContainerPathStat>;
  archive(path: string): Promise<{ stat: ContainerPathStat; body: Readable }>;
  extract(path: string, archive: AsyncIterable<Buffer>, options: { copyUIDGID: boolean; noOverwriteDirNonDir: boolean }): Promise<void>;
}

function containerSide(client: EngineClient, name: string): RemoteSide {
  return {
    kind: "container",
    name,
    stat: (path) => client.containerStatPath(name, path),
    archive: (path) => client.containerArchive(name, path),
    extract: (path, archive, options) => client.containerExtract(name, path, archive, options),
  };
}

function volumeSide(client: EngineClient, name: string): RemoteSide {
  return {
    kind: "volume",
    name,
    stat: (path) => client.volumeStatPath(name, path),
    archive: (path) => client.volumeArchive(name, path),
    extract: (path, archive, options) => client.volumeExtract(name, path, archive, options),
  };
}

/**
 * docker cp (docker/cli cli/command/container/cp.go): the engine only stats, archives and
 * extracts into a directory; which directory and under which name is decided here.
 */
const cp: CommandSpec = {
  path: ["cp"],
  aliases: [["container", "cp"]],
  usage: "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tmoor cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
  description: `Copy files/folders between a container and the local filesystem

Use '-' as the source to read a tar archive from stdin
and extract it to a directory destination in a container.
Use '-' as the destination to stream a tar archive of a
container source to stdout.`,
  examples: `moor cp web:/etc/nginx/nginx.conf .      # a file out of a container
moor cp ./site web:/usr/share/nginx/html   # a directory into one
moor cp web:/var/log - | tar -t           # a tar stream`,
  flags: [
    { long: "archive", short: "a", type: "bool", usage: "Archive mode (copy all uid/gid information)" },
    { long: "follow-link", short: "L", type: "bool", usage: "Always follow symbol link in SRC_PATH" },
    { long: "quiet", short: "q", type: "bool", usage: "Suppress progress output during copy. Progress\noutput is automatically suppressed if no terminal\nis attached" },
  ],
  async run(ctx, args, flags) {
    // cobra's ExactArgs(2), checked here: the shared check words an exact count as a range.
    if (args.length !== 2) throw new UsageError(`'moor cp' requires 2 arguments`, 1, "Run", true);
    const { sourceName, sourcePath, destName, destPath } = splitCopyArgs(args);
    const config = copyConfig(ctx, flags, sourcePath, destPath, Boolean(flags.archive));
    if (sourceName !== "" && destName !== "") throw new CommandError("copying between containers is not supported");
    if (sourceName === "" && destName === "") throw new CommandError("must specify at least one container source");
    return withClient(ctx, (client) =>
      sourceName !== "" ? copyFromRemote(ctx, containerSide(client, sourceName), config) : copyToRemote(ctx, containerSide(client, destName), config, undefined),
    );
  },
};

/**
 * moor's own: docker cp's rules between a volume's data and the local filesystem (or another
 * volume), without a container. Paths in a volume are from its root.
 */
const volumeCp: CommandSpec = {
  path: ["volume", "cp"],
  usage: "[OPTIONS] VOLUME:SRC_PATH DEST_PATH|-\n\tmoor volume cp [OPTIONS] SRC_PATH|- VOLUME:DEST_PATH\n\tmoor volume cp [OPTIONS] VOLUME:SRC_PATH VOLUME:DEST_PATH",
  description: `Copy files/folders between a volume and the local filesystem, or between volumes

No container is needed: the copy sees the volume's data as a container
that mounts it at / would, so symlinks in the volume never lead out of it.
Files copied in keep their owners, modes and times; directories are merged.
Use '-' as the source to read a tar archive from stdin, or as the
destination to write one to stdout.`,
  examples: `moor volume cp ./seed.sql db-data:/initdb/          # a file into a volume
moor volume cp db-data:/ ./db-copy                   # a whole volume out
moor volume cp db-data:/conf other-data:/conf        # between volumes
tar -c site | moor volume cp - web-data:/            # a tar stream in`,
  flags: [
    { long: "follow-link", short: "L", type: "bool", usage: "Always follow symbol link in SRC_PATH" },
    { long: "quiet", short: "q", type: "bool", usage: "Suppress progress output during copy. Progress\noutput is automatically suppressed if no terminal\nis attached" },
  ],
  async run(ctx, args, flags) {
    if (args.length !== 2) throw new UsageError(`'moor volume cp' requires 2 arguments`, 1, "Run", true);
    const { sourceName, sourcePath, destName, destPath } = splitCopyArgs(args);
    const config = copyConfig(ctx, flags, sourcePath, destPath, false);
    if (sourceName === "" && destName === "") throw new CommandError("must specify at least one volume: VOLUME:PATH");
    return withClient(ctx, (client) => {
      if (destName === "") return copyFromRemote(ctx, volumeSide(client, sourceName), config);
      return copyToRemote(ctx, volumeSide(client, destName), config, sourceName === "" ? undefined : volumeSide(client, sourceName));
    });
  },
};

export const cpCommands: CommandSpec[] = [cp, volumeCp];

function splitCopyArgs(args: string[]): { sourceName: string; sourcePath: string; destName: string; destPath: string } {
  if (args[0] === "") throw new CommandError("source can not be empty");
  if (args[1] === "") throw new CommandError("destination can not be empty");
  const [sourceName, sourcePath] = splitCpArg(args[0]);
  const [destName, destPath] = splitCpArg(args[1]);
  return { sourceName, sourcePath, destName, destPath };
}

function copyConfig(ctx: CommandContext, flags: Record<string, unknown>, sourcePath: string, destPath: string, copyUIDGID: boolean): CopyConfig {
  // Without -q, progress is shown only to a terminal (docker decides on stdout).
  const quiet = flags.quiet === undefined ? !(ctx.stdout as { isTTY?: boolean }).isTTY : Boolean(flags.quiet);
  return { sourcePath, destPath, followLink: Boolean(flags["follow-link"]), copyUIDGID, quiet };
}

/**
 * `CONTAINER:PATH` or a local path. A local path with a colon must start with "/" or ".", as
 * with scp (`./file:name.txt`).
 */
export function splitCpArg(arg: string): [string, string] {
  if (isAbsolute(arg)) return ["", arg];
  const colon = arg.indexOf(":");
  if (colon === -1 || arg.startsWith(".")) return ["", arg];
  return [arg.slice(0, colon), arg.slice(colon + 1)];
}

/**
 * The remote source's archive, with -L's rebase: a symlink followed to its target, whose
 * entries then take the link's name.
 */
async function remoteSource(remote: RemoteSide, config: CopyConfig): Promise<{ source: CopyInfo; body: Readable; archive: AsyncIterable<Buffer> }> {
  let sourcePath = config.sourcePath;
  let rebaseName = "";
  if (config.followLink) {
    const sourceStat = await remote.stat(sourcePath).catch(() => undefined);
    if (sourceStat !== undefined && hasBit(sourceStat.mode, modeSymlink)) {
      let linkTarget = sourceStat.linkTarget;
      if (!isAbsolute(linkTarget)) linkTarget = joinPath(splitPathDirEntry(sourcePath)[0], linkTarget);
      [linkTarget, rebaseName] = getRebaseName(sourcePath, linkTarget);
      sourcePath = linkTarget;
    }
  }
  const { stat, body } = await remote.archive(sourcePath);
  const source: CopyInfo = { path: sourcePath, exists: true, isDir: hasBit(stat.mode, modeDir), rebaseName };
  const archive = rebaseName === "" ? body : rebaseTar(body, splitPathDirEntry(source.path)[1], rebaseName);
  return { source, body, archive };
}

async function copyFromRemote(ctx: CommandContext, remote: RemoteSide, config: CopyConfig): Promise<number> {
  let destPath = config.destPath;
  if (destPath !== "-") destPath = resolveLocalPath(destPath);
  await validateOutputPath(destPath);

  const { source, body, archive } = await remoteSource(remote, config);
  try {
    if (destPath === "-") {
      for await (const chunk of body) await write(ctx.stdout, chunk);
      return 0;
    }
    if (config.quiet) {
      await copyTo(archive, source, destPath);
      return 0;
    }
    const counter = { bytes: 0 };
    const progress = showProgress(ctx.stderr, `Copying from ${remote.kind} - `, counter);
    // docker reports the bytes copied even when the copy failed, then the error.
    const result = await copyTo(counted(archive, counter), source, destPath).then(
      () => undefined,
      (err: unknown) => err,
    );
    progress.stop();
    ctx.stderr.write(`Successfully copied ${humanSize(counter.bytes, 3)} to ${destPath}\n`);
    if (result !== undefined) throw result;
    return 0;
  } catch (err) {
    throw localError(err);
  } finally {
    body.destroy();
  }
}

/** Into `remote`: from the local path or stdin, or (volume to volume) from another remote side. */
async function copyToRemote(ctx: CommandContext, remote: RemoteSide, config: CopyConfig, sourceRemote: RemoteSide | undefined): Promise<number> {
  let sourcePath = config.sourcePath;
  const destPath = config.destPath;
  if (sourcePath !== "-" && sourceRemote === undefined) sourcePath = resolveLocalPath(sourcePath);
  const shown = `${remote.name}:${destPath}`;

  // What the destination is decides where the archive is extracted; a failed stat means it
  // does not exist (yet), and the extraction reports any real problem.
  const destination: CopyInfo = { path: destPath, exists: false, isDir: false, rebaseName: "" };
  let destStat: ContainerPathStat | undefined = await remote.stat(destPath).catch(() => undefined);
  if (destStat !== undefined && hasBit(destStat.mode, modeSymlink)) {
    let linkTarget = destStat.linkTarget;
    if (!isAbsolute(linkTarget)) linkTarget = joinPath(splitPathDirEntry(destPath)[0], linkTarget);
    destination.path = linkTarget;
    destStat = await remote.stat(linkTarget).catch(() => undefined);
  }
  const modeProblem = fileModeProblem(destStat?.mode ?? 0);
  if (modeProblem !== undefined) throw new CommandError(`destination "${shown}" must be a directory or a regular file: ${modeProblem}`);
  if (destStat !== undefined) {
    destination.exists = true;
    destination.isDir = hasBit(destStat.mode, modeDir);
  }

  let content: AsyncIterable<Buffer>;
  let extractTo: string;
  let remoteBody: Readable | undefined;
  if (sourcePath === "-") {
    if (!destination.isDir) throw new CommandError(`destination "${shown}" must be a directory`);
    content = ctx.stdin as AsyncIterable<Buffer>;
    extractTo = destination.path;
  } else if (sourceRemote !== undefined) {
    const { source, body, archive } = await remoteSource(sourceRemote, { ...config, sourcePath });
    remoteBody = body;
    const prepared = prepareArchiveCopy(archive, source, destination);
    extractTo = prepared.directory;
    content = prepared.archive;
  } else {
    try {
      const source = await copyInfoSourcePath(sourcePath, config.followLink);
      const prepared = prepareArchiveCopy(tarResource(source), source, destination);
      extractTo = prepared.directory;
      content = prepared.archive;
    } catch (err) {
      throw localError(err);
    }
  }

  const options = { copyUIDGID: config.copyUIDGID, noOverwriteDirNonDir: true };
  try {
    if (config.quiet) {
      await remote.extract(extractTo, content, options).catch((err: unknown) => {
        throw localError(err);
      });
      return 0;
    }
    const counter = { bytes: 0 };
    const progress = showProgress(ctx.stderr, `Copying to ${remote.kind} - `, counter);
    const result = await remote.extract(extractTo, counted(content, counter), options).then(
      () => undefined,
      (err: unknown) => err,
    );
    progress.stop();
    ctx.stderr.write(`Successfully copied ${humanSize(counter.bytes, 3)} to ${remote.name}:${destination.path}\n`);
    if (result !== undefined) throw localError(result);
    return 0;
  } finally {
    remoteBody?.destroy();
  }
}

/** The absolute form of a local path, keeping a trailing "/" or "/.". */
function resolveLocalPath(path: string): string {
  return preserveTrailingDotOrSeparator(cleanPath(resolve(path)), path);
}

/** docker's ValidateOutputPath: the parent must exist; an existing target must be a directory or a file. */
async function validateOutputPath(path: string): Promise<void> {
  const dir = dirName(cleanPath(path));
  if (dir !== "" && dir !== ".") {
    const missing = await stat(dir).then(
      () => false,
      (err: NodeJS.ErrnoException) => err.code === "ENOENT",
    );
    if (missing) throw new CommandError(`invalid output path: directory ${goQuote(dir)} does not exist`);
  }
  let stats;
  try {
    stats = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new CommandError(goErrorText(err));
  }
  if (stats.isDirectory() || stats.isFile()) return;
  const problem = stats.isBlockDevice() || stats.isCharacterDevice() ? "got a device" : undefined;
  if (problem !== undefined) throw new CommandError(`invalid output path: ${goQuote(path)} must be a directory or a regular file: ${problem}`);
}

/** docker's ValidateOutputPathFileMode on a Go file mode. */
function fileModeProblem(mode: number): string | undefined {
  if (hasBit(mode, modeDevice)) return "got a device";
  if (hasBit(mode, modeIrregular)) return "got an irregular file";
  return undefined;
}

/**
 * go-archive's CopyInfoSourcePath: symlinks before the last component resolved (the last one
 * too with -L, then the archive keeps the link's name).
 */
async function copyInfoSourcePath(path: string, followLink: boolean): Promise<CopyInfo> {
  let resolved: string;
  let rebaseName = "";
  if (followLink) {
    [resolved, rebaseName] = getRebaseName(path, await evalSymlinks(path));
  } else {
    const slash = path.lastIndexOf("/");
    const base = path.slice(slash + 1);
    // Joined as Go joins them here: "/" and "x" make "//x".
    resolved = `${await evalSymlinks(path.slice(0, slash + 1))}/${base}`;
    if (path.endsWith("/") && baseName(path) !== baseName(resolved)) rebaseName = baseName(path);
  }
  try {
    const stats = await lstat(resolved);
    return { path: resolved, exists: true, isDir: stats.isDirectory(), rebaseName };
  } catch (err) {
    throw new CommandError(goErrorText(err));
  }
}

/** Go's filepath.EvalSymlinks on the local filesystem, with its error texts. */
async function evalSymlinks(path: string): Promise<string> {
  const tree = await ScopedTree.open("/");
  try {
    const located = await tree.locate(cleanPath(path), { followFinal: true });
    try {
      await tree.lstat(located);
      return located.path;
    } finally {
      await tree.release(located);
    }
  } finally {
    await tree.close();
  }
}

/** go-archive's TarResource: the source named after its last component (or its rebase name). */
async function* tarResource(source: CopyInfo): AsyncGenerator<Buffer> {
  const [sourceDir, sourceBase] = splitPathDirEntry(source.path);
  const tree = await ScopedTree.open("/");
  try {
    const located = await tree.locate(`${sourceDir}/${sourceBase}`);
    try {
      const topName = source.rebaseName === "" ? sourceBase : source.rebaseName === "/" ? "" : source.rebaseName;
      yield* packTree(tree, located, topName);
    } finally {
      await tree.release(located);
    }
  } finally {
    await tree.close();
  }
}

/**
 * go-archive's CopyTo: the destination need not exist but its parent must; the archive is
 * extracted with the local user as owner, never replacing a directory by a file or the reverse.
 */
async function copyTo(archive: AsyncIterable<Buffer>, source: CopyInfo, destPath: string): Promise<void> {
  const destination = await copyInfoDestinationPath(destPath);
  const prepared = prepareArchiveCopy(archive, source, destination);
  const tree = await ScopedTree.open(prepared.directory);
  try {
    await unpackTar(tree, "/", prepared.archive, { noOverwriteDirNonDir: true, owner: "unchanged", displayRoot: prepared.directory });
  } finally {
    await tree.close();
  }
}

/** go-archive's CopyInfoDestinationPath: symlinks followed to the end (up to 10 of them). */
async function copyInfoDestinationPath(original: string): Promise<CopyInfo> {
  let path = original;
  let stats = await lstat(path).catch((err: NodeJS.ErrnoException) => err);
  for (let hops = 0; !(stats instanceof Error) && stats.isSymbolicLink(); hops++) {
    if (hops > 10) throw new CommandError(`too many symlinks in ${original}`);
    const { readlink } = await import("node:fs/promises");
    let target = await readlink(path);
    if (!isAbsolute(target)) target = joinPath(splitPathDirEntry(path)[0], target);
    path = target;
    stats = await lstat(path).catch((err: NodeJS.ErrnoException) => err);
  }
  if (!(stats instanceof Error)) return { path, exists: true, isDir: stats.isDirectory(), rebaseName: "" };
  if (stats.code !== "ENOENT") throw new CommandError(goErrorText(stats));
  const [parent] = splitPathDirEntry(path);
  let parentStats;
  try {
    parentStats = await stat(parent);
  } catch (err) {
    throw new CommandError(goErrorText(err));
  }
  if (!parentStats.isDirectory()) throw new CommandError("not a directory");
  return { path, exists: false, isDir: false, rebaseName: "" };
}

/** Local failures print as docker prints them: the bare message. */
function localError(err: unknown): unknown {
  if (err instanceof CopyError || err instanceof TreeError) return new CommandError(err.message);
  if ((err as NodeJS.ErrnoException | undefined)?.syscall !== undefined) return new CommandError(goErrorText(err));
  return err;
}

/** A Node file system error as Go words it: `lstat /path: no such file or directory`. */
function goErrorText(err: unknown): string {
  const error = err as NodeJS.ErrnoException;
  if (error.syscall === undefined || error.code === undefined) return String(error.message ?? err);
  const description = error.message.startsWith(`${error.code}: `) ? error.message.slice(error.code.length + 2).split(", ")[0] : error.message;
  return error.path === undefined ? `${error.syscall}: ${description}` : `${error.syscall} ${error.path}: ${description}`;
}

function write(stream: NodeJS.WritableStream, chunk: Buffer): Promise<void> {
  return new Promise((resolveWrite, reject) => {
    if (stream.write(chunk, (err) => (err ? reject(err) : undefined))) resolveWrite();
    else stream.once("drain", () => resolveWrite());
  });
}

/**
 * docker's progress line on a terminal: "Copying to container - 1.23MB" updated as bytes go,
 * erased at the end (cursor saved and restored with ANSI escapes). Nothing elsewhere.
 */
function showProgress(stream: NodeJS.WritableStream, header: string, counter: { bytes: number }): { stop(): void } {
  if (!(stream as { isTTY?: boolean }).isTTY) return { stop() {} };
  const escape = "\x1b[";
  stream.write(`${escape}s` + "Preparing to copy...");
  stream.write(`${escape}?25l${escape}u${escape}2K${header}${humanSize(0, 3)}`);
  let last = 0;
  const timer = setInterval(() => {
    if (counter.bytes === last) return;
    last = counter.bytes;
    stream.write(`${escape}${header.length + 1}G${escape}0K${humanSize(last, 3)}`);
  }, 75);
  return {
    stop() {
      clearInterval(timer);
      stream.write(`${escape}?25h${escape}u${escape}2K`);
    },
  };
}
