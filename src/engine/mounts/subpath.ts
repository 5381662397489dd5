// Volume subpaths (`--mount type=volume,volume-subpath=...`, moby daemon/volume/safepath): the
// path is resolved like dockerd resolves it (symlinks evaluated, the result must stay inside the
// volume), then opened again component by component without following any symlink, and the
// opened node, not a path, is what gets mounted: a container writing to the volume meanwhile
// cannot swap a component for a symlink that leads out of it.
import { closeSync, constants, fstatSync, openSync, realpathSync } from "node:fs";
import { posix } from "node:path";
import { MoorError } from "../../errors.ts";
import { O_PATH } from "../../util/scoped-tree.ts";

const { O_DIRECTORY, O_NOFOLLOW } = constants;

/** Opens `subpath` inside the volume directory `base` (O_PATH); the caller closes the descriptor. */
export function openSubpath(base: string, subpath: string): { fd: number; isDirectory: boolean } {
  const resolvedBase = realpathOrNotAccessible(base);
  const combined = posix.join(resolvedBase, subpath);
  const resolved = realpathOrNotAccessible(combined);
  const relative = posix.relative(resolvedBase, resolved);
  if (relative === ".." || relative.startsWith("../") || posix.isAbsolute(relative)) {
    throw new MoorError("invalid", `path concatenation escapes the base directory, base: ${resolvedBase}, subpath: ${subpath}`);
  }
  let fd = openSync(resolvedBase, O_PATH | O_DIRECTORY | O_NOFOLLOW);
  try {
    for (const part of relative === "" ? [] : relative.split("/")) {
      const next = openSync(`/proc/self/fd/${fd}/${part}`, O_PATH | O_NOFOLLOW);
      closeSync(fd);
      fd = next;
      // O_NOFOLLOW on an O_PATH open gives the symlink itself: one appeared since the check.
      if (fstatSync(fd).isSymbolicLink()) throw new MoorError("not_found", `cannot access path ${combined}: too many levels of symbolic links`);
    }
    return { fd, isDirectory: fstatSync(fd).isDirectory() };
  } catch (err) {
    closeSync(fd);
    if (err instanceof MoorError) throw err;
    throw new MoorError("not_found", `cannot access path ${combined}: ${(err as Error).message}`, { cause: err });
  }
}

function realpathOrNotAccessible(path: string): string {
  try {
    return realpathSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new MoorError("not_found", `cannot access path ${path}: lstat ${path}: no such file or directory`, { cause: err });
    throw err;
  }
}
