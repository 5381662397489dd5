// Restart policies (no, always, on-failure[:N], unless-stopped) and `restart`, with dockerd's
// rules: a user's stop or kill holds a policy off; an engine that starts brings back `always`
// containers and the `unless-stopped` ones a user did not stop. Needs root, conmon, runc,
// busybox-static and a built binary.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { acrossRestart, docker, importBusybox, moor, removeAllContainers, useEngine, type TestEngine } from "./support/engine.ts";

const engine = useEngine((started) => importBusybox(started));

after(async () => {
  await removeAllContainers(engine());
});

interface State {
  Status: string;
  ExitCode: number;
  Pid: number;
}

async function inspect(on: TestEngine, name: string): Promise<{ RestartCount: number; State: State }> {
  const result = await docker(on, ["inspect", name]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout)[0];
}

/** Polls inspect until `want` holds (restarts back off on their own clock), or fails with the last state. */
async function until(on: TestEngine, name: string, want: (c: { RestartCount: number; State: State }) => boolean): Promise<{ RestartCount: number; State: State }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const container = await inspect(on, name);
    if (want(container)) return container;
    if (Date.now() > deadline) assert.fail(`${name} never got there: ${JSON.stringify({ RestartCount: container.RestartCount, State: container.State })}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("on-failure:2 restarts a failing container twice, then leaves it exited with its code", async () => {
  assert.equal((await docker(engine(), ["run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 3"])).code, 0);
  const done = await until(engine(), "flaky", (c) => c.RestartCount === 2 && c.State.Status === "exited");
  assert.equal(done.State.ExitCode, 3);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await inspect(engine(), "flaky")).RestartCount, 2, "no third restart");
  const ok = await docker(engine(), ["run", "-d", "--name", "fine", "--restart", "on-failure", "busybox", "true"]);
  assert.equal(ok.code, 0);
  await until(engine(), "fine", (c) => c.State.Status === "exited");
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await inspect(engine(), "fine")).RestartCount, 0, "exit code 0 is not a failure");
});

test("always restarts a container that exits by itself, but not one a user stops or kills", async () => {
  assert.equal((await docker(engine(), ["run", "-d", "--name", "loop", "--restart", "always", "busybox", "sh", "-c", "sleep 0.2"])).code, 0);
  await until(engine(), "loop", (c) => c.RestartCount >= 2);
  assert.equal((await docker(engine(), ["stop", "-t", "1", "loop"])).code, 0);
  const stopped = await inspect(engine(), "loop");
  assert.equal(stopped.State.Status, "exited");
  await new Promise((r) => setTimeout(r, 800));
  assert.equal((await inspect(engine(), "loop")).State.Status, "exited", "a stopped container stays stopped");

  assert.equal((await docker(engine(), ["run", "-d", "--name", "victim", "--restart", "always", "busybox", "sleep", "1000"])).code, 0);
  assert.equal((await docker(engine(), ["kill", "victim"])).code, 0);
  await until(engine(), "victim", (c) => c.State.Status === "exited");
  await new Promise((r) => setTimeout(r, 800));
  const killed = await inspect(engine(), "victim");
  assert.deepEqual([killed.State.Status, killed.State.ExitCode, killed.RestartCount], ["exited", 137, 0]);
});

test("restart: a running container is stopped and started again; a stopped one is started", async () => {
  assert.equal((await docker(engine(), ["run", "-d", "--name", "svc", "busybox", "sleep", "1000"])).code, 0);
  const before = (await inspect(engine(), "svc")).State.Pid;
  assert.deepEqual(await docker(engine(), ["restart", "-t", "0", "svc"]), { code: 0, stdout: "svc\n", stderr: "" });
  const after = await inspect(engine(), "svc");
  assert.equal(after.State.Status, "running");
  assert.notEqual(after.State.Pid, before);
  assert.equal((await docker(engine(), ["stop", "-t", "0", "svc"])).code, 0);
  assert.deepEqual(await moor(engine(), ["restart", "svc"]), { code: 0, stdout: "svc\n", stderr: "" });
  assert.equal((await inspect(engine(), "svc")).State.Status, "running");
  const missing = await moor(engine(), ["restart", "nosuch"]);
  assert.deepEqual([missing.code, missing.stderr], [1, "Error response from daemon: No such container: nosuch\n"]);
  assert.equal((await docker(engine(), ["rm", "-f", "svc"])).code, 0);
});

test("invalid policies are refused with dockerd's texts", async () => {
  for (const client of [docker, moor]) {
    const bad = await client(engine(), ["create", "--restart", "sometimes", "busybox", "true"]);
    assert.deepEqual([bad.code, bad.stderr], [1, "Error response from daemon: invalid restart policy 'sometimes'\n"]);
  }
  const both = await moor(engine(), ["run", "--rm", "--restart", "always", "busybox", "true"]);
  assert.equal(both.code, 125);
  assert.match(both.stderr, /conflicting options: cannot specify both --restart and --rm/);
});

test("an engine that starts brings back always containers, and unless-stopped ones a user did not stop", async () => {
  await acrossRestart(async (first, restart) => {
    for (const [name, policy] of [["always-stopped", "always"], ["unless-stopped-stopped", "unless-stopped"], ["unless-stopped-running", "unless-stopped"], ["no-policy", "no"]]) {
      assert.equal((await docker(first, ["run", "-d", "--name", name, "--restart", policy, "busybox", "sleep", "1000"])).code, 0);
    }
    for (const name of ["always-stopped", "unless-stopped-stopped"]) assert.equal((await docker(first, ["stop", "-t", "0", name])).code, 0);
    // While the engine is down, a container's process dies: the next engine records it and restarts it.
    const pid = (await inspect(first, "unless-stopped-running")).State.Pid;
    await first.stop();
    process.kill(pid, "SIGKILL");
    const second = await restart();
    await until(second, "always-stopped", (c) => c.State.Status === "running");
    await until(second, "unless-stopped-running", (c) => c.State.Status === "running" && c.State.Pid !== pid);
    assert.equal((await inspect(second, "unless-stopped-stopped")).State.Status, "exited");
    assert.equal((await inspect(second, "no-policy")).State.Status, "running", "untouched, still running under conmon");
  });
});
