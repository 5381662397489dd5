import type { Dirent } from "node:fs";
import { lstat, open, readdir, readFile, readlink, stat, type FileHandle } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join, relative, resolve } from "node:path";
import { goQuote } from "../errors.ts";
import { cleanPath } from "../util/archive-copy.ts";
import { PatternMatcher, readIgnoreFile, trimBuildFilesFromExcludes, type MatchInfo } from "../util/dockerignore.ts";
import { goErrnoText } from "../util/go-errno.ts";
import { readAll } from "../util/read-all.ts";
import { peekHead } from "../util/stream-head.ts";
import { readTar, tarHeader, TarType, writeTar, type TarEntryToWrite, type TarHeader } from "../util/tar.ts";
import { CommandError } from "./command.ts";
import { namePath, nameText } from "../util/name-text.ts";

/**
 * The client side of `docker build` with the legacy builder (docker/cli's runBuild and its
 * helpers in cli/command/image/build): which directory and Dockerfile a build uses, what
 * .dockerignore leaves out, and the tar stream sent as the body of POST /build, as
 * go-archive's TarWithOptions writes it. Error texts are those of docker 28, the reference CLI.
 */

/** A build context that cannot be prepared; the message is docker's, printed as is. */
export class BuildContextError extends CommandError {}

export interface BuildContextOptions {
  /** The PATH | URL | - argument. */
  context: string;
  /** -f/--file as given: a path relative to `cwd` (not to the context), or "-" for stdin. */
  dockerfile?: string;
  /** What relative paths are relative to; the process's working directory by default. */
  cwd?: string;
  /** Read when the context or the Dockerfile is "-". */
  stdin?: AsyncIterable<Buffer>;
}

export interface BuildContext {
  /** The request body: a tar stream (or, from stdin, whatever stdin holds when it is compressed). */
  body: AsyncIterable<Buffer>;
  /** The `dockerfile` query parameter: the Dockerfile's path in the archive; the CLI leaves the parameter out when it is "" (the daemon then reads "Dockerfile"). */
  dockerfile: string;
}

/** go-archive's compression.Detect magic numbers: a stream starting with one is an archive. */
const compressedMagic = [[0x42, 0x5a, 0x68], [0x1f, 0x8b, 0x08], [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], [0x28, 0xb5, 0x2f, 0xfd]];

/** The CLI sends a remote context's content itself after downloading or cloning it; moor does not do that yet. */
function isRemoteContext(context: string): boolean {
  return /^(https?:\/\/|git:\/\/|git@|github\.com\/)/.test(context);
}

/** What docker build sends, for each kind of context (runBuild's legacy path). */
export async function prepareBuildContext(options: BuildContextOptions): Promise<BuildContext> {
  const cwd = options.cwd ?? process.cwd();
  const dockerfileFromStdin = options.dockerfile === "-";
  if (options.context === "-") {
    if (dockerfileFromStdin) throw new BuildContextError("invalid argument: can't use stdin for both build context and dockerfile");
    return contextFromStdin(options.stdin ?? process.stdin, options.dockerfile ?? "");
  }
  // Any existing path is a local context; a file fails below, as "context must be a directory".
  const isLocal = options.context !== "" && (await stat(resolve(cwd, options.context)).then(
    () => true,
    () => false,
  ));
  if (!isLocal) {
    if (isRemoteContext(options.context)) throw new BuildContextError(`unable to prepare context: remote build contexts are not supported: ${options.context}`);
    throw new BuildContextError(`unable to prepare context: path ${goQuote(options.context)} not found`);
  }

  const { contextDir, relDockerfile } = await localContext(options.context, options.dockerfile ?? "", cwd);
  // A Dockerfile outside the context is sent inside it, under a name of its own.
  let extraDockerfile: Buffer | undefined;
  if (dockerfileFromStdin) extraDockerfile = await readAll(options.stdin ?? process.stdin);
  else if (relDockerfile.startsWith("../")) {
    const given = options.dockerfile ?? "";
    // Without -f, a Dockerfile that is a symlink out of the context fails: the CLI opens "".
    if (given === "") throw new BuildContextError("unable to open Dockerfile: open : no such file or directory");
    extraDockerfile = await readFile(resolve(cwd, given)).catch((err: unknown) => {
      throw new BuildContextError(`unable to open Dockerfile: ${goErrorText(err, given)}`);
    });
  }

  const excludes = await readDockerignore(contextDir);
  await validateContextDirectory(contextDir, excludes);
  let matcher: PatternMatcher;
  try {
    // The exceptions added for the Dockerfile can be malformed ("!a[b"): TarWithOptions fails with no prefix.
    matcher = new PatternMatcher(trimBuildFilesFromExcludes(excludes, relDockerfile, dockerfileFromStdin));
  } catch (err) {
    throw new BuildContextError((err as Error).message);
  }
  const entries = contextEntries(contextDir, matcher);
  if (extraDockerfile === undefined) return { body: writeTar(entries), dockerfile: relDockerfile };
  const name = `.dockerfile.${randomBytes(10).toString("hex")}`;
  return { body: writeTar(withDockerfile(entries, name, extraDockerfile, new Date())), dockerfile: name };
}

/**
 * The tar stream of a context directory as TarWithOptions writes it for docker build: names
 * relative and slash-separated (directories with a trailing "/"), each directory before its
 * content in byte order of names, owner 0:0, no user names, permission and set-id bits and
 * whole-second mtimes kept, symlinks as symlinks, a second name of a file as a hard link to
 * the first. An excluded directory is skipped unless an exception pattern starts with its
 * path; then its entries are walked (the directory itself is not added). Sockets and what
 * cannot be read are left out. Throws when `excludes` has a malformed pattern.
 */
export function contextArchive(contextDir: string, options: { excludes: readonly string[] }): AsyncGenerator<Buffer> {
  return writeTar(contextEntries(contextDir, new PatternMatcher(options.excludes)));
}

/** The CLI's ReadDockerignore: the patterns of `<contextDir>/.dockerignore`, none when it is missing. */
export async function readDockerignore(contextDir: string): Promise<string[]> {
  const path = join(contextDir, ".dockerignore");
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    // Go opens a directory without error and fails reading it.
    if ((err as NodeJS.ErrnoException).code === "EISDIR") throw new BuildContextError(`error reading .dockerignore: read ${path}: is a directory`);
    throw new BuildContextError(goErrorText(err, path));
  }
  try {
    return readIgnoreFile(content);
  } catch (err) {
    throw new BuildContextError(`error reading .dockerignore: ${(err as Error).message}`);
  }
}

/** GetContextFromLocalDir: the context directory with symlinks resolved, and the Dockerfile's path relative to it. */
async function localContext(context: string, dockerfile: string, cwd: string): Promise<{ contextDir: string; relDockerfile: string }> {
  const fail = (message: string) => new BuildContextError(`unable to prepare context: ${message}`);
  let contextDir: string;
  try {
    contextDir = await evalSymlinks(resolve(cwd, context));
  } catch (err) {
    throw fail(`unable to evaluate symlinks in context path: ${goErrorText(err)}`);
  }
  const info = await lstat(contextDir).catch((err: unknown) => {
    throw fail(`unable to stat context directory ${goQuote(contextDir)}: ${goErrorText(err)}`);
  });
  if (!info.isDirectory()) throw fail(`context must be a directory: ${contextDir}`);
  if (dockerfile === "-") return { contextDir, relDockerfile: "-" };

  let absDockerfile = dockerfile !== "" ? resolve(cwd, dockerfile) : join(contextDir, "Dockerfile");
  // Without -f, "dockerfile" is used when "Dockerfile" does not exist and it does.
  const missing = (path: string) => lstat(path).then(() => false, (err: NodeJS.ErrnoException) => err.code === "ENOENT");
  const present = (path: string) => lstat(path).then(() => true, () => false);
  if (dockerfile === "" && (await missing(absDockerfile)) && (await present(join(contextDir, "dockerfile")))) absDockerfile = join(contextDir, "dockerfile");
  try {
    absDockerfile = await evalSymlinks(absDockerfile);
  } catch (err) {
    throw fail(`unable to evaluate symlinks in Dockerfile path: ${goErrorText(err)}`);
  }
  return { contextDir, relDockerfile: relative(contextDir, absDockerfile) || "." };
}

/** GetContextFromReader: stdin holds an archive (sent as it is) or a Dockerfile (sent alone in an archive). */
async function contextFromStdin(stdin: AsyncIterable<Buffer>, dockerfile: string): Promise<BuildContext> {
  // docker 28 (the reference CLI); newer CLIs say "unable to prepare context from STDIN: ".
  const fail = (message: string) => new BuildContextError(`unable to prepare context: ${message}`);
  // Only the first 1024 bytes decide, as in the CLI: a PAX header whose entry starts past them makes a "Dockerfile".
  const { head: magicBytes, whole: body } = await peekHead(stdin, 1024);
  if (compressedMagic.some((magic) => magicBytes.subarray(0, magic.length).equals(Buffer.from(magic))) || (await startsWithTarHeader(magicBytes))) return { body, dockerfile };
  if (dockerfile !== "") throw fail("ambiguous Dockerfile source: both stdin and flag correspond to Dockerfiles");
  const content = await readAll(body);
  // archive.Tar of a temporary directory holding the file: no owner reset, the umask's mode.
  const header = tarHeader({ name: "Dockerfile", type: TarType.file, mode: 0o644, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, size: content.length, mtime: Math.floor(Date.now() / 1000) });
  return { body: writeTar([{ header, body: [content] }]), dockerfile: "Dockerfile" };
}

/** Whether Go's tar reader reads a first header from these bytes (what the CLI's isArchive asks). */
async function startsWithTarHeader(head: Buffer): Promise<boolean> {
  try {
    for await (const _ of readTar((async function* () {
      yield head;
    })())) return true;
  } catch {
    // Not a tar stream.
  }
  return false;
}

/**
 * ValidateContextDirectory: before archiving, the CLI walks the context (skipping what the
 * patterns exclude) and fails on what it cannot stat or read. Symlinks and FIFOs are not opened.
 */
async function validateContextDirectory(contextDir: string, excludes: readonly string[]): Promise<void> {
  // docker 28 (the reference CLI); newer CLIs say "checking context: ".
  const fail = (message: string) => new BuildContextError(`error checking context: ${message}`);
  let matcher: PatternMatcher;
  try {
    matcher = new PatternMatcher(excludes);
  } catch (err) {
    throw fail((err as Error).message);
  }
  const statError = (path: string, err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") return fail(`can't stat '${path}'`);
    if (code === "ENOENT") return fail(`file ('${path}') not found or excluded by .dockerignore`);
    return fail(goErrorText(err));
  };
  // filepath.Walk: a directory's names are read before the directory is visited, and a failure to read them fails the walk.
  const walk = async (path: string): Promise<void> => {
    const info = await lstat(namePath(path)).catch((err: unknown) => {
      throw statError(path, err);
    });
    let names: string[] = [];
    if (info.isDirectory()) names = (await directoryEntries(path).catch((err: unknown) => Promise.reject(statError(path, err)))).map((entry) => entry.name);
    const rel = relative(contextDir, path);
    let skip: boolean;
    try {
      skip = rel !== "" && matcher.matchesOrParentMatches(cleanPath(rel));
    } catch (err) {
      throw fail((err as Error).message);
    }
    if (skip || info.isSymbolicLink() || info.isFIFO()) return;
    if (!info.isDirectory()) {
      const handle = await open(namePath(path), "r").catch((err: NodeJS.ErrnoException) => {
        if (err.code === "EACCES" || err.code === "EPERM") throw fail(`no permission to read from '${path}'`);
      });
      await handle?.close();
      return;
    }
    for (const name of names) await walk(join(path, name));
  };
  await walk(contextDir);
}

/** A directory's entries, named as their bytes read (nameText): Linux names need not be UTF-8. */
async function directoryEntries(path: string): Promise<Array<{ name: string; isDirectory: boolean }>> {
  const entries = (await readdir(namePath(path), { withFileTypes: true, encoding: "buffer" })) as unknown as Array<Dirent & { name: Buffer }>;
  // Go sorts directory entries by the bytes of their names.
  return entries.sort((a, b) => Buffer.compare(a.name, b.name)).map((entry) => ({ name: nameText(entry.name), isDirectory: entry.isDirectory() }));
}

/** TarWithOptions' walk (see contextArchive): entries for writeTar. */
async function* contextEntries(root: string, matcher: PatternMatcher): AsyncGenerator<TarEntryToWrite> {
  const firstNameOfInode = new Map<bigint, string>();
  async function* walk(dir: string, parent: MatchInfo | undefined): AsyncGenerator<TarEntryToWrite> {
    let entries: Array<{ name: string; isDirectory: boolean }>;
    try {
      entries = await directoryEntries(join(root, dir));
    } catch {
      // go-archive logs what it cannot read and goes on.
      return;
    }
    for (const entry of entries) {
      const rel = dir === "" ? entry.name : `${dir}/${entry.name}`;
      const { matched, info } = matcher.matchesUsingParentResults(rel, parent);
      if (matched) {
        // An excluded directory is still walked when an exception pattern starts inside it.
        if (entry.isDirectory && matcher.patterns.some((pattern) => pattern.exclusion && `${pattern.text}/`.startsWith(`${rel}/`))) yield* walk(rel, info);
        continue;
      }
      const file = await fileEntry(root, rel, firstNameOfInode);
      if (file !== undefined) {
        try {
          yield file.entry;
        } finally {
          await file.handle?.close();
        }
      }
      if (entry.isDirectory) yield* walk(rel, info);
    }
  }
  yield* walk("", undefined);
}

const fileTypes: Record<number, string> = {
  0o100000: TarType.file,
  0o040000: TarType.directory,
  0o120000: TarType.symlink,
  0o020000: TarType.charDevice,
  0o060000: TarType.blockDevice,
  0o010000: TarType.fifo,
};

/** go-archive's addTarFile for one path: its entry (and the open file behind its body), or undefined for what is left out. */
async function fileEntry(root: string, rel: string, firstNameOfInode: Map<bigint, string>): Promise<{ entry: TarEntryToWrite; handle?: FileHandle } | undefined> {
  const path = join(root, rel);
  const bytes = namePath(path);
  try {
    const info = await lstat(bytes, { bigint: true });
    const type = fileTypes[Number(info.mode & 0o170000n)];
    // archive/tar cannot write sockets.
    if (type === undefined) return undefined;
    const header: TarHeader = tarHeader({
      name: type === TarType.directory ? `${rel}/` : rel,
      type,
      mode: Number(info.mode & 0o7777n),
      mtime: Number(floorDiv(info.mtimeNs, 1_000_000_000n)),
      linkname: type === TarType.symlink ? nameText(await readlink(bytes, { encoding: "buffer" })) : "",
    });
    if (type === TarType.charDevice || type === TarType.blockDevice) {
      // Linux's dev_t layout, as unix.Major and unix.Minor read it.
      header.devmajor = Number(((info.rdev >> 8n) & 0xfffn) | ((info.rdev >> 32n) & ~0xfffn));
      header.devminor = Number((info.rdev & 0xffn) | ((info.rdev >> 12n) & ~0xffn));
    }
    // Another name of a file already in the archive is a hard link to the first name.
    const hardLinked = type !== TarType.directory && info.nlink > 1n;
    const first = hardLinked ? firstNameOfInode.get(info.ino) : undefined;
    if (first !== undefined) return { entry: { header: { ...header, type: TarType.hardLink, linkname: first } } };
    let handle: FileHandle | undefined;
    if (type === TarType.file) {
      header.size = Number(info.size);
      if (header.size > 0) handle = await open(bytes, "r");
    }
    if (hardLinked) firstNameOfInode.set(info.ino, header.name);
    return { entry: { header, body: handle && readExactly(handle, header.size, path) }, handle };
  } catch {
    // Gone, or unreadable: go-archive logs it and goes on.
    return undefined;
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const quotient = a / b;
  return a < 0n && quotient * b !== a ? quotient - 1n : quotient;
}

/** `size` bytes of an open file: what it grew by is cut off, as Go's tar writer does; a file that shrank breaks the archive. */
async function* readExactly(handle: FileHandle, size: number, path: string): AsyncGenerator<Buffer> {
  for (let left = size; left > 0; ) {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(Math.min(left, 256 * 1024)), 0, Math.min(left, 256 * 1024), null);
    if (bytesRead === 0) throw new Error(`archive/tar: missed writing ${left} bytes of ${path}`);
    left -= bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/**
 * AddDockerfileToBuildContext: a Dockerfile from outside the context (or from stdin) goes in as
 * `name`, mode 0600, and `name` is added to .dockerignore (created when missing, listing
 * itself) so that the daemon leaves both out of the build's files.
 */
async function* withDockerfile(entries: AsyncIterable<TarEntryToWrite>, name: string, content: Buffer, now: Date): AsyncGenerator<TarEntryToWrite> {
  const mtime = Math.floor(now.getTime() / 1000);
  let ignoreSeen = false;
  for await (const entry of entries) {
    if (entry.header.name !== ".dockerignore") {
      yield entry;
      continue;
    }
    ignoreSeen = true;
    const ignore = Buffer.concat([await readAll(entry.body ?? []), Buffer.from(`\n${name}\n`)]);
    yield { header: { ...entry.header, size: ignore.length }, body: [ignore] };
  }
  yield { header: tarHeader({ name, type: TarType.file, mode: 0o600, mtime, size: content.length }), body: [content] };
  if (!ignoreSeen) {
    const ignore = Buffer.from(`.dockerignore\n${name}\n`);
    yield { header: tarHeader({ name: ".dockerignore", type: TarType.file, mode: 0o600, mtime, size: ignore.length }), body: [ignore] };
  }
}

/** Go's filepath.EvalSymlinks (walkSymlinks) for an absolute path, with its errors. */
async function evalSymlinks(path: string): Promise<string> {
  let dest = "/";
  let linksWalked = 0;
  for (let start = 1, end = 1; start < path.length; start = end) {
    while (start < path.length && path[start] === "/") start++;
    end = start;
    while (end < path.length && path[end] !== "/") end++;
    const part = path.slice(start, end);
    if (part === "" || part === ".") continue;
    if (part === "..") {
      // Go keeps a ".." after a top-level name ("/a/.."), for lstat to resolve.
      const slash = dest.lastIndexOf("/");
      if (slash < 1 || dest.slice(slash + 1) === "..") dest = `${dest.length > 1 ? `${dest}/` : dest}..`;
      else dest = dest.slice(0, slash);
      continue;
    }
    dest = dest.endsWith("/") ? dest + part : `${dest}/${part}`;
    const info = await lstat(dest);
    if (!info.isSymbolicLink()) {
      if (!info.isDirectory() && end < path.length) throw new Error("not a directory");
      continue;
    }
    if (++linksWalked > 255) throw new Error("EvalSymlinks: too many links");
    const link = await readlink(dest);
    path = link + path.slice(end);
    if (link.startsWith("/")) {
      dest = "/";
      end = 1;
    } else {
      // A relative target replaces the link's own name.
      dest = dest.slice(0, Math.max(dest.lastIndexOf("/"), 1));
      end = 0;
    }
  }
  return cleanPath(dest);
}

/** A Node file system error as Go's *PathError prints it ("lstat /x: no such file or directory"). */
function goErrorText(err: unknown, path?: string): string {
  const { code, syscall, path: errPath } = err as NodeJS.ErrnoException;
  const text = goErrnoText(code);
  if (text === undefined) return err instanceof Error ? err.message : String(err);
  const where = errPath ?? path;
  return syscall !== undefined && where !== undefined ? `${syscall} ${where}: ${text}` : text;
}
