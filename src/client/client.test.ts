// The client against a stand-in engine (a node:http server on a temporary unix socket).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ConnectionError, EngineClient } from "./client.ts";

let dir: string;
let server: Server;
let seen: string[] = [];
let handler: (req: IncomingMessage, res: ServerResponse) => void;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "moor-client-"));
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(join(dir, "engine.sock"), resolve));
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function client(): EngineClient {
  seen = [];
  return new EngineClient(`unix://${join(dir, "engine.sock")}`);
}

/** dockerd 20.10: refuses requests at a newer API version, naming its maximum; else answers `body(url)`. */
function olderEngine(body: (url: string) => string): typeof handler {
  return (req, res) => {
    if (req.url!.startsWith("/v1.45/")) {
      res.writeHead(400, { "Content-Type": "application/json" });
      res.end('{"message":"client version 1.45 is too new. Maximum supported API version is 1.41"}\n');
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(body(req.url!));
  };
}

test("an older engine's 'too new' answer makes the client retry at that engine's version", async () => {
  handler = olderEngine(() => '{"Volumes":[],"Warnings":null}\n');
  const c = client();
  try {
    assert.deepEqual(await c.volumeList(), { Volumes: [], Warnings: null });
    assert.deepEqual(await c.volumeList(), { Volumes: [], Warnings: null });
    assert.deepEqual(seen, ["GET /v1.45/volumes", "GET /v1.41/volumes", "GET /v1.41/volumes"]);
  } finally {
    c.close();
  }
});

test("requests sent at once to an older engine each retry at its version", async () => {
  handler = olderEngine((url) => (url.includes("/volumes") ? '{"Volumes":[],"Warnings":null}\n' : "[]\n"));
  const c = client();
  try {
    const [volumes, containers] = await Promise.all([c.volumeList(), c.containerList({ all: true, limit: 0 })]);
    assert.deepEqual(volumes, { Volumes: [], Warnings: null });
    assert.deepEqual(containers, []);
    assert.deepEqual(seen.filter((line) => line.includes("/v1.41/")).sort(), ["GET /v1.41/containers/json?all=1", "GET /v1.41/volumes"]);
  } finally {
    c.close();
  }
});

test("chunked bodies and plain-text errors are read; errors keep the engine's message and kind", async () => {
  handler = (req, res) => {
    if (req.method === "DELETE") {
      res.writeHead(409, { "Content-Type": "text/plain" });
      res.end("remove x: volume is in use - [abc]\n");
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
    res.write('{"Name":"chun');
    res.end('ked","Driver":"local"}');
  };
  const c = client();
  try {
    assert.equal((await c.volumeInspect("chunked")).Name, "chunked");
    await assert.rejects(c.volumeRemove("x"), { kind: "conflict", message: "remove x: volume is in use - [abc]" });
  } finally {
    c.close();
  }
});

test("no engine at the socket is a ConnectionError naming the host", async () => {
  const c = new EngineClient(`unix://${join(dir, "nobody.sock")}`);
  await assert.rejects(c.volumeList(), (err: unknown) => err instanceof ConnectionError && err.host === `unix://${join(dir, "nobody.sock")}`);
  c.close();
});

test("only unix:// hosts are accepted", () => {
  assert.throws(() => new EngineClient("tcp://127.0.0.1:2375"), { message: /only unix:\/\/\/path hosts are supported/ });
});
