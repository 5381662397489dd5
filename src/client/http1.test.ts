// upgrade() against a stand-in engine: a raw server on a temporary unix socket.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { upgrade } from "./http1.ts";

test("a hijacked connection loses nothing that came with the 101 or before the caller listened", { timeout: 5000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "moor-http1-"));
  const socketPath = join(dir, "engine.sock");
  // The answer and the first output in one write, as an engine that fails an exec at once sends them.
  const server = createServer((connection) => {
    connection.once("data", () => {
      connection.write("HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nfirst line\r\n");
      setTimeout(() => connection.end("second line\r\n"), 20);
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  try {
    const socket = await upgrade(socketPath, `unix://${socketPath}`, "POST", "/exec/x/start");
    // The caller listens a while later (after other requests, say).
    await new Promise((resolve) => setTimeout(resolve, 50));
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
    socket.resume();
    await new Promise((resolve) => socket.once("close", resolve));
    assert.equal(received, "first line\r\nsecond line\r\n");
  } finally {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
});
