// What every benchmark needs: the median of its timed runs, a command timed to completion, idle
// disks, and the floor that both engines stand on (a bare `runc run`).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { defaultSeccompProfile } from "../src/engine/containers/oci-spec.ts";

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

/** A mount of the OCI runtime spec, as runc takes it in config.json. */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/**
 * The floor under both engines: the median of `runc run` of the tarball's root filesystem, from a
 * bundle made with `runc spec` (under `work`, named by `bundleName`), running `true`; with
 * `seccomp`, also with Docker's default seccomp profile, which both engines apply and which runc
 * spends a good part of a create compiling; with `mounts`, those as well. `runc run` creates,
 * starts, waits for and deletes the container in one process.
 */
export function runcFloor(floor: { work: string; tarball: string; state: string; seccomp: boolean; mounts?: OciMount[]; bundleName?: string; runs: number; warmUps: number }): number {
  const bundle = join(floor.work, floor.bundleName ?? (floor.seccomp ? "bundle-seccomp" : "bundle"));
  mkdirSync(join(bundle, "rootfs"), { recursive: true });
  mkdirSync(floor.state, { recursive: true });
  timedRun("tar", ["-xf", floor.tarball, "-C", join(bundle, "rootfs")]);
  timedRun("runc", ["spec", "--bundle", bundle]);
  const configPath = join(bundle, "config.json");
  const config = JSON.parse(readFileSync(configPath, "utf8")) as { process: { args: string[]; terminal: boolean; capabilities: { bounding: string[] } }; mounts: OciMount[]; linux: Record<string, unknown> };
  config.process.args = ["true"];
  config.process.terminal = false;
  if (floor.seccomp) config.linux.seccomp = defaultSeccompProfile(config.process.capabilities.bounding);
  config.mounts.push(...(floor.mounts ?? []));
  writeFileSync(configPath, JSON.stringify(config));
  const times: number[] = [];
  for (let i = 0; i < floor.warmUps + floor.runs; i++) {
    const { ms } = timedRun("runc", ["--root", floor.state, "run", "--bundle", bundle, `moor-bench-floor-${process.pid}-${i}`]);
    if (i >= floor.warmUps) times.push(ms);
  }
  return median(times);
}

/** Deletes what a floor run that failed half-way left in runc's state directory. */
export function removeRuncLeftovers(state: string): void {
  const left = spawnSync("runc", ["--root", state, "list", "-q"], { encoding: "utf8" });
  for (const id of left.status === 0 ? left.stdout.split("\n").filter(Boolean) : []) spawnSync("runc", ["--root", state, "delete", "--force", id]);
}
