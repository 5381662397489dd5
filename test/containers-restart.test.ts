// The engine can stop, or die, while containers run: they keep running (conmon supervises
// them), and the next engine follows them again and records their exit codes.
// Needs root, conmon, runc, busybox-static and a built binary.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { acrossRestart, docker, startEngine, type TestEngine } from "./support/engine.ts";

for (const how of ["SIGTERM", "SIGKILL"] as const) {
  test(`a container keeps running across an engine ${how} and its exit code is recorded after`, async () => {
    await acrossRestart(async (first, restart) => {
      const id = (await docker(first, ["run", "-d", "busybox", "sh", "-c", "echo before; sleep 3; echo after; exit 5"])).stdout.trim();
      const pid = JSON.parse((await docker(first, ["inspect", id])).stdout)[0].State.Pid as number;
      assert.ok(pid > 0);
      if (how === "SIGTERM") await first.stop();
      else await first.kill();
      assert.equal(existsSync(`/proc/${pid}`), true, "the container outlived its engine");

      const second = await restart();
      const running = JSON.parse((await docker(second, ["inspect", id])).stdout)[0].State;
      assert.equal(running.Status, "running");
      assert.equal(running.Pid, pid);
      assert.deepEqual(await docker(second, ["wait", id]), { code: 0, stdout: "5\n", stderr: "" });
      assert.deepEqual(await docker(second, ["logs", id]), { code: 0, stdout: "before\nafter\n", stderr: "" }, "no log line was lost");
      assert.doesNotMatch(second.logs(), /"level":(40|50)/, second.logs());
    });
  });
}

test("a paused container stays paused across an engine restart, and unpauses after", async () => {
  await acrossRestart(async (first, restart) => {
    const id = (await docker(first, ["run", "-d", "busybox", "sleep", "1000"])).stdout.trim();
    assert.equal((await docker(first, ["pause", id])).code, 0);
    await first.stop();

    const second = await restart();
    assert.equal((await docker(second, ["inspect", "--format", "{{.State.Status}}", id])).stdout, "paused\n");
    assert.equal((await docker(second, ["unpause", id])).code, 0);
    assert.equal((await docker(second, ["inspect", "--format", "{{.State.Status}}", id])).stdout, "running\n");
  });
});

test("the leftovers of a create interrupted before it was recorded are gone after a restart", async () => {
  const first = await startEngine();
  let second: TestEngine | undefined;
  try {
    await first.stop();
    const orphan = join(first.root, "containers", "f".repeat(64));
    execFileSync("mkdir", ["-p", join(orphan, "upper"), join(orphan, "work"), join(orphan, "rootfs")]);
    second = await startEngine({ root: first.root, execRoot: first.execRoot });
    assert.equal(existsSync(orphan), false);
    assert.match(second.logs(), /removed the leftovers of an interrupted create/);
  } finally {
    await second?.stop();
    second?.cleanup();
    first.cleanup();
  }
});

test("an engine following many running containers says nothing of a leak (one abort signal serves every watch)", async () => {
  await acrossRestart(async (first, restart) => {
    for (let i = 0; i < 12; i++) assert.equal((await docker(first, ["run", "-d", "busybox", "sleep", "1000"])).code, 0);
    await first.stop();
    const second = await restart();
    assert.equal((await docker(second, ["ps", "-q"])).stdout.trim().split("\n").length, 12, "every container adopted");
    for (const engine of [first, second]) assert.doesNotMatch(engine.logs(), /MaxListenersExceededWarning|memory leak/);
  });
});
