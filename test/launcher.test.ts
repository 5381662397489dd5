// bin/moor, the launcher: it finds the compiled CLI (through a symlink too, as npm installs it)
// and lets only the engine start with NODE_EXTRA_CA_CERTS. Node loads the named file at start-up,
// used or not, and warns when it cannot: a file that does not exist shows which commands got it.
// And how the process it starts ends when its reader goes away.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { moorBin, run } from "./support/engine.ts";

const work = mkdtempSync(join(tmpdir(), "moor-launcher-"));
after(() => rmSync(work, { recursive: true, force: true }));

const missingCerts = { NODE_EXTRA_CA_CERTS: join(work, "no-such-bundle.pem") };
const loadedCerts = /Ignoring extra certs from/;

test("commands other than the engine start without NODE_EXTRA_CA_CERTS", async () => {
  for (const args of [["--version"], ["volume", "ls", "--help"], ["-H", "unix:///nowhere.sock", "ps", "--help"], ["-H", "engine", "ps", "--help"], ["--host=unix:///nowhere.sock", "image", "ls", "--help"]]) {
    const result = await run(moorBin, args, { env: missingCerts });
    assert.equal(result.code, 0, `${args.join(" ")}: ${result.stderr}`);
    assert.doesNotMatch(result.stderr, loadedCerts, args.join(" "));
  }
});

test("the engine starts with NODE_EXTRA_CA_CERTS, for a build's ADD of an https URL", async () => {
  for (const args of [["engine", "--help"], ["-H", "unix:///nowhere.sock", "engine", "--help"]]) {
    const result = await run(moorBin, args, { env: missingCerts });
    assert.equal(result.code, 0, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stdout, /Run the moor engine/);
    assert.match(result.stderr, loadedCerts, args.join(" "));
  }
});

test("the launcher finds the compiled CLI through a symlink, as npm links it", async () => {
  const link = join(work, "moor");
  symlinkSync(moorBin, link);
  const result = await run(link, ["--version"], { cwd: work });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^moor version /);
});

test("a reader gone before the output (moor ... | head) ends the CLI silently with SIGPIPE's status, as docker's", async () => {
  const child = spawn(moorBin, ["--help"], { stdio: ["ignore", "pipe", "pipe"] });
  // Closed now, long before node has started in the child and written anything.
  child.stdout.destroy();
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(stderr, "");
  assert.equal(code, 141);
});
