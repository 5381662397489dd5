// Copy-up (moby daemon/create_unix.go populateVolume): a new, empty volume is filled with what
// the image has at the volume's destination. The destination is looked up inside the container
// root as the container would see it, never following a symlink out of it, and the copy works
// from the directory descriptor found there, so a hostile image cannot point it at host files.
import { constants, openSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { pipeCommands, runCommand, runCommandWithFd } from "../runtime/command.ts";
import { O_PATH, ScopedTree, TreeError } from "../../util/scoped-tree.ts";

export type ImagePath =
  | { kind: "missing" }
  | { kind: "other"; path: string }
  /** An O_PATH descriptor of the directory; the caller closes it. */
  | { kind: "directory"; fd: number };

/** What the container root has at `destination`, symlinks resolved inside the root. */
export async function lookUpImagePath(rootfs: string, destination: string): Promise<ImagePath> {
  const tree = await ScopedTree.open(rootfs, { readOnly: true });
  try {
    const located = await tree.locate(destination, { followFinal: true }).catch((err: unknown) => {
      if (err instanceof TreeError && err.code === "ENOENT") return undefined;
      throw err;
    });
    if (located === undefined) return { kind: "missing" };
    try {
      if (located.kind === "open") return { kind: "directory", fd: openSync(located.handle.self, O_PATH) };
      const stats = await tree.lstat(located).catch((err: unknown) => {
        if (err instanceof TreeError && err.code === "ENOENT") return undefined;
        throw err;
      });
      if (stats === undefined) return { kind: "missing" };
      if (!stats.isDirectory()) return { kind: "other", path: `${rootfs}${located.path}` };
      return { kind: "directory", fd: openSync(located.parent.entry(located.name), O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW) };
    } finally {
      await tree.release(located);
    }
  } finally {
    await tree.close();
  }
}

/**
 * Copies the directory behind `sourceFd` to `target` with everything the image gave it (modes,
 * owners, times, extended attributes, symlinks as symlinks, hard links, special files), the
 * directory's own mode and owner included. `target` may be missing or an empty directory.
 *
 * Creating the files is most of a copy-up's time, and the kernel's work: a big tree's top-level
 * entries are split among several cp processes, one per core (up to four). cp keeps hard links
 * only among the files one process copies, so a tree with any is copied by one; and the
 * directory's own attributes are copied last, by tar, since creating its entries changes its times.
 */
export async function copyDirectoryTree(sourceFd: number, target: string): Promise<void> {
  const groups = await parallelGroups(sourceFd);
  if (groups.length < 2) {
    await copyWithCp(sourceFd, ["/proc/self/fd/3/."], target);
    return;
  }
  await mkdir(target, { recursive: true });
  await Promise.all(groups.map((names) => copyWithCp(sourceFd, names.map((name) => `/proc/self/fd/3/${name}`), target)));
  const fidelity = ["--format=posix", "--xattrs", "--xattrs-include=*", "--acls", "--numeric-owner", "--no-recursion"];
  await pipeCommands(
    ["setpriv", [...diesWithEngine, "tar", "--create", ...fidelity, "-C", engineFdPath(sourceFd), "."]],
    ["setpriv", [...diesWithEngine, "tar", "--extract", ...fidelity, "--same-permissions", "--same-owner", "-C", target]],
  );
}

/** The copy dies with the engine: one left running after a crash would write into a copy-up the next engine is deleting. */
const diesWithEngine = ["--pdeathsig", "KILL", "--"];

function copyWithCp(sourceFd: number, sources: string[], target: string): Promise<void> {
  return runCommandWithFd("setpriv", [...diesWithEngine, "cp", "-a", "--reflink=auto", "--", ...sources, target], sourceFd);
}

/** The engine's descriptor as a path its child processes can open (it resolves to that very directory, not by name). */
function engineFdPath(fd: number): string {
  return `/proc/${process.pid}/fd/${fd}`;
}

/** Below this many entries, the processes a split starts cost more than it saves. */
const parallelFromEntries = 256;
/** cp's arguments must fit in the kernel's limit for a command line, with room to spare. */
const maxArgumentBytes = 64 * 1024;

/**
 * The tree's top-level entries in groups of about as many entries each, one group per cp process
 * to run side by side; fewer than two groups when the tree is small, has a hard link (a file with
 * more than one name), or has too many top-level names to pass as arguments.
 */
async function parallelGroups(sourceFd: number): Promise<string[][]> {
  const processes = Math.min(availableParallelism(), 4);
  if (processes < 2) return [];
  const top = `${engineFdPath(sourceFd)}/`;
  // A tree these cannot list is left to one cp, which reports what is wrong with it.
  const listed = await Promise.all([
    runCommand("find", [top, "-mindepth", "1", "!", "-type", "d", "-links", "+1", "-print", "-quit"]),
    // Entries under each top-level entry (a file: 1), itself included, then under the top: "<count>\t<path>", NUL-ended.
    runCommand("du", ["--inodes", "--all", "--max-depth=1", "--null", top]),
  ]).catch(() => undefined);
  if (listed === undefined || listed[0] !== "") return [];
  const sizes = listed[1]
    .split("\0")
    .slice(0, -1)
    .map((line) => ({ entries: Number(line.slice(0, line.indexOf("\t"))), name: line.slice(line.indexOf("\t") + 1 + top.length) }));
  const total = sizes.pop();
  // A name that is not UTF-8 did not come through as itself.
  if (total === undefined || total.entries < parallelFromEntries || sizes.some(({ name }) => name.includes("\ufffd"))) return [];
  const groups = Array.from({ length: Math.min(processes, sizes.length) }, () => ({ names: [] as string[], entries: 0, bytes: 0 }));
  // The largest first, each into the group with the fewest entries so far.
  for (const { name, entries } of sizes.sort((a, b) => b.entries - a.entries)) {
    const lightest = groups.reduce((least, group) => (group.entries < least.entries ? group : least));
    lightest.names.push(name);
    lightest.entries += entries;
    lightest.bytes += Buffer.byteLength(name) + "/proc/self/fd/3/".length + 1;
  }
  return groups.some((group) => group.bytes > maxArgumentBytes) ? [] : groups.map((group) => group.names);
}
