// `moor up` against moor and a reference dockerd, in one run: the same moor CLI deploys the same
// app of ten services to each engine (deploys talk only through the Engine API, so MOOR_HOST
// can name either); prints each figure for both, the ratio moor/dockerd and whether moor meets
// its target. The targets are the issue's: "`moor up` with nothing changed (10 services) answers
// in under 0.5 s; replacing one stateless service adds no more than the container start time
// plus the health wait."
//
//   REF_DOCKER_HOST=unix:///run/refdocker.sock npm run bench:deploy
//
// 1. `moor up` with nothing changed: the median wall time of the `moor up` process; target
//    under 0.5 s. Floors: `moor --version`, the CLI starting without asking the engine anything,
//    and `node -e 0`, node itself.
// 2. `moor up` after one stateless service's command changed (x-moor: {order: start-first,
//    settle: 1s}, so its replacement is gated by a 1 s settle, its health wait). The target is
//    what it adds over a `moor up` with nothing changed, run right after it in the same state
//    (the same revisions and retired containers kept; the median of the paired differences):
//    no more than the start time of the same container, a `docker run -d` of it timed on the
//    same engine, plus the settle time. Both runs do the same work until they print the plan
//    (start the CLI, read the app file, observe the engine, plan), so what the replacement adds
//    is taken after the plan: the difference of the times from the plan to the exit. The
//    difference of the whole runs, and of their times to the plan (the machine's run-to-run
//    noise, some 10 ms either way here), are printed beside it, and the whole wall time against
//    the same budget, as information. Progress lines are timestamped as they arrive, for a breakdown of the
//    deploy; `docker stop` of the `run -d` container is timed too, beside the deploy's own stop
//    of the replaced container.
//
// Every timed `moor up`, `docker run -d` and floor starts after a pause of BENCH_PAUSE_MS
// (default 1000 ms), so that it does not share the machine with what the step before it left
// running: an engine still tearing down a container it stopped or removed. A wait for the
// project's containers to leave "removing" would not see it: moor's engine deletes a removed
// container's row first and its files in the background, after the API has answered (and on
// dockerd containerd and the shim wind down a stopped container on their own time); a fixed
// pause is the simple honest bound. Without it, the CLI start, observe and plan of a replacing `moor up` (which follows a
// prune and a `docker rm -f`) had a slow upper quartile on both engines, 35-45 ms above that of
// a no-change `moor up`; with it the two agree within noise. Starting from an idle machine costs
// every timed command some 15 ms, both readings alike. The pause itself is not timed.
//
// Both engines get the same busybox image (scripts/make-test-image.sh) and are driven
// alternately, so that they see the same machine. moor is started from the built binary on a
// temporary root; the reference engine must be running already (see README). Everything made
// here is removed at the end: the apps with `moor down --volumes --yes`, the rest by name.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { moorBin, removeAllContainers, startEngine } from "../test/support/engine.ts";
import { median } from "./support.ts";

const refHost = process.env.REF_DOCKER_HOST;
if (!refHost?.startsWith("unix://")) {
  console.error("set REF_DOCKER_HOST=unix:///path/to/dockerd.sock (a running reference dockerd)");
  process.exit(2);
}
const runs = Number(process.env.BENCH_RUNS ?? 20);
const replaceRuns = Number(process.env.BENCH_REPLACE_RUNS ?? 10);
const warmUps = 2;
const serviceCount = 10;
/** The settle time of every service (x-moor settle), in ms: the health wait of a replacement. */
const settleMs = 1000;
/** The target for `moor up` with nothing changed, in ms. */
const noChangeTargetMs = 500;
/** The pause before each timed command, in ms, for the engines to settle (see the header). */
const pauseMs = Number(process.env.BENCH_PAUSE_MS ?? 1000);

function pause(): Promise<void> {
  return new Promise((resolvePause) => setTimeout(resolvePause, pauseMs));
}

interface Daemon {
  name: "moor" | "dockerd";
  host: string;
  /** The app's directory (compose.yaml) for this engine: each engine's app changes on its own. */
  app: string;
  /** Whether the app was deployed (so `moor down` must run) and the images and containers this run made there. */
  deployed: boolean;
  images: Set<string>;
  containers: Set<string>;
}

/** A private docker CLI configuration: no user settings, no hints. */
const dockerConfig = mkdtempSync(join(tmpdir(), "moor-bench-docker-config-"));
const dockerEnv = { DOCKER_CONFIG: dockerConfig, DOCKER_CLI_HINTS: "false" };

function command(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): { ms: number; stdout: string } {
  const start = performance.now();
  const result = spawnSync(file, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`${file} ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return { ms, stdout: result.stdout };
}

function dockerCli(daemon: Daemon, args: string[]): { ms: number; stdout: string } {
  try {
    return command("docker", ["-H", daemon.host, ...args], { env: dockerEnv });
  } catch (err) {
    throw new Error(`${daemon.name}: ${(err as Error).message}`);
  }
}

interface Mark {
  /** ms since the process was spawned. */
  at: number;
  line: string;
}

/**
 * Runs the moor CLI against an engine, in the app's directory; resolves to its wall time, its
 * stdout, and every line of stdout and stderr with the time it arrived.
 */
function moorCli(daemon: Daemon, args: string[]): Promise<{ ms: number; stdout: string; marks: Mark[] }> {
  return new Promise((resolveRun, reject) => {
    const start = performance.now();
    const child = spawn(moorBin, args, { cwd: daemon.app, env: { ...process.env, MOOR_HOST: daemon.host }, stdio: ["ignore", "pipe", "pipe"] });
    const marks: Mark[] = [];
    let stdout = "";
    let stderr = "";
    const lines = (keep: (text: string) => void) => {
      let partial = "";
      return (chunk: Buffer) => {
        const at = performance.now() - start;
        const text = chunk.toString();
        keep(text);
        const parts = (partial + text).split("\n");
        partial = parts.pop()!;
        for (const line of parts) marks.push({ at, line });
      };
    };
    child.stdout.on("data", lines((text) => (stdout += text)));
    child.stderr.on("data", lines((text) => (stderr += text)));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = performance.now() - start;
      if (code !== 0) reject(new Error(`${daemon.name}: moor ${args.join(" ")} exited ${code}:\n${stdout}${stderr}`));
      else resolveRun({ ms, stdout, marks });
    });
  });
}

// ---- the app ----------------------------------------------------------------------------------

const project = `moorbench${process.pid}`;
const image = `moor-bench-busybox:${process.pid}`;
/** The service whose command each replace run changes: stateless, started before its predecessor stops. */
const changed = "web";

/**
 * A long-running command that ends at once on SIGTERM: `wait` returns as soon as the trapped
 * signal arrives (a foreground `sleep` would hold the trap back for up to 0.2 s, a delay of the
 * service's own in every stop). `variant` makes a different command, hence a new config hash.
 */
function serviceCommand(variant: number): string[] {
  return ["sh", "-c", `: variant ${variant}; trap 'exit 0' TERM; while :; do sleep 0.2 & wait; done`];
}

/** compose.yaml: `web` (start-first) and nine others, no dependencies, no volumes, each with a 1 s settle. */
function writeApp(daemon: Daemon, variant: number): void {
  const services = [`  ${changed}:\n    image: ${image}\n    command: ${JSON.stringify(serviceCommand(variant))}\n    x-moor: {order: start-first, settle: ${settleMs / 1000}s}\n`];
  for (let i = 1; i < serviceCount; i++) {
    services.push(`  svc${i}:\n    image: ${image}\n    command: ${JSON.stringify(serviceCommand(0))}\n    x-moor: {settle: ${settleMs / 1000}s}\n`);
  }
  writeFileSync(join(daemon.app, "compose.yaml"), `services:\n${services.join("")}`);
}

function up(daemon: Daemon): ReturnType<typeof moorCli> {
  return moorCli(daemon, ["up", "-p", project]);
}

function expectOutput(daemon: Daemon, stdout: string, pattern: RegExp, what: string): void {
  if (!pattern.test(stdout)) throw new Error(`${daemon.name}: moor up did not ${what}:\n${stdout}`);
}

// ---- 1. nothing changed -----------------------------------------------------------------------

/** The time a mark matching `pattern` arrived; throws if none did. */
function markAt(daemon: Daemon, marks: Mark[], pattern: RegExp): number {
  const found = marks.find((mark) => pattern.test(mark.line));
  if (found === undefined) throw new Error(`${daemon.name}: no line of moor up matches ${pattern}:\n${marks.map((m) => m.line).join("\n")}`);
  return found.at;
}

const planLine = /^Plan for /;

/** Medians of `moor up` with nothing to do (and of its time to print the plan), of `moor --version` and of `node -e 0`. */
async function noChange(daemons: Daemon[]): Promise<{ total: Map<Daemon, number>; plan: Map<Daemon, number>; cliFloor: number; nodeFloor: number }> {
  const totals = new Map<Daemon, number[]>(daemons.map((d) => [d, []]));
  const plans = new Map<Daemon, number[]>(daemons.map((d) => [d, []]));
  const floor: number[] = [];
  const nodeFloor: number[] = [];
  for (let i = 0; i < warmUps + runs; i++) {
    for (const daemon of daemons) {
      await pause();
      const { ms, stdout, marks } = await up(daemon);
      expectOutput(daemon, stdout, new RegExp(`${project} is up to date at revision \\d+: nothing to do`), "find nothing to do");
      if (i < warmUps) continue;
      totals.get(daemon)!.push(ms);
      plans.get(daemon)!.push(markAt(daemon, marks, planLine));
    }
    await pause();
    const version = await moorCli(daemons[0], ["--version"]);
    const node = command(process.execPath, ["-e", "0"]).ms;
    if (i < warmUps) continue;
    floor.push(version.ms);
    nodeFloor.push(node);
  }
  const medians = (times: Map<Daemon, number[]>) => new Map(daemons.map((d) => [d, median(times.get(d)!)]));
  return { total: medians(totals), plan: medians(plans), cliFloor: median(floor), nodeFloor: median(nodeFloor) };
}

// ---- 2. one service replaced ------------------------------------------------------------------

/** Where the time of a replacing `moor up` goes, between the progress lines it prints. */
const phases = [
  { name: "CLI start, observe, plan printed", until: planLine },
  { name: "recover check, backup schedules, rename old", until: /: creating / },
  { name: "create", until: /: starting / },
  { name: "start, inspect", until: /: checking it stays up/ },
  { name: "settle gate", until: /: up for / },
  { name: "(gate passed → stop begins)", until: /: stopping / },
  { name: "stop old, baseline, record revision", until: /revision \d+ recorded/ },
  { name: "summary, exit", until: undefined },
] as const;

type Breakdown = number[];

function breakdown(daemon: Daemon, marks: Mark[], total: number): Breakdown {
  let previous = 0;
  return phases.map((phase) => {
    const at = phase.until === undefined ? total : markAt(daemon, marks, phase.until);
    const spent = at - previous;
    previous = at;
    return spent;
  });
}

/**
 * Medians of `moor up` after `web`'s command changed, with its breakdown; of what it added over
 * a no-change `moor up` run right after it, in the same state (as many revisions and retired
 * containers kept), the two paired run by run; and of `docker run -d` of the same container and
 * its `docker stop` (then removed, untimed), interleaved on each engine.
 */
async function replaceOne(daemons: Daemon[]): Promise<{ up: Map<Daemon, number>; added: Map<Daemon, number>; planAdded: Map<Daemon, number>; addedAfterPlan: Map<Daemon, number>; phases: Map<Daemon, Breakdown>; runD: Map<Daemon, number>; stop: Map<Daemon, number> }> {
  const ups = new Map<Daemon, number[]>(daemons.map((d) => [d, []]));
  const addeds = new Map<Daemon, number[]>(daemons.map((d) => [d, []]));
  const planAddeds = new Map<Daemon, number[]>(daemons.map((d) => [d, []]));
  const addedsAfterPlan = new Map<Daemon, number[]>(daemons.map((d) => [d, []]));
  const parts = new Map<Daemon, Breakdown[]>(daemons.map((d) => [d, []]));
  const runDs = new Map<Daemon, number[]>(daemons.map((d) => [d, []]));
  const stops = new Map<Daemon, number[]>(daemons.map((d) => [d, []]));
  // Each step runs on one engine, then on the other, so that every timed command follows the
  // same kind of work on the other engine: the replacing `moor up`, the no-change one, run -d.
  for (let i = 0; i < warmUps + replaceRuns; i++) {
    const replaced = new Map<Daemon, { ms: number; marks: Mark[] }>();
    for (const daemon of daemons) {
      writeApp(daemon, i + 1);
      await pause();
      const { ms, stdout, marks } = await up(daemon);
      expectOutput(daemon, stdout, new RegExp(`Revision \\d+ of ${project} is live: 0 created, 1 replaced, ${serviceCount - 1} kept, 0 retired`), `replace ${changed} alone`);
      replaced.set(daemon, { ms, marks });
    }
    for (const daemon of daemons) {
      await pause();
      const unchanged = await up(daemon);
      expectOutput(daemon, unchanged.stdout, new RegExp(`${project} is up to date at revision \\d+: nothing to do`), "find nothing to do");
      const { ms, marks } = replaced.get(daemon)!;
      if (i < warmUps) continue;
      ups.get(daemon)!.push(ms);
      addeds.get(daemon)!.push(ms - unchanged.ms);
      const planned = markAt(daemon, marks, planLine);
      const plannedUnchanged = markAt(daemon, unchanged.marks, planLine);
      planAddeds.get(daemon)!.push(planned - plannedUnchanged);
      addedsAfterPlan.get(daemon)!.push(ms - planned - (unchanged.ms - plannedUnchanged));
      parts.get(daemon)!.push(breakdown(daemon, marks, ms));
    }
    for (const daemon of daemons) {
      const name = `moor-bench-run-${process.pid}-${daemon.name}-${i}`;
      daemon.containers.add(name);
      // The deploy has stopped a container and pruned others: the engine settles before run -d too.
      await pause();
      const run = dockerCli(daemon, ["run", "-d", "--name", name, image, ...serviceCommand(i + 1)]).ms;
      // Up a moment, as the replaced container was: its shell has set its trap.
      await new Promise((r) => setTimeout(r, 300));
      const stop = dockerCli(daemon, ["stop", name]).ms;
      dockerCli(daemon, ["rm", "-f", name]);
      daemon.containers.delete(name);
      if (i < warmUps) continue;
      runDs.get(daemon)!.push(run);
      stops.get(daemon)!.push(stop);
    }
  }
  const medians = (times: Map<Daemon, number[]>) => new Map(daemons.map((d) => [d, median(times.get(d)!)]));
  return {
    up: medians(ups),
    added: medians(addeds),
    planAdded: medians(planAddeds),
    addedAfterPlan: medians(addedsAfterPlan),
    phases: new Map(daemons.map((d) => [d, phases.map((_, p) => median(parts.get(d)!.map((b) => b[p])))])),
    runD: medians(runDs),
    stop: medians(stops),
  };
}

// ---- the run ----------------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), "moor-bench-deploy-"));
const engine = await startEngine();
const daemonFor = (name: Daemon["name"], host: string): Daemon => {
  const app = join(work, `app-${name}`);
  mkdirSync(app);
  return { name, host, app, deployed: false, images: new Set(), containers: new Set() };
};
const moor = daemonFor("moor", engine.host);
const ref = daemonFor("dockerd", refHost);
const daemons = [moor, ref];
try {
  const tarball = join(work, "busybox.tar");
  const made = spawnSync(resolve(import.meta.dirname, "../scripts/make-test-image.sh"), [tarball], { encoding: "utf8" });
  if (made.status !== 0) throw new Error(`make-test-image.sh: ${made.stderr}`);
  for (const daemon of daemons) {
    daemon.images.add(image);
    dockerCli(daemon, ["import", "-c", 'CMD ["sh"]', tarball, image]);
  }
  rmSync(tarball);

  console.log(
    `deploy benchmark: an app of ${serviceCount} services (busybox, no volumes, settle ${settleMs / 1000} s); ` +
      `no-change medians of ${runs}, replace medians of ${replaceRuns}, after ${warmUps} warm-ups, each timed command after a ${pauseMs} ms pause; ` +
      `load average ${loadavg()[0].toFixed(2)}`,
  );
  const first = new Map<Daemon, number>();
  for (const daemon of daemons) {
    writeApp(daemon, 0);
    daemon.deployed = true;
    const { ms, stdout } = await up(daemon);
    expectOutput(daemon, stdout, new RegExp(`Revision 1 of ${project} is live: ${serviceCount} created`), `create the ${serviceCount} services`);
    first.set(daemon, ms);
  }

  const still = await noChange(daemons);
  const replaced = await replaceOne(daemons);

  const budget = (d: Daemon) => replaced.runD.get(d)! + settleMs;
  const added = (d: Daemon) => replaced.addedAfterPlan.get(d)!;
  /** A target: judged (met yes/NO) when it has a limit, else only the budget a figure is shown against. */
  type Row = { figure: string; moor: number; dockerd: number; target?: { text: string; limit?: number } };
  const rows: Row[] = [
    { figure: `\`moor up\`, nothing changed (ms)`, moor: still.total.get(moor)!, dockerd: still.total.get(ref)!, target: { text: `< ${noChangeTargetMs}`, limit: noChangeTargetMs } },
    { figure: "  of which: until the plan is printed (ms)", moor: still.plan.get(moor)!, dockerd: still.plan.get(ref)! },
    { figure: "  floor: `moor --version` (ms)", moor: still.cliFloor, dockerd: still.cliFloor },
    { figure: "  floor: `node -e 0` (ms)", moor: still.nodeFloor, dockerd: still.nodeFloor },
    { figure: `\`moor up\`, ${changed}'s command changed (ms)`, moor: replaced.up.get(moor)!, dockerd: replaced.up.get(ref)!, target: { text: "(vs run -d + settle)" } },
    { figure: "  added over a no-change `moor up` after it (ms)", moor: replaced.added.get(moor)!, dockerd: replaced.added.get(ref)!, target: { text: "(vs run -d + settle)" } },
    { figure: "    of which: until the plan, the same work in both (ms)", moor: replaced.planAdded.get(moor)!, dockerd: replaced.planAdded.get(ref)! },
    { figure: "  added after the plan: the replacement (ms)", moor: added(moor), dockerd: added(ref), target: { text: "≤ run -d + settle", limit: budget(moor) } },
    { figure: "  `docker run -d` of the same container (ms)", moor: replaced.runD.get(moor)!, dockerd: replaced.runD.get(ref)! },
    { figure: `  run -d + settle ${settleMs} ms (ms)`, moor: budget(moor), dockerd: budget(ref) },
    { figure: "  added after the plan, over run -d + settle (ms)", moor: added(moor) - budget(moor), dockerd: added(ref) - budget(ref) },
    { figure: "  whole `moor up`, over run -d + settle (ms)", moor: replaced.up.get(moor)! - budget(moor), dockerd: replaced.up.get(ref)! - budget(ref) },
    { figure: "  `docker stop` of the run -d container (ms)", moor: replaced.stop.get(moor)!, dockerd: replaced.stop.get(ref)! },
    { figure: `first \`moor up\`, ${serviceCount} services created (ms, one run)`, moor: first.get(moor)!, dockerd: first.get(ref)! },
  ];
  const table: string[][] = [["figure", "moor", "dockerd", "moor/dockerd", "target", "met"]];
  for (const row of rows) {
    const ratio = row.dockerd > 0 && row.moor > 0 ? (row.moor / row.dockerd).toFixed(2) : "-";
    const met = row.target?.limit === undefined ? "" : row.moor <= row.target.limit ? "yes" : "NO";
    table.push([row.figure, row.moor.toFixed(1), row.dockerd.toFixed(1), ratio, row.target?.text ?? "", met]);
  }
  const print = (lines: string[][]) => {
    const widths = lines[0].map((_, c) => Math.max(...lines.map((r) => r[c].length)));
    for (const line of lines) console.log(line.map((cell, c) => cell.padEnd(widths[c])).join("   ").trimEnd());
  };
  print(table);
  console.log(`\nwhere the replacing \`moor up\` spends its time (medians of each phase, ms; from the progress lines as they arrive):`);
  print([
    ["phase", "moor", "dockerd"],
    ...phases.map((phase, p) => [`  ${phase.name}`, replaced.phases.get(moor)![p].toFixed(1), replaced.phases.get(ref)![p].toFixed(1)]),
  ]);
} finally {
  for (const daemon of daemons) {
    if (daemon.deployed) {
      const down = spawnSync(moorBin, ["down", "--volumes", "--yes", "-p", project], { cwd: daemon.app, env: { ...process.env, MOOR_HOST: daemon.host }, encoding: "utf8" });
      if (down.status !== 0) console.error(`${daemon.name}: moor down failed: ${down.stderr}`);
    }
    const docker = (args: string[]) => spawnSync("docker", ["-H", daemon.host, ...args], { env: { ...process.env, ...dockerEnv }, stdio: "ignore" });
    for (const name of daemon.containers) docker(["rm", "-f", "-v", name]);
    for (const name of daemon.images) docker(["rmi", name]);
  }
  // moor's engine is this run's own: whatever it still holds goes with its root.
  await removeAllContainers(engine);
  await engine.stop();
  engine.cleanup();
  rmSync(work, { recursive: true, force: true });
  rmSync(dockerConfig, { recursive: true, force: true });
}
