// docker-compose (Debian's 1.29, on docker-py) drives moor unchanged, and an app it ran moves to
// `moor up` with its named volume and data, as the deploy issue asks. Services use the host's
// network (moor has no bridge networks yet, and compose's default network needs one).
// Needs root, runc, conmon, busybox-static, docker-compose, and a built binary.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { docker, importBusybox, moor, run, useEngine, type RunResult } from "./support/engine.ts";

let work: string;
const engine = useEngine(async (started) => {
  work = mkdtempSync(join(tmpdir(), "moor-compose-"));
  await importBusybox(started);
});
after(() => rmSync(work, { recursive: true, force: true }));

/** An app directory with this compose.yaml (no top-level name: docker-compose 1.29 does not read it). */
function app(name: string, services: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "compose.yaml"), `services:\n${services}volumes:\n  data: {}\n`);
  return dir;
}

const service = (note: string) => `  db:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; echo ${note}; while :; do sleep 0.2; done"]
    network_mode: host
    volumes:
      - data:/data
`;

function compose(dir: string, project: string, args: string[]): Promise<RunResult> {
  return run("docker-compose", ["--no-ansi", "-f", join(dir, "compose.yaml"), "-p", project, ...args], { cwd: dir, env: { DOCKER_HOST: engine().host } });
}

async function ok(result: Promise<RunResult>): Promise<string> {
  const done = await result;
  assert.equal(done.code, 0, `${done.stdout}${done.stderr}`);
  return done.stdout;
}

test("docker-compose drives moor: up, ps, exec, logs, stop, start, down, and the named volume stays", async () => {
  const dir = app("driven", service("started"));
  await ok(compose(dir, "driven", ["up", "-d"]));
  assert.match(await ok(compose(dir, "driven", ["ps"])), /driven_db_1 .* Up/);
  assert.equal(await ok(compose(dir, "driven", ["exec", "-T", "db", "sh", "-c", "echo kept > /data/rows; cat /data/rows"])), "kept\n");
  assert.match(await ok(compose(dir, "driven", ["logs", "--no-color"])), /db_1 +\| started/);
  await ok(compose(dir, "driven", ["stop"]));
  assert.equal((await ok(docker(engine(), ["inspect", "--format", "{{.State.Status}}", "driven_db_1"]))).trim(), "exited");
  await ok(compose(dir, "driven", ["start"]));
  assert.equal((await ok(docker(engine(), ["inspect", "--format", "{{.State.Status}}", "driven_db_1"]))).trim(), "running");
  await ok(compose(dir, "driven", ["down"]));
  assert.equal(await ok(docker(engine(), ["ps", "-a", "-q", "--filter", "label=com.docker.compose.project=driven"])), "");
  assert.equal((await ok(docker(engine(), ["volume", "inspect", "--format", '{{index .Labels "com.docker.compose.volume"}}', "driven_data"]))).trim(), "data");
});

test("docker-compose builds an image, runs a one-off container (run --rm), and follows an app's output (up, attached)", async () => {
  const dir = join(work, "built");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "Dockerfile"), 'FROM busybox\nRUN echo built > /built\nCMD ["cat", "/built"]\n');
  writeFileSync(join(dir, "compose.yaml"), "services:\n  app:\n    build: .\n    image: compose-built\n    network_mode: host\n  once:\n    image: busybox\n    network_mode: host\n    command: [\"echo\", \"once\"]\n");
  assert.match(await ok(compose(dir, "built", ["build"])), /Successfully tagged compose-built:latest/);
  assert.equal(await ok(compose(dir, "built", ["run", "--rm", "-T", "once", "echo", "hi"])), "hi\n");
  assert.equal(await ok(docker(engine(), ["ps", "-a", "-q", "--filter", "label=com.docker.compose.project=built"])), "", "run --rm removed its container");
  const up = await ok(compose(dir, "built", ["up"]));
  assert.match(up, /app_1 +\| built\n/);
  assert.match(up, /once_1 +\| once\n/);
  await ok(compose(dir, "built", ["down"]));
});

test("an app docker-compose ran moves to moor up: its volume and data carry over, its container is kept as an earlier one", async () => {
  const dir = app("moved", service("under-compose"));
  await ok(compose(dir, "moved", ["up", "-d"]));
  await ok(docker(engine(), ["exec", "moved_db_1", "sh", "-c", "echo row1 > /data/rows"]));

  const up = await moor(engine(), ["up", "-p", "moved"], { cwd: dir });
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stdout, /keep {5}volume moved_data +exists\n {2}replace  db +config changed/);
  assert.match(up.stdout, /Revision 1 of moved is live: 0 created, 1 replaced/);
  assert.equal(await ok(docker(engine(), ["exec", "moved-db-1", "cat", "/data/rows"])), "row1\n", "the data docker-compose's container wrote");
  assert.equal((await docker(engine(), ["inspect", "moved_db_1"])).code, 1, "docker-compose's container no longer has its name");
  const kept = await ok(docker(engine(), ["ps", "-a", "--filter", "label=com.docker.compose.project=moved", "--format", "{{.Names}} {{.State}}"]));
  assert.deepEqual(kept.trim().split("\n").sort(), ["moved-db-1 running", "moved-db-rev0 exited"]);
  const status = await moor(engine(), ["status", "-p", "moved"], { cwd: dir });
  assert.match(status.stdout, /moved-db-rev0 \(service db\) is not part of revision 1: made by hand or by docker compose/);

  await ok(moor(engine(), ["down", "-p", "moved"], { cwd: dir }));
  assert.equal(await ok(docker(engine(), ["ps", "-a", "-q", "--filter", "label=com.docker.compose.project=moved"])), "", "moor down removes docker-compose's container too");
  const again = await moor(engine(), ["up", "-p", "moved"], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(await ok(docker(engine(), ["exec", "moved-db-1", "cat", "/data/rows"])), "row1\n");
  await ok(moor(engine(), ["down", "-p", "moved", "--volumes", "--yes"], { cwd: dir }));
});
