import assert from "node:assert/strict";
import { test } from "node:test";
import type { EngineClient } from "../client/client.ts";
import { passGate } from "./gate.ts";

interface FakeState {
  Running: boolean;
  ExitCode?: number;
  StartedAt?: string;
  Health?: { Status: string };
}

/** A start that returned now, asked for `took` ms before. */
function startedNow(took = 0): { requested: number; returned: number } {
  const returned = performance.now();
  return { requested: returned - took, returned };
}

/** performance.now() time `at` as the engine writes State.StartedAt (RFC 3339, nanoseconds). */
function engineTime(at: number): string {
  const wall = performance.timeOrigin + at;
  const iso = new Date(Math.floor(wall)).toISOString();
  return `${iso.slice(0, -1)}${String(Math.floor((wall % 1) * 1e6)).padStart(6, "0")}Z`;
}

/** A client whose inspections answer `states` in turn (the last one from then on), noting when each was asked for. */
function fakeClient(states: FakeState[]): { client: EngineClient; askedAt: number[]; answers: Array<Record<string, unknown>> } {
  const askedAt: number[] = [];
  const answers: Array<Record<string, unknown>> = [];
  const client = {
    containerInspect: async () => {
      askedAt.push(performance.now());
      const state = states[Math.min(askedAt.length, states.length) - 1];
      const answer = { State: { Status: state.Running ? "running" : "exited", Restarting: false, ExitCode: 0, ...state }, RestartCount: 0, Config: {} };
      answers.push(answer);
      return answer;
    },
  } as unknown as EngineClient;
  return { client, askedAt, answers };
}

test("a settle counts from the container's start: it passes on the inspection asked for at its deadline, and gives that inspection", async () => {
  const { client, askedAt, answers } = fakeClient([{ Running: true }]);
  const window = startedNow();
  const startedAt = window.returned;
  const outcome = await passGate(client, "c", { kind: "settle", duration: 450 }, window);
  assert.equal(outcome.passed, true);
  assert.ok(askedAt.at(-1)! - startedAt >= 450, `the deciding inspection was asked for ${askedAt.at(-1)! - startedAt} ms after the start`);
  assert.ok(askedAt.slice(0, -1).every((at) => at - startedAt < 450), "an inspection before the deadline passed the gate");
  assert.equal(outcome.passed && outcome.inspected, answers.at(-1));
  assert.match(outcome.passed ? outcome.detail : "", /^up for \d\.\ds$/);
});

test("a settle started long enough ago is decided by its first inspection", async () => {
  const { client, askedAt } = fakeClient([{ Running: true }]);
  const returned = performance.now() - 250;
  const outcome = await passGate(client, "c", { kind: "settle", duration: 200 }, { requested: returned, returned });
  assert.equal(outcome.passed, true);
  assert.equal(askedAt.length, 1);
});

test("a container that exits during its settle fails the gate with its exit code", async () => {
  const { client } = fakeClient([{ Running: true }, { Running: false, ExitCode: 3 }]);
  const outcome = await passGate(client, "c", { kind: "settle", duration: 5000 }, startedNow());
  assert.equal(outcome.passed, false);
  assert.match(outcome.passed ? "" : outcome.reason, /^exited with code 3 within \d\.\ds$/);
});

test("a health gate passes on the inspection that says healthy, and gives it", async () => {
  const { client, askedAt, answers } = fakeClient([{ Running: true, Health: { Status: "starting" } }, { Running: true, Health: { Status: "starting" } }, { Running: true, Health: { Status: "healthy" } }]);
  const outcome = await passGate(client, "c", { kind: "health", timeout: 60_000 }, startedNow());
  assert.equal(outcome.passed, true);
  assert.equal(askedAt.length, 3);
  assert.equal(outcome.passed && outcome.inspected, answers[2]);
});

test("a settle counts from the engine's StartedAt when it falls between the start's request and its return", async () => {
  const window = startedNow(300);
  const startedAt = window.returned - 100;
  const { client, askedAt } = fakeClient([{ Running: true, StartedAt: engineTime(startedAt) }]);
  const outcome = await passGate(client, "c", { kind: "settle", duration: 450 }, window);
  assert.equal(outcome.passed, true);
  const decided = askedAt.at(-1)!;
  assert.ok(decided - startedAt >= 450, `the deciding inspection was asked for ${decided - startedAt} ms after StartedAt`);
  assert.ok(decided - window.returned < 400, `the settle counted from the start's return (${decided - window.returned} ms), not from StartedAt`);
});

test("a StartedAt the start cannot have (none, before its request, after its return) counts from the start's return", async () => {
  for (const [what, startedAt] of [["zero", "0001-01-01T00:00:00Z"], ["before the request", engineTime(performance.now() - 1000)], ["in the future", engineTime(performance.now() + 60_000)], ["unparsable", "soon"]]) {
    const window = startedNow(300);
    const { client, askedAt } = fakeClient([{ Running: true, StartedAt: startedAt }]);
    const outcome = await passGate(client, "c", { kind: "settle", duration: 250 }, window);
    assert.equal(outcome.passed, true, what);
    assert.ok(askedAt.at(-1)! - window.returned >= 250, `${what}: decided ${askedAt.at(-1)! - window.returned} ms after the start returned`);
  }
});
