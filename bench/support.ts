// What every benchmark needs: the median of its timed runs, and a command timed to completion.
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";

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
