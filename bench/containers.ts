// Container workload against moor and a reference dockerd, in one run, beside the floor that
// both stand on (a bare `runc run` of the same root filesystem); prints each figure for both,
// the ratio moor/dockerd (lower is better for moor) and whether moor meets its target.
//
//   REF_DOCKER_HOST=unix:///run/refdocker.sock npm run bench:containers
//
// moor is started from the built binary on a temporary root; the reference engine must be
// running already (see README). Both get the same busybox image (scripts/make-test-image.sh),
// imported under one name, and the same requests; everything made here is removed at the end.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { removeAllContainers, startEngine } from "../test/support/engine.ts";
import { median, removeRuncLeftovers, runcFloor } from "./support.ts";

const refHost = process.env.REF_DOCKER_HOST;
if (!refHost?.startsWith("unix://")) {
  console.error("set REF_DOCKER_HOST=unix:///path/to/dockerd.sock (a running reference dockerd)");
  process.exit(2);
}
const runs = Number(process.env.BENCH_RUNS ?? 20);
const idleCount = Number(process.env.BENCH_IDLE ?? 50);
const warmUps = 3;

interface Daemon {
  name: "moor" | "dockerd";
  host: string;
  socket: string;
  /** API prefix: each engine's own newest version. */
  prefix: string;
  agent: Agent;
  /** The processes of the engine itself, found once it runs. */
  enginePids(): number[];
  /** The per-container monitor processes of these containers (conmon, containerd-shim-runc-v2). */
  monitorPids(containerIds: string[]): number[];
  /** Containers this run made that still exist: removed at the end whatever happened. */
  made: Set<string>;
}

function call(daemon: Daemon, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolveCall, reject) => {
    const req = request(
      {
        socketPath: daemon.socket,
        agent: daemon.agent,
        method,
        path: `${daemon.prefix}${path}`,
        headers: payload ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolveCall({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

async function expectOk(daemon: Daemon, method: string, path: string, body?: unknown): Promise<string> {
  const res = await call(daemon, method, path, body);
  if (res.status >= 300) throw new Error(`${daemon.name}: ${method} ${path} -> ${res.status} ${res.body}`);
  return res.body;
}

/** Runs a command to completion with its output discarded; resolves to the milliseconds it took. */
function timedCommand(file: string, args: string[], env: NodeJS.ProcessEnv = {}): number {
  const start = performance.now();
  const result = spawnSync(file, args, { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`${file} ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

/** Every process on the machine with its parent and argv. */
function processTable(): Array<{ pid: number; ppid: number; argv: string[] }> {
  const table = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter((a) => a !== "");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name in stat may hold spaces and parentheses: the fields after it start at the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      table.push({ pid: Number(entry), ppid, argv });
    } catch {
      // the process exited while the table was read
    }
  }
  return table;
}

/** A process and all its descendants. */
function withDescendants(root: number): number[] {
  const table = processTable();
  const found = [root];
  for (let i = 0; i < found.length; i++) for (const p of table) if (p.ppid === found[i]) found.push(p.pid);
  return found;
}

/** Resident set and proportional set (shared pages divided among their users), in KiB. */
function memoryOf(pid: number): { rss: number; pss: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  return { rss: Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0), pss: Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) };
}

function memoryOfAll(pids: number[]): { rss: number; pss: number } {
  return [...new Set(pids)].map(memoryOf).reduce((a, b) => ({ rss: a.rss + b.rss, pss: a.pss + b.pss }), { rss: 0, pss: 0 });
}

/** The processes whose argv[0] is `binary` and whose arguments hold `flag id` for one of the ids. */
function monitorsByArgument(binary: string, flag: string, containerIds: string[]): number[] {
  const wanted = new Set(containerIds);
  return processTable()
    .filter((p) => p.argv.length > 0 && basename(p.argv[0]) === binary && p.argv.some((arg, i) => arg === flag && wanted.has(p.argv[i + 1] ?? "")))
    .map((p) => p.pid);
}

/** A private docker CLI configuration: no user settings, no hints. */
const dockerConfig = mkdtempSync(join(tmpdir(), "moor-bench-docker-config-"));
function dockerCli(daemon: Daemon, args: string[]): number {
  return timedCommand("docker", ["-H", daemon.host, ...args], { DOCKER_CONFIG: dockerConfig, DOCKER_CLI_HINTS: "false" });
}

/** (a) `docker run --rm IMAGE true` through the real CLI, alternating engines so both see the same machine. */
function cliRunLatency(daemons: Daemon[], image: string): Map<Daemon, number> {
  const times = new Map<Daemon, number[]>(daemons.map((d) => [d, []]));
  for (let i = 0; i < warmUps + runs; i++) {
    for (const daemon of daemons) {
      const ms = dockerCli(daemon, ["run", "--rm", image, "true"]);
      if (i >= warmUps) times.get(daemon)!.push(ms);
    }
  }
  return new Map(daemons.map((d) => [d, median(times.get(d)!)]));
}

type Step = "create" | "start" | "wait" | "remove" | "total";

/** (b) The engine API's create, start, wait and remove of a `true` container, each step timed. */
async function apiRunLatency(daemons: Daemon[], image: string): Promise<Map<Daemon, Record<Step, number>>> {
  const steps: Step[] = ["create", "start", "wait", "remove", "total"];
  const times = new Map(daemons.map((d) => [d, Object.fromEntries(steps.map((s) => [s, [] as number[]])) as Record<Step, number[]>]));
  for (let i = 0; i < warmUps + runs; i++) {
    for (const daemon of daemons) {
      const marks = [performance.now()];
      const id = (JSON.parse(await expectOk(daemon, "POST", "/containers/create", { Image: image, Cmd: ["true"] })) as { Id: string }).Id;
      daemon.made.add(id);
      marks.push(performance.now());
      await expectOk(daemon, "POST", `/containers/${id}/start`);
      marks.push(performance.now());
      const waited = JSON.parse(await expectOk(daemon, "POST", `/containers/${id}/wait`)) as { StatusCode: number };
      if (waited.StatusCode !== 0) throw new Error(`${daemon.name}: true exited ${waited.StatusCode}`);
      marks.push(performance.now());
      await expectOk(daemon, "DELETE", `/containers/${id}`);
      marks.push(performance.now());
      daemon.made.delete(id);
      if (i < warmUps) continue;
      const record = times.get(daemon)!;
      steps.slice(0, 4).forEach((step, s) => record[step].push(marks[s + 1] - marks[s]));
      record.total.push(marks[4] - marks[0]);
    }
  }
  return new Map(daemons.map((d) => [d, Object.fromEntries(steps.map((s) => [s, median(times.get(d)![s])])) as Record<Step, number>]));
}

interface IdleMemory {
  count: number;
  engine: { rss: number; pss: number };
  monitors: { rss: number; pss: number };
  monitorCount: number;
}

/** (d) Memory with idle containers running: the engine's processes and each container's monitor. */
async function idleMemory(daemon: Daemon, image: string): Promise<IdleMemory> {
  const ids: string[] = [];
  for (let i = 0; i < idleCount; i++) {
    const id = (JSON.parse(await expectOk(daemon, "POST", "/containers/create", { Image: image, Cmd: ["sleep", "100000"] })) as { Id: string }).Id;
    daemon.made.add(id);
    ids.push(id);
    await expectOk(daemon, "POST", `/containers/${id}/start`);
  }
  // Let both engines settle (moor collects garbage after two idle seconds).
  await new Promise((r) => setTimeout(r, 5000));
  const monitors = daemon.monitorPids(ids);
  const engine = daemon.enginePids().filter((pid) => !monitors.includes(pid));
  return { count: ids.length, engine: memoryOfAll(engine), monitors: memoryOfAll(monitors), monitorCount: monitors.length };
}

async function removeContainers(daemon: Daemon): Promise<void> {
  for (const id of daemon.made) await call(daemon, "DELETE", `/containers/${id}?force=1`).catch(() => undefined);
  daemon.made.clear();
}

function refVersionOf(socket: string): Promise<string> {
  return new Promise((resolveVersion, reject) => {
    const req = request({ socketPath: socket, path: "/version" }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c));
      res.on("end", () => resolveVersion((JSON.parse(text) as { ApiVersion: string }).ApiVersion));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The reference dockerd's pid: the dockerd process listening on the reference socket. */
function refDockerdPid(socket: string): number {
  const found = processTable().find((p) => p.argv.length > 0 && basename(p.argv[0]) === "dockerd" && p.argv.some((a) => a.endsWith(socket)));
  if (found === undefined) throw new Error(`no dockerd process serves ${socket}`);
  return found.pid;
}

const work = mkdtempSync(join(tmpdir(), "moor-bench-containers-"));
const tarball = join(work, "busybox.tar");
const image = `moor-bench-busybox:${process.pid}`;
const runcState = join(work, "runc-state");
const engine = await startEngine();
const agents: Agent[] = [];
let refForCleanup: Daemon | undefined;
try {
  const refSocket = refHost.slice("unix://".length);
  const refVersion = await refVersionOf(refSocket);
  const dockerdPid = refDockerdPid(refSocket);
  const moor: Daemon = {
    name: "moor",
    host: engine.host,
    socket: engine.socket,
    prefix: "/v1.45",
    agent: new Agent({ keepAlive: true, maxSockets: 1 }),
    enginePids: () => withDescendants(engine.process.pid!),
    monitorPids: (ids) => monitorsByArgument("conmon", "-c", ids),
    made: new Set(),
  };
  const ref: Daemon = {
    name: "dockerd",
    host: refHost,
    socket: refSocket,
    prefix: `/v${refVersion}`,
    agent: new Agent({ keepAlive: true, maxSockets: 1 }),
    // dockerd and the containerd it started; the shims leave that tree and count as monitors.
    enginePids: () => withDescendants(dockerdPid),
    monitorPids: (ids) => monitorsByArgument("containerd-shim-runc-v2", "-id", ids),
    made: new Set(),
  };
  const daemons = [moor, ref];
  refForCleanup = ref;
  agents.push(moor.agent, ref.agent);

  const made = spawnSync(resolve(import.meta.dirname, "../scripts/make-test-image.sh"), [tarball]);
  if (made.status !== 0) throw new Error(`make-test-image.sh: ${made.stderr}`);
  for (const daemon of daemons) dockerCli(daemon, ["import", tarball, image]);

  console.log(`container benchmark: medians of ${runs} runs after ${warmUps} warm-ups, ${idleCount} idle containers; reference dockerd API ${refVersion}; load average ${loadavg()[0].toFixed(2)} (other work on the machine skews both engines alike)`);
  const cli = cliRunLatency(daemons, image);
  const api = await apiRunLatency(daemons, image);
  const floor = runcFloor({ work, tarball, state: runcState, seccomp: false, runs, warmUps });
  const seccompFloor = runcFloor({ work, tarball, state: runcState, seccomp: true, runs, warmUps });
  const moorIdle = await idleMemory(moor, image);
  await removeContainers(moor);
  const refIdle = await idleMemory(ref, image);
  await removeContainers(ref);
  for (const idle of [moorIdle, refIdle]) {
    if (idle.monitorCount !== idle.count) throw new Error(`found ${idle.monitorCount} monitor processes for ${idle.count} containers`);
  }

  const mib = (kib: number) => kib / 1024;
  type Row = [figure: string, moor: number | string, dockerd: number | string, target?: { ratio?: number; atMost?: "dockerd" }];
  const rows: Row[] = [
    [`\`docker run --rm IMAGE true\` (ms)`, cli.get(moor)!, cli.get(ref)!, { ratio: 0.5 }],
    ["API create+start+wait+remove (ms)", api.get(moor)!.total, api.get(ref)!.total, { ratio: 0.5 }],
    ...(["create", "start", "wait", "remove"] as const).map((step): Row => [`  ${step} (ms)`, api.get(moor)![step], api.get(ref)![step]]),
    ["floor: bare `runc run` of the rootfs (ms)", floor, floor],
    ["floor with Docker's seccomp profile (ms)", seccompFloor, seccompFloor],
    [`${idleCount} idle: engine RSS (MiB)`, mib(moorIdle.engine.rss), mib(refIdle.engine.rss)],
    [`${idleCount} idle: monitors RSS, sum (MiB)`, mib(moorIdle.monitors.rss), mib(refIdle.monitors.rss)],
    [`${idleCount} idle: engine + monitors RSS (MiB)`, mib(moorIdle.engine.rss + moorIdle.monitors.rss), mib(refIdle.engine.rss + refIdle.monitors.rss), { atMost: "dockerd" }],
    [`${idleCount} idle: engine + monitors PSS (MiB)`, mib(moorIdle.engine.pss + moorIdle.monitors.pss), mib(refIdle.engine.pss + refIdle.monitors.pss)],
  ];
  const table: string[][] = [["figure", "moor", "dockerd", "moor/dockerd", "target", "met"]];
  for (const [figure, m, d, target] of rows) {
    const ratio = typeof m === "number" && typeof d === "number" ? m / d : undefined;
    const limit = target?.ratio ?? (target?.atMost === "dockerd" ? 1 : undefined);
    table.push([
      figure,
      typeof m === "number" ? m.toFixed(1) : m,
      typeof d === "number" ? d.toFixed(1) : d,
      ratio === undefined ? "-" : ratio.toFixed(2),
      limit === undefined ? "" : target?.atMost ? "≤ dockerd" : `≤ ${limit.toFixed(2)}`,
      limit === undefined || ratio === undefined ? "" : ratio <= limit ? "yes" : "NO",
    ]);
  }
  const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
  for (const row of table) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join("   ").trimEnd());
  const over = (ms: number) => `+${(ms - floor).toFixed(1)}`;
  console.log(
    `above the runc floor (ms): CLI run moor ${over(cli.get(moor)!)}, dockerd ${over(cli.get(ref)!)}; ` +
      `API moor ${over(api.get(moor)!.total)}, dockerd ${over(api.get(ref)!.total)}`,
  );
  console.log(`monitor processes: moor ${moorIdle.monitorCount} conmon, dockerd ${refIdle.monitorCount} containerd-shim-runc-v2`);
} finally {
  // The engine is this run's own: whatever it still holds goes, so conmon and mounts go with it.
  await removeAllContainers(engine);
  if (refForCleanup !== undefined) {
    await removeContainers(refForCleanup);
    try {
      dockerCli(refForCleanup, ["rmi", image]);
    } catch {
      // never imported
    }
  }
  for (const agent of agents) agent.destroy();
  await engine.stop();
  engine.cleanup();
  removeRuncLeftovers(runcState);
  rmSync(work, { recursive: true, force: true });
  rmSync(dockerConfig, { recursive: true, force: true });
}
