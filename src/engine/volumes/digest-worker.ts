/**
 * The thread digestInBackground() starts: it lowers its own priority (this thread only: on
 * Linux a thread's niceness is its own), digests the tree (with the volume's digest cache, which
 * it then replaces) and posts the digests; then checks each path the engine says the archive
 * has passed for changes (firstChange), as they come, and once told the archive is done, checks
 * what was never passed and posts the first change.
 */
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import type { HashName } from "../../util/content-hash.ts";
import { digestFiles, firstChange, readDigestCache, writeDigestCache, type DigestMessage } from "./file-digests.ts";

const { root, prefix, since, hash, cache, niceness } = workerData as { root: string; prefix: string; since: bigint; hash: HashName; cache: { path: string; stagingDir: string }; niceness: number };
// /proc/thread-self is /proc/<pid>/task/<this thread's id>.
setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), niceness);
const taken = digestFiles(root, prefix, hash, readDigestCache(cache.path, hash));
const { identities, ...digests } = taken;
parentPort!.postMessage(digests);
try {
  writeDigestCache(cache.path, taken, since, cache.stagingDir);
} catch {
  // The next backup reads every file again.
}
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
