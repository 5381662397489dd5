import { counted } from "../progress.ts";
import { lstat, stat } from "node:fs/promises";
import { resolve } from "node:path";
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
  container: string;
  sourcePath: string;
  destPath: string;
  followLink: boolean;
  copyUIDGID: boolean;
  quiet: boolean;
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
    if (args[0] === "") throw new CommandError("source can not be empty");
    if (args[1] === "") throw new CommandError("destination can not be empty");
    const [sourceContainer, sourcePath] = splitCpArg(args[0]);
    const [destContainer, destPath] = splitCpArg(args[1]);
    // Without -q, progress is shown only to a terminal (docker decides on stdout).
    const quiet = flags.quiet === undefined ? !(ctx.stdout as { isTTY?: boolean }).isTTY : Boolean(flags.quiet);
    const config = { sourcePath, destPath, followLink: Boolean(flags["follow-link"]), copyUIDGID: Boolean(flags.archive), quiet };
    if (sourceContainer !== "" && destContainer !== "") throw new CommandError("copying between containers is not supported");
    if (sourceContainer === "" && destContainer === "") throw new CommandError("must specify at least one container source");
    return withClient(ctx, (client) =>
      sourceContainer !== "" ? copyFromContainer(ctx, client, { ...config, container: sourceContainer }) : copyToContainer(ctx, client, { ...config, container: destContainer }),
    );
  },
};

export const cpCommands: CommandSpec[] = [cp];

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

async function copyFromContainer(ctx: CommandContext, client: EngineClient, config: CopyConfig): Promise<number> {
  let destPath = config.destPath;
  let sourcePath = config.sourcePath;
  if (destPath !== "-") destPath = resolveLocalPath(destPath);
  await validateOutputPath(destPath);

  let rebaseName = "";
  if (config.followLink) {
    const sourceStat = await client.containerStatPath(config.container, sourcePath).catch(() => undefined);
    if (sourceStat !== undefined && hasBit(sourceStat.mode, modeSymlink)) {
      let linkTarget = sourceStat.linkTarget;
      if (!isAbsolute(linkTarget)) linkTarget = joinPath(splitPathDirEntry(sourcePath)[0], linkTarget);
      [linkTarget, rebaseName] = getRebaseName(sourcePath, linkTarget);
      sourcePath = linkTarget;
    }
  }

  const { stat: sourceStat, body } = await client.containerArchive(config.container, sourcePath);
  try {
    if (destPath === "-") {
      for await (const chunk of body) await write(ctx.stdout, chunk);
      return 0;
    }
    const source: CopyInfo = { path: sourcePath, exists: true, isDir: hasBit(sourceStat.mode, modeDir), rebaseName };
    const counter = { bytes: 0 };
    let archive: AsyncIterable<Buffer> = config.quiet ? body : counted(body, counter);
    if (rebaseName !== "") archive = rebaseTar(archive, splitPathDirEntry(source.path)[1], rebaseName);
    if (config.quiet) {
      await copyTo(archive, source, destPath);
      return 0;
    }
    const progress = showProgress(ctx.stderr, "Copying from container - ", counter);
    // docker reports the bytes copied even when the copy failed, then the error.
    const result = await copyTo(archive, source, destPath).then(
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

async function copyToContainer(ctx: CommandContext, client: EngineClient, config: CopyConfig): Promise<number> {
  let sourcePath = config.sourcePath;
  const destPath = config.destPath;
  if (sourcePath !== "-") sourcePath = resolveLocalPath(sourcePath);

  // What the destination is decides where the archive is extracted; a failed stat means it
  // does not exist (yet), and the extraction reports any real problem.
  const destination: CopyInfo = { path: destPath, exists: false, isDir: false, rebaseName: "" };
  let destStat: ContainerPathStat | undefined = await client.containerStatPath(config.container, destPath).catch(() => undefined);
  if (destStat !== undefined && hasBit(destStat.mode, modeSymlink)) {
    let linkTarget = destStat.linkTarget;
    if (!isAbsolute(linkTarget)) linkTarget = joinPath(splitPathDirEntry(destPath)[0], linkTarget);
    destination.path = linkTarget;
    destStat = await client.containerStatPath(config.container, linkTarget).catch(() => undefined);
  }
  const modeProblem = fileModeProblem(destStat?.mode ?? 0);
  if (modeProblem !== undefined) throw new CommandError(`destination "${config.container}:${destPath}" must be a directory or a regular file: ${modeProblem}`);
  if (destStat !== undefined) {
    destination.exists = true;
    destination.isDir = hasBit(destStat.mode, modeDir);
  }

  const counter = { bytes: 0 };
  let content: AsyncIterable<Buffer>;
  let extractTo: string;
  if (sourcePath === "-") {
    if (!destination.isDir) throw new CommandError(`destination "${config.container}:${destPath}" must be a directory`);
    content = ctx.stdin as AsyncIterable<Buffer>;
    extractTo = destination.path;
  } else {
    try {
      const source = await copyInfoSourcePath(sourcePath, config.followLink);
      const prepared = prepareArchiveCopy(tarResource(source), source, destination);
      extractTo = prepared.directory;
      content = config.quiet ? prepared.archive : counted(prepared.archive, counter);
    } catch (err) {
      throw localError(err);
    }
  }

  const options = { copyUIDGID: config.copyUIDGID, noOverwriteDirNonDir: true };
  if (config.quiet) {
    await client.containerExtract(config.container, extractTo, content, options);
    return 0;
  }
  const progress = showProgress(ctx.stderr, "Copying to container - ", counter);
  const result = await client.containerExtract(config.container, extractTo, content, options).then(
    () => undefined,
    (err: unknown) => err,
  );
  progress.stop();
  ctx.stderr.write(`Successfully copied ${humanSize(counter.bytes, 3)} to ${config.container}:${destination.path}\n`);
  if (result !== undefined) throw localError(result);
  return 0;
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
