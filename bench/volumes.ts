// Volume workload against moor and a reference dockerd, in one run; prints each figure for
// both and the ratio moor/dockerd (lower is better for moor).
//
//   REF_DOCKER_HOST=unix:///run/refdocker.sock npm run bench
//
// moor is started from the built binary on a temporary root; the reference engine must be
// running already (see README). Both get the same requests over one keep-alive connection.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { moorBin, startEngine } from "../test/support/engine.ts";
import { median } from "./support.ts";

const refHost = process.env.REF_DOCKER_HOST;
if (!refHost?.startsWith("unix://")) {
  console.error("set REF_DOCKER_HOST=unix:///path/to/dockerd.sock (a running reference dockerd)");
  process.exit(2);
}
const singleOps = Number(process.env.BENCH_OPS ?? 1000);
const manyVolumes = Number(process.env.BENCH_VOLUMES ?? 10_000);

interface Target {
  name: string;
  socket: string;
  /** API prefix: each engine's own newest version. */
  prefix: string;
  agent: Agent;
}

function call(target: Target, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: target.socket,
        agent: target.agent,
        method,
        path: `${target.prefix}${path}`,
        headers: payload ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

async function expectOk(target: Target, method: string, path: string, body?: unknown): Promise<string> {
  const res = await call(target, method, path, body);
  if (res.status >= 300) throw new Error(`${target.name}: ${method} ${path} -> ${res.status} ${res.body}`);
  return res.body;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

async function measure(target: Target): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  // Unmeasured warm-up, the same for both engines: JIT compilation, connection set-up.
  for (let i = 0; i < 300; i++) {
    await expectOk(target, "POST", "/volumes/create", { Name: `bench-warm-${i}` });
    await expectOk(target, "GET", `/volumes/bench-warm-${i}`);
    await expectOk(target, "DELETE", `/volumes/bench-warm-${i}`);
  }
  const names = Array.from({ length: singleOps }, (_, i) => `bench-single-${i}`);
  figures["create (ms/op)"] = (await timed(async () => { for (const n of names) await expectOk(target, "POST", "/volumes/create", { Name: n }); })) / singleOps;
  figures["inspect (ms/op)"] = (await timed(async () => { for (const n of names) await expectOk(target, "GET", `/volumes/${n}`); })) / singleOps;
  figures["remove (ms/op)"] = (await timed(async () => { for (const n of names) await expectOk(target, "DELETE", `/volumes/${n}`); })) / singleOps;

  const many = Array.from({ length: manyVolumes }, (_, i) => `bench-many-${i}`);
  await pool(many, 8, (n) => expectOk(target, "POST", "/volumes/create", { Name: n, Labels: { bench: "1" } }));
  const listTimes: number[] = [];
  for (let i = 0; i < 5; i++) listTimes.push(await timed(() => expectOk(target, "GET", "/volumes")));
  figures[`list ${manyVolumes} (ms)`] = median(listTimes);
  if (target.name === "moor") figures["idle RSS (MiB)"] = await idleRss();
  const filter = target.prefix === "/v1.41" ? {} : { all: ["true"] };
  figures[`prune ${manyVolumes} (ms)`] = await timed(() =>
    expectOk(target, "POST", `/volumes/prune?filters=${encodeURIComponent(JSON.stringify(filter))}`),
  );
  return figures;
}

let moorPid = 0;
/** The engine's resident set after it has been idle for five seconds (it collects after two). */
async function idleRss(): Promise<number> {
  await new Promise((r) => setTimeout(r, 5000));
  const status = readFileSync(`/proc/${moorPid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]);
  return kb / 1024;
}

function cliStartMs(command: string[], env: NodeJS.ProcessEnv, runs = 30): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const result = spawnSync(command[0], command.slice(1), { env: { ...process.env, ...env }, stdio: "ignore" });
    times.push(performance.now() - start);
    if (result.status !== 0) throw new Error(`${command.join(" ")} exited ${result.status}`);
  }
  return median(times);
}

const engine = await startEngine();
moorPid = engine.process.pid!;
try {
  const refVersion = JSON.parse(await new Promise<string>((resolve, reject) => {
    const req = request({ socketPath: refHost.slice(7), path: "/version" }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c));
      res.on("end", () => resolve(text));
    });
    req.on("error", reject);
    req.end();
  })).ApiVersion as string;
  const moorTarget: Target = { name: "moor", socket: engine.socket, prefix: "/v1.45", agent: new Agent({ keepAlive: true, maxSockets: 8 }) };
  const refTarget: Target = { name: "dockerd", socket: refHost.slice(7), prefix: `/v${refVersion}`, agent: new Agent({ keepAlive: true, maxSockets: 8 }) };

  console.log(`volume benchmark: ${singleOps} single ops, ${manyVolumes} volumes; reference dockerd API ${refVersion}`);
  const moorFigures = await measure(moorTarget);
  const refFigures = await measure(refTarget);

  const nodeStart = cliStartMs([process.execPath, "-e", "0"], {});
  const moorLs = cliStartMs([moorBin, "volume", "ls"], { MOOR_HOST: engine.host });

  const rows: Array<[string, string, string, string]> = [["figure", "moor", "dockerd", "moor/dockerd"]];
  for (const key of Object.keys(moorFigures)) {
    const ref = refFigures[key];
    rows.push([key, moorFigures[key].toFixed(3), ref === undefined ? "-" : ref.toFixed(3), ref === undefined ? "-" : (moorFigures[key] / ref).toFixed(2)]);
  }
  rows.push(["cold `moor volume ls` (ms)", moorLs.toFixed(1), `node -e 0: ${nodeStart.toFixed(1)}`, `${(moorLs / nodeStart).toFixed(2)} (vs node)`]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join("   "));
  moorTarget.agent.destroy();
  refTarget.agent.destroy();
} finally {
  await engine.stop();
  engine.cleanup();
}
