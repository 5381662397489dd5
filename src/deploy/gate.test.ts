import assert from "node:assert/strict";
import { test } from "node:test";
import type { EngineClient } from "../client/client.ts";
import { passGate } from "./gate.ts";

interface FakeState {
  Running: boolean;
  ExitCode?: number;
  Health?: { Status: string };
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
  const startedAt = performance.now();
  const outcome = await passGate(client, "c", { kind: "settle", duration: 450 }, startedAt);
  assert.equal(outcome.passed, true);
  assert.ok(askedAt.at(-1)! - startedAt >= 450, `the deciding inspection was asked for ${askedAt.at(-1)! - startedAt} ms after the start`);
  assert.ok(askedAt.slice(0, -1).every((at) => at - startedAt < 450), "an inspection before the deadline passed the gate");
  assert.equal(outcome.passed && outcome.inspected, answers.at(-1));
  assert.match(outcome.passed ? outcome.detail : "", /^up for \d\.\ds$/);
});

test("a settle started long enough ago is decided by its first inspection", async () => {
  const { client, askedAt } = fakeClient([{ Running: true }]);
  const outcome = await passGate(client, "c", { kind: "settle", duration: 200 }, performance.now() - 250);
  assert.equal(outcome.passed, true);
  assert.equal(askedAt.length, 1);
});

test("a container that exits during its settle fails the gate with its exit code", async () => {
  const { client } = fakeClient([{ Running: true }, { Running: false, ExitCode: 3 }]);
  const outcome = await passGate(client, "c", { kind: "settle", duration: 5000 }, performance.now());
  assert.equal(outcome.passed, false);
  assert.match(outcome.passed ? "" : outcome.reason, /^exited with code 3 within \d\.\ds$/);
});

test("a health gate passes on the inspection that says healthy, and gives it", async () => {
  const { client, askedAt, answers } = fakeClient([{ Running: true, Health: { Status: "starting" } }, { Running: true, Health: { Status: "starting" } }, { Running: true, Health: { Status: "healthy" } }]);
  const outcome = await passGate(client, "c", { kind: "health", timeout: 60_000 }, performance.now());
  assert.equal(outcome.passed, true);
  assert.equal(askedAt.length, 3);
  assert.equal(outcome.passed && outcome.inspected, answers[2]);
});
