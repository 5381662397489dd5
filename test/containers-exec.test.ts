// exec through the real docker CLI, moor and the raw API: output, stdin, exit codes, user,
// environment and working directory, detached sessions, and dockerd's refusals. Needs root,
// runc, conmon, busybox-static and a built binary.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";
import { api, docker, moor, removeAllContainers, useEngine } from "./support/engine.ts";

let work: string;
let containerId: string;
const engine = useEngine(async (started) => {
  work = mkdtempSync(join(tmpdir(), "moor-exec-"));
  const tarball = join(work, "busybox.tar");
  execFileSync(resolve(import.meta.dirname, "../scripts/make-test-image.sh"), [tarball]);
  assert.equal((await docker(started, ["import", "-c", 'CMD ["/bin/sh"]', "-c", "ENV APP=demo", tarball, "busybox"])).code, 0);
  const ran = await docker(started, ["run", "-d", "--name", "box", "--network", "none", "busybox", "sleep", "1000"]);
  assert.equal(ran.code, 0, ran.stderr);
  containerId = ran.stdout.trim();
});

after(async () => {
  await removeAllContainers(engine());
  rmSync(work, { recursive: true, force: true });
});

for (const cli of ["docker", "moor"] as const) {
  const client = cli === "docker" ? docker : moor;

  test(`${cli} exec: stdout and stderr apart, the exit code propagates`, async () => {
    const result = await client(engine(), ["exec", "box", "sh", "-c", "echo out; echo err >&2; exit 4"]);
    assert.equal(result.code, 4);
    assert.equal(result.stdout, "out\n");
    assert.equal(result.stderr, "err\n");
  });

  test(`${cli} exec -i: stdin reaches the command, and its end ends it`, async () => {
    const result = await client(engine(), ["exec", "-i", "box", "sh", "-c", "cat; echo done"], { input: "line one\nline two\n" });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "line one\nline two\ndone\n");
  });

  test(`${cli} exec -u -w -e: user, directory and environment over the container's`, async () => {
    const result = await client(engine(), ["exec", "-u", "nobody", "-w", "/tmp", "-e", "EXTRA=1", "box", "sh", "-c", "id; pwd; echo $APP $EXTRA"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n/tmp\ndemo 1\n");
  });

  test(`${cli} exec -t: a terminal`, async () => {
    const result = await client(engine(), ["exec", "-t", "box", "tty"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^\/dev\/pts\/\d+\r\n$/);
  });

  test(`${cli} exec of a missing command: dockerd's message and exit code 126`, async () => {
    const result = await client(engine(), ["exec", "box", "no-such-command"]);
    assert.equal(result.code, 126);
    assert.match(result.stdout, /^OCI runtime exec failed: exec failed: .*exec: "no-such-command": executable file not found in \$PATH: unknown\r\n$/);
    const user = await client(engine(), ["exec", "-u", "nosuch", "box", "id"]);
    assert.equal(user.code, 126);
    assert.equal(user.stdout, "unable to find user nosuch: no matching entries in passwd file\r\n");
  });
}

test("exec into a container that is not running or does not exist: dockerd's errors", async () => {
  const created = await docker(engine(), ["create", "busybox"]);
  const stopped = created.stdout.trim();
  for (const client of [docker, moor]) {
    const notRunning = await client(engine(), ["exec", stopped, "true"]);
    assert.equal(notRunning.code, 1);
    assert.equal(notRunning.stderr, `Error response from daemon: Container ${stopped} is not running\n`);
    const missing = await client(engine(), ["exec", "nosuchbox", "true"]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, "Error response from daemon: No such container: nosuchbox\n");
  }
  const empty = await api(engine(), "POST", "/containers/box/exec", { Cmd: [] });
  assert.deepEqual([empty.status, JSON.parse(empty.body)], [400, { message: "No exec command specified" }]);
  await docker(engine(), ["rm", stopped]);
});

test("the API: a detached exec is listed in ExecIDs while it runs; inspect shapes; start twice is refused", async () => {
  const created = await api(engine(), "POST", "/v1.41/containers/box/exec", { Cmd: ["sh", "-c", "sleep 1; exit 3"], AttachStdout: true });
  assert.equal(created.status, 201);
  const { Id } = JSON.parse(created.body) as { Id: string };
  assert.match(Id, /^[0-9a-f]{64}$/);
  const before = JSON.parse((await api(engine(), "GET", `/exec/${Id}/json`)).body);
  assert.deepEqual(before, {
    ID: Id,
    Running: false,
    ExitCode: null,
    ProcessConfig: { tty: false, entrypoint: "sh", arguments: ["-c", "sleep 1; exit 3"], privileged: false },
    OpenStdin: false,
    OpenStderr: false,
    OpenStdout: true,
    CanRemove: false,
    ContainerID: containerId,
    DetachKeys: "",
    Pid: 0,
  });
  const started = await api(engine(), "POST", `/exec/${Id}/start`, { Detach: true });
  assert.deepEqual([started.status, started.body], [200, ""]);
  const running = JSON.parse((await api(engine(), "GET", `/exec/${Id}/json`)).body);
  assert.equal(running.Running, true);
  assert.ok(running.Pid > 0);
  const inspect = JSON.parse((await docker(engine(), ["inspect", "box"])).stdout)[0];
  assert.deepEqual(inspect.ExecIDs, [Id]);
  const again = await api(engine(), "POST", `/exec/${Id}/start`, { Detach: true });
  assert.deepEqual([again.status, JSON.parse(again.body)], [409, { message: `Error: Exec command ${Id} is already running` }]);
  const deadline = Date.now() + 10_000;
  let done = running;
  while (done.Running && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    done = JSON.parse((await api(engine(), "GET", `/exec/${Id}/json`)).body);
  }
  assert.equal(done.ExitCode, 3);
  const afterRun = await api(engine(), "POST", `/exec/${Id}/start`, { Detach: true });
  assert.deepEqual([afterRun.status, JSON.parse(afterRun.body)], [409, { message: `Error: Exec command ${Id} has already run` }]);
  assert.equal(JSON.parse((await docker(engine(), ["inspect", "box"])).stdout)[0].ExecIDs, null);
  const missing = await api(engine(), "GET", "/exec/nope/json");
  assert.deepEqual([missing.status, JSON.parse(missing.body)], [404, { message: "No such exec instance: nope" }]);
  // A finished session leaves no conmon files behind.
  assert.equal(existsSync(join(engine().execRoot, "conmon", Id)), false);
  assert.deepEqual(readdirSync(join(engine().execRoot, "exec")), []);
});

test("a detached exec that cannot start: 400 with dockerd's text, exit code 126", async () => {
  const created = JSON.parse((await api(engine(), "POST", "/containers/box/exec", { Cmd: ["no-such-command"] })).body) as { Id: string };
  const started = await api(engine(), "POST", `/exec/${created.Id}/start`, { Detach: true });
  assert.equal(started.status, 400);
  assert.match(JSON.parse(started.body).message, /^OCI runtime exec failed: .*executable file not found in \$PATH: unknown$/);
  assert.equal(JSON.parse((await api(engine(), "GET", `/exec/${created.Id}/json`)).body).ExitCode, 126);
});

test("exec sessions go with their container", async () => {
  const ran = await docker(engine(), ["run", "-d", "busybox", "sleep", "1000"]);
  const id = ran.stdout.trim();
  const created = JSON.parse((await api(engine(), "POST", `/containers/${id}/exec`, { Cmd: ["true"] })).body) as { Id: string };
  assert.equal((await docker(engine(), ["rm", "-f", id])).code, 0);
  assert.equal((await api(engine(), "GET", `/exec/${created.Id}/json`)).status, 404);
});
