import assert from "node:assert/strict";
import { test } from "node:test";
import { nextRestartDelay, restartsWithEngine, shouldRestart } from "./restart-policy.ts";

test("shouldRestart follows dockerd's restart manager", () => {
  const exit = (exitCode: number, restartCount = 0, manuallyStopped = false) => ({ exitCode, restartCount, manuallyStopped });
  const cases: Array<[string | undefined, number | undefined, ReturnType<typeof exit>, boolean]> = [
    [undefined, undefined, exit(1), false],
    ["no", undefined, exit(1), false],
    ["always", undefined, exit(0), true],
    ["always", undefined, exit(137, 0, true), false],
    ["unless-stopped", undefined, exit(0), true],
    ["unless-stopped", undefined, exit(0, 0, true), false],
    ["on-failure", 0, exit(0), false],
    ["on-failure", 0, exit(3, 99), true],
    ["on-failure", 2, exit(3, 1), true],
    ["on-failure", 2, exit(3, 2), false],
    ["on-failure", 2, exit(3, 0, true), false],
  ];
  for (const [Name, MaximumRetryCount, state, want] of cases) {
    assert.equal(shouldRestart(Name === undefined ? undefined : { Name, MaximumRetryCount }, state), want, `${Name}:${MaximumRetryCount} ${JSON.stringify(state)}`);
  }
});

test("restartsWithEngine: always even after a stop, unless-stopped only when not stopped by a user", () => {
  assert.equal(restartsWithEngine({ Name: "always" }, true), true);
  assert.equal(restartsWithEngine({ Name: "unless-stopped" }, false), true);
  assert.equal(restartsWithEngine({ Name: "unless-stopped" }, true), false);
  assert.equal(restartsWithEngine({ Name: "on-failure" }, false), false);
  assert.equal(restartsWithEngine(undefined, false), false);
});

test("the restart delay doubles from 100 ms up to a minute, and a long run resets it", () => {
  assert.equal(nextRestartDelay(0, 50), 100);
  assert.equal(nextRestartDelay(100, 50), 200);
  assert.equal(nextRestartDelay(200, 9_999), 400);
  assert.equal(nextRestartDelay(51_200, 10), 60_000);
  assert.equal(nextRestartDelay(60_000, 10), 60_000);
  assert.equal(nextRestartDelay(6_400, 10_000), 100);
});
