import { rebaseTar } from "./tar.ts";

/**
 * docker cp's path rules (moby go-archive copy.go), shared by the engine's archive endpoints and
 * the CLI: Go's filepath semantics, trailing "/" and "/." carrying meaning ("must be a
 * directory", "its contents"), and where an archive goes given what source and destination are.
 */

/** What a copy's source or destination is. */
export interface CopyInfo {
  path: string;
  exists: boolean;
  isDir: boolean;
  /** The name the archive's top entry must take when a symlink's target was archived instead. */
  rebaseName: string;
}

export class CopyError extends Error {}

/** Go's filepath.Clean: "." for empty, no trailing slash but for the root. */
export function cleanPath(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
      else if (!rooted) parts.push("..");
      continue;
    }
    parts.push(part);
  }
  const joined = parts.join("/");
  return rooted ? `/${joined}` : joined === "" ? "." : joined;
}

/** Go's filepath.Base: trailing slashes dropped, "/" for the root, "." for the empty path. */
export function baseName(path: string): string {
  if (path === "") return ".";
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** Go's filepath.Dir: everything before the last slash, cleaned. */
export function dirName(path: string): string {
  const slash = path.lastIndexOf("/");
  return cleanPath(path.slice(0, slash + 1));
}

/** Go's filepath.Join: the non-empty parts joined and cleaned. */
export function joinPath(...parts: string[]): string {
  const present = parts.filter((part) => part !== "");
  return present.length === 0 ? "" : cleanPath(present.join("/"));
}

export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

function specifiesCurrentDir(path: string): boolean {
  return baseName(path) === ".";
}

/** A trailing "/" or "/." asserts that the path is a directory. */
export function assertsDirectory(path: string): boolean {
  return path.endsWith("/") || specifiesCurrentDir(path);
}

/** A cleaned path keeps the original's trailing "/" or "/.". */
export function preserveTrailingDotOrSeparator(cleaned: string, original: string): string {
  let path = cleaned;
  if (!specifiesCurrentDir(path) && specifiesCurrentDir(original)) {
    if (!path.endsWith("/")) path += "/";
    path += ".";
  }
  if (!path.endsWith("/") && original.endsWith("/")) path += "/";
  return path;
}

/** The directory and the entry in it, keeping a trailing "." ("/a/." is "/a" and "."). */
export function splitPathDirEntry(path: string): [string, string] {
  let cleaned = cleanPath(path);
  if (specifiesCurrentDir(path)) cleaned += "/.";
  return [dirName(cleaned), baseName(cleaned)];
}

/**
 * The resolved path with the original's trailing "/" or "/.", and the name to give the archive's
 * top entry when resolving changed the last component (a followed symlink keeps its own name).
 */
export function getRebaseName(path: string, resolvedPath: string): [string, string] {
  let resolved = resolvedPath;
  if (specifiesCurrentDir(path) && !specifiesCurrentDir(resolved)) resolved += "/.";
  if (path.endsWith("/") && !resolved.endsWith("/")) resolved += "/";
  return [resolved, baseName(path) !== baseName(resolved) ? baseName(path) : ""];
}

/**
 * Where an archive of `source` is extracted so the copy lands at `destination`, and the archive
 * with its entries renamed when the destination's name differs: into an existing directory as
 * is; over an existing file, or to a new name, under the destination's name.
 */
export function prepareArchiveCopy(archive: AsyncIterable<Buffer>, source: CopyInfo, destination: CopyInfo): { directory: string; archive: AsyncIterable<Buffer> } {
  const [destinationDir, destinationBase] = splitPathDirEntry(destination.path);
  let [, sourceBase] = splitPathDirEntry(source.path);
  if (destination.exists && destination.isDir) return { directory: destination.path, archive };
  if (destination.exists && source.isDir) throw new CopyError("cannot copy directory");
  if (!destination.exists && !source.isDir && assertsDirectory(destination.path)) throw new CopyError("no such directory");
  if (source.rebaseName !== "") sourceBase = source.rebaseName;
  return { directory: destinationDir, archive: rebaseTar(archive, sourceBase, destinationBase) };
}
