/**
 * The thread digestFilesInBackground() starts: it lowers its own priority (this thread only:
 * on Linux a thread's niceness is its own), digests the tree and posts the result.
 */
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { digestFiles } from "./file-digests.ts";

const { root, prefix, niceness } = workerData as { root: string; prefix: string; niceness: number };
// /proc/thread-self is /proc/<pid>/task/<this thread's id>.
setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), niceness);
parentPort!.postMessage(digestFiles(root, prefix));
