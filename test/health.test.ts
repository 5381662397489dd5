// Health checks as dockerd runs them: probes in the container at each interval, the start
// period, retries, timeouts, State.Health in inspect, the ps Status suffix and the health filter.
// Needs root, runc, conmon and busybox-static, and a built binary.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { docker, importBusybox, removeAllContainers, useEngine } from "./support/engine.ts";

let work: string;
const engine = useEngine(async (started) => {
  work = mkdtempSync(join(tmpdir(), "moor-health-"));
  await importBusybox(started);
});

after(async () => {
  await removeAllContainers(engine());
  rmSync(work, { recursive: true, force: true });
});

interface Health {
  Status: string;
  FailingStreak: number;
  Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }>;
}

async function health(name: string): Promise<Health> {
  const result = await docker(engine(), ["inspect", "--format", "{{json .State.Health}}", name]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

/** Polls until `check` holds (a deadline, not a timing assertion: probes run every 200 ms). */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((wait) => setTimeout(wait, 100));
  }
}

test("a container starts as starting, turns healthy, then unhealthy after `retries` failures in a row", async () => {
  const run = await docker(engine(), [
    "run", "-d", "--name", "probed", "--health-cmd", "cat /tmp/ok", "--health-interval", "200ms", "--health-retries", "2",
    "busybox", "sleep", "300",
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal((await health("probed")).Status, "starting");
  assert.match((await docker(engine(), ["ps", "--format", "{{.Status}}", "--filter", "name=probed"])).stdout, /^Up .* \(health: starting\)\n$/);
  await eventually("a failed probe is logged", async () => (await health("probed")).Log.length > 0);
  const failed = (await health("probed")).Log[0];
  assert.equal(failed.ExitCode, 1);
  assert.match(failed.Output, /can't open '\/tmp\/ok'/);

  assert.equal((await docker(engine(), ["exec", "probed", "sh", "-c", "echo fine > /tmp/ok"])).code, 0);
  await eventually("it is healthy", async () => (await health("probed")).Status === "healthy");
  const healthy = await health("probed");
  assert.equal(healthy.FailingStreak, 0);
  assert.equal(healthy.Log.at(-1)!.Output, "fine\n");
  assert.ok(healthy.Log.length <= 5, "dockerd keeps the last five probes");
  assert.match((await docker(engine(), ["ps", "--format", "{{.Status}}", "--filter", "name=probed"])).stdout, /^Up .* \(healthy\)\n$/);
  assert.equal((await docker(engine(), ["ps", "-q", "--filter", "health=healthy"])).stdout.trim().length, 12);
  assert.equal((await docker(engine(), ["ps", "-q", "--filter", "health=unhealthy"])).stdout, "");

  assert.equal((await docker(engine(), ["exec", "probed", "rm", "/tmp/ok"])).code, 0);
  await eventually("it is unhealthy", async () => (await health("probed")).Status === "unhealthy");
  assert.ok((await health("probed")).FailingStreak >= 2);
  const bad = await docker(engine(), ["ps", "--filter", "health=bogus"]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Unrecognised filter value for health: bogus/);
});

test("failures within the start period do not count; a probe past its timeout is killed and fails", async () => {
  const started = await docker(engine(), [
    "run", "-d", "--name", "slowstart", "--health-cmd", "false", "--health-interval", "200ms", "--health-retries", "1",
    "--health-start-period", "60s", "busybox", "sleep", "300",
  ]);
  assert.equal(started.code, 0, started.stderr);
  await eventually("two probes ran", async () => (await health("slowstart")).Log.length >= 2);
  const during = await health("slowstart");
  assert.equal(during.Status, "starting", "still starting: the start period is not over");
  assert.equal(during.FailingStreak, 0);

  const slow = await docker(engine(), [
    "run", "-d", "--name", "slowprobe", "--health-cmd", "sleep 10", "--health-interval", "200ms", "--health-timeout", "300ms", "--health-retries", "1",
    "busybox", "sleep", "300",
  ]);
  assert.equal(slow.code, 0, slow.stderr);
  await eventually("the probe timed out", async () => (await health("slowprobe")).Status === "unhealthy");
  const timedOut = (await health("slowprobe")).Log[0];
  assert.equal(timedOut.ExitCode, -1);
  assert.equal(timedOut.Output, "Health check exceeded timeout (300ms)");
});

test("an image's HEALTHCHECK runs; HEALTHCHECK NONE and no check leave State.Health out", async () => {
  const dir = join(work, "ctx");
  execFileSync("mkdir", ["-p", dir]);
  writeFileSync(join(dir, "Dockerfile"), "FROM busybox\nHEALTHCHECK --interval=200ms CMD [\"true\"]\n");
  const built = await docker(engine(), ["build", "-q", "-t", "checked", dir], { env: { DOCKER_BUILDKIT: "0" } });
  assert.equal(built.code, 0, built.stderr);
  assert.equal((await docker(engine(), ["run", "-d", "--name", "from-image", "checked", "sleep", "300"])).code, 0);
  await eventually("it is healthy", async () => (await health("from-image")).Status === "healthy");

  assert.equal((await docker(engine(), ["run", "-d", "--name", "disabled", "--no-healthcheck", "checked", "sleep", "300"])).code, 0);
  assert.equal((await docker(engine(), ["inspect", "--format", "{{json .State.Health}}", "disabled"])).stdout, "null\n");
  assert.equal((await docker(engine(), ["run", "-d", "--name", "plain", "busybox", "sleep", "300"])).code, 0);
  assert.equal((await docker(engine(), ["inspect", "--format", "{{json .State.Health}}", "plain"])).stdout, "null\n");
  assert.match((await docker(engine(), ["ps", "--format", "{{.Status}}", "--filter", "name=plain"])).stdout, /^Up [^(]*\n$/);
  assert.equal((await docker(engine(), ["ps", "-q", "--filter", "health=none", "--filter", "name=plain"])).stdout.trim().length, 12);
});
