// Mount workload against moor and a reference dockerd, in one run, beside what the host itself
// does for the same work (the floor); prints each figure for both engines, the ratio
// moor/dockerd, the floor and whether moor meets its target.
//
//   REF_DOCKER_HOST=unix:///run/refdocker.sock npm run bench:mounts
//
// 1. copy-up: `docker create` of an image whose VOLUME /data holds BENCH_FILES small files
//    (100 MB by default), which copies them into a new volume; floor: `cp -a` of the tree.
// 2. writes: BENCH_WRITE_MB written with dd and fsync from a container into a named volume and
//    into a bind mount; floor: the same busybox dd run on the host, on the same filesystem.
// 3. `docker run --rm` of `true` with ten mounts (named volumes, bind mounts, tmpfs); floors:
//    a bare `runc run` with Docker's seccomp profile and the same ten mounts, and the docker
//    CLI's own start (`docker --version`).
//
// Both engines are driven by the real docker CLI, alternately, so that they see the same
// machine. moor is started from the built binary on a temporary root; the reference engine must
// be running already (see README). Everything made here is removed at the end.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { removeAllContainers, startEngine } from "../test/support/engine.ts";
import { median, removeRuncLeftovers, runcFloor, settleDisks, timedRun, type OciMount } from "./support.ts";

const refHost = process.env.REF_DOCKER_HOST;
if (!refHost?.startsWith("unix://")) {
  console.error("set REF_DOCKER_HOST=unix:///path/to/dockerd.sock (a running reference dockerd)");
  process.exit(2);
}
const runs = Number(process.env.BENCH_RUNS ?? 20);
const copyRuns = Number(process.env.BENCH_COPY_RUNS ?? 5);
const fileCount = Number(process.env.BENCH_FILES ?? 10_000);
const fileSize = 10 * 1024;
const filesPerDirectory = 100;
const writeMiB = Number(process.env.BENCH_WRITE_MB ?? 1024);
// The disk of a shared machine varies a lot from one write to the next: the median of five.
const writeRuns = Number(process.env.BENCH_WRITE_RUNS ?? 5);
const warmUps = 3;

interface Daemon {
  name: "moor" | "dockerd";
  host: string;
  /** What this run made on the engine that may still exist: removed at the end whatever happened. */
  containers: Set<string>;
  volumes: Set<string>;
  images: Set<string>;
}

/** A private docker CLI configuration: no user settings, no hints. */
const dockerConfig = mkdtempSync(join(tmpdir(), "moor-bench-docker-config-"));

function dockerCli(daemon: Daemon, args: string[]): { ms: number; stdout: string } {
  try {
    return timedRun("docker", ["-H", daemon.host, ...args], { DOCKER_CONFIG: dockerConfig, DOCKER_CLI_HINTS: "false" });
  } catch (err) {
    throw new Error(`${daemon.name}: ${(err as Error).message}`);
  }
}

// ---- 1. copy-up -------------------------------------------------------------------------------

const FILE_MODES = [0o644, 0o600, 0o755, 0o640];
const OWNERS: Array<[number, number]> = [[0, 0], [1000, 1000], [65534, 65534], [1000, 0]];
/** Whole seconds: a tar header keeps no finer time. */
const FIXED_MTIME = 1_700_000_000;

/** `<stage>/data`: directories of small files with assorted modes and owners and random content. */
function makeDataTree(stage: string): string {
  const data = join(stage, "data");
  mkdirSync(data, { recursive: true });
  for (let i = 0; i < fileCount; i++) {
    const directory = join(data, `d${String(Math.floor(i / filesPerDirectory)).padStart(3, "0")}`);
    if (i % filesPerDirectory === 0) {
      mkdirSync(directory);
      // Some directories not root's and not 0755: a copy that loses either is seen.
      const d = i / filesPerDirectory;
      chmodSync(directory, d % 2 === 0 ? 0o755 : 0o750);
      chownSync(directory, ...OWNERS[d % OWNERS.length]);
    }
    const file = join(directory, `f${String(i % filesPerDirectory).padStart(3, "0")}`);
    writeFileSync(file, randomBytes(fileSize));
    chmodSync(file, FILE_MODES[i % FILE_MODES.length]);
    chownSync(file, ...OWNERS[(i >> 2) % OWNERS.length]);
    utimesSync(file, FIXED_MTIME, FIXED_MTIME + (i % 1000));
  }
  return data;
}

interface EntryFacts {
  type: "file" | "directory" | "other";
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Regular files only (directory times change as entries are made in them). */
  mtime: number;
}

/** Every entry under `root` (itself as "."), by relative path, without following symlinks. */
function treeFacts(root: string): Map<string, EntryFacts> {
  const facts = new Map<string, EntryFacts>();
  const visit = (path: string) => {
    const stats = lstatSync(path);
    const type = stats.isFile() ? "file" : stats.isDirectory() ? "directory" : "other";
    facts.set(relative(root, path) || ".", {
      type,
      mode: stats.mode & 0o7777,
      uid: stats.uid,
      gid: stats.gid,
      size: type === "file" ? stats.size : 0,
      mtime: type === "file" ? Math.trunc(stats.mtimeMs / 1000) : 0,
    });
    if (type === "directory") for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(root);
  return facts;
}

/**
 * The volume a `docker create` of the copy-up image made holds what the image has at /data:
 * the same entries, each with the image's type, mode, owner, size and file time, and the same
 * bytes in a sample of files. Throws, naming the engine and the first differences, otherwise.
 */
function verifyCopyUp(daemon: Daemon, container: string, imageData: string, expected: Map<string, EntryFacts>): string {
  const mounts = JSON.parse(dockerCli(daemon, ["inspect", "--format", "{{json .Mounts}}", container]).stdout) as Array<{ Type: string; Destination: string; Source: string }>;
  const volume = mounts.find((m) => m.Destination === "/data");
  if (volume === undefined || volume.Type !== "volume") throw new Error(`${daemon.name}: no volume at /data: ${JSON.stringify(mounts)}`);
  const found = treeFacts(volume.Source);
  const problems: string[] = [];
  const files = (facts: Map<string, EntryFacts>) => [...facts.values()].filter((f) => f.type === "file").length;
  if (files(found) !== files(expected) || found.size !== expected.size) {
    problems.push(`${files(found)} files and ${found.size} entries in the volume, ${files(expected)} and ${expected.size} in the image`);
  }
  for (const [path, want] of expected) {
    const got = found.get(path);
    if (got === undefined) problems.push(`${path}: missing`);
    else if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${path}: ${JSON.stringify(got)}, image has ${JSON.stringify(want)}`);
  }
  for (const path of found.keys()) if (!expected.has(path)) problems.push(`${path}: not in the image`);
  const fileList = [...expected].filter(([, f]) => f.type === "file").map(([p]) => p);
  for (const path of [fileList[0], fileList[Math.floor(fileList.length / 2)], fileList[fileList.length - 1]]) {
    if (path !== undefined && found.has(path) && !readFileSync(join(volume.Source, path)).equals(readFileSync(join(imageData, path)))) {
      problems.push(`${path}: content differs`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`${daemon.name}: the copied-up volume ${volume.Source} differs from the image's /data (${problems.length} differences):\n  ${problems.slice(0, 10).join("\n  ")}`);
  }
  return `${files(found)} files, ${found.size} entries`;
}

let nameCounter = 0;
function uniqueName(kind: string): string {
  return `moor-bench-${kind}-${process.pid}-${nameCounter++}`;
}

function createAndRemove(daemon: Daemon, image: string, check?: (name: string) => void): number {
  const name = uniqueName("copyup");
  daemon.containers.add(name);
  const { ms } = dockerCli(daemon, ["create", "--name", name, image, "true"]);
  check?.(name);
  dockerCli(daemon, ["rm", "-v", name]);
  daemon.containers.delete(name);
  return ms;
}

/**
 * Medians of `docker create` with its copy-up on each engine, and of `cp -a` of the tree on the
 * host. Each timed copy starts once the deletions before it are done (moor deletes a removed
 * volume's files in the background) and the disks are idle: on this VM's ext4, mounted with
 * `discard`, files created right after a deletion take several times as long. The order of the
 * three turns from round to round, so that none always follows the same one.
 */
async function copyUp(daemons: Daemon[], image: string, imageData: string, floorParent: string, deletionsDone: () => Promise<void>): Promise<{ create: Map<Daemon, number>; floor: number; verified: Map<Daemon, string> }> {
  const expected = treeFacts(imageData);
  const verified = new Map<Daemon, string>();
  // The checked create is also the warm-up: it brings each engine's image layer into the page cache.
  for (const daemon of daemons) {
    await deletionsDone();
    await settleDisks();
    createAndRemove(daemon, image, (name) => verified.set(daemon, verifyCopyUp(daemon, name, imageData, expected)));
  }
  const times = new Map<Daemon, number[]>(daemons.map((d) => [d, []]));
  const floorTimes: number[] = [];
  for (let i = 0; i < copyRuns; i++) {
    const floor = () => {
      const copy = join(floorParent, `cp-floor-${i}`);
      const { ms } = timedRun("cp", ["-a", imageData, copy]);
      rmSync(copy, { recursive: true, force: true });
      floorTimes.push(ms);
    };
    const steps = [...daemons.map((daemon) => () => void times.get(daemon)!.push(createAndRemove(daemon, image))), floor];
    for (let s = 0; s < steps.length; s++) {
      await deletionsDone();
      await settleDisks();
      steps[(i + s) % steps.length]();
    }
  }
  return { create: new Map(daemons.map((d) => [d, median(times.get(d)!)])), floor: median(floorTimes), verified };
}

// ---- 2. writes --------------------------------------------------------------------------------

/**
 * A busybox shell script that writes `writeMiB` into `directory` with fsync and prints the
 * seconds it took, read from /proc/uptime (hundredths; the host's clock, in or out of a
 * container), so container start-up is not counted; the file is removed afterwards.
 */
function writeScript(directory: string): string {
  return [
    "set -e",
    "read start _ < /proc/uptime",
    `dd if=/dev/zero of=${directory}/file bs=1M count=${writeMiB} conv=fsync 2>/dev/null`,
    "read end _ < /proc/uptime",
    `rm -f ${directory}/file`,
    'echo "$start $end"',
  ].join("\n");
}

function secondsFrom(output: string): number {
  const [start, end] = output.trim().split(/\s+/).map(Number);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new Error(`unexpected output of the write script: ${output}`);
  return Math.max(end - start, 0.01);
}

type WriteTarget = "volume" | "bind";

/** MiB/s of the write into a named volume and a bind mount on each engine, and on the host itself. */
async function writes(daemons: Daemon[], image: string, hostDirectory: string, bindParent: string): Promise<{ engine: Map<Daemon, Record<WriteTarget, number>>; host: number }> {
  const volumes = new Map<Daemon, string>();
  const binds = new Map<Daemon, string>();
  for (const daemon of daemons) {
    const volume = uniqueName("write");
    daemon.volumes.add(volume);
    dockerCli(daemon, ["volume", "create", volume]);
    volumes.set(daemon, volume);
    const bind = join(bindParent, `write-bind-${daemon.name}`);
    mkdirSync(bind);
    binds.set(daemon, bind);
  }
  const inContainer = (daemon: Daemon, source: string) =>
    secondsFrom(dockerCli(daemon, ["run", "--rm", "-v", `${source}:/target`, image, "sh", "-c", writeScript("/target")]).stdout);
  const seconds = new Map(daemons.map((d) => [d, { volume: [] as number[], bind: [] as number[] }]));
  const hostSeconds: number[] = [];
  // Each write starts on idle disks (the one before deleted its file, whose blocks are still being
  // discarded after sync), in an order that turns each round.
  for (let i = 0; i < writeRuns; i++) {
    const steps = [
      () => void hostSeconds.push(secondsFrom(timedRun("/bin/busybox", ["sh", "-c", writeScript(hostDirectory)]).stdout)),
      ...daemons.flatMap((daemon) => [
        () => void seconds.get(daemon)!.volume.push(inContainer(daemon, volumes.get(daemon)!)),
        () => void seconds.get(daemon)!.bind.push(inContainer(daemon, binds.get(daemon)!)),
      ]),
    ];
    for (let s = 0; s < steps.length; s++) {
      await settleDisks();
      steps[(i + s) % steps.length]();
    }
  }
  const rate = (values: number[]) => writeMiB / median(values);
  return {
    engine: new Map(daemons.map((d) => [d, { volume: rate(seconds.get(d)!.volume), bind: rate(seconds.get(d)!.bind) }])),
    host: rate(hostSeconds),
  };
}

// ---- 3. run --rm with ten mounts ------------------------------------------------------------

/** Four named volumes, three bind mounts and three tmpfs, through both the -v and --mount forms. */
function tenMounts(daemon: Daemon, bindParent: string): string[] {
  const volumes = [0, 1, 2, 3].map(() => uniqueName("mount"));
  for (const volume of volumes) {
    daemon.volumes.add(volume);
    dockerCli(daemon, ["volume", "create", volume]);
  }
  const binds = [0, 1, 2].map((i) => join(bindParent, `bind-${daemon.name}-${i}`));
  for (const bind of binds) mkdirSync(bind);
  return [
    "-v", `${volumes[0]}:/vol0`,
    "-v", `${volumes[1]}:/vol1:ro`,
    "--mount", `type=volume,source=${volumes[2]},target=/vol2`,
    "--mount", `type=volume,source=${volumes[3]},target=/vol3,readonly`,
    "-v", `${binds[0]}:/bind0`,
    "-v", `${binds[1]}:/bind1:ro`,
    "--mount", `type=bind,source=${binds[2]},target=/bind2`,
    "--tmpfs", "/tmpfs0",
    "--tmpfs", "/tmpfs1:size=1m,mode=1777",
    "--mount", "type=tmpfs,destination=/tmpfs2,tmpfs-size=1048576",
  ];
}

/** Medians of `docker run --rm IMAGE true` with the ten mounts and, for comparison, with none. */
function runWithMounts(daemons: Daemon[], image: string, bindParent: string): { mounted: Map<Daemon, number>; bare: Map<Daemon, number> } {
  const mountArgs = new Map(daemons.map((d) => [d, tenMounts(d, bindParent)]));
  const mounted = new Map<Daemon, number[]>(daemons.map((d) => [d, []]));
  const bare = new Map<Daemon, number[]>(daemons.map((d) => [d, []]));
  for (let i = 0; i < warmUps + runs; i++) {
    for (const daemon of daemons) {
      const withMounts = dockerCli(daemon, ["run", "--rm", ...mountArgs.get(daemon)!, image, "true"]).ms;
      const without = dockerCli(daemon, ["run", "--rm", image, "true"]).ms;
      if (i < warmUps) continue;
      mounted.get(daemon)!.push(withMounts);
      bare.get(daemon)!.push(without);
    }
  }
  const medians = (times: Map<Daemon, number[]>) => new Map(daemons.map((d) => [d, median(times.get(d)!)]));
  return { mounted: medians(mounted), bare: medians(bare) };
}

/**
 * The ten mounts as the OCI spec gives them to runc: volumes and binds are recursive private
 * bind mounts of directories, tmpfs are mounted noexec, nosuid and nodev, as both engines do.
 */
function tenOciMounts(parent: string): OciMount[] {
  const directory = (name: string) => {
    const path = join(parent, name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  const bind = (name: string, destination: string, readOnly: boolean): OciMount => ({ destination, type: "bind", source: directory(name), options: ["rbind", "rprivate", ...(readOnly ? ["ro"] : [])] });
  const tmpfs = (destination: string, extra: string[]): OciMount => ({ destination, type: "tmpfs", source: "tmpfs", options: ["noexec", "nosuid", "nodev", ...extra] });
  return [
    bind("vol0", "/vol0", false),
    bind("vol1", "/vol1", true),
    bind("vol2", "/vol2", false),
    bind("vol3", "/vol3", true),
    bind("bind0", "/bind0", false),
    bind("bind1", "/bind1", true),
    bind("bind2", "/bind2", false),
    tmpfs("/tmpfs0", []),
    tmpfs("/tmpfs1", ["size=1m", "mode=1777"]),
    tmpfs("/tmpfs2", ["size=1048576"]),
  ];
}

/** What both engines' `run --rm` with ten mounts stands on: runc's part and the docker CLI's own start. */
function runFloors(busyboxTar: string, work: string): { runc: number; runcMounted: number; cli: number } {
  const state = join(work, "runc-state");
  try {
    const runc = runcFloor({ work, tarball: busyboxTar, state, seccomp: true, runs, warmUps });
    const runcMounted = runcFloor({ work, tarball: busyboxTar, state, seccomp: true, mounts: tenOciMounts(join(work, "floor-mounts")), bundleName: "bundle-mounted", runs, warmUps });
    const versions: number[] = [];
    for (let i = 0; i < warmUps + runs; i++) {
      const { ms } = timedRun("docker", ["--version"], { DOCKER_CONFIG: dockerConfig });
      if (i >= warmUps) versions.push(ms);
    }
    return { runc, runcMounted, cli: median(versions) };
  } finally {
    removeRuncLeftovers(state);
  }
}

// ---- the run --------------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), "moor-bench-mounts-"));
const engine = await startEngine();
const moor: Daemon = { name: "moor", host: engine.host, containers: new Set(), volumes: new Set(), images: new Set() };
const ref: Daemon = { name: "dockerd", host: refHost, containers: new Set(), volumes: new Set(), images: new Set() };
const daemons = [moor, ref];
try {
  const busyboxTar = join(work, "busybox.tar");
  const made = spawnSync(resolve(import.meta.dirname, "../scripts/make-test-image.sh"), [busyboxTar], { encoding: "utf8" });
  if (made.status !== 0) throw new Error(`make-test-image.sh: ${made.stderr}`);
  const stage = join(work, "stage");
  const imageData = makeDataTree(stage);
  // The copy-up image: busybox with the tree appended as ./data, owners kept as numbers.
  const copyUpTar = join(work, "copyup.tar");
  copyFileSync(busyboxTar, copyUpTar);
  timedRun("tar", ["--numeric-owner", "-rf", copyUpTar, "-C", stage, "./data"]);
  const busybox = `moor-bench-busybox:${process.pid}`;
  const copyUpImage = `moor-bench-copyup:${process.pid}`;
  for (const daemon of daemons) {
    daemon.images.add(busybox);
    dockerCli(daemon, ["import", busyboxTar, busybox]);
    daemon.images.add(copyUpImage);
    dockerCli(daemon, ["import", "-c", 'VOLUME ["/data"]', copyUpTar, copyUpImage]);
  }
  rmSync(copyUpTar);

  // The host's writes and bind mounts live beside moor's data root: the same filesystem.
  const hostWrites = join(dirname(engine.root), "host-write");
  mkdirSync(hostWrites);
  const binds = join(work, "binds");
  mkdirSync(binds);
  const refRoot = JSON.parse(dockerCli(ref, ["info", "--format", "{{json .DockerRootDir}}"]).stdout) as string;
  const devices = { "moor root": statSync(engine.root).dev, "dockerd root": statSync(refRoot).dev, "host write": statSync(hostWrites).dev, "bind mounts": statSync(binds).dev };
  const sameFilesystem = new Set(Object.values(devices)).size === 1;

  const dataMB = (fileCount * fileSize) / 1e6;
  console.log(
    `mount benchmark: copy-up of ${fileCount} files (${dataMB.toFixed(0)} MB) median of ${copyRuns}; writes of ${writeMiB} MiB with fsync median of ${writeRuns}; ` +
      `run --rm medians of ${runs} after ${warmUps} warm-ups; load average ${loadavg()[0].toFixed(2)}`,
  );
  if (!sameFilesystem) console.log(`warning: not all on one filesystem (device numbers ${JSON.stringify(devices)}): the write figures compare different disks`);

  const moorVolumes = join(engine.root, "volumes");
  const moorDeletionsDone = async () => {
    while (readdirSync(moorVolumes).some((entry) => entry.startsWith(".trash-"))) await delay(50);
  };
  const copy = await copyUp(daemons, copyUpImage, imageData, work, moorDeletionsDone);
  for (const daemon of daemons) console.log(`copy-up checked on ${daemon.name}: ${copy.verified.get(daemon)} with the image's types, modes, owners, sizes and file times`);
  const written = await writes(daemons, busybox, hostWrites, binds);
  const mounted = runWithMounts(daemons, busybox, binds);
  const floors = runFloors(busyboxTar, work);

  // Times: lower is better; rates: higher is better. A target bounds moor against dockerd or the floor.
  type Target = { against: "dockerd" | "floor"; atMost?: number; atLeast?: number };
  type Row = { figure: string; moor: number; dockerd: number; floor?: number; target?: Target };
  const rows: Row[] = [
    { figure: "`docker create` with copy-up (ms)", moor: copy.create.get(moor)!, dockerd: copy.create.get(ref)!, floor: copy.floor, target: { against: "dockerd", atMost: 1 } },
    { figure: `dd ${writeMiB} MiB fsync, named volume (MiB/s)`, moor: written.engine.get(moor)!.volume, dockerd: written.engine.get(ref)!.volume, floor: written.host, target: { against: "floor", atLeast: 0.95 } },
    { figure: `dd ${writeMiB} MiB fsync, bind mount (MiB/s)`, moor: written.engine.get(moor)!.bind, dockerd: written.engine.get(ref)!.bind, floor: written.host, target: { against: "floor", atLeast: 0.95 } },
    { figure: "`docker run --rm` 10 mounts `true` (ms)", moor: mounted.mounted.get(moor)!, dockerd: mounted.mounted.get(ref)!, target: { against: "dockerd", atMost: 0.5 } },
    { figure: "`docker run --rm` no mounts `true` (ms)", moor: mounted.bare.get(moor)!, dockerd: mounted.bare.get(ref)! },
  ];
  const table: string[][] = [["figure", "moor", "dockerd", "moor/dockerd", "floor", "moor/floor", "dockerd/floor", "target", "met"]];
  for (const row of rows) {
    const ratios = { dockerd: row.moor / row.dockerd, floor: row.floor === undefined ? undefined : row.moor / row.floor };
    const ratio = row.target === undefined ? undefined : ratios[row.target.against];
    const met = ratio === undefined ? "" : (row.target!.atMost !== undefined ? ratio <= row.target!.atMost : ratio >= row.target!.atLeast!) ? "yes" : "NO";
    const target = row.target === undefined ? "" : `moor/${row.target.against} ${row.target.atMost !== undefined ? `≤ ${row.target.atMost.toFixed(2)}` : `≥ ${row.target.atLeast!.toFixed(2)}`}`;
    table.push([
      row.figure,
      row.moor.toFixed(1),
      row.dockerd.toFixed(1),
      ratios.dockerd.toFixed(2),
      row.floor === undefined ? "-" : row.floor.toFixed(1),
      ratios.floor === undefined ? "-" : ratios.floor.toFixed(2),
      row.floor === undefined ? "-" : (row.dockerd / row.floor).toFixed(2),
      target,
      met,
    ]);
  }
  const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
  for (const row of table) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join("   ").trimEnd());
  console.log("floors: copy-up = `cp -a` of the same tree on the host (ms); writes = the same busybox dd on the host, beside moor's data root (MiB/s)");
  const signed = (ms: number) => `${ms >= 0 ? "+" : ""}${ms.toFixed(1)}`;
  console.log(
    `ten mounts cost over a bare run (ms): moor ${signed(mounted.mounted.get(moor)! - mounted.bare.get(moor)!)}, ` +
      `dockerd ${signed(mounted.mounted.get(ref)! - mounted.bare.get(ref)!)}`,
  );
  const budget = 0.5 * mounted.mounted.get(ref)!;
  console.log(
    `floors of run --rm (ms): runc run with Docker's seccomp ${floors.runc.toFixed(1)}, with it and the ten mounts ${floors.runcMounted.toFixed(1)}; ` +
      `docker --version ${floors.cli.toFixed(1)}; 0.5 of dockerd's run with ten mounts is ${budget.toFixed(1)}, ` +
      `which leaves ${(budget - floors.runcMounted - floors.cli).toFixed(1)} for conmon and the engine`,
  );
} finally {
  // moor's engine is this run's own: whatever it still holds goes with its root.
  await removeAllContainers(engine);
  await engine.stop();
  engine.cleanup();
  for (const name of ref.containers) spawnSync("docker", ["-H", ref.host, "rm", "-f", "-v", name], { env: { ...process.env, DOCKER_CONFIG: dockerConfig }, stdio: "ignore" });
  for (const name of ref.volumes) spawnSync("docker", ["-H", ref.host, "volume", "rm", "-f", name], { env: { ...process.env, DOCKER_CONFIG: dockerConfig }, stdio: "ignore" });
  for (const name of ref.images) spawnSync("docker", ["-H", ref.host, "rmi", name], { env: { ...process.env, DOCKER_CONFIG: dockerConfig }, stdio: "ignore" });
  rmSync(work, { recursive: true, force: true });
  rmSync(dockerConfig, { recursive: true, force: true });
}
