// exec through the real docker CLI, moor and the raw API: output, stdin, exit codes, user,
// environment and working directory, detached sessions, and dockerd's refusals. Needs root,
// runc, conmon, busybox-static and a built binary.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { after, test } from "node:test";
import { api, docker, importBusybox, moor, removeAllContainers, useEngine } from "./support/engine.ts";

let containerId: string;
const engine = useEngine(async (started) => {
  await importBusybox(started, { changes: ['CMD ["/bin/sh"]', "ENV APP=demo"] });
  const ran = await docker(started, ["run", "-d", "--name", "box", "--network", "none", "busybox", "sleep", "1000"]);
  assert.equal(ran.code, 0, ran.stderr);
  containerId = ran.stdout.trim();
});

after(async () => {
  await removeAllContainers(engine());
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

/** The status line and Content-Type of a request whose answer is a stream: the connection goes once they are read. */
function streamHead(socket: string, method: string, path: string, options: { upgrade: boolean; body?: unknown }): Promise<{ status: string; contentType: string }> {
  const payload = options.body === undefined ? "" : JSON.stringify(options.body);
  const headers = [
    `${method} ${path} HTTP/1.1`,
    "Host: api.moby.localhost",
    ...(options.upgrade ? ["Connection: Upgrade", "Upgrade: tcp"] : []),
    ...(payload === "" ? [] : ["Content-Type: application/json", `Content-Length: ${Buffer.byteLength(payload)}`]),
  ];
  return new Promise((resolveHead, reject) => {
    const connection = connect(socket, () => connection.write(`${headers.join("\r\n")}\r\n\r\n${payload}`));
    let text = "";
    connection.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      if (end === -1) return;
      connection.destroy();
      const lines = text.slice(0, end).split("\r\n");
      const contentType = lines.find((line) => /^content-type:/i.test(line))?.replace(/^content-type:\s*/i, "") ?? "";
      resolveHead({ status: lines[0], contentType });
    });
    connection.on("error", reject);
  });
}

test("streams are named as dockerd names them: multiplexed from API 1.42 unless TTY, raw before and on a plain 200", async () => {
  const raw = "application/vnd.docker.raw-stream";
  const multiplexed = "application/vnd.docker.multiplexed-stream";
  const tty = await docker(engine(), ["run", "-d", "-t", "busybox", "sleep", "1000"]);
  assert.equal(tty.code, 0, tty.stderr);
  const ttyId = tty.stdout.trim();
  const newExec = async (container: string, withTty: boolean) =>
    (JSON.parse((await api(engine(), "POST", `/containers/${container}/exec`, { Cmd: ["true"], AttachStdout: true, Tty: withTty })).body) as { Id: string }).Id;
  const cases: Array<{ name: string; head: () => Promise<{ status: string; contentType: string }>; status: string; contentType: string }> = [
    { name: "attach, upgraded, 1.41", head: () => streamHead(engine().socket, "POST", "/v1.41/containers/box/attach?stream=1&stdout=1", { upgrade: true }), status: "HTTP/1.1 101 UPGRADED", contentType: raw },
    { name: "attach, upgraded, 1.42", head: () => streamHead(engine().socket, "POST", "/v1.42/containers/box/attach?stream=1&stdout=1", { upgrade: true }), status: "HTTP/1.1 101 UPGRADED", contentType: multiplexed },
    { name: "attach, upgraded, no version", head: () => streamHead(engine().socket, "POST", "/containers/box/attach?stream=1&stdout=1", { upgrade: true }), status: "HTTP/1.1 101 UPGRADED", contentType: multiplexed },
    { name: "attach, upgraded, TTY", head: () => streamHead(engine().socket, "POST", `/v1.45/containers/${ttyId}/attach?stream=1&stdout=1`, { upgrade: true }), status: "HTTP/1.1 101 UPGRADED", contentType: raw },
    { name: "attach, plain, 1.45", head: () => streamHead(engine().socket, "POST", "/v1.45/containers/box/attach?stream=1&stdout=1", { upgrade: false }), status: "HTTP/1.1 200 OK", contentType: raw },
    { name: "logs, 1.41", head: () => streamHead(engine().socket, "GET", "/v1.41/containers/box/logs?stdout=1", { upgrade: false }), status: "HTTP/1.1 200 OK", contentType: raw },
    { name: "logs, 1.45", head: () => streamHead(engine().socket, "GET", "/v1.45/containers/box/logs?stdout=1", { upgrade: false }), status: "HTTP/1.1 200 OK", contentType: multiplexed },
    { name: "logs, TTY", head: () => streamHead(engine().socket, "GET", `/v1.45/containers/${ttyId}/logs?stdout=1`, { upgrade: false }), status: "HTTP/1.1 200 OK", contentType: raw },
    { name: "exec start, upgraded, 1.41", head: async () => streamHead(engine().socket, "POST", `/v1.41/exec/${await newExec("box", false)}/start`, { upgrade: true, body: {} }), status: "HTTP/1.1 101 UPGRADED", contentType: raw },
    { name: "exec start, upgraded, 1.45", head: async () => streamHead(engine().socket, "POST", `/v1.45/exec/${await newExec("box", false)}/start`, { upgrade: true, body: {} }), status: "HTTP/1.1 101 UPGRADED", contentType: multiplexed },
    { name: "exec start, upgraded, TTY", head: async () => streamHead(engine().socket, "POST", `/v1.45/exec/${await newExec(ttyId, true)}/start`, { upgrade: true, body: { Tty: true } }), status: "HTTP/1.1 101 UPGRADED", contentType: raw },
    { name: "exec start, plain, 1.45", head: async () => streamHead(engine().socket, "POST", `/v1.45/exec/${await newExec("box", false)}/start`, { upgrade: false, body: {} }), status: "HTTP/1.1 200 OK", contentType: raw },
  ];
  for (const { name, head, status, contentType } of cases) assert.deepEqual(await head(), { status, contentType }, name);
  assert.equal((await docker(engine(), ["rm", "-f", ttyId])).code, 0);
});

test("clients that hang up on upgraded attach and exec requests leave the engine running", async () => {
  // Each request is sent and its connection closed at once: the engine's answer meets a closed socket.
  const sendAndHangUp = (path: string, body: string) =>
    new Promise<void>((resolveSent) => {
      const connection = connect(engine().socket, () => {
        connection.end(`POST ${path} HTTP/1.1\r\nHost: api.moby.localhost\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        connection.destroySoon();
      });
      connection.on("close", () => resolveSent());
      connection.on("error", () => resolveSent());
    });
  for (let i = 0; i < 10; i++) {
    const execId = (JSON.parse((await api(engine(), "POST", "/containers/box/exec", { Cmd: ["echo", "gone"], AttachStdout: true })).body) as { Id: string }).Id;
    await sendAndHangUp(`/v1.45/exec/${execId}/start`, "{}");
    await sendAndHangUp("/v1.45/containers/box/attach?stream=1&stdout=1", "");
  }
  await new Promise((settle) => setTimeout(settle, 300));
  assert.equal(engine().process.exitCode, null, engine().logs().slice(-2000));
  assert.equal((await api(engine(), "GET", "/_ping")).status, 200);
});
