// The engine process: start, API basics, idle connections, one engine per root, clean shutdown.
// Needs root (as CI runs) and a built binary (npm test builds first).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { after, test } from "node:test";
import { api, docker, moor, moorBin, run, startEngine, useEngine } from "./support/engine.ts";

/** A keep-alive connection opened as the engine starts, left idle until the file's last test. */
let idle: { socket: Socket; openedAt: number; closedAt?: number } | undefined;
const engine = useEngine(async (started) => {
  const socket = connect(started.socket);
  const opened = { socket, openedAt: Date.now() };
  idle = opened;
  socket.on("error", () => {}).once("close", () => Object.assign(opened, { closedAt: Date.now() }));
  assert.match(await pingOn(socket), /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nOK$/);
});
const call = (method: string, path: string) => api(engine(), method, path);
after(() => idle?.socket.destroy());

/** Sends GET /_ping on an open connection and resolves to the whole response (its body is "OK"). */
function pingOn(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let response = "";
    const onData = (chunk: Buffer) => {
      response += chunk.toString("latin1");
      if (!response.endsWith("\r\n\r\nOK")) return;
      socket.off("data", onData).off("close", onClose);
      resolve(response);
    };
    const onClose = () => reject(new Error(`the engine closed the connection; it had answered ${JSON.stringify(response)}`));
    socket.on("data", onData).once("close", onClose);
    socket.write("GET /_ping HTTP/1.1\r\nHost: moor\r\nConnection: keep-alive\r\n\r\n");
  });
}

test("/_ping answers GET and HEAD with dockerd's headers", async () => {
  for (const method of ["GET", "HEAD"]) {
    const res = await call(method, "/_ping");
    assert.equal(res.status, 200);
    assert.equal(res.headers["api-version"], "1.45");
    assert.equal(res.headers["ostype"], "linux");
    assert.equal(res.headers["builder-version"], "1");
    assert.match(String(res.headers["server"]), /^moor\/\d+\.\d+\.\d+ \(linux\)$/);
    assert.equal(res.body, method === "GET" ? "OK" : "");
  }
});

test("versions outside 1.24-1.45 get dockerd's errors; versioned and bare paths both route", async () => {
  const tooNew = await call("GET", "/v1.46/volumes");
  assert.equal(tooNew.status, 400);
  assert.equal(JSON.parse(tooNew.body).message, "client version 1.46 is too new. Maximum supported API version is 1.45");
  const tooOld = await call("GET", "/v1.23/volumes");
  assert.equal(tooOld.status, 400);
  assert.equal(
    JSON.parse(tooOld.body).message,
    "client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version",
  );
  assert.equal((await call("GET", "/v1.24/volumes")).status, 200);
  assert.equal((await call("GET", "/volumes")).status, 200);
});

test("Docker endpoints not served yet answer 501 naming them; unknown paths 404", async () => {
  const notYet = await call("GET", "/v1.45/networks");
  assert.equal(notYet.status, 501);
  assert.equal(JSON.parse(notYet.body).message, "GET /v1.45/networks is not implemented by moor yet");
  const unknown = await call("GET", "/v1.45/nosuchendpoint");
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body, '{"message":"page not found"}\n');
});

test("clients that hang up before their request's body is in leave no error in the engine's log, and the engine serving", async () => {
  const logged = engine().logs().length;
  for (const path of ["/v1.45/containers/create", "/v1.45/volumes/create", "/v1.45/build?t=left"]) {
    await new Promise<void>((resolveClosed) => {
      const connection = connect(engine().socket, () => {
        connection.write(`POST ${path} HTTP/1.1\r\nHost: api.moby.localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"Name":`);
        setTimeout(() => connection.destroy(), 50);
      });
      connection.on("close", () => resolveClosed());
    });
  }
  const ping = await call("GET", "/_ping");
  assert.equal(ping.status, 200);
  assert.doesNotMatch(engine().logs().slice(logged), /"level":50/);
});

test("docker version and docker info print cleanly against moor", async () => {
  const version = await docker(engine(), ["version"]);
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, /Server: moor\n Engine:\n  Version:\s+\d+\.\d+\.\d+\n  API version:\s+1\.45 \(minimum version 1\.24\)/);
  const info = await docker(engine(), ["info"]);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, new RegExp(`Docker Root Dir: ${engine().root}`));
  assert.doesNotMatch(info.stderr, /error/i);
  const format = await docker(engine(), ["info", "--format", "{{.DockerRootDir}} {{.Plugins.Volume}}"]);
  assert.equal(format.stdout, `${engine().root} [local]\n`);
});

test("moor version and moor info talk to the engine", async () => {
  const version = await moor(engine(), ["version", "--format", "{{.Server.ApiVersion}} {{.Client.ApiVersion}}"]);
  assert.deepEqual(version, { code: 0, stdout: "1.45 1.45\n", stderr: "" });
  const info = await moor(engine(), ["info"]);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, new RegExp(`Docker Root Dir: ${engine().root}\n`));
});

test("a second engine on the same root is refused with a clear message", async () => {
  const second = await run(moorBin, ["engine", "--root", engine().root, "--exec-root", `${engine().execRoot}2`, "--host", `unix://${engine().socket}2`]);
  assert.equal(second.code, 1);
  assert.match(second.stderr, new RegExp(`another moor engine \\(pid ${engine().process.pid}\\) is already running with root ${engine().root}`));
  assert.equal(existsSync(`${engine().socket}2`), false);
});

test("an engine on a socket another engine serves is refused", async () => {
  const second = await run(moorBin, ["engine", "--root", `${engine().root}-other`, "--exec-root", `${engine().execRoot}-other`, "--host", engine().host]);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /another engine is already listening on unix:\/\//);
  assert.equal((await call("GET", "/_ping")).status, 200, "the first engine still serves");
});

test("the CLI says how to start an engine when none runs", async () => {
  const result = await run(moorBin, ["volume", "ls"], { env: { MOOR_HOST: "unix:///nonexistent/moor.sock" } });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^Cannot connect to the moor engine at unix:\/\/\/nonexistent\/moor\.sock\. Is the engine running\?/);
});

test("SIGTERM stops the engine cleanly and removes its socket", async () => {
  const other = await startEngine();
  try {
    assert.equal(await other.stop(), 0);
    assert.equal(existsSync(other.socket), false);
    assert.match(other.logs(), /"msg":"engine stopped"/);
  } finally {
    other.cleanup();
  }
});

// Last in the file, so that the other tests' time counts towards the wait.
test("an idle keep-alive connection stays open past a minute, as dockerd keeps it", { timeout: 90_000 }, async () => {
  // moor closed idle connections after 60 s; Node's default is 5 s.
  const idleFor = 65_000;
  const { openedAt } = idle!;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, openedAt + idleFor - Date.now())));
  const { closedAt } = idle!;
  assert.equal(closedAt, undefined, `the engine closed the idle connection after ${closedAt! - openedAt} ms`);
  assert.match(await pingOn(idle!.socket), /^HTTP\/1\.1 200 OK\r\n/);
});
