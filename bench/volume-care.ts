// Volume care against the plain tools (issue 7): prints moor's time for `moor volume backup`,
// `moor volume restore` and `moor volume clone` of a volume of mixed files beside the time of
// the tool a user would otherwise run on the same directory, their throughput ratio, and
// whether moor meets its target (at least 0.9 of the tool's throughput, i.e. moor's time at
// most the tool's time / 0.9).
//
//   npm run bench:volume-care                # BENCH_VOLUME_MB=1024 by default
//
// 1. backup: `moor volume backup VOL -o FILE` (zstd) against `tar --zstd -cf FILE -C DIR .`, a
//    first backup (no checksums kept from an earlier one) and a backup again of the unchanged volume;
// 2. restore: `moor volume restore FILE NEWVOL` of that archive against `tar --zstd -xf` of
//    tar's own archive into an empty directory;
// 3. clone: `moor volume clone VOL NEWVOL` against `cp -a --reflink=auto DIR/. EMPTY`.
//
// The volume holds about 60 % incompressible random data in files of 4 KB to 32 MB and 40 % of
// text-like, compressible files of 1 to 64 KB, written straight into its mountpoint. Each figure
// is the median of BENCH_RUNS (3) runs alternating moor and the tool, after one unmeasured
// warm-up of each (the page cache cannot be dropped reliably here, so both start warm), each on
// idle disks (see settleDisks: a deleted tree is still being discarded after sync). moor is
// started from the built binary on a temporary root; no reference dockerd is needed. Everything
// made here is removed at the end.
import { randomFillSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { moorBin, startEngine, type TestEngine } from "../test/support/engine.ts";
import { median, settleDisks, timedRun } from "./support.ts";

const totalMiB = Number(process.env.BENCH_VOLUME_MB ?? 1024);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const target = 0.9;
const MiB = 1024 * 1024;

/** A small deterministic generator (mulberry32), so that every run writes the same tree. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A size between min and max, log-uniformly: many small files, a few large ones. */
function logUniform(random: () => number, min: number, max: number): number {
  return Math.round(Math.exp(Math.log(min) + random() * (Math.log(max) - Math.log(min))));
}

const words = ("the volume backup restore clone engine container image layer mount archive checksum " +
  "request response config service network log error warning info debug timestamp user order invoice " +
  "customer product price quantity total status pending shipped delivered cancelled id name email").split(" ");

/** Fills dir with the mixed tree; returns the number of files and bytes written. */
function fill(dir: string): { files: number; bytes: number } {
  const random = generator(7);
  const randomBytesTotal = Math.round(totalMiB * MiB * 0.6);
  const textBytesTotal = Math.round(totalMiB * MiB * 0.4);
  let files = 0;
  let bytes = 0;
  const buffer = Buffer.allocUnsafe(32 * MiB);

  let written = 0;
  for (let i = 0; written < randomBytesTotal; i++) {
    const size = Math.min(logUniform(random, 4 * 1024, 32 * MiB), randomBytesTotal - written);
    const sub = join(dir, "blobs", String(i % 16));
    if (i < 16) mkdirSync(sub, { recursive: true });
    randomFillSync(buffer, 0, size);
    writeFileSync(join(sub, `blob-${i}.bin`), buffer.subarray(0, size));
    written += size;
    files++;
  }
  bytes += written;

  // Text: lines of words with numbers, as logs, CSV or source would be; compresses about 4:1.
  const pool: string[] = [];
  for (let line = 0, length = 0; length < 4 * MiB; line++) {
    const count = 4 + Math.floor(random() * 12);
    const parts = [`${line}`, new Date(1_700_000_000_000 + line * 977).toISOString()];
    for (let w = 0; w < count; w++) parts.push(random() < 0.2 ? String(Math.floor(random() * 1e6)) : words[Math.floor(random() * words.length)]);
    const entry = `${parts.join(" ")}\n`;
    pool.push(entry);
    length += entry.length;
  }
  const text = Buffer.from(pool.join(""));
  written = 0;
  for (let i = 0; written < textBytesTotal; i++) {
    const size = Math.min(logUniform(random, 1024, 64 * 1024), textBytesTotal - written);
    const sub = join(dir, "text", String(Math.floor(i / 500)));
    if (i % 500 === 0) mkdirSync(sub, { recursive: true });
    const offset = Math.floor(random() * (text.length - size));
    writeFileSync(join(sub, `file-${i}.txt`), text.subarray(offset, offset + size));
    written += size;
    files++;
  }
  bytes += written;
  return { files, bytes };
}

let engine: TestEngine | undefined;
const work = mkdtempSync(join(tmpdir(), "moor-bench-volume-care-"));
/** Volumes this run made that may still exist: removed at the end whatever happened. */
const volumes = new Set<string>();

function moor(args: string[]): { ms: number; stdout: string } {
  return timedRun(moorBin, args, { MOOR_HOST: engine!.host });
}

/**
 * Removes a volume and waits for the engine's background deletion of its data: otherwise the
 * next timed command (the tool's, as often as not) would run beside that deletion.
 */
async function removeVolume(name: string): Promise<void> {
  moor(["volume", "rm", name]);
  volumes.delete(name);
  const volumesDir = join(engine!.root, "volumes");
  while (readdirSync(volumesDir).some((entry) => entry.startsWith(".trash-"))) await sleep(50);
}

/** Runs the pair warm-up first, then `runs` times alternately; returns both medians. */
async function measure(label: string, moorRun: () => number | Promise<number>, toolRun: () => number): Promise<{ moor: number; tool: number }> {
  process.stdout.write(`${label}: warm-up`);
  await moorRun();
  toolRun();
  const moorTimes: number[] = [];
  const toolTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Start each timed command on idle disks: no dirty pages or discards left by the one before.
    await settleDisks();
    moorTimes.push(await moorRun());
    await settleDisks();
    toolTimes.push(toolRun());
    process.stdout.write(` ${moorTimes[i].toFixed(0)}/${toolTimes[i].toFixed(0)}`);
  }
  process.stdout.write("\n");
  return { moor: median(moorTimes), tool: median(toolTimes) };
}

try {
  engine = await startEngine();
  const source = "bench-care-source";
  moor(["volume", "create", source]);
  volumes.add(source);
  const mountpoint = moor(["volume", "inspect", "--format", "{{.Mountpoint}}", source]).stdout.trim();
  const fillStart = performance.now();
  const tree = fill(mountpoint);
  timedRun("sync", []);
  console.log(`volume care benchmark: ${tree.files} files, ${(tree.bytes / MiB).toFixed(0)} MiB (${((performance.now() - fillStart) / 1000).toFixed(1)} s to write); ` +
    `${runs} runs each, times in ms as moor/tool`);

  const moorArchive = join(work, "moor.tar.zst");
  const tarArchive = join(work, "tar.tar.zst");
  // A first backup reads every file for its checksums; a later one reads only the files that
  // changed since, the others' checksums being kept beside the volume's data: both are timed,
  // the first with the kept checksums removed before each run.
  const keptChecksums = join(dirname(mountpoint), "digests.json");
  const tarBackup = () => { rmSync(tarArchive, { force: true }); return timedRun("tar", ["--zstd", "-cf", tarArchive, "-C", mountpoint, "."]).ms; };
  const backup = await measure(
    "backup (first)",
    () => { rmSync(moorArchive, { force: true }); rmSync(keptChecksums, { force: true }); return moor(["volume", "backup", source, "-o", moorArchive]).ms; },
    tarBackup,
  );
  const backupAgain = await measure(
    "backup (again)",
    () => { rmSync(moorArchive, { force: true }); return moor(["volume", "backup", source, "-o", moorArchive]).ms; },
    tarBackup,
  );
  const moorArchiveSize = statSync(moorArchive).size;
  const tarArchiveSize = statSync(tarArchive).size;

  const restored = "bench-care-restored";
  const extractDir = join(work, "extract");
  const restore = await measure(
    "restore",
    async () => {
      volumes.add(restored);
      const ms = moor(["volume", "restore", moorArchive, restored]).ms;
      await removeVolume(restored);
      return ms;
    },
    () => {
      mkdirSync(extractDir);
      const ms = timedRun("tar", ["--zstd", "-xf", tarArchive, "-C", extractDir]).ms;
      rmSync(extractDir, { recursive: true, force: true });
      return ms;
    },
  );
  rmSync(moorArchive, { force: true });
  rmSync(tarArchive, { force: true });

  const cloned = "bench-care-clone";
  const copyDir = join(work, "copy");
  const clone = await measure(
    "clone",
    async () => {
      volumes.add(cloned);
      const ms = moor(["volume", "clone", source, cloned]).ms;
      await removeVolume(cloned);
      return ms;
    },
    () => {
      mkdirSync(copyDir);
      const ms = timedRun("cp", ["-a", "--reflink=auto", `${mountpoint}/.`, copyDir]).ms;
      rmSync(copyDir, { recursive: true, force: true });
      return ms;
    },
  );

  const rows: string[][] = [["figure", "moor (ms)", "tool (ms)", "moor MB/s", "tool MB/s", "throughput moor/tool", "target"]];
  const mb = tree.bytes / 1e6;
  const row = (name: string, figures: { moor: number; tool: number }): string[] => {
    const ratio = figures.tool / figures.moor;
    const verdict = ratio >= target ? "met" : `missed (moor ${(figures.moor - figures.tool / target).toFixed(0)} ms over ${(figures.tool / target).toFixed(0)})`;
    return [name, figures.moor.toFixed(0), figures.tool.toFixed(0), (mb / (figures.moor / 1000)).toFixed(0), (mb / (figures.tool / 1000)).toFixed(0), ratio.toFixed(2), `≥ ${target}, ${verdict}`];
  };
  rows.push(row("backup (first) vs tar --zstd -cf", backup));
  rows.push(row("backup (again) vs tar --zstd -cf", backupAgain));
  rows.push(row("restore vs tar --zstd -xf", restore));
  rows.push(row("clone vs cp -a --reflink=auto", clone));
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c])).join("   "));
  console.log(`archive sizes: moor ${(moorArchiveSize / MiB).toFixed(1)} MiB, tar ${(tarArchiveSize / MiB).toFixed(1)} MiB; load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
} finally {
  if (engine) {
    for (const name of volumes) {
      try { moor(["volume", "rm", "--force", name]); } catch { /* gone already, or the engine is */ }
    }
    await engine.stop();
    engine.cleanup();
  }
  rmSync(work, { recursive: true, force: true });
}
