// Replays the volume scenarios recorded against a real dockerd (test/fixtures/
// dockerd-volumes.json, see test/support/record-fixtures.ts) against moor, driven by the real
// docker CLI and raw API requests, and compares the normalised transcripts step by step.
// Needs root and a built binary.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { useEngine } from "./support/engine.ts";
import { runScenario, scenarios, type StepResult } from "./support/scenarios.ts";

const fixtures = JSON.parse(readFileSync(new URL("./fixtures/dockerd-volumes.json", import.meta.url), "utf8")) as {
  results: Record<string, StepResult[]>;
};

/**
 * Where moor answers differently from the recorded dockerd 20.10 on purpose: each entry says
 * why and rewrites the recording into what moor must answer instead.
 */
const intendedDifferences: Record<string, (expected: StepResult[]) => StepResult[]> = {
  // Daemons since 23.0 label anonymous volumes (prune at API >= 1.42 relies on it); 20.10 did not.
  "create-anonymous": (steps) => labelAnonymous(steps, [2]),
  "api-create-empty-name": (steps) => labelAnonymous(steps, [0, 1]),
  // Newer daemons accept `all` in prune filters at every API version (for < 1.42 the router
  // adds all=true itself); 20.10 did not know the filter.
  "prune-filter-all-1.41": (steps) => {
    steps[1] = { exit: 0, stdout: "Deleted Volumes:\nnamed\n\nTotal reclaimed space: 0B\n", stderr: "" };
    steps[2] = { exit: 0, stdout: "", stderr: "" };
    return steps;
  },
  "api-prune-filter-all": () => [{ status: 200, contentType: "application/json", body: '{"SpaceReclaimed":0,"VolumesDeleted":[]}' }],
  // moor answers Builder-Version: 1 (the classic builder) and Swarm: inactive, as newer dockerd does.
  "api-ping-get": (steps) => withPingHeaders(steps),
  "api-ping-head": (steps) => withPingHeaders(steps),
  // moor's API range is 1.24-1.45; newer daemons answer "too old" as JSON too.
  "api-version-too-new": (steps) => {
    steps[0].body = steps[0].body!.replace("1.41", "1.45");
    return steps;
  },
  "api-version-too-old": () => [
    {
      status: 400,
      contentType: "application/json",
      body: '{"message":"client version 1.11 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"}',
    },
  ],
};

/** Scenarios whose table columns are as wide as the data root path, which differs per engine. */
const rootWideTables = new Set(["ls-format-table-all-fields"]);

function labelAnonymous(steps: StepResult[], indexes: number[]): StepResult[] {
  for (const index of indexes) {
    steps[index].body = steps[index].body!.replaceAll('"Labels":null', '"Labels":{"com.docker.volume.anonymous":""}');
  }
  return steps;
}

function withPingHeaders(steps: StepResult[]): StepResult[] {
  steps[0].headerNames = [...steps[0].headerNames!, "builder-version", "swarm"].sort();
  return steps;
}

function collapseColumns(steps: StepResult[]): StepResult[] {
  return steps.map((step) => (step.stdout === undefined ? step : { ...step, stdout: step.stdout.replace(/ {2,}/g, "  ") }));
}

const engine = useEngine();

for (const scenario of scenarios) {
  test(scenario.name, async () => {
    const recorded = fixtures.results[scenario.name];
    assert.ok(recorded, `no recording for ${scenario.name}: re-record the fixtures`);
    const expected = intendedDifferences[scenario.name]?.(structuredClone(recorded)) ?? recorded;
    const actual = await runScenario(engine().host, scenario);
    if (rootWideTables.has(scenario.name)) assert.deepEqual(collapseColumns(actual), collapseColumns(expected));
    else assert.deepEqual(actual, expected);
  });
}
