// `moor volume ...` against `docker volume ...`: both CLIs run the same command lines against
// the same moor engine (reset between runs) and must print the same, byte for byte, with only
// the program name differing. Also moor's own API-1.45 behaviour, which the dockerd 20.10
// recordings cannot show. Needs root and a built binary.
import assert from "node:assert/strict";
import { join } from "node:path";
import Database from "better-sqlite3";
import { test } from "node:test";
import { api, docker, moor, type RunResult, useEngine } from "./support/engine.ts";
import { normalise, removeAllVolumes } from "./support/scenarios.ts";

const engine = useEngine();

type Step = { args: string[]; input?: string };

async function transcript(cli: typeof docker, steps: Step[]): Promise<RunResult[]> {
  await removeAllVolumes(engine().host);
  const results: RunResult[] = [];
  for (const step of steps) {
    const result = await cli(engine(), step.args, { input: step.input });
    results.push({
      code: result.code,
      stdout: normalise(result.stdout, { root: engine().root, json: false }),
      stderr: normalise(result.stderr, { root: engine().root, json: false }).replaceAll("docker", "moor").replace("SRun", "Run"),
    });
  }
  return results;
}

const step = (...args: string[]): Step => ({ args });

const parityCases: Record<string, Step[]> = {
  "create, ls, inspect, rm": [
    step("volume", "create", "vol1"),
    step("volume", "create", "--label", "a=b", "-o", "type=tmpfs", "-o", "device=tmpfs", "vol2"),
    step("volume", "ls"),
    step("volume", "list", "-q"),
    step("volume", "inspect", "vol1", "vol2"),
    step("volume", "inspect", "--format", "{{.Name}} {{json .Labels}} {{.Options}}", "vol2"),
    step("volume", "inspect", "--format", "json", "vol1", "vol2"),
    step("volume", "inspect", "--format", "{{.Name", "vol1"),
    step("volume", "inspect", "--format", "{{.Nope}}", "vol1"),
    step("volume", "inspect", "-f", "a\\tb {{.Name}}", "vol1"),
    step("volume", "rm", "vol1", "missing", "vol2"),
    step("volume", "remove", "-f", "missing"),
  ],
  "formats and filters": [
    step("volume", "create", "--label", "tier=db", "v10"),
    step("volume", "create", "v2"),
    step("volume", "create", "--label", "tier=web", "va"),
    step("volume", "ls", "--format", "table {{.Name}}\\t{{.Labels}}\\t{{.Label \"tier\"}}\\t{{.Links}}"),
    step("volume", "ls", "--format", "json"),
    step("volume", "ls", "--format", "{{.Name}}:{{.Scope}}:{{upper .Driver}}"),
    step("volume", "ls", "-f", "label=tier", "-f", "name=^v1"),
    step("volume", "ls", "--filter", "dangling=true", "-q"),
    step("volume", "ls", "--filter", "dangling=maybe"),
    step("volume", "ls", "--filter", "bogus=1"),
    step("volume", "ls", "--filter", "nonsense"),
    step("volume", "ls", "--format", "{{.Nope}}"),
    step("volume", "ls", "--format", "{{.Name"),
  ],
  "bad input": [
    step("volume", "create", "a"),
    step("volume", "create", "../etc"),
    step("volume", "create", "-o", "foo=bar", "ok1"),
    step("volume", "create", "-o", "type=tmpfs", "ok2"),
    step("volume", "create", "-o", "size=10m", "ok3"),
    step("volume", "create", "-d", "nosuch", "ok4"),
    step("volume", "create", "a1", "b1"),
    step("volume", "create", "--name", "x1", "y1"),
    step("volume", "create", "--bogus"),
    step("volume", "create", "-o"),
    step("volume", "inspect"),
    step("volume", "ls", "extra"),
    step("volume", "rm"),
    step("volume", "prune", "extra"),
    step("volume", "bogus"),
  ],
  "prune at API 1.45": [
    step("volume", "create", "named"),
    step("volume", "create", "--label", "keep=1", "named-kept"),
    step("volume", "prune", "-f"),
    { args: ["volume", "prune"], input: "n\n" },
    step("volume", "ls", "-q"),
    step("volume", "prune", "-a", "-f", "--filter", "label!=keep"),
    step("volume", "prune", "-a", "-f", "--filter", "all=1"),
    { args: ["volume", "prune", "--all"], input: "y\n" },
    step("volume", "ls", "-q"),
  ],
};

for (const [name, steps] of Object.entries(parityCases)) {
  test(`moor and docker print the same: ${name}`, async () => {
    const viaDocker = await transcript(docker, steps);
    const viaMoor = await transcript(moor, steps);
    assert.deepEqual(viaMoor, viaDocker);
  });
}

test("prune at API 1.45 takes anonymous volumes only; --all takes named ones too", async () => {
  await removeAllVolumes(engine().host);
  await docker(engine(), ["volume", "create", "named"]);
  const anonymous = (await docker(engine(), ["volume", "create"])).stdout.trim();
  const pruned = await docker(engine(), ["volume", "prune", "-f"]);
  assert.equal(pruned.stdout, `Deleted Volumes:\n${anonymous}\n\nTotal reclaimed space: 0B\n`);
  assert.equal((await moor(engine(), ["volume", "ls", "-q"])).stdout, "named\n");
  const all = await moor(engine(), ["volume", "prune", "-a", "-f"]);
  assert.equal(all.stdout, "Deleted Volumes:\nnamed\n\nTotal reclaimed space: 0B\n");
});

test("the prompt explains what prune removes, and only yes removes it", async () => {
  await removeAllVolumes(engine().host);
  await moor(engine(), ["volume", "create"]);
  const declined = await moor(engine(), ["volume", "prune"], { input: "\n" });
  assert.equal(declined.code, 0);
  assert.equal(declined.stdout, "WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ");
  assert.equal((await moor(engine(), ["volume", "ls", "-q"])).stdout.split("\n").length, 2, "the volume is still there");
});

test("a volume in use answers 409 with the container ids, from both CLIs, and is not pruned", async () => {
  // Containers arrive with the next issue; until then the test writes the reference rows the
  // way container create will, straight into the engine's database (SQLite allows a second
  // process). "In use" is a query over those rows, so this is the real path.
  await removeAllVolumes(engine().host);
  await moor(engine(), ["volume", "create", "busy"]);
  const db = new Database(join(engine().root, "moor.db"));
  const containerId = "c".repeat(64);
  try {
    db.prepare("INSERT INTO images (id, config, size, created_at) VALUES ('sha256:test', '{}', 0, 0)").run();
    db.prepare("INSERT INTO containers (id, image_id, config, host_config, created_at) VALUES (?, 'sha256:test', '{}', '{}', 0)").run(containerId);
    db.prepare(
      "INSERT INTO container_mounts (container_id, destination, type, volume_name, source, mode, rw, propagation, spec) VALUES (?, '/data', 'volume', 'busy', '', 'z', 1, '', '{}')",
    ).run(containerId);
    for (const cli of [docker, moor]) {
      const rm = await cli(engine(), ["volume", "rm", "-f", "busy"]);
      assert.deepEqual(rm, { code: 1, stdout: "", stderr: `Error response from daemon: remove busy: volume is in use - [${containerId}]\n` });
    }
    assert.equal((await moor(engine(), ["volume", "ls", "-q", "--filter", "dangling=false"])).stdout, "busy\n");
    assert.equal((await moor(engine(), ["volume", "prune", "-a", "-f"])).stdout, "Total reclaimed space: 0B\n");
  } finally {
    db.prepare("DELETE FROM containers WHERE id = ?").run(containerId);
    db.prepare("DELETE FROM images WHERE id = 'sha256:test'").run();
    db.close();
  }
  assert.equal((await moor(engine(), ["volume", "rm", "busy"])).stdout, "busy\n");
});

test("help teaches: usage, description, examples and every flag", async () => {
  const help = await moor(engine(), ["volume", "create", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage:  moor volume create \[OPTIONS\] \[VOLUME\]\n\nCreate a volume\n\nExamples:\n/);
  assert.match(help.stdout, /\n  -d, --driver string   Specify volume driver name \(default "local"\)\n      --label list      Set metadata for a volume\n  -o, --opt map         Set driver specific options \(default map\[\]\)\n$/);
  const group = await moor(engine(), ["volume"]);
  assert.match(
    group.stdout,
    /Commands:\n  backup      Back up a volume to an archive\n  backups     Show a volume's scheduled backups and each run's result\n  clone       Copy a volume to a new volume\n  cp          Copy files\/folders between a volume and the local filesystem, or between volumes\n  create      Create a volume\n  export      Export a volume's content as a plain tar stream\n  import      Import a plain tar stream as a volume's content\n  inspect     Display detailed information on one or more volumes\n  ls          List volumes\n  prune       Remove unused local volumes\n  rename      Rename a volume\n  restore     Restore a volume from a backup archive\n  rm          Remove one or more volumes. You cannot remove a volume that is in use by a container.\n  verify      Check a backup archive without restoring it\n/,
  );
});

test("GET /volumes answers both filter encodings alike", async () => {
  await removeAllVolumes(engine().host);
  await moor(engine(), ["volume", "create", "--label", "a=b", "labelled"]);
  await moor(engine(), ["volume", "create", "plain"]);
  const names = async (filters: unknown) => {
    const res = await api(engine(), "GET", `/v1.45/volumes?filters=${encodeURIComponent(JSON.stringify(filters))}`);
    return (JSON.parse(res.body).Volumes as Array<{ Name: string }>).map((v) => v.Name);
  };
  assert.deepEqual(await names({ label: ["a=b"] }), ["labelled"]);
  assert.deepEqual(await names({ label: { "a=b": true } }), ["labelled"]);
});

test("50 concurrent creates of one name over the API give one volume", async () => {
  await removeAllVolumes(engine().host);
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => api(engine(), "POST", "/v1.45/volumes/create", { Name: "contended", Labels: { n: String(i) } })));
  assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([201]));
  const labels = new Set(answers.map((a) => JSON.stringify(JSON.parse(a.body).Labels)));
  assert.equal(labels.size, 1, "every caller got the one volume that was created");
  assert.equal((await moor(engine(), ["volume", "ls", "-q"])).stdout, "contended\n");
});

test("a prune while another runs gets dockerd's 409", async () => {
  await removeAllVolumes(engine().host);
  for (let i = 0; i < 1500; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, j) => api(engine(), "POST", "/v1.45/volumes/create", { Name: `p${i + j}` })));
  }
  const all = `/v1.45/volumes/prune?filters=${encodeURIComponent('{"all":["true"]}')}`;
  const [first, second] = await Promise.all([api(engine(), "POST", all), api(engine(), "POST", all)]);
  const statuses = [first.status, second.status].sort();
  assert.deepEqual(statuses, [200, 409]);
  const conflict = first.status === 409 ? first : second;
  assert.equal(conflict.body, '{"message":"a prune operation is already running"}\n');
  const done = first.status === 200 ? first : second;
  assert.equal(JSON.parse(done.body).VolumesDeleted.length, 1500);
});
