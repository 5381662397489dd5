// Starts a real moor engine (the built binary, as users run it) on a temporary root, exec
// root and socket, and cleans up after it: the process it started, by PID, and the
// directories it made. Needs root (the engine mounts and chowns) and a prior `npm run build`.
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { after, before } from "node:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request, type OutgoingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { mountsUnder } from "../../src/engine/fs.ts";

export const moorBin = resolve(import.meta.dirname, "../../bin/moor");

export interface TestEngine {
  root: string;
  execRoot: string;
  socket: string;
  host: string;
  process: ChildProcess;
  /** stderr of the engine so far (structured logs). */
  logs(): string;
  /** SIGTERM and wait for a clean exit; resolves to the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** Removes the engine's temporary directory (after stop or kill). */
  cleanup(): void;
}

export interface StartOptions {
  /** Reuse an existing root and exec root (to restart an engine on the same data). */
  root?: string;
  execRoot?: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

export async function startEngine(options: StartOptions = {}): Promise<TestEngine> {
  const base = mkdtempSync(join(tmpdir(), "moor-test-"));
  const root = options.root ?? join(base, "root");
  const execRoot = options.execRoot ?? join(base, "exec");
  const socket = join(base, "moor.sock");
  const host = `unix://${socket}`;
  const child = spawn(
    moorBin,
    ["engine", "--root", root, "--exec-root", execRoot, "--host", host, "--log-level", "debug", ...(options.extraArgs ?? [])],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...options.env } },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once("exit", (code) => resolveExit(code)));

  const deadline = Date.now() + 15_000;
  while (!(await pings(socket))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      rmSync(base, { recursive: true, force: true });
      throw new Error(`engine did not start:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }

  return {
    root,
    execRoot,
    socket,
    host,
    process: child,
    logs: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    cleanup() {
      // A reused root belongs to the engine that made it; only this engine's own directory goes.
      rmSync(base, { recursive: true, force: true });
    },
  };
}

function pings(socket: string): Promise<boolean> {
  return new Promise((resolvePing) => {
    const req = request({ socketPath: socket, path: "/_ping", method: "GET" }, (res) => {
      res.resume();
      resolvePing(res.statusCode === 200);
    });
    req.on("error", () => resolvePing(false));
    req.end();
  });
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion with optional stdin; never throws on a non-zero exit. */
export function run(file: string, args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...options.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolveRun({ code, stdout, stderr }));
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}

/** The moor CLI against an engine. */
export function moor(engine: { host: string }, args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return run(moorBin, args, { input: options.input, cwd: options.cwd, env: { MOOR_HOST: engine.host, ...options.env } });
}

/** The real docker CLI against an engine, with a private empty config. */
export function docker(engine: { host: string }, args: string[], options: { input?: string | Buffer; apiVersion?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  const config = mkdtempSync(join(tmpdir(), "moor-docker-config-"));
  return run("docker", ["-H", engine.host, ...args], {
    input: options.input,
    env: { DOCKER_CONFIG: config, DOCKER_CLI_HINTS: "false", TZ: "UTC", ...(options.apiVersion ? { DOCKER_API_VERSION: options.apiVersion } : {}), ...options.env },
  }).finally(() => rmSync(config, { recursive: true, force: true }));
}

/**
 * One engine for the whole test file: started before the first test (then `setup` runs with
 * it: node:test does not wait for one root hook before starting the next), stopped and cleaned
 * up after the last. Returns a getter, since the engine exists only once `before` has run.
 */
export function useEngine(setup?: (engine: TestEngine) => Promise<void>): () => TestEngine {
  let engine: TestEngine | undefined;
  before(async () => {
    engine = await startEngine();
    await setup?.(engine);
  });
  after(async () => {
    if (engine === undefined) return;
    // An engine that died during the file (a crash: no test stops it) leaves its containers
    // running under conmon: a second engine on its root removes them.
    const alive = await pings(engine.socket);
    if (!alive) await engine.kill();
    const died = alive ? null : (engine.process.exitCode ?? engine.process.signalCode);
    const remover = alive ? engine : await startEngine({ root: engine.root, execRoot: engine.execRoot });
    const refused = await removeAllContainers(remover);
    const stopCode = await remover.stop();
    if (remover !== engine) remover.cleanup();
    // What the engine left mounted under its root is a bug of its own: named, with its log's end,
    // and unmounted, so that the cleanup and the next files are not hit by it.
    const left = mountsUnder(engine.root);
    for (const mount of left) execFileSync("umount", ["--lazy", mount]);
    engine.cleanup();
    const problems = [
      ...(died === null ? [] : [`the engine died during the tests (${typeof died === "number" ? `exit code ${died}` : died})`]),
      ...(stopCode === 0 ? [] : [`the engine exited with ${stopCode} when stopped`]),
      ...(left.length === 0 ? [] : [`the engine left ${left.join(", ")} mounted after removing every container${refused.length > 0 ? ` (refused: ${refused.join("; ")})` : ""}`]),
    ];
    if (problems.length > 0) throw new Error(`${problems.join("; ")}; its log ends:\n${engine.logs().slice(-6000)}`);
  });
  return () => engine!;
}

/**
 * Imports the test image (scripts/make-test-image.sh: a busybox root filesystem) into an engine
 * as `name`, with `docker import -c` changes such as `CMD ["/bin/sh"]`.
 */
export async function importBusybox(engine: { host: string }, options: { name?: string; changes?: string[] } = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "moor-test-image-"));
  try {
    const tarball = join(dir, "busybox.tar");
    execFileSync(resolve(import.meta.dirname, "../../scripts/make-test-image.sh"), [tarball]);
    const imported = await docker(engine, ["import", ...(options.changes ?? []).flatMap((change) => ["-c", change]), tarball, options.name ?? "busybox"]);
    assert.equal(imported.code, 0, imported.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Containers outlive their engine (conmon keeps them), so a test removes the ones its engine
 * started before stopping it: no process or overlay mount is left behind.
 */
/** Force-removes every container; resolves to the removals the engine refused, each with its answer. */
export async function removeAllContainers(engine: { socket: string }): Promise<string[]> {
  const listed = await api(engine, "GET", "/containers/json?all=1");
  if (listed.status !== 200) return [];
  const refused: string[] = [];
  for (const container of JSON.parse(listed.body) as Array<{ Id: string }>) {
    const removed = await api(engine, "DELETE", `/containers/${container.Id}?force=1&v=1`);
    if (removed.status !== 204) refused.push(`${container.Id.slice(0, 12)}: ${removed.status} ${removed.body.trim()}`);
  }
  return refused;
}


export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One raw Engine API request. A JSON body is sent with its Content-Type; a connection that
 * fails or drops (as when the test kills the engine) resolves with status 0.
 */
export function api(
  engine: { socket: string },
  method: string,
  path: string,
  body?: unknown,
  headers: OutgoingHttpHeaders = {},
): Promise<ApiResponse> {
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  const contentType = payload !== undefined && typeof body !== "string" ? { "Content-Type": "application/json" } : {};
  return new Promise((resolve) => {
    const failed = () => resolve({ status: 0, headers: {}, body: "" });
    const req = request({ socketPath: engine.socket, method, path, headers: { ...contentType, ...headers } }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on("error", failed);
    });
    req.on("error", failed);
    req.end(payload);
  });
}

/** A build context directory `dir` with these files (a string is a file's content). */
export function writeContext(dir: string, files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/**
 * Runs `body` with an engine that holds the busybox image (`CMD ["sh"]`), `restart`, which
 * starts a second engine on its root and exec root (once the body has stopped or killed the
 * first), and a scratch directory. Every container (through whichever engine still runs), both
 * engines and their files are gone afterwards.
 */
export async function acrossRestart(body: (first: TestEngine, restart: () => Promise<TestEngine>, work: string) => Promise<void>): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "moor-restart-"));
  const first = await startEngine();
  let second: TestEngine | undefined;
  try {
    const tarball = join(work, "busybox.tar");
    execFileSync(resolve(import.meta.dirname, "../../scripts/make-test-image.sh"), [tarball]);
    assert.equal((await docker(first, ["import", "-c", 'CMD ["sh"]', tarball, "busybox"])).code, 0);
    await body(first, async () => (second = await startEngine({ root: first.root, execRoot: first.execRoot })), work);
  } finally {
    // A first engine the body killed, with no second started, has no API left to remove containers through.
    const live = second ?? first;
    if (live.process.exitCode === null && live.process.signalCode === null) await removeAllContainers(live);
    await second?.stop();
    second?.cleanup();
    await first.stop();
    first.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Runs `body` with an engine whose root is a tmpfs of `sizeMiB` (a disk it can fill) and a
 * scratch directory beside it (`work`, on the ordinary disk); stops the engine, unmounts the
 * tmpfs and removes both after. Needs root.
 */
export async function onSmallDisk(sizeMiB: number, body: (engine: TestEngine, root: string, work: string) => Promise<void>): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), "moor-small-disk-"));
  const root = join(base, "root");
  const work = join(base, "work");
  mkdirSync(root);
  mkdirSync(work);
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeMiB}m`, "tmpfs", root]);
  let engine: TestEngine | undefined;
  try {
    engine = await startEngine({ root, execRoot: join(base, "exec") });
    await body(engine, root, work);
  } finally {
    await engine?.stop();
    engine?.cleanup();
    execFileSync("umount", [root]);
    rmSync(base, { recursive: true, force: true });
  }
}
