import { parseMountInfo } from "./mounts/propagation.ts";
import { lstat, mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { MoorError } from "../errors.ts";
import { goErrnoText } from "../util/go-errno.ts";

/**
 * Disk usage as dockerd reports it (moby pkg/directory Size): the apparent size of every
 * non-directory entry, each inode once (hard links), symlinks by the length of their target.
 */
export async function directorySize(root: string): Promise<number> {
  const seenInodes = new Set<string>();
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    const subdirs: string[] = [];
    await Promise.all(
      entries.map(async (entry) => {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          subdirs.push(path);
          return;
        }
        const stats = await lstat(path).catch(() => undefined);
        if (stats === undefined || stats.size <= 0) return;
        if (stats.nlink > 1) {
          const inode = `${stats.dev}:${stats.ino}`;
          if (seenInodes.has(inode)) return;
          seenInodes.add(inode);
        }
        total += stats.size;
      }),
    );
    for (const subdir of subdirs) await walk(subdir);
  };
  await walk(root);
  return total;
}

/** Mount points at or below `path` in this process's mount namespace, deepest first. */
export async function mountsUnder(path: string): Promise<string[]> {
  const prefix = path.endsWith("/") ? path : `${path}/`;
  return parseMountInfo(await readFile("/proc/self/mountinfo", "utf8"))
    .map((entry) => entry.mountPoint)
    .filter((mountPoint) => mountPoint === path || mountPoint.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/**
 * Deletes a tree that moor owns. Refuses while anything is mounted inside it: a recursive delete
 * would otherwise reach through a bind mount into host data.
 */
export async function removeTree(path: string): Promise<void> {
  const mounted = await mountsUnder(path);
  if (mounted.length > 0) {
    throw new MoorError("internal", `refusing to delete ${path}: ${mounted.join(", ")} still mounted`);
  }
  await rm(path, { recursive: true, force: true });
}

/**
 * Go's os.MkdirAll: every missing directory of `path` with `mode`; an existing directory is fine,
 * an existing non-directory fails with ENOTDIR. (Node's recursive mkdir loops forever where the
 * kernel answers ENOENT for a parent that exists, as in /proc.) Errors read as Go's PathError.
 */
export async function mkdirAll(path: string, mode: number): Promise<void> {
  const existing = await stat(path).catch(() => undefined);
  if (existing !== undefined) {
    if (existing.isDirectory()) return;
    throw Object.assign(new Error(`mkdir ${path}: not a directory`), { code: "ENOTDIR" });
  }
  const parent = dirname(path);
  if (parent !== path && parent !== "/") await mkdirAll(parent, mode);
  try {
    await mkdir(path, { mode });
  } catch (err) {
    if ((await lstat(path).catch(() => undefined))?.isDirectory()) return;
    const code = (err as NodeJS.ErrnoException).code ?? "";
    throw Object.assign(new Error(`mkdir ${path}: ${goErrnoText(code) ?? code}`), { code });
  }
}
