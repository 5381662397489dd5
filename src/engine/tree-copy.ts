// A directory tree copied with everything it holds: copy-up fills a new volume from the image,
// a clone copies a volume.
import { mkdir, readdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { pipeCommands, runCommand, runCommandWithFd } from "./runtime/command.ts";

/**
 * Copies the directory behind `sourceFd` to `target` with everything it holds (modes, owners,
 * times, extended attributes and ACLs, symlinks as symlinks, hard links, special files; reflinks
 * or copy_file_range where the filesystem allows), the directory's own attributes included.
 * `target` may be missing or an empty directory.
 *
 * Creating the files is most of a copy's time, and the kernel's work: a big tree's top-level
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
  // All end before a failure is reported: the caller then removes what was copied, which a cp
  // still running would go on writing into.
  const copies = await Promise.allSettled(groups.map((names) => copyWithCp(sourceFd, names.map((name) => `/proc/self/fd/3/${name}`), target)));
  const failed = copies.find((copy) => copy.status === "rejected");
  if (failed !== undefined) throw failed.reason;
  const fidelity = [...tarFidelity, "--no-recursion"];
  await pipeCommands(
    ["setpriv", [...diesWithEngine, "tar", "--create", ...fidelity, "-C", engineFdPath(sourceFd), "."]],
    ["setpriv", [...diesWithEngine, "tar", "--extract", ...fidelity, "--same-permissions", "--same-owner", "-C", target]],
  );
}

/** GNU tar, keeping everything a tree's files carry (backups use it too). */
export const tarFidelity = ["--format=posix", "--xattrs", "--xattrs-include=*", "--acls", "--numeric-owner"];

/** The copy dies with the engine: one left running after a crash would write into a copy the next engine is deleting. */
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
  // Most image directories a volume is declared on are empty or hold one entry: nothing to split, nothing to list.
  if (processes < 2 || (await readdir(`/proc/self/fd/${sourceFd}`)).length < 2) return [];
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
