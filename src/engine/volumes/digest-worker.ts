/**
 * The thread digestInBackground() starts: it lowers its own priority (this thread only: on
 * Linux a thread's niceness is its own), digests the tree and posts the digests; then checks
 * each path the engine says the archive has passed for changes (firstChange), as they come,
 * and once told the archive is done, checks what was never passed and posts the first change.
 */
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { digestFiles, firstChange, type DigestMessage } from "./file-digests.ts";

const { root, prefix, since, niceness } = workerData as { root: string; prefix: string; since: bigint; niceness: number };
// /proc/thread-self is /proc/<pid>/task/<this thread's id>.
setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), niceness);
const { identities, ...digests } = digestFiles(root, prefix);
// Messages sent while the digest ran wait in the port's queue: they arrive from here on.
let changed: string | undefined;
parentPort!.on("message", (message: DigestMessage) => {
  if ("passed" in message) {
    if (changed !== undefined) return;
    const passed: Array<[string, string]> = [];
    for (const path of message.passed) {
      const known = identities.get(path);
      if (known === undefined) continue;
      identities.delete(path);
      passed.push([path, known]);
    }
    changed = firstChange(root, prefix, passed, since);
    return;
  }
  parentPort!.postMessage(changed ?? firstChange(root, prefix, identities, since));
  parentPort!.close();
});
parentPort!.postMessage(digests);
