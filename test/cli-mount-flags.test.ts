// `moor create/run` and the real docker CLI given the same storage flags (-v, --mount, --tmpfs,
// --volumes-from, --read-only) send the same create request and fail with the same texts. Both
// talk to a socket that records each POST /containers/create body and answers it with a 500, so
// no engine is needed; needs the docker CLI and a prior `npm run build`.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { moorBin, type RunResult } from "./support/engine.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const skip = hasDocker ? false : "needs the docker CLI";

let base = "";
let socket = "";
let server: Server | undefined;
/** The directory both CLIs run in, reached through a symlink so $PWD and the real path differ. */
let linkedCwd = "";
let dockerConfig = "";
const createBodies: string[] = [];

before(async () => {
  if (!hasDocker) return;
  base = mkdtempSync(join(tmpdir(), "moor-mount-flags-"));
  socket = join(base, "capture.sock");
  mkdirSync(join(base, "real"));
  linkedCwd = join(base, "linked");
  symlinkSync(join(base, "real"), linkedCwd);
  dockerConfig = join(base, "docker-config");
  mkdirSync(dockerConfig);
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      if (req.url?.endsWith("/_ping")) {
        res.writeHead(200, { "Api-Version": "1.45", "Content-Type": "text/plain" });
        res.end("OK");
        return;
      }
      if (req.method === "POST" && req.url?.includes("/containers/create")) createBodies.push(body);
      res.writeHead(500, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ message: "captured" }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(socket, resolve));
});

after(async () => {
  if (server !== undefined) await new Promise((resolve) => server!.close(resolve));
  if (base !== "") rmSync(base, { recursive: true, force: true });
});

function runIn(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: linkedCwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PWD: linkedCwd, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

interface Attempt extends RunResult {
  /** The storage part of the create request, as JSON text (Binds sorted: docker's come from a Go map). */
  sent?: string;
}

async function attempt(cli: "docker" | "moor", args: string[]): Promise<Attempt> {
  const before = createBodies.length;
  const result =
    cli === "docker"
      ? await runIn("docker", ["-H", `unix://${socket}`, ...args], { DOCKER_CONFIG: dockerConfig, DOCKER_CLI_HINTS: "false" })
      : await runIn(moorBin, ["-H", `unix://${socket}`, ...args], {});
  if (createBodies.length === before) return result;
  assert.equal(createBodies.length, before + 1, `${cli} sent one create request`);
  const body = JSON.parse(createBodies[before]) as { Volumes?: unknown; HostConfig: Record<string, unknown> };
  const host = body.HostConfig;
  const binds = host.Binds as string[] | null | undefined;
  const storage = {
    Volumes: body.Volumes,
    Binds: Array.isArray(binds) ? [...binds].sort() : binds,
    Mounts: host.Mounts,
    Tmpfs: host.Tmpfs,
    VolumesFrom: host.VolumesFrom,
    ReadonlyRootfs: host.ReadonlyRootfs,
  };
  return { ...result, sent: JSON.stringify(storage) };
}

const accepted: string[][] = [
  ["-v", "/data", "-v", "x:/foo", "-v", "named:/n:ro", "-v", "./rel:/r", "-v", "../up/:/u:ro,z", "-v", ".:/here"],
  ["-v", "a:b:c:d", "-v", "a::b", "-v", "::", "-v", "c:/x:/y", "-v", "name:/a:bogus-mode"],
  ["-v", "./a:/b", "-v", "./a:/b", "-v", "/d", "-v", "/d"],
  ["--tmpfs", "/run", "--tmpfs", "/a:size=1m,mode=700", "--tmpfs", "/a:ro", "--tmpfs", "/b:x:y"],
  ["--volumes-from", "one", "--volumes-from", "two:ro", "--volumes-from", "one", "--read-only"],
  ["--read-only=false"],
  ["--mount", "target=/m", "--mount", "type=bind,src=./x,dst=/y,ro,bind-propagation=RSHARED,consistency=cached"],
  ["--mount", "type=volume,source=v,destination=/w,volume-nocopy,volume-subpath=sub,volume-label=b=2,volume-label=a=1,volume-opt=o=1,volume-driver=local"],
  ["--mount", "type=volume,dst=/v,volume-nocopy=false", "--mount", "type=image,src=img,dst=/i,image-subpath=s"],
  ["--mount", "type=tmpfs,dst=/t,tmpfs-size=1.5k,tmpfs-mode=1777", "--mount", "type=tmpfs,dst=/u,tmpfs-size=-0"],
  ["--mount", "type=bind,src=/a,dst=/b,bind-recursive=readonly,readonly=true,bind-propagation=rprivate", "--mount", "type=bind,src=/c,dst=/d,bind-nonrecursive"],
  ["--mount", 'type=bind,"src=/a,b",dst=/c', "--mount", "\n\ntarget=/x,RO\nignored"],
  ["-v", "/a:/b", "-v", "/anon", "--mount", "dst=/c", "--tmpfs", "/t", "--volumes-from", "x", "--read-only"],
];

test("the same storage flags make the same create request as docker's", { skip }, async () => {
  for (const args of accepted) {
    const docker = await attempt("docker", ["create", ...args, "busybox"]);
    const moor = await attempt("moor", ["create", ...args, "busybox"]);
    assert.ok(docker.sent, `docker sent nothing for ${JSON.stringify(args)}: ${docker.stderr}`);
    assert.equal(moor.sent, docker.sent, JSON.stringify(args));
    assert.equal(moor.code, docker.code, JSON.stringify(args));
  }
});

const rejected: string[][] = [
  ["create", "-v", ""],
  ["run", "-v", ""],
  ["create", "-v", ":/x"],
  ["create", "-v", "ab:cd:ef:gh"],
  ["create", "--mount", ""],
  ["create", "--mount", "type=bind"],
  ["create", "--mount", "type=,target=/x"],
  ["create", "--mount", "foo"],
  ["create", "--mount", "bogus=1,target=/x"],
  ["create", "--mount", "type=bind,src=/a,dst=/b,volume-nocopy"],
  ["create", "--mount", "type=tmpfs,dst=/t,tmpfs-size=abc"],
  ["create", "--mount", "type=tmpfs,dst=/t,tmpfs-mode=999"],
  ["create", "--mount", "target=/x,ro=yes"],
  ["create", "--mount", "type=bind,src=/a,dst=/b,bind-recursive=writable"],
  ["create", "--mount", "type=bind,src=/a,dst=/b,bind-recursive=bogus"],
  ["create", "--mount", 'type=bind,src=/a"b,dst=/c'],
  ["create", "--mount", 'target=/x,"a\nb'],
  ["run", "--mount", "type=tmpfs,dst=/t,volume-label=a=b"],
  // --mount fails while the flags are read, so before -v is looked at.
  ["create", "-v", "", "--mount", "foo"],
];

test("bad storage flags fail with docker's texts and exit code", { skip }, async () => {
  for (const args of rejected) {
    const docker = await attempt("docker", [...args, "busybox"]);
    const moor = await attempt("moor", [...args, "busybox"]);
    assert.equal(docker.code, 125, `${JSON.stringify(args)}: ${docker.stderr}`);
    assert.equal(docker.sent, undefined);
    assert.equal(moor.sent, undefined, JSON.stringify(args));
    assert.equal(moor.code, 125, JSON.stringify(args));
    assert.equal(moor.stdout, "");
    assert.equal(moor.stderr, docker.stderr.replaceAll("docker", "moor"), JSON.stringify(args));
  }
});
