// Replays the container mount scenarios recorded against a real dockerd 20.10
// (test/fixtures/dockerd-mounts.json, recorded by
// `node --import tsx test/support/record-fixtures.ts --mounts unix:///run/refdocker.sock`)
// against moor, driven by the real docker CLI and raw API requests, and compares the
// normalised transcripts step by step. The images come from test/support/mount-images.ts,
// built the same way for both engines. Needs root, runc, busybox-static and a built binary.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { createMountImages } from "./support/mount-images.ts";
import { mountScenarios } from "./support/mount-scenarios.ts";
import { api, moorBin, removeAllContainers, useEngine, type TestEngine } from "./support/engine.ts";
import { runScenario, type StepResult } from "./support/scenarios.ts";

const fixtures = JSON.parse(readFileSync(new URL("./fixtures/dockerd-mounts.json", import.meta.url), "utf8")) as {
  results: Record<string, StepResult[]>;
};

/**
 * Where moor answers differently from the recorded dockerd 20.10 on purpose: each entry says
 * why and rewrites the recording into what moor must answer instead.
 */
const intendedDifferences: Record<string, (expected: StepResult[]) => StepResult[]> = {
  // Daemons since 23.0 label anonymous volumes (prune at API >= 1.42 relies on it); 20.10 did not.
  "volume-mount-anonymous-with-label": (steps) => {
    steps[3].stdout = "64 local com.docker.volume.anonymous=,mnt-scn=anon\n";
    return steps;
  },
  // Newer daemons drop options of another mount type for clients below API 1.42 instead of
  // refusing them (moby's router: "these combinations are invalid, but weren't validated").
  "api-mounts-only-the-api-can-send": (steps) => {
    steps[1] = { status: 201, contentType: "application/json", body: '{"Id":"<ID>","Warnings":[]}' };
    steps[11].stdout = "mnt-api2\n" + steps[11].stdout;
    steps[11].stderr = steps[11].stderr!.replace("Error response from daemon: No such container: mnt-api2\n", "");
    return steps;
  },
  // dockerd 20.10 leaves the anonymous volume of a create that fails while registering mounts;
  // moor removes it (the issue asks that no failed create leaves one), so there is nothing to list
  // and the scenario's clean-up has no name to remove.
  "failed-create-anonymous-volume": (steps) => {
    steps[1].stdout = "";
    steps[2].stdout = "";
    steps[4] = { exit: 1, stdout: "", stderr: "invalid volume name or ID: value is empty\n" };
    return steps;
  },
  // moby/sys/mount quotes the option as a string since it stopped splitting it into a slice.
  "tmpfs-invalid": (steps) => {
    steps[0].stderr = steps[0].stderr!.replace('["bogus"]', '"bogus"');
    return steps;
  },
  // Newer daemons skip copy-up where the image has a file instead of failing the create.
  "copy-up-named-volume-onto-file": (steps) => {
    steps[0] = { exit: 0, stdout: "<ID>\n", stderr: "" };
    steps[1] = { exit: 0, stdout: "mnt-of\n", stderr: "" };
    return steps;
  },
  // dockerd takes no reference for named volumes a container gets through --volumes-from, so
  // they can be removed under it. In moor every container holds a reference on every volume it
  // mounts: the volumes stay in use by the child until it is removed.
  "volumes-from-named-volume-unreferenced": (steps) => {
    steps[2].stderr = steps[2].stderr!.replaceAll("[<ID>]", "[<ID>, <ID>]");
    steps[4].stdout = "";
    steps[6] = {
      exit: 1,
      stdout: "",
      stderr: "Error response from daemon: remove mnt-vfr: volume is in use - [<ID>]\nError response from daemon: remove mnt-vfr2: volume is in use - [<ID>]\n",
    };
    return steps;
  },
};

const engine = useEngine(async (started) => {
  createMountImages(started.host);
});

/**
 * What a scenario left on the engine (when moor does not remove what dockerd removes, or a
 * step failed before the scenario's own clean-up): removed, so that the next scenario starts
 * from the same state as on the reference daemon.
 */
async function removeLeftovers(started: TestEngine): Promise<string[]> {
  const left: string[] = [];
  const containers = await api(started, "GET", "/containers/json?all=1");
  if (containers.status === 200) left.push(...(JSON.parse(containers.body) as Array<{ Names: string[] }>).map((c) => `container ${c.Names[0]}`));
  await removeAllContainers(started);
  const volumes = await api(started, "GET", "/volumes");
  if (volumes.status === 200) {
    for (const volume of (JSON.parse(volumes.body) as { Volumes: Array<{ Name: string }> | null }).Volumes ?? []) {
      left.push(`volume ${volume.Name}`);
      await api(started, "DELETE", `/volumes/${encodeURIComponent(volume.Name)}?force=1`);
    }
  }
  return left;
}

/**
 * Outputs whose order the docker CLI leaves to Go's map iteration, which varies from run to run:
 * sorted before comparing (the expectations are written sorted).
 */
const unorderedOutputsSorted: Record<string, (actual: StepResult[]) => StepResult[]> = {
  // `{{.Labels}}` of `volume ls` joins a map's entries: two labels come in either order.
  "volume-mount-anonymous-with-label": (steps) => {
    const [length, driver, labels] = steps[3].stdout!.trim().split(" ");
    steps[3] = { ...steps[3], stdout: `${length} ${driver} ${labels.split(",").sort().join(",")}\n` };
    return steps;
  },
};

/** What the moor CLI prints where the docker CLI names itself. */
function asMoorCli(steps: StepResult[]): StepResult[] {
  const rename = (text: string | undefined) => text?.replace(/^docker: /gm, "moor: ").replace(/'docker ([a-z ]+) --help'/g, "'moor $1 --help'");
  return steps.map((step) => (step.exit === undefined ? step : { ...step, stdout: rename(step.stdout), stderr: rename(step.stderr) }));
}

for (const [client, cli] of [["docker", undefined], ["moor", moorBin]] as const) {
  for (const scenario of mountScenarios) {
    test(`${client}: ${scenario.name}`, async (t) => {
      const recorded = fixtures.results[scenario.name];
      assert.ok(recorded, `no recording for ${scenario.name}: re-record the fixtures`);
      const expected = intendedDifferences[scenario.name]?.(structuredClone(recorded)) ?? recorded;
      let actual: StepResult[];
      try {
        actual = await runScenario(engine().host, scenario, { cli });
      } finally {
        const left = await removeLeftovers(engine());
        if (left.length > 0) t.diagnostic(`left behind: ${left.join(", ")}`);
      }
      assert.deepEqual(unorderedOutputsSorted[scenario.name]?.(actual) ?? actual, client === "moor" ? asMoorCli(expected) : expected);
    });
  }
}
