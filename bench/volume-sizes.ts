// Volume sizes against a reference dockerd, in one run: `moor volume ls --size` beside
// `docker system df -v` (what a docker user runs to see volume sizes), both engines holding the
// same volumes; prints the medians, the ratio moor/dockerd and whether moor meets the target
// (moor's time at most 0.25 of dockerd's, for 1,000 volumes of 10,000 files each).
//
//   REF_DOCKER_HOST=unix:///run/refdocker.sock npm run bench:volume-sizes
//
// Scale: BENCH_SIZE_VOLUMES (1000) volumes of BENCH_SIZE_FILES (1000) files each, 100 files to a
// directory, 1 to 4 KB each. The 10,000 files a volume (BENCH_SIZE_FILES=10000) take
// 10M inodes and 40 GB, and half an hour with the cleanup; the default is a tenth of that.
//
// The files are written once, straight into the mountpoints of moor's volumes; the same-named
// volumes in dockerd get hard links to them (`cp -al`), so the data costs its inodes once and
// both engines size the very same files. Hard links cannot cross mounts: when dockerd's root is
// on another mount than the temporary directory (a bind mount of the same disk is enough), its
// volumes get copies (`cp -a`) instead, twice the inodes; the run says which. Before the timed
// runs both engines' totals are checked equal to what was written. moor's first call is timed
// alone, before anything else has asked moor for sizes (a size cache would still be cold); then
// one unmeasured warm-up of each and BENCH_RUNS (3) runs alternating moor and dockerd, medians.
//
// moor is started from the built binary on a temporary root; the reference engine must be
// running already (see README). Everything made here is removed at the end: the engine and its
// root (with moor's volumes), and the dockerd volumes, named benchsize-<pid>-<n>.
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { api, moorBin, startEngine, type TestEngine } from "../test/support/engine.ts";
import { median, timedRun } from "./support.ts";

const refHost = process.env.REF_DOCKER_HOST;
if (!refHost?.startsWith("unix://")) {
  console.error("set REF_DOCKER_HOST=unix:///path/to/dockerd.sock (a running reference dockerd)");
  process.exit(2);
}
const refDaemon = { host: refHost, socket: refHost.slice("unix://".length) };
const volumeCount = Number(process.env.BENCH_SIZE_VOLUMES ?? 1000);
const filesPerVolume = Number(process.env.BENCH_SIZE_FILES ?? 1000);
const runs = Number(process.env.BENCH_RUNS ?? 3);
if (![volumeCount, filesPerVolume, runs].every((n) => Number.isInteger(n) && n > 0)) {
  console.error("BENCH_SIZE_VOLUMES, BENCH_SIZE_FILES and BENCH_RUNS must be positive integers");
  process.exit(2);
}
const filesPerDirectory = 100;
const minFileSize = 1024;
const maxFileSize = 4096;
const target = 0.25;
const volumePrefix = `benchsize-${process.pid}-`;

/** Creates a volume through the Engine API (one request, not one CLI process, per volume); returns its mountpoint. */
async function createVolume(daemon: { socket: string }, name: string): Promise<string> {
  const res = await api(daemon, "POST", "/volumes/create", { Name: name });
  if (res.status !== 201) throw new Error(`create volume ${name} on ${daemon.socket}: ${res.status} ${res.body}`);
  return (JSON.parse(res.body) as { Mountpoint: string }).Mountpoint;
}

/** Writes one volume's files into dir, spread over subdirectories; returns the bytes written. */
function fillVolume(dir: string, content: Buffer): number {
  let bytes = 0;
  for (let i = 0; i < filesPerVolume; i++) {
    const subdir = join(dir, `d${Math.floor(i / filesPerDirectory)}`);
    if (i % filesPerDirectory === 0) mkdirSync(subdir);
    // Sizes vary (none is empty: both engines skip empty files), so a file sized twice or
    // missed shows in the totals.
    const size = minFileSize + ((i * 769) % (maxFileSize - minFileSize + 1));
    writeFileSync(join(subdir, `f${i}`), content.subarray(0, size));
    bytes += size;
  }
  return bytes;
}

/** Whether a hard link to file can be made in dir: link(2) fails with EXDEV across mounts. */
function canHardLink(file: string, dir: string): boolean {
  const probe = join(dir, "link-probe");
  try {
    linkSync(file, probe);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EXDEV") return false;
    throw err;
  }
  rmSync(probe);
  return true;
}

interface DiskUsage {
  Volumes: Array<{ Name: string; UsageData: { Size: number } }> | null;
  Images?: unknown[] | null;
  Containers?: unknown[] | null;
}

async function diskUsage(daemon: { socket: string }, path: string): Promise<DiskUsage> {
  const res = await api(daemon, "GET", path);
  if (res.status !== 200) throw new Error(`GET ${path} on ${daemon.socket}: ${res.status} ${res.body}`);
  return JSON.parse(res.body) as DiskUsage;
}

/** The sum of this run's volumes' sizes as the engine reports them; throws unless it reports every one. */
function benchVolumesTotal(engineName: string, usage: DiskUsage): number {
  const sized = (usage.Volumes ?? []).filter((volume) => volume.Name.startsWith(volumePrefix));
  if (sized.length !== volumeCount) throw new Error(`${engineName} reports ${sized.length} of the ${volumeCount} volumes`);
  return sized.reduce((total, volume) => total + volume.UsageData.Size, 0);
}

let engine: TestEngine | undefined;
const work = mkdtempSync(join(tmpdir(), "moor-bench-volume-sizes-"));
// A private, empty docker CLI config: no user settings or plugins change what is timed.
const dockerEnv = { DOCKER_CONFIG: join(work, "docker-config"), DOCKER_CLI_HINTS: "false" };
mkdirSync(dockerEnv.DOCKER_CONFIG);
/** dockerd volumes this run made that may still exist: removed at the end whatever happened. */
const refVolumes = new Set<string>();

function moorSizes(): number {
  return timedRun(moorBin, ["volume", "ls", "--size"], { MOOR_HOST: engine!.host }).ms;
}

function dockerSizes(): number {
  return timedRun("docker", ["-H", refDaemon.host, "system", "df", "-v"], dockerEnv).ms;
}

try {
  engine = await startEngine();
  console.log(`volume sizes benchmark: ${volumeCount} volumes × ${filesPerVolume} files (${volumeCount * filesPerVolume} files), ` +
    `${filesPerDirectory} files a directory, ${minFileSize}-${maxFileSize} bytes each; ${runs} runs`);

  const setupStart = performance.now();
  const content = Buffer.alloc(maxFileSize, "x");
  let bytesWritten = 0;
  let hardLinks: boolean | undefined;
  for (let n = 0; n < volumeCount; n++) {
    const name = `${volumePrefix}${n}`;
    const moorMountpoint = await createVolume(engine, name);
    bytesWritten += fillVolume(moorMountpoint, content);
    refVolumes.add(name);
    const refMountpoint = await createVolume(refDaemon, name);
    hardLinks ??= canHardLink(join(moorMountpoint, "d0", "f0"), refMountpoint);
    timedRun("cp", [hardLinks ? "-al" : "-a", `${moorMountpoint}/.`, refMountpoint]);
  }
  timedRun("sync", []);
  console.log(`setup: ${((performance.now() - setupStart) / 1000).toFixed(1)} s to write moor's files and give dockerd's volumes ` +
    (hardLinks ? "hard links to them" : "copies of them (its root is on another mount: no hard links across)"));

  const firstMoorMs = moorSizes();

  const moorTotal = benchVolumesTotal("moor", await diskUsage(engine, "/system/df?type=volume"));
  // The full disk usage, as `docker system df -v` asks for it: it sizes the images and
  // containers the reference engine holds besides these volumes, too.
  const refUsage = await diskUsage(refDaemon, "/system/df");
  const refTotal = benchVolumesTotal("dockerd", refUsage);
  console.log(`total size of the volumes: written ${bytesWritten} bytes, moor ${moorTotal}, dockerd ${refTotal}`);
  if (moorTotal !== bytesWritten || refTotal !== bytesWritten) throw new Error("the engines' totals differ from what was written");
  console.log(`dockerd also holds ${refUsage.Images?.length ?? 0} images, ${refUsage.Containers?.length ?? 0} containers and ` +
    `${(refUsage.Volumes?.length ?? 0) - volumeCount} other volumes, which system df -v sizes too`);

  process.stdout.write("runs (ms, moor/dockerd): warm-up");
  moorSizes();
  dockerSizes();
  const moorTimes: number[] = [];
  const refTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    moorTimes.push(moorSizes());
    refTimes.push(dockerSizes());
    process.stdout.write(` ${moorTimes[i].toFixed(0)}/${refTimes[i].toFixed(0)}`);
  }
  process.stdout.write("\n");

  const moorMedian = median(moorTimes);
  const refMedian = median(refTimes);
  const ratio = moorMedian / refMedian;
  const verdict = ratio <= target ? "met" : `missed (moor ${(moorMedian - refMedian * target).toFixed(0)} ms over ${(refMedian * target).toFixed(0)})`;
  const rows: string[][] = [
    ["figure", "moor (ms)", "dockerd (ms)", "moor/dockerd", "target"],
    ["first call (moor cold) vs dockerd median", firstMoorMs.toFixed(0), refMedian.toFixed(0), (firstMoorMs / refMedian).toFixed(2), ""],
    ["median: moor volume ls --size vs docker system df -v", moorMedian.toFixed(0), refMedian.toFixed(0), ratio.toFixed(2), `≤ ${target}, ${verdict}`],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c])).join("   ").trimEnd());
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
} finally {
  for (const name of refVolumes) {
    const res = await api(refDaemon, "DELETE", `/volumes/${name}`);
    if (res.status !== 204 && res.status !== 404) console.error(`could not remove dockerd volume ${name}: ${res.status} ${res.body}`);
  }
  if (engine) {
    await engine.stop();
    engine.cleanup();
  }
  rmSync(work, { recursive: true, force: true });
}
