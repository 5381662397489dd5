// What every benchmark needs: the median of its timed runs, and a command timed to completion.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Runs a command to completion; its milliseconds and stdout. A failure throws with the end of its stderr. */
export function timedRun(file: string, args: string[], env: NodeJS.ProcessEnv = {}): { ms: number; stdout: string } {
  const start = performance.now();
  const result = spawnSync(file, args, { env: { ...process.env, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  const ms = performance.now() - start;
  // The end of stderr is enough to say why; cp, for one, repeats its error for every file.
  if (result.status !== 0) throw new Error(`${file} ${args.join(" ")} exited ${result.status}: ${result.stderr.slice(-2000)}`);
  return { ms, stdout: result.stdout };
}

/**
 * Flushes dirty pages (sync) and waits until the disks have been idle for a second (no write or
 * discard completed, none in flight; at most a minute): a file system mounted with `discard`
 * goes on discarding a deleted tree's blocks after sync returns, and a timed command started
 * meanwhile waits behind that, by seconds on this VM's disk.
 */
export async function settleDisks(): Promise<void> {
  timedRun("sync", []);
  const activity = () =>
    readFileSync("/proc/diskstats", "utf8")
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      // writes completed, I/Os in flight, discards completed (fields 8, 12 and 15)
      .map((fields) => `${fields[7]}/${fields[11]}/${fields[14]}`)
      .join(" ");
  let last = activity();
  for (let quiet = 0, waited = 0; quiet < 4 && waited < 60_000; waited += 250) {
    await delay(250);
    const now = activity();
    quiet = now === last ? quiet + 1 : 0;
    last = now;
  }
}
