// A deploy interrupted by a crash of the engine (kill -9 while the new container is inside its
// health gate): once the engine is back, the next `moor up` finds the state the last revision
// recorded, removes what the interrupted deploy made, and finishes; no data and no volume is
// lost. Needs root, runc, conmon and busybox-static, and a built binary.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { acrossRestart, docker, moor, moorBin, type TestEngine } from "./support/engine.ts";

function appFile(dir: string, options: { setting: string; healthFile: string }): void {
  writeFileSync(
    join(dir, "compose.yaml"),
    `name: crash
services:
  db:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; echo up >> /data/starts; while :; do sleep 0.2; done"]
    environment:
      SETTING: ${options.setting}
    volumes: [data:/data, /anon]
    healthcheck:
      test: ["CMD", "test", "-f", "${options.healthFile}"]
      interval: 300ms
      retries: 2
    x-moor: {health_timeout: 60s}
volumes:
  data: {}
`,
  );
}

async function ok(engine: TestEngine, args: string[]): Promise<string> {
  const result = await docker(engine, args);
  assert.equal(result.code, 0, `docker ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

test("an engine killed in the middle of a deploy: the next moor up cleans up and finishes, with the data", async () => {
  await acrossRestart(async (first, restart, work) => {
    appFile(work, { setting: "one", healthFile: "/data/starts" });
    const deployed = await moor(first, ["up"], { cwd: work });
    assert.equal(deployed.code, 0, deployed.stderr);
    await ok(first, ["exec", "crash-db-1", "sh", "-c", "echo row1 > /data/rows; echo kept > /anon/file"]);
    const revision1 = (await ok(first, ["inspect", "-f", "{{.Id}}", "crash-db-1"])).trim();

    // The new container never gets healthy: the deploy is surely inside its gate when the engine dies.
    appFile(work, { setting: "two", healthFile: "/data/never" });
    const interrupted = spawn(moorBin, ["up"], { cwd: work, env: { ...process.env, MOOR_HOST: first.host }, stdio: ["ignore", "pipe", "pipe"] });
    let progress = "";
    interrupted.stderr.on("data", (chunk: Buffer) => (progress += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => interrupted.once("close", resolveExit));
    const deadline = Date.now() + 30_000;
    while (!progress.includes("waiting for its healthcheck")) {
      assert.ok(Date.now() < deadline, `moor up never reached the gate:\n${progress}`);
      await new Promise((wait) => setTimeout(wait, 50));
    }
    await first.kill();
    assert.notEqual(await exited, 0, "moor up fails when its engine dies");

    const second = await restart();
    const status = await moor(second, ["status"], { cwd: work });
    assert.match(status.stdout, /crash-db-1 was left by an interrupted deploy: the next moor up removes it/);
    assert.match(status.stdout, /db +crash-db-rev1 +Exited .*renamed to crash-db-rev1 \(deployed as crash-db-1\)/);

    appFile(work, { setting: "three", healthFile: "/data/starts" });
    const finished = await moor(second, ["up"], { cwd: work });
    assert.equal(finished.code, 0, finished.stdout + finished.stderr);
    assert.match(finished.stdout, /an interrupted deploy left 1 container\(s\): they are removed first/);
    assert.match(finished.stderr, /renaming crash-db-rev1 back to crash-db-1, after an interrupted deploy/);
    assert.match(finished.stdout, /Revision 2 of crash is live: 0 created, 1 replaced/);
    assert.equal(await ok(second, ["exec", "crash-db-1", "sh", "-c", "cat /data/rows /anon/file; echo $SETTING"]), "row1\nkept\nthree\n");
    assert.equal((await ok(second, ["inspect", "-f", "{{.Name}} {{.State.Status}}", revision1])).trim(), "/crash-db-rev1 exited", "revision 1's container is kept for rollback");
    const names = (await ok(second, ["ps", "-a", "--format", "{{.Names}}"])).trim().split("\n").sort();
    assert.deepEqual(names, ["crash-db-1", "crash-db-rev1", "crash-revision-1", "crash-revision-2"], "nothing else is left");
  });
});
