// Scenario runner for volume behaviour: runs docker CLI invocations and raw Engine API
// requests against an engine (the reference dockerd or moor) and normalises the outputs so
// that recordings from different engines (and different runs) can be compared verbatim.
//
// Recorded fixtures: test/fixtures/dockerd-volumes.json (see record-fixtures.ts).
//
// Step kinds:
//   {cli}  docker CLI run as `docker -H <host> ...args` (no TTY, stdin piped only when given,
//          a private empty DOCKER_CONFIG, DOCKER_API_VERSION=<scenario.apiVersion> when set).
//   {api}  one HTTP request over the engine socket; the path is sent literally.
//   {fs}   (extension) writes files into a named volume's data directory on the host: the
//          directory is the volume's Mountpoint as reported by GET /volumes/{name} of the
//          engine under test, so the step is engine-neutral. Used for size accounting
//          (prune "reclaimed space", system df). Its result is always `{}`.
//
// Extensions for the container mount scenarios (./mount-scenarios.ts):
//   {hostDir}  creates files/directories (with modes and owners) in the scenario's private
//              temporary host directory, made on first use and removed after the scenario.
//              Its result is always `{}`.
//   {hostList} lists that host directory (see listHostDir) as the step's `stdout`, so that what
//              containers wrote through binds is compared too.
//   Tokens in CLI args and env values, API paths and bodies: `<HOST>` becomes the host
//   directory, `<ROOT>` the engine's data root, `<NAME>` the value a previous step saved with
//   `saveAs: "NAME"` (trimmed stdout). In outputs the host directory normalises to `<HOST>`.
//   CliStep.sortJsonBy / sortLines reorder stdout before normalising, for output whose order
//   the daemon does not define (inspect `.Mounts` is a Go map: `sortJsonBy: "Destination"`).
//   Scenario.selfCleaning: the runner does not remove every volume before and after (the
//   scenario removes what it made), so it can run on an engine shared with others.

import { spawn } from "node:child_process";
import * as http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";

export type CliStep = {
  args: string[];
  stdin?: string;
  env?: Record<string, string>;
  /** Save the trimmed stdout (before normalising) as `<saveAs>` for later steps. */
  saveAs?: string;
  /**
   * stdout is a JSON array of objects: sort it by this key (stable) and print it again as
   * compact JSON, keys in the order the CLI gave them. Go's HTML escaping (\u003c) is lost,
   * identically for both engines.
   */
  sortJsonBy?: string;
  /** Sort stdout's lines (byte order). */
  sortLines?: boolean;
};
export type ApiStep = {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Record the (lower-cased, sorted) response header names in `headerNames`. */
  recordHeaderNames?: boolean;
};
export type FsEntry =
  | { path: string; content: string }
  | { path: string; dir: true }
  | { path: string; hardlinkTo: string }
  | { path: string; symlinkTo: string };
export type FsStep = { volume: string; entries: FsEntry[] };
/** An entry of a {hostDir} step; `mode` (default 0644 files, 0755 dirs) is set after creation. */
export type HostEntry =
  | { path: string; content: string; mode?: number; uid?: number; gid?: number }
  | { path: string; dir: true; mode?: number; uid?: number; gid?: number }
  | { path: string; symlinkTo: string };
export type Step =
  | { cli: CliStep }
  | { api: ApiStep }
  | { fs: FsStep }
  | { hostDir: HostEntry[] }
  | { hostList: true };
export type Scenario = {
  name: string;
  apiVersion?: string;
  steps: Step[];
  /** The scenario removes what it made; the runner leaves other volumes alone. */
  selfCleaning?: boolean;
};
export type StepResult = {
  exit?: number;
  stdout?: string;
  stderr?: string;
  status?: number;
  contentType?: string;
  body?: string;
  headerNames?: string[];
};

// ---------------------------------------------------------------------------------------
// Normalisation

const HEX64 = /\b[0-9a-f]{64}\b/g;
/** A short (12-hex) container/image id, as `docker ps` and `run -d --rm` messages print them. */
const HEX12 = /\b[0-9a-f]{12}\b/g;
/**
 * A container's root filesystem path, which only appears in "cannot mount volume over existing
 * file" style messages and is implementation specific (dockerd: overlay2/<layer>/merged, moor:
 * containers/<id>/rootfs).
 */
const ROOTFS = /<ROOT>\/(?:overlay2\/<ID>\/merged|containers\/<ID>\/rootfs)/g;
const RFC3339 = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/g;

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) out[k] = sortKeys(o[k]);
    return out;
  }
  return v;
}

/**
 * Normalise engine output:
 *  - when `ctx.json` is not false and the whole text is a JSON object/array, it is re-serialised
 *    compactly with sorted object keys (array order kept; a trailing newline is dropped);
 *  - the scenario's host directory (when given) becomes `<HOST>`;
 *  - the engine's data root (GET /info DockerRootDir) becomes `<ROOT>`;
 *  - 64-hex ids/names become `<ID>`, 12-hex short ids `<ID12>`, a container root filesystem
 *    path `<ROOTFS>`; RFC3339 timestamps become `<TIME>`.
 * The runner passes `json: false` for CLI stdout/stderr (their formatting is the CLI's and is
 * compared verbatim) and leaves it on for API response bodies.
 */
export function normalise(text: string, ctx: { root: string; json?: boolean; host?: string }): string {
  let out = text;
  if (ctx.json !== false) {
    const t = out.trim();
    if (t.startsWith("{") || t.startsWith("[")) {
      try {
        out = JSON.stringify(sortKeys(JSON.parse(t)));
      } catch {
        /* not JSON: keep as is */
      }
    }
  }
  if (ctx.host) out = out.split(ctx.host).join("<HOST>");
  if (ctx.root) out = out.split(ctx.root).join("<ROOT>");
  out = out.replace(HEX64, "<ID>");
  out = out.replace(HEX12, "<ID12>");
  out = out.replace(ROOTFS, "<ROOTFS>");
  out = out.replace(RFC3339, "<TIME>");
  return out;
}

// ---------------------------------------------------------------------------------------
// Transport

type Target = { socketPath: string } | { host: string; port: number };

function parseHost(host: string): Target {
  if (host.startsWith("unix://")) return { socketPath: host.slice("unix://".length) };
  const m = /^(?:tcp|http):\/\/([^:/]+):(\d+)\/?$/.exec(host);
  if (m) return { host: m[1], port: Number(m[2]) };
  throw new Error(`unsupported engine host: ${host}`);
}

type RawResponse = { status: number; headers: http.IncomingHttpHeaders; body: string };

function request(
  host: string,
  method: string,
  reqPath: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const hdrs: Record<string, string> = { ...headers };
    const hasLen = Object.keys(hdrs).some((k) => k.toLowerCase() === "content-length");
    if (body !== undefined && !hasLen) hdrs["Content-Length"] = String(Buffer.byteLength(body));
    const req = http.request(
      { ...parseHost(host), method, path: reqPath, headers: hdrs, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(120_000, () => req.destroy(new Error(`timeout: ${method} ${reqPath}`)));
    req.on("error", reject);
    req.end(body);
  });
}

async function getJson<T>(host: string, reqPath: string): Promise<T> {
  const r = await request(host, "GET", reqPath);
  if (r.status !== 200) throw new Error(`GET ${reqPath}: ${r.status} ${r.body}`);
  return JSON.parse(r.body) as T;
}

const rootCache = new Map<string, string>();

/** The engine's data root (GET /info DockerRootDir), cached per host. */
export async function engineRoot(host: string): Promise<string> {
  let root = rootCache.get(host);
  if (root === undefined) {
    root = (await getJson<{ DockerRootDir?: string }>(host, "/info")).DockerRootDir ?? "";
    rootCache.set(host, root);
  }
  return root;
}

/** Remove every volume on the engine (force), so scenarios are independent. */
export async function removeAllVolumes(host: string): Promise<void> {
  const list = await getJson<{ Volumes: Array<{ Name: string }> | null }>(host, "/volumes");
  const failures: string[] = [];
  for (const v of list.Volumes ?? []) {
    const r = await request(host, "DELETE", `/volumes/${encodeURIComponent(v.Name)}?force=1`);
    if (r.status !== 204 && r.status !== 200) failures.push(`${v.Name}: ${r.status} ${r.body.trim()}`);
  }
  if (failures.length) throw new Error(`could not remove volumes:\n${failures.join("\n")}`);
}

// ---------------------------------------------------------------------------------------
// Step execution

let cliConfigDir: string | undefined;
function cliEnvBase(): Record<string, string> {
  // A private, empty CLI config directory: a user's ~/.docker/config.json (volumesFormat,
  // currentContext, ...) must not change what the CLI prints.
  if (cliConfigDir === undefined) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "moor-scenarios-"));
    cliConfigDir = dir;
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: cliConfigDir,
    DOCKER_CONFIG: cliConfigDir,
    DOCKER_CLI_HINTS: "false",
    LANG: "C",
    LC_ALL: "C",
    TZ: "UTC",
  };
}

/** docker CLI binary; override with env MOOR_DOCKER_CLI. */
const DOCKER_BIN = process.env.MOOR_DOCKER_CLI ?? "docker";

function runCli(host: string, step: CliStep, apiVersion?: string, cli = DOCKER_BIN): Promise<RawCli> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = { ...cliEnvBase() };
    if (apiVersion) env.DOCKER_API_VERSION = apiVersion;
    Object.assign(env, step.env ?? {});
    const child = spawn(cli, ["-H", host, ...step.args], {
      env,
      stdio: [step.stdin !== undefined ? "pipe" : "ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on("data", (c: Buffer) => out.push(c));
    child.stderr!.on("data", (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (signal) return reject(new Error(`docker ${step.args.join(" ")}: killed by ${signal}`));
      resolve({
        exit: code ?? -1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
    if (step.stdin !== undefined) {
      child.stdin!.on("error", () => {}); // the CLI may exit before reading all input
      child.stdin!.end(step.stdin);
    }
  });
}
type RawCli = { exit: number; stdout: string; stderr: string };

async function runFs(host: string, step: FsStep): Promise<void> {
  const v = await getJson<{ Mountpoint: string }>(host, `/volumes/${encodeURIComponent(step.volume)}`);
  const base = v.Mountpoint;
  for (const e of step.entries) {
    const p = path.join(base, e.path);
    if ("content" in e) await fsp.writeFile(p, e.content);
    else if ("dir" in e) await fsp.mkdir(p, { recursive: true });
    else if ("hardlinkTo" in e) await fsp.link(path.join(base, e.hardlinkTo), p);
    else await fsp.symlink(e.symlinkTo, p);
  }
}

/** Transport-level headers left out of `headerNames` (they depend on the client connection). */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding"]);

async function runHostDir(dir: string, entries: HostEntry[]): Promise<void> {
  for (const e of entries) {
    const p = path.join(dir, e.path);
    if ("symlinkTo" in e) {
      await fsp.symlink(e.symlinkTo, p);
      continue;
    }
    if ("dir" in e) await fsp.mkdir(p, { recursive: true });
    else await fsp.writeFile(p, e.content);
    // chmod after creating: the umask must not change the modes under test.
    await fsp.chmod(p, e.mode ?? ("dir" in e ? 0o755 : 0o644));
    await fsp.chown(p, e.uid ?? 0, e.gid ?? 0);
  }
}

/**
 * One line per entry below `dir` (not `dir` itself), sorted by path:
 * `<path> <octal mode> <uid>:<gid> dir|file "<content as JSON>"|link -> <target>`.
 */
export async function listHostDir(dir: string): Promise<string> {
  const lines: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await fsp.readdir(path.join(dir, rel))).sort()) {
      const relPath = rel === "" ? name : `${rel}/${name}`;
      const full = path.join(dir, relPath);
      const st = await fsp.lstat(full);
      const head = `${relPath} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isDirectory()) {
        lines.push(`${head} dir`);
        await walk(relPath);
      } else if (st.isSymbolicLink()) lines.push(`${head} link -> ${await fsp.readlink(full)}`);
      else if (st.isFile()) lines.push(`${head} file ${JSON.stringify(await fsp.readFile(full, "utf8"))}`);
      else lines.push(`${head} other`);
    }
  };
  await walk("");
  return lines.map((l) => `${l}\n`).join("");
}

/** stdout reordered as the step asks (see CliStep.sortJsonBy / sortLines). */
function reorder(stdout: string, step: CliStep): string {
  if (step.sortLines) {
    // Trailing newlines (a template's own plus the CLI's) stay at the end.
    const body = stdout.replace(/\n+$/, "");
    return body === "" ? stdout : `${body.split("\n").sort().join("\n")}${stdout.slice(body.length)}`;
  }
  if (step.sortJsonBy !== undefined) {
    const key = step.sortJsonBy;
    let parsed: unknown;
    try {
      parsed = JSON.parse(stdout);
    } catch {
      return stdout; // not JSON (an error, an empty answer): compared as printed
    }
    if (!Array.isArray(parsed)) return stdout;
    const keyOf = (v: unknown) => String((v as Record<string, unknown> | null)?.[key] ?? "");
    const sorted = [...parsed].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
    return `${JSON.stringify(sorted)}${stdout.endsWith("\n") ? "\n" : ""}`;
  }
  return stdout;
}

/**
 * Run one scenario: clean slate, steps in order, clean slate again (a `selfCleaning` scenario
 * skips both clean slates). The scenario's host directory, if it used one, is removed after.
 */
/** `cli`: the client binary the CLI steps run (default the docker CLI; moor's takes the same arguments). */
export async function runScenario(host: string, s: Scenario, { cli }: { cli?: string } = {}): Promise<StepResult[]> {
  const root = await engineRoot(host);
  let hostDir: string | undefined;
  const vars = new Map<string, string>();
  const needHostDir = (): string => (hostDir ??= mkdtempSync(path.join(os.tmpdir(), "moor-mnt-host-")));
  const subst = (text: string): string =>
    text.replace(/<([A-Z][A-Z0-9_]*)>/g, (whole, name: string) => {
      if (name === "HOST") return needHostDir();
      if (name === "ROOT") return root;
      return vars.get(name) ?? whole;
    });
  const text = () => ({ root, json: false, host: hostDir });
  const results: StepResult[] = [];
  if (!s.selfCleaning) await removeAllVolumes(host);
  try {
    for (const step of s.steps) {
      if ("cli" in step) {
        const c = step.cli;
        const env = c.env ? Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, subst(v)])) : undefined;
        const r = await runCli(host, { ...c, args: c.args.map(subst), ...(env ? { env } : {}) }, s.apiVersion, cli);
        if (c.saveAs !== undefined) vars.set(c.saveAs, r.stdout.trim());
        results.push({ exit: r.exit, stdout: normalise(reorder(r.stdout, c), text()), stderr: normalise(r.stderr, text()) });
      } else if ("api" in step) {
        const a = step.api;
        const body = a.body === undefined ? undefined : subst(a.body);
        const r = await request(host, a.method, subst(a.path), a.headers, body);
        const res: StepResult = { status: r.status };
        const ct = r.headers["content-type"];
        if (ct !== undefined) res.contentType = ct;
        res.body = normalise(r.body, { root, host: hostDir });
        if (a.recordHeaderNames) res.headerNames = Object.keys(r.headers).filter((h) => !HOP_BY_HOP.has(h)).sort();
        results.push(res);
      } else if ("fs" in step) {
        await runFs(host, step.fs);
        results.push({});
      } else if ("hostDir" in step) {
        await runHostDir(needHostDir(), step.hostDir);
        results.push({});
      } else {
        results.push({ stdout: normalise(await listHostDir(needHostDir()), text()) });
      }
    }
  } finally {
    if (!s.selfCleaning) await removeAllVolumes(host);
    if (hostDir !== undefined) rmSync(hostDir, { recursive: true, force: true });
  }
  return results;
}

// ---------------------------------------------------------------------------------------
// Scenarios

const V = "1.41";
const cli = (...args: string[]): Step => ({ cli: { args } });
const cliIn = (stdin: string, ...args: string[]): Step => ({ cli: { args, stdin } });
const api = (method: string, p: string, body?: string, headers?: Record<string, string>): Step => ({
  api: { method, path: p, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) },
});
const JSONCT = { "Content-Type": "application/json" };
const apiJson = (method: string, p: string, body: unknown): Step =>
  api(method, p, JSON.stringify(body), JSONCT);
const sc = (name: string, ...steps: Step[]): Scenario => ({ name, apiVersion: V, steps });
const vc = (...args: string[]): Step => cli("volume", "create", ...args);
const f = (filters: unknown) => encodeURIComponent(JSON.stringify(filters));

/** Two regular files: "hello\n" (6 bytes) + "1234567" (7 bytes) in a sub-directory = 13. */
const PLAIN_FILES: FsEntry[] = [
  { path: "hello.txt", content: "hello\n" },
  { path: "sub", dir: true },
  { path: "sub/digits", content: "1234567" },
];
/** PLAIN_FILES + a hard link to hello.txt + a symlink whose target is "hello.txt" (9 chars). */
const SIZED_FILES: FsEntry[] = [
  ...PLAIN_FILES,
  { path: "hard", hardlinkTo: "hello.txt" },
  { path: "sym", symlinkTo: "hello.txt" },
];

export const scenarios: Scenario[] = [
  // ---- volume create ------------------------------------------------------------------
  sc("create-named", vc("vol1"), cli("volume", "inspect", "vol1")),
  sc(
    "create-anonymous",
    vc(),
    cli("volume", "ls", "--format", "{{.Driver}} {{len .Name}}"),
    api("GET", "/v1.41/volumes"),
  ),
  sc("create-labels", vc("--label", "a=b", "--label", "c", "lab"), cli("volume", "inspect", "lab")),
  sc(
    "create-tmpfs-options",
    vc("-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=1m", "tv"),
    cli("volume", "inspect", "tv"),
  ),
  sc(
    "create-idempotent-labels-ignored",
    vc("--label", "a=b", "idem"),
    vc("--label", "x=y", "idem"),
    cli("volume", "inspect", "--format", "{{json .Labels}}", "idem"),
  ),
  sc(
    "create-idempotent-options-ignored",
    vc("idem"),
    vc("-o", "type=tmpfs", "-o", "device=tmpfs", "idem"),
    cli("volume", "inspect", "--format", "{{json .Options}}", "idem"),
  ),
  sc("create-invalid-name-short", vc("a"), cli("volume", "ls", "-q")),
  sc("create-invalid-name-slash", vc("a/b")),
  sc("create-invalid-name-leading-dash", vc("--", "-ab")),
  sc("create-invalid-name-leading-dash-unquoted", vc("-ab")),
  sc("create-invalid-name-space", vc("a b")),
  sc("create-invalid-name-dotdot", vc("..")),
  sc("create-invalid-name-leading-dot", vc(".ab")),
  sc("create-name-with-allowed-punctuation", vc("a_b.c-d"), cli("volume", "ls")),
  sc("create-name-255-chars", vc("n".repeat(255)), cli("volume", "ls", "--format", "{{len .Name}}")),
  sc("create-invalid-option", vc("-o", "foo=bar", "x1"), cli("volume", "ls", "-q")),
  sc("create-option-type-only", vc("-o", "type=tmpfs", "x1")),
  sc("create-option-o-only", vc("-o", "o=size=1m", "x1")),
  sc("create-option-device-only", vc("-o", "device=/x", "x1")),
  sc("create-option-size-no-quota", vc("-o", "size=10m", "x1"), cli("volume", "ls", "-q")),
  sc("create-unknown-driver", vc("-d", "nosuch", "nd"), cli("volume", "ls", "-q")),
  sc("create-driver-local-explicit", vc("-d", "local", "loc1"), cli("volume", "ls")),
  sc("create-name-flag", vc("--name", "viaflag"), cli("volume", "ls", "-q")),
  sc("create-name-flag-and-arg", vc("--name", "n1", "n2"), cli("volume", "ls", "-q")),
  sc("create-two-names", vc("n1", "n2"), cli("volume", "ls", "-q")),

  // ---- volume inspect -----------------------------------------------------------------
  sc(
    "inspect-format-fields",
    vc("vol1"),
    cli("volume", "inspect", "--format", "{{.Name}} {{.Driver}} {{.Scope}} {{.Mountpoint}}", "vol1"),
  ),
  sc(
    "inspect-format-json-labels",
    vc("--label", "a=b", "--label", "c", "lab"),
    cli("volume", "inspect", "--format", "{{json .Labels}}", "lab"),
  ),
  sc(
    "inspect-format-labels-map",
    vc("--label", "a=b", "--label", "c", "lab"),
    vc("nolab"),
    cli("volume", "inspect", "--format", "{{.Labels}}", "lab", "nolab"),
  ),
  sc("inspect-format-json-keyword", vc("vol1"), cli("volume", "inspect", "-f", "json", "vol1")),
  sc("inspect-missing", cli("volume", "inspect", "missing")),
  sc("inspect-all-missing", cli("volume", "inspect", "missing1", "missing2")),
  sc(
    "inspect-mixed-existing-missing",
    vc("vol1"),
    vc("vol2"),
    cli("volume", "inspect", "--format", "{{.Name}}", "vol1", "missing1", "vol2", "missing2"),
    cli("volume", "inspect", "vol1", "missing1"),
  ),
  sc("inspect-no-args", cli("volume", "inspect")),

  // ---- volume ls ----------------------------------------------------------------------
  sc("ls-empty", cli("volume", "ls"), cli("volume", "ls", "-q")),
  sc(
    "ls-natural-sort",
    vc("v10"),
    vc("v2"),
    vc("v1"),
    vc("va"),
    vc("vB"),
    vc("v1a"),
    cli("volume", "ls"),
    cli("volume", "ls", "-q"),
  ),
  sc(
    "ls-named-and-anonymous",
    vc(),
    vc("named"),
    cli("volume", "ls"),
  ),
  sc(
    "ls-format-name-driver",
    vc("alpha"),
    vc("beta"),
    cli("volume", "ls", "--format", "{{.Name}}\t{{.Driver}}"),
  ),
  sc(
    "ls-format-table-labels",
    vc("--label", "a=b", "alpha"),
    vc("beta"),
    vc("--label", "c", "gamma"),
    cli("volume", "ls", "--format", "table {{.Name}}\t{{.Labels}}"),
  ),
  sc(
    "ls-format-table-all-fields",
    vc("--label", "a=b", "alpha"),
    cli("volume", "ls", "--format", "table {{.Name}}\t{{.Driver}}\t{{.Scope}}\t{{.Mountpoint}}\t{{.Links}}\t{{.Size}}\t{{.Label \"a\"}}"),
  ),
  sc(
    "ls-format-json",
    vc("--label", "a=b", "alpha"),
    vc("beta"),
    cli("volume", "ls", "--format", "json"),
  ),
  sc(
    "ls-format-json-dot",
    vc("--label", "a=b", "alpha"),
    vc("beta"),
    cli("volume", "ls", "--format", "{{json .}}"),
  ),
  sc(
    "ls-filter-name-substring",
    vc("abc"),
    vc("xab"),
    vc("zzz"),
    cli("volume", "ls", "--filter", "name=ab"),
  ),
  sc(
    "ls-filter-name-anchored",
    vc("x1"),
    vc("xab"),
    vc("ax"),
    cli("volume", "ls", "-q", "--filter", "name=^x"),
  ),
  sc(
    "ls-filter-name-two-values",
    vc("abc"),
    vc("def"),
    vc("ghi"),
    cli("volume", "ls", "-q", "--filter", "name=abc", "--filter", "name=ghi"),
  ),
  sc(
    "ls-filter-driver",
    vc("alpha"),
    cli("volume", "ls", "-q", "--filter", "driver=local"),
    cli("volume", "ls", "-q", "--filter", "driver=loc"),
  ),
  sc(
    "ls-filter-label",
    vc("--label", "a=b", "la"),
    vc("--label", "a=c", "lb"),
    vc("lc"),
    vc("--label", "c=d", "ld"),
    cli("volume", "ls", "-q", "--filter", "label=a"),
    cli("volume", "ls", "-q", "--filter", "label=a=b"),
    cli("volume", "ls", "-q", "--filter", "label=c"),
  ),
  sc(
    "ls-filter-label-and",
    vc("--label", "a=b", "--label", "c=d", "both"),
    vc("--label", "a=b", "onlya"),
    cli("volume", "ls", "-q", "--filter", "label=a", "--filter", "label=c=d"),
  ),
  sc(
    "ls-filter-dangling",
    vc("alpha"),
    cli("volume", "ls", "-q", "--filter", "dangling=true"),
    cli("volume", "ls", "-q", "--filter", "dangling=false"),
    cli("volume", "ls", "-q", "--filter", "dangling=1"),
    cli("volume", "ls", "-q", "--filter", "dangling=maybe"),
  ),
  sc("ls-filter-bogus", cli("volume", "ls", "--filter", "bogus=1")),
  sc("ls-filter-label-not", cli("volume", "ls", "--filter", "label!=a")),
  sc("ls-filter-malformed", cli("volume", "ls", "--filter", "name")),
  sc(
    "ls-filter-combined-keys",
    vc("--label", "a=b", "abc"),
    vc("--label", "a=b", "xyz"),
    vc("abd"),
    cli("volume", "ls", "-q", "--filter", "name=ab", "--filter", "label=a"),
  ),

  // ---- volume rm ----------------------------------------------------------------------
  sc("rm-existing", vc("vol1"), cli("volume", "rm", "vol1"), cli("volume", "ls", "-q")),
  sc("rm-missing", cli("volume", "rm", "missing")),
  sc("rm-force-missing", cli("volume", "rm", "-f", "missing")),
  sc("rm-force-existing", vc("vol1"), cli("volume", "rm", "-f", "vol1"), cli("volume", "ls", "-q")),
  sc(
    "rm-several-one-missing",
    vc("vol1"),
    vc("vol2"),
    cli("volume", "rm", "vol1", "missing", "vol2"),
    cli("volume", "ls", "-q"),
  ),
  sc("rm-two-existing", vc("vol1"), vc("vol2"), cli("volume", "rm", "vol2", "vol1"), cli("volume", "ls", "-q")),
  sc("rm-no-args", cli("volume", "rm")),

  // ---- volume prune -------------------------------------------------------------------
  sc("prune-nothing", cli("volume", "prune", "-f")),
  sc("prune-named-1.41", vc("named"), cli("volume", "prune", "-f"), cli("volume", "ls", "-q")),
  sc("prune-anonymous-1.41", vc(), cli("volume", "prune", "-f"), cli("volume", "ls", "-q")),
  sc("prune-two-anonymous-1.41", vc(), vc(), cli("volume", "prune", "-f"), cli("volume", "ls", "-q")),
  sc(
    "prune-skips-option-volumes",
    vc("-o", "type=tmpfs", "-o", "device=tmpfs", "tv"),
    cli("volume", "prune", "-f"),
    cli("volume", "ls", "-q"),
  ),
  sc(
    "prune-filter-label",
    vc("--label", "x=1", "px"),
    vc("py"),
    cli("volume", "prune", "-f", "--filter", "label=x"),
    cli("volume", "ls", "-q"),
  ),
  sc(
    "prune-filter-label-kv",
    vc("--label", "x=1", "px1"),
    vc("--label", "x=2", "px2"),
    cli("volume", "prune", "-f", "--filter", "label=x=2"),
    cli("volume", "ls", "-q"),
  ),
  sc(
    "prune-filter-label-not",
    vc("--label", "x=1", "px"),
    vc("py"),
    cli("volume", "prune", "-f", "--filter", "label!=x"),
    cli("volume", "ls", "-q"),
  ),
  sc("prune-filter-all-1.41", vc("named"), cli("volume", "prune", "-f", "--filter", "all=true"), cli("volume", "ls", "-q")),
  sc("prune-filter-dangling", vc("named"), cli("volume", "prune", "-f", "--filter", "dangling=true")),
  sc("prune-all-flag-1.41", vc("named"), cli("volume", "prune", "-f", "-a"), cli("volume", "ls", "-q")),
  sc(
    "prune-reclaimed-size",
    vc("data"),
    { fs: { volume: "data", entries: PLAIN_FILES } },
    cli("volume", "prune", "-f"),
  ),
  sc(
    "prune-reclaimed-size-links",
    vc("data"),
    { fs: { volume: "data", entries: SIZED_FILES } },
    cli("volume", "prune", "-f"),
  ),
  sc(
    "prune-reclaimed-size-kb",
    vc("data"),
    { fs: { volume: "data", entries: [{ path: "blob", content: "x".repeat(1500) }] } },
    cli("volume", "prune", "-f"),
  ),
  sc("prune-prompt-yes", vc("named"), cliIn("y\n", "volume", "prune"), cli("volume", "ls", "-q")),
  sc("prune-prompt-no", vc("named"), cliIn("n\n", "volume", "prune"), cli("volume", "ls", "-q")),
  sc("prune-prompt-eof", vc("named"), cliIn("", "volume", "prune"), cli("volume", "ls", "-q")),

  // ---- system df ----------------------------------------------------------------------
  sc("df-empty", cli("system", "df"), cli("system", "df", "-v")),
  sc(
    "df-verbose-json-volumes",
    vc("--label", "a=b", "data"),
    { fs: { volume: "data", entries: SIZED_FILES } },
    cli("system", "df", "-v", "--format", "{{json .Volumes}}"),
  ),
  sc(
    "df-verbose-plain",
    vc("data"),
    { fs: { volume: "data", entries: SIZED_FILES } },
    cli("system", "df", "-v"),
  ),
  sc(
    "df-summary",
    vc("data"),
    vc("empty"),
    vc("-o", "type=tmpfs", "-o", "device=tmpfs", "tv"),
    { fs: { volume: "data", entries: SIZED_FILES } },
    cli("system", "df"),
    cli("system", "df", "--format", "{{json .}}"),
  ),

  // ---- raw API ------------------------------------------------------------------------
  sc("api-ping-get", { api: { method: "GET", path: "/_ping", recordHeaderNames: true } }),
  sc("api-ping-head", { api: { method: "HEAD", path: "/_ping", recordHeaderNames: true } }),
  sc("api-ping-versioned", api("GET", "/v1.41/_ping")),
  sc("api-version-too-new", api("GET", "/v1.99/_ping")),
  sc("api-version-too-old", api("GET", "/v1.11/version")),
  sc("api-unknown-endpoint", api("GET", "/v1.41/nosuchendpoint")),
  sc("api-list-empty", api("GET", "/v1.41/volumes")),
  sc(
    "api-create-json",
    apiJson("POST", "/v1.41/volumes/create", { Name: "apiv", Labels: { a: "b" } }),
    api("GET", "/v1.41/volumes/apiv"),
    api("GET", "/v1.41/volumes"),
  ),
  sc(
    "api-create-no-content-type",
    api("POST", "/v1.41/volumes/create", '{"Name":"apiv","Labels":{"a":"b"}}'),
    api("GET", "/v1.41/volumes"),
  ),
  sc(
    "api-create-form-urlencoded",
    api("POST", "/v1.41/volumes/create", '{"Name":"apiv","Labels":{"a":"b"}}', {
      "Content-Type": "application/x-www-form-urlencoded",
    }),
    api("GET", "/v1.41/volumes"),
  ),
  sc(
    "api-create-json-charset",
    api("POST", "/v1.41/volumes/create", '{"Name":"apiv"}', { "Content-Type": "application/json; charset=utf-8" }),
  ),
  sc("api-create-bad-json", api("POST", "/v1.41/volumes/create", "{bad", JSONCT)),
  sc("api-create-empty-body", api("POST", "/v1.41/volumes/create", "", JSONCT), api("GET", "/v1.41/volumes")),
  sc("api-create-no-body", api("POST", "/v1.41/volumes/create"), api("GET", "/v1.41/volumes")),
  sc(
    "api-create-unknown-fields",
    api("POST", "/v1.41/volumes/create", '{"Name":"x1","Bogus":1}', JSONCT),
  ),
  sc("api-create-empty-name", apiJson("POST", "/v1.41/volumes/create", { Name: "" }), api("GET", "/v1.41/volumes")),
  sc("api-create-empty-driver", apiJson("POST", "/v1.41/volumes/create", { Name: "drv", Driver: "" })),
  sc(
    "api-create-driver-opts",
    apiJson("POST", "/v1.41/volumes/create", {
      Name: "tv",
      Driver: "local",
      DriverOpts: { type: "tmpfs", device: "tmpfs", o: "size=1m" },
    }),
  ),
  sc("api-create-invalid-name", apiJson("POST", "/v1.41/volumes/create", { Name: "a/b" })),
  sc("api-create-invalid-option", apiJson("POST", "/v1.41/volumes/create", { Name: "x1", DriverOpts: { foo: "bar" } })),
  sc(
    "api-create-idempotent",
    apiJson("POST", "/v1.41/volumes/create", { Name: "idem", Labels: { a: "b" } }),
    apiJson("POST", "/v1.41/volumes/create", { Name: "idem", Labels: { x: "y" } }),
  ),
  sc("api-inspect-missing", api("GET", "/v1.41/volumes/missing")),
  sc("api-delete-missing", api("DELETE", "/v1.41/volumes/missing")),
  sc("api-delete-missing-force", api("DELETE", "/v1.41/volumes/missing?force=1")),
  sc(
    "api-delete-existing",
    apiJson("POST", "/v1.41/volumes/create", { Name: "apiv" }),
    api("DELETE", "/v1.41/volumes/apiv"),
    api("GET", "/v1.41/volumes/apiv"),
  ),
  sc(
    "api-list-filters-array",
    apiJson("POST", "/v1.41/volumes/create", { Name: "la", Labels: { a: "b" } }),
    apiJson("POST", "/v1.41/volumes/create", { Name: "lb", Labels: { a: "c" } }),
    api("GET", `/v1.41/volumes?filters=${f({ label: ["a=b"] })}`),
  ),
  sc(
    "api-list-filters-map",
    apiJson("POST", "/v1.41/volumes/create", { Name: "la", Labels: { a: "b" } }),
    apiJson("POST", "/v1.41/volumes/create", { Name: "lb", Labels: { a: "c" } }),
    api("GET", `/v1.41/volumes?filters=${f({ label: { "a=b": true } })}`),
  ),
  sc(
    "api-list-filters-name-dangling",
    apiJson("POST", "/v1.41/volumes/create", { Name: "abc" }),
    apiJson("POST", "/v1.41/volumes/create", { Name: "xyz" }),
    api("GET", `/v1.41/volumes?filters=${f({ name: ["ab"], dangling: ["true"] })}`),
    api("GET", `/v1.41/volumes?filters=${f({ dangling: ["false"] })}`),
  ),
  sc("api-list-filters-notjson", api("GET", "/v1.41/volumes?filters=notjson")),
  sc("api-list-filters-dangling-maybe", api("GET", `/v1.41/volumes?filters=${f({ dangling: ["maybe"] })}`)),
  sc("api-list-filters-bogus", api("GET", `/v1.41/volumes?filters=${f({ bogus: ["1"] })}`)),
  sc("api-list-filters-empty-string", api("GET", "/v1.41/volumes?filters=")),
  sc("api-prune-nothing", api("POST", "/v1.41/volumes/prune")),
  sc(
    "api-prune-filter-label",
    apiJson("POST", "/v1.41/volumes/create", { Name: "px", Labels: { x: "1" } }),
    apiJson("POST", "/v1.41/volumes/create", { Name: "py" }),
    api("POST", `/v1.41/volumes/prune?filters=${f({ label: ["x"] })}`),
    api("GET", "/v1.41/volumes"),
  ),
  sc(
    "api-prune-filter-label-not-map",
    apiJson("POST", "/v1.41/volumes/create", { Name: "px", Labels: { x: "1" } }),
    apiJson("POST", "/v1.41/volumes/create", { Name: "py" }),
    api("POST", `/v1.41/volumes/prune?filters=${f({ "label!": { x: true } })}`),
    api("GET", "/v1.41/volumes"),
  ),
  sc(
    "api-prune-size",
    apiJson("POST", "/v1.41/volumes/create", { Name: "data" }),
    { fs: { volume: "data", entries: SIZED_FILES } },
    api("POST", "/v1.41/volumes/prune"),
  ),
  sc("api-prune-filter-all", api("POST", `/v1.41/volumes/prune?filters=${f({ all: ["true"] })}`)),
  sc("api-system-df-empty", api("GET", "/v1.41/system/df")),
  sc(
    "api-system-df-volume",
    apiJson("POST", "/v1.41/volumes/create", { Name: "data", Labels: { a: "b" } }),
    apiJson("POST", "/v1.41/volumes/create", {
      Name: "tv",
      DriverOpts: { type: "tmpfs", device: "tmpfs", o: "size=1m" },
    }),
    { fs: { volume: "data", entries: SIZED_FILES } },
    api("GET", "/v1.41/system/df"),
  ),
];
