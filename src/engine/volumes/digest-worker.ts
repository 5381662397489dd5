/**
 * The thread digestInBackground() starts: it lowers its own priority (this thread only: on
 * Linux a thread's niceness is its own), digests the tree and posts the result; then, asked,
 * checks part of what it read for changes (see CheckRequest) and posts the answer.
 */
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { digestFiles, firstChange, type CheckRequest } from "./file-digests.ts";

const { root, prefix, niceness } = workerData as { root: string; prefix: string; niceness: number };
// /proc/thread-self is /proc/<pid>/task/<this thread's id>.
setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), niceness);
const digests = digestFiles(root, prefix);
parentPort!.once("message", ({ from, since }: CheckRequest) => {
  void firstChange(root, prefix, [...digests.identities].slice(from), since).then((changed) => {
    parentPort!.postMessage(changed);
    parentPort!.close();
  });
});
parentPort!.postMessage(digests);
