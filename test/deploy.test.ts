// Immutable deploys end to end: `moor up`, `rollback`, `history`, `status` and `down` with real
// containers, against moor and, when REF_DOCKER_HOST names a running dockerd, against it too
// (deploy talks only through the Engine API, so both must behave the same).
// Needs root, runc, conmon and busybox-static, and a built binary.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { docker, importBusybox, moor, moorBin, startEngine, type RunResult } from "./support/engine.ts";

const image = "moor-deploy-test-busybox";
let work: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), "moor-deploy-"));
});
after(() => rmSync(work, { recursive: true, force: true }));

/** A long-running service that ends at once on SIGTERM and notes each start in /data/starts. */
const serve = (note = "up") => `["sh", "-c", "trap 'exit 0' TERM; echo ${note} >> /data/starts; while :; do sleep 0.2; done"]`;
const idle = `["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.2; done"]`;

function appFile(dir: string, project: string, services: string, volumes = "volumes:\n  data: {}\n"): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "compose.yaml");
  writeFileSync(file, `name: ${project}\nservices:\n${services}\n${volumes}`);
  return file;
}

/** A database-like service: a named volume, an anonymous volume, a healthcheck on its data. */
function dbService(options: { env?: string; healthFile?: string; extra?: string } = {}): string {
  return `  db:
    image: ${image}
    command: ${serve()}
    environment:
      SETTING: "${options.env ?? "one"}"
    volumes:
      - data:/data
      - /anon
    healthcheck:
      test: ["CMD", "test", "-f", "${options.healthFile ?? "/data/starts"}"]
      interval: 300ms
      retries: 2
${options.extra ?? ""}`;
}

const webService = (command = idle) => `  web:
    image: ${image}
    command: ${command}
    depends_on:
      db: {condition: service_healthy}
    x-moor: {order: start-first, settle: 500ms}
`;

function targets(): Array<{ name: string; host: () => string; setup: () => Promise<void>; teardown: () => Promise<void> }> {
  let engine: Awaited<ReturnType<typeof startEngine>> | undefined;
  const list = [
    {
      name: "moor",
      host: () => engine!.host,
      setup: async () => {
        engine = await startEngine();
      },
      teardown: async () => {
        await engine?.stop();
        engine?.cleanup();
      },
    },
  ];
  const reference = process.env.REF_DOCKER_HOST;
  if (reference !== undefined && reference !== "") list.push({ name: "reference dockerd", host: () => reference, setup: async () => undefined, teardown: async () => undefined });
  return list;
}

for (const target of targets()) {
  describe(`deploys against ${target.name}`, () => {
    const engine = () => ({ host: target.host() });
    const projects: Array<{ name: string; dir: string }> = [];
    const inDir = (dir: string, args: string[], input?: string): Promise<RunResult> => moor(engine(), args, { cwd: dir, input });

    before(async () => {
      await target.setup();
      await importBusybox(engine(), { name: image, changes: ['CMD ["sh"]'] });
    });
    after(async () => {
      for (const project of projects) await inDir(project.dir, ["down", "--volumes", "--yes"]);
      await docker(engine(), ["rmi", image]);
      await target.teardown();
    });

    /** A fresh project directory and name for one test (tests share one engine). */
    function project(label: string): { name: string; dir: string } {
      const created = { name: `t${process.pid}${label}`, dir: join(work, `${target.name.replace(/\W/g, "")}-${label}`) };
      projects.push(created);
      return created;
    }

    const containerId = async (name: string) => (await docker(engine(), ["inspect", "--format", "{{.Id}}", name])).stdout.trim();
    const exec = async (name: string, script: string) => {
      const result = await docker(engine(), ["exec", name, "sh", "-c", script]);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout;
    };

    test("up creates, keeps and replaces; named and anonymous volumes carry the data over", async () => {
      const { name, dir } = project("carry");
      appFile(dir, name, dbService() + webService());
      const first = await inDir(dir, ["up"]);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, new RegExp(`create   volume ${name}_data +new volume`));
      assert.match(first.stdout, /create   db +new service\n {2}create   web +new service/, "dependencies first");
      assert.match(first.stdout, new RegExp(`Revision 1 of ${name} is live: 2 created`));
      await exec(`${name}-db-1`, "echo row1 > /data/rows; echo scratch > /anon/kept");
      const labels = (await docker(engine(), ["inspect", "--format", '{{index .Config.Labels "com.docker.compose.project"}} {{index .Config.Labels "com.docker.compose.service"}}', `${name}-db-1`])).stdout.trim();
      assert.equal(labels, `${name} db`, "compose's labels");

      const again = await inDir(dir, ["up"]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /keep     db +unchanged\n {2}keep     web +unchanged/);
      assert.match(again.stdout, new RegExp(`${name} is up to date at revision 1: nothing to do`));

      const dbBefore = await containerId(`${name}-db-1`);
      appFile(dir, name, dbService() + webService(`["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.3; done"]`));
      const webChanged = await inDir(dir, ["up"]);
      assert.equal(webChanged.code, 0, webChanged.stderr);
      assert.match(webChanged.stdout, /keep     db +unchanged\n {2}replace  web +config changed/);
      assert.equal(await containerId(`${name}-db-1`), dbBefore, "an unchanged service keeps its container");

      appFile(dir, name, dbService({ env: "two" }) + webService(`["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.3; done"]`));
      const dbChanged = await inDir(dir, ["up"]);
      assert.equal(dbChanged.code, 0, dbChanged.stderr);
      assert.match(dbChanged.stdout, /replace  db +config changed/);
      const dbAfter = await containerId(`${name}-db-1`);
      assert.notEqual(dbAfter, dbBefore, "a changed service gets a new container");
      assert.equal(await exec(`${name}-db-1`, "cat /data/rows /anon/kept; echo $SETTING"), "row1\nscratch\ntwo\n", "named and anonymous volume data, new setting");
      const retired = await docker(engine(), ["inspect", "--format", "{{.State.Status}} {{.Name}}", dbBefore]);
      assert.equal(retired.stdout.trim(), `exited /${name}-db-rev1`, "the old container is stopped and kept for rollback");
    });

    test("a revision that fails its health gate is undone: the previous containers run, the data is intact", async () => {
      const { name, dir } = project("heal");
      appFile(dir, name, dbService());
      assert.equal((await inDir(dir, ["up"])).code, 0);
      await exec(`${name}-db-1`, "echo row1 > /data/rows");
      const before = await containerId(`${name}-db-1`);

      appFile(dir, name, dbService({ healthFile: "/data/never" }));
      const broken = await inDir(dir, ["up"]);
      assert.equal(broken.code, 1);
      assert.match(broken.stderr, new RegExp(`deploy of ${name} failed: service "db": ${name}-db-1 unhealthy: its healthcheck exited 1`));
      assert.match(broken.stderr, /rolled back: the previous revision runs again; no volume was changed/);
      assert.equal(await containerId(`${name}-db-1`), before, "the previous container is live again");
      assert.equal((await docker(engine(), ["inspect", "--format", "{{.State.Running}}", before])).stdout.trim(), "true");
      assert.equal(await exec(`${name}-db-1`, "cat /data/rows"), "row1\n");
      const history = await inDir(dir, ["history", "--json"]);
      assert.deepEqual((JSON.parse(history.stdout) as Array<{ revision: number }>).map((m) => m.revision), [1], "a failed deploy records no revision");
      const containers = await docker(engine(), ["ps", "-a", "--filter", `label=com.docker.compose.project=${name}`, "--format", "{{.Names}}"]);
      assert.equal(containers.stdout.trim(), `${name}-db-1`, "the failed container is gone");
    });

    test("with a snapshot, a failed revision also brings the volume's data back", async () => {
      const { name, dir } = project("snap");
      const breaking = `  db:
    image: ${image}
    command: ["sh", "-c", "trap 'exit 0' TERM; echo corrupted > /data/rows; exit 3"]
    volumes:
      - data:/data
    x-moor: {snapshot: true, settle: 500ms}
`;
      appFile(dir, name, dbService().replace("      - /anon\n", "") + "    x-moor: {snapshot: true}\n");
      assert.equal((await inDir(dir, ["up"])).code, 0);
      await exec(`${name}-db-1`, "echo row1 > /data/rows");
      appFile(dir, name, breaking);
      const broken = await inDir(dir, ["up"]);
      assert.equal(broken.code, 1, broken.stdout);
      assert.match(broken.stderr, /snapshot of volume .*_data/);
      assert.match(broken.stderr, /exited with code 3/);
      assert.match(broken.stderr, /\n {2}corrupted|rolled back/);
      assert.equal(await exec(`${name}-db-1`, "cat /data/rows"), "row1\n", "the data as it was before the failed revision");
      assert.match(broken.stderr, /rolled back: the previous revision runs again; its volumes were restored from the snapshots taken before it/);
      assert.equal((await docker(engine(), ["volume", "inspect", `${name}_data.rev2-snapshot`])).code, 1, "the failed revision's snapshot is gone once restored");
    });

    test("a snapshot never takes the place of a volume of its name: after `moor down` the revisions count from 1 again, and the old snapshot stays", async () => {
      const { name, dir } = project("resnap");
      const snapshotted = (env: string) => dbService({ env }).replace("      - /anon\n", "") + "    x-moor: {snapshot: true}\n";
      const snapshotRows = async (snapshot: string) => {
        const read = await docker(engine(), ["run", "--rm", "-v", `${snapshot}:/s`, image, "cat", "/s/rows"]);
        assert.equal(read.code, 0, read.stderr);
        return read.stdout;
      };
      appFile(dir, name, snapshotted("one"));
      assert.equal((await inDir(dir, ["up"])).code, 0);
      await exec(`${name}-db-1`, "echo before-down > /data/rows");
      appFile(dir, name, snapshotted("two"));
      assert.equal((await inDir(dir, ["up"])).code, 0);
      await exec(`${name}-db-1`, "echo after-down > /data/rows");
      assert.equal((await inDir(dir, ["down"])).code, 0);

      appFile(dir, name, snapshotted("one"));
      const fresh = await inDir(dir, ["up"]);
      assert.match(fresh.stdout, new RegExp(`Revision 1 of ${name} is live`));
      appFile(dir, name, snapshotted("two"));
      const second = await inDir(dir, ["up"]);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stderr, new RegExp(`db: snapshot of volume ${name}_data → ${name}_data\\.rev2-snapshot-2 \\(${name}_data\\.rev2-snapshot exists: kept\\)`));
      assert.equal(await snapshotRows(`${name}_data.rev2-snapshot`), "before-down\n", "the snapshot from before `moor down` is untouched");
      assert.equal(await snapshotRows(`${name}_data.rev2-snapshot-2`), "after-down\n");
      const history = JSON.parse((await inDir(dir, ["history", "--json"])).stdout) as Array<{ revision: number; snapshots: Record<string, string> }>;
      assert.deepEqual(history.at(-1)!.snapshots, { [`${name}_data`]: `${name}_data.rev2-snapshot-2` });
    });

    test("rollback returns to an earlier revision's containers and history says what changed", async () => {
      const { name, dir } = project("back");
      appFile(dir, name, dbService());
      assert.equal((await inDir(dir, ["up"])).code, 0);
      const first = await containerId(`${name}-db-1`);
      appFile(dir, name, dbService({ env: "two" }));
      assert.equal((await inDir(dir, ["up"])).code, 0);

      const back = await inDir(dir, ["rollback"]);
      assert.equal(back.code, 0, back.stderr);
      assert.equal(back.stdout, `Revision 3 of ${name} is live: the containers of revision 1.\n`);
      assert.equal(await containerId(`${name}-db-1`), first, "the revision-1 container runs again, not a copy");
      assert.equal(await exec(`${name}-db-1`, "echo $SETTING"), "one\n");

      const history = await inDir(dir, ["history"]);
      assert.equal(history.code, 0, history.stderr);
      const rows = history.stdout.trim().split("\n").map((line) => line.split(/ {3,}/));
      assert.deepEqual(rows[0], ["REVISION", "CREATED", "CAUSE", "CHANGES"]);
      assert.deepEqual(rows.slice(1).map((row) => [row[0], row[2], row[3]]), [
        ["*3", "rollback to 1", "db: back to revision 1"],
        [" 2", "up", "db: config changed"],
        [" 1", "up", "db: new service"],
      ]);
      const missing = await inDir(dir, ["rollback", "--to", "9"]);
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr, `revision 9 of "${name}" is not kept (kept: 1, 2, 3)\n`);
    });

    test("the last 5 revisions are kept with their containers; an older one goes with its container at the next change", async () => {
      const { name, dir } = project("keep");
      for (let n = 1; n <= 7; n++) {
        appFile(dir, name, webService().replace(/ {4}depends_on:\n.*\n/, "").replace("x-moor: {order: start-first, settle: 500ms}", `x-moor: {order: start-first, settle: 200ms}\n    environment: {N: "${n}"}`), "");
        const deployed = await inDir(dir, ["up"]);
        assert.equal(deployed.code, 0, deployed.stderr);
      }
      const containers = async () => (await docker(engine(), ["ps", "-a", "--filter", `label=com.docker.compose.project=${name}`, "--format", "{{.Names}}"])).stdout.trim().split("\n").sort();
      const records = async () => (await docker(engine(), ["ps", "-a", "--filter", `label=org.moor.deploy.project=${name}`, "--filter", "label=org.moor.deploy.manifest", "--format", "{{.Names}}"])).stdout.trim().split("\n").sort();
      const history = JSON.parse((await inDir(dir, ["history", "--json"])).stdout) as Array<{ revision: number }>;
      assert.deepEqual(history.map((m) => m.revision), [3, 4, 5, 6, 7]);
      // Revision 2 fell out of the window when revision 7 was recorded: no longer kept, it waits
      // for the next deploy that changes something, which prunes it while its gate waits.
      const expired = [`${name}-web-1`, `${name}-web-rev2`, `${name}-web-rev3`, `${name}-web-rev4`, `${name}-web-rev5`, `${name}-web-rev6`];
      assert.deepEqual(await containers(), expired);
      assert.deepEqual(await records(), [2, 3, 4, 5, 6, 7].map((n) => `${name}-revision-${n}`));
      const refused = await inDir(dir, ["rollback", "--to", "2"]);
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr, `revision 2 of "${name}" is not kept (kept: 3, 4, 5, 6, 7)\n`);
      const unchanged = await inDir(dir, ["up"]);
      assert.match(unchanged.stdout, /is up to date at revision 7: nothing to do/);
      assert.deepEqual(await containers(), expired, "a moor up with nothing to do changes nothing");

      const back = await inDir(dir, ["rollback", "--to", "3"]);
      assert.equal(back.code, 0, back.stderr);
      assert.equal(await exec(`${name}-web-1`, "echo $N"), "3\n", "the oldest kept revision's own container");
      assert.deepEqual(await containers(), [`${name}-web-1`, `${name}-web-rev4`, `${name}-web-rev5`, `${name}-web-rev6`, `${name}-web-rev7`], "revision 2's container is gone");
      assert.deepEqual(await records(), [3, 4, 5, 6, 7, 8].map((n) => `${name}-revision-${n}`));
      const after = JSON.parse((await inDir(dir, ["history", "--json"])).stdout) as Array<{ revision: number }>;
      assert.deepEqual(after.map((m) => m.revision), [4, 5, 6, 7, 8]);

      // A deploy that fails prunes what had expired before it, and nothing it would have.
      appFile(dir, name, `  web:\n    image: ${image}\n    command: ["sh", "-c", "exit 3"]\n    x-moor: {order: start-first, settle: 200ms}\n`, "");
      const failed = await inDir(dir, ["up"]);
      assert.equal(failed.code, 1, failed.stderr);
      assert.deepEqual(await records(), [4, 5, 6, 7, 8].map((n) => `${name}-revision-${n}`), "revision 3's record is gone");
      assert.deepEqual(await containers(), [`${name}-web-1`, `${name}-web-rev4`, `${name}-web-rev5`, `${name}-web-rev6`, `${name}-web-rev7`]);
      assert.equal(await exec(`${name}-web-1`, "echo $N"), "3\n", "revision 8 runs on, with revision 3's container");
      assert.equal((await inDir(dir, ["rollback", "--to", "4"])).code, 0, "the oldest kept revision is still there to return to");
    });

    test("--dry-run prints the plan and changes nothing; --json answers for scripts", async () => {
      const { name, dir } = project("dry");
      appFile(dir, name, dbService());
      const dry = await inDir(dir, ["up", "--dry-run"]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /create   db +new service\nDry run: nothing was changed.\n$/);
      const none = await docker(engine(), ["ps", "-a", "-q", "--filter", `label=com.docker.compose.project=${name}`]);
      assert.equal(none.stdout, "");
      assert.equal((await docker(engine(), ["volume", "inspect", `${name}_data`])).code, 1, "no volume either");

      const json = await inDir(dir, ["up", "--json"]);
      assert.equal(json.code, 0, json.stderr);
      const result = JSON.parse(json.stdout);
      assert.equal(result.ok, true);
      assert.equal(result.revision, 1);
      assert.deepEqual(result.services.map((a: { service: string; kind: string }) => `${a.kind} ${a.service}`), ["create db"]);
    });

    test("status reports drift: a changed writable layer, a container stopped or removed by hand", async () => {
      const { name, dir } = project("drift");
      appFile(dir, name, dbService() + webService());
      assert.equal((await inDir(dir, ["up"])).code, 0);
      const clean = await inDir(dir, ["status"]);
      assert.equal(clean.code, 0, clean.stdout + clean.stderr);
      assert.match(clean.stdout, new RegExp(`db +${name}-db-1 +Up .* +matches\nweb +${name}-web-1 +Up .* +matches`));

      await exec(`${name}-web-1`, "echo patched > /etc/motd");
      const patched = await inDir(dir, ["status"]);
      assert.equal(patched.code, 1);
      assert.match(patched.stdout, /web .*writable layer changed since deploy: \d+ changes \(.*A \/etc\/motd/);
      assert.equal((await docker(engine(), ["stop", `${name}-web-1`])).code, 0);
      assert.match((await inDir(dir, ["status"])).stdout, /web .*not running: Exited \(0\)/);
      assert.equal((await docker(engine(), ["rm", `${name}-web-1`])).code, 0);
      const json = JSON.parse((await inDir(dir, ["status", "--json"])).stdout);
      assert.equal(json.drifted, true);
      assert.deepEqual(json.services.find((s: { service: string }) => s.service === "web").drift, ["its container was removed by hand"]);

      const repaired = await inDir(dir, ["up"]);
      assert.match(repaired.stdout, /create   web +new service/, "moor up replaces what was removed by hand");
      assert.equal((await inDir(dir, ["status"])).code, 0);
    });

    // moor has no container update (configs are immutable); dockerd's `docker update` edits one.
    if (target.name === "reference dockerd") {
      test("status reports a container edited with docker update", async () => {
        const { name, dir } = project("edit");
        appFile(dir, name, webService().replace(/ {4}depends_on:\n.*\n/, ""), "");
        assert.equal((await inDir(dir, ["up"])).code, 0);
        assert.equal((await docker(engine(), ["update", "--restart", "always", `${name}-web-1`])).code, 0);
        const status = await inDir(dir, ["status"]);
        assert.equal(status.code, 1);
        assert.match(status.stdout, /web .*edited since deploy \(docker update changed its restart policy or resources\)/);
      });
    }

    test("down removes the containers and keeps every volume; up brings the same data back; --volumes asks first", async () => {
      const { name, dir } = project("down");
      appFile(dir, name, dbService());
      assert.equal((await inDir(dir, ["up"])).code, 0);
      await exec(`${name}-db-1`, "echo row1 > /data/rows");
      const down = await inDir(dir, ["down"]);
      assert.equal(down.code, 0, down.stderr);
      assert.equal(down.stdout, `${name}: 2 container(s) removed; volumes kept.\n`, "the service container and the revision record");
      assert.equal((await docker(engine(), ["volume", "inspect", `${name}_data`])).code, 0);
      assert.equal((await inDir(dir, ["up"])).code, 0);
      assert.equal(await exec(`${name}-db-1`, "cat /data/rows"), "row1\n");

      const declined = await inDir(dir, ["down", "--volumes"], "n\n");
      assert.equal(declined.code, 1);
      assert.match(declined.stdout, new RegExp(`These volumes of ${name} and all their data will be removed:\nVOLUME +KIND +SIZE\n`));
      assert.match(declined.stdout, new RegExp(`${name}_data +named +\\d`));
      assert.match(declined.stdout, /[0-9a-f]{64} +anonymous/);
      assert.match(declined.stdout, /Nothing was removed.\n$/);
      assert.equal((await docker(engine(), ["inspect", `${name}-db-1`])).code, 0, "declining changes nothing");
      const confirmed = await inDir(dir, ["down", "--volumes", "--yes"]);
      assert.equal(confirmed.code, 0, confirmed.stderr);
      assert.equal((await docker(engine(), ["volume", "inspect", `${name}_data`])).code, 1);
    });

    test("invalid app files are refused before anything changes", async () => {
      const { name, dir } = project("bad");
      const cases: Array<[string, RegExp]> = [
        [`  db:\n    image: ${image}\n    imagee: typo\n`, /validating .*compose\.yaml: services\.db additional properties 'imagee' not allowed/],
        [`  db:\n    image: ${image}\n    cap_add: [NET_ADMIN]\n`, /the app file uses keys moor does not support:\n {2}services\.db\.cap_add: .*--ignore-unsupported/s],
        [dbService() + "    x-moor: {order: start-first}\n", /services\.db\.x-moor\.order: start-first would run two containers on the data of \/data, \/anon at once/],
        [`  db:\n    image: no-such-image\n`, /service "db": no such image: no-such-image; moor does not pull images/],
        [`  db:\n    image: ${image}\n    volumes: [legacy:/data]\n`, /external volume "legacy" not found: create it first/],
      ];
      for (const [services, error] of cases) {
        appFile(dir, name, services, services.includes("legacy") ? "volumes:\n  legacy: {external: true}\n" : "volumes:\n  data: {}\n");
        const result = await inDir(dir, ["up"]);
        assert.equal(result.code, 1, services);
        assert.match(result.stderr, error);
      }
      const none = await docker(engine(), ["ps", "-a", "-q", "--filter", `label=com.docker.compose.project=${name}`]);
      assert.equal(none.stdout, "");
    });

    test("Ctrl-C in the middle of moor up undoes the deploy and exits 130", async () => {
      const { name, dir } = project("intr");
      appFile(dir, name, dbService());
      assert.equal((await inDir(dir, ["up"])).code, 0);
      const before = await containerId(`${name}-db-1`);
      appFile(dir, name, dbService({ healthFile: "/data/never", extra: "    x-moor: {health_timeout: 60s}\n" }));
      const child = spawnIn(dir, engine().host, ["up"]);
      let stderr = "";
      child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolveExit) => child.once("close", resolveExit));
      await waitFor(async () => stderr.includes("waiting for its healthcheck"));
      child.kill("SIGINT");
      assert.equal(await exited, 130, stderr);
      assert.match(stderr, new RegExp(`deploy of ${name} failed: service "db": ${name}-db-1 interrupted\n`));
      assert.match(stderr, /rolled back: the previous revision runs again/);
      assert.equal(await containerId(`${name}-db-1`), before);
      const containers = await docker(engine(), ["ps", "-a", "--filter", `label=com.docker.compose.project=${name}`, "--format", "{{.Names}} {{.State}}"]);
      assert.equal(containers.stdout, `${name}-db-1 running\n`);
    });

    test("--renew-anon-volumes gives a replacement new anonymous volumes; --snapshot copies the named ones first", async () => {
      const { name, dir } = project("renew");
      appFile(dir, name, dbService());
      assert.equal((await inDir(dir, ["up"])).code, 0);
      await exec(`${name}-db-1`, "echo row1 > /data/rows; echo scratch > /anon/kept");
      appFile(dir, name, dbService({ env: "two" }));
      const renewed = await inDir(dir, ["up", "--renew-anon-volumes"]);
      assert.equal(renewed.code, 0, renewed.stderr);
      assert.equal(await exec(`${name}-db-1`, "ls /anon; cat /data/rows"), "row1\n", "a new, empty anonymous volume; the named one as it was");

      appFile(dir, name, dbService({ env: "three" }));
      const snapshotted = await inDir(dir, ["up", "--snapshot"]);
      assert.equal(snapshotted.code, 0, snapshotted.stderr);
      assert.match(snapshotted.stderr, new RegExp(`db: snapshot of volume ${name}_data → ${name}_data.rev3-snapshot`));
      const copy = await docker(engine(), ["run", "--rm", "-v", `${name}_data.rev3-snapshot:/s`, image, "cat", "/s/rows"]);
      assert.equal(copy.stdout, "row1\n");
      const history = JSON.parse((await inDir(dir, ["history", "--json"])).stdout) as Array<{ revision: number; snapshots: Record<string, string> }>;
      assert.deepEqual(history.at(-1)!.snapshots, { [`${name}_data`]: `${name}_data.rev3-snapshot` });
    });

    test("a one-shot service others wait on (service_completed_successfully) runs to completion first and is kept once done", async () => {
      const { name, dir } = project("once");
      const services = `  migrate:
    image: ${image}
    command: ["sh", "-c", "echo migrated >> /data/migrations"]
    volumes: [data:/data]
  app:
    image: ${image}
    command: ["sh", "-c", "trap 'exit 0' TERM; test -f /data/migrations || exit 9; while :; do sleep 0.2; done"]
    volumes: [data:/data]
    depends_on:
      migrate: {condition: service_completed_successfully}
    x-moor: {settle: 500ms}
`;
      appFile(dir, name, services);
      const first = await inDir(dir, ["up"]);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /migrate: waiting for it to complete\n migrate: completed in/);
      const again = await inDir(dir, ["up"]);
      assert.match(again.stdout, /keep     migrate +unchanged\n {2}keep     app +unchanged/, "a completed one-shot service is not run again");
      assert.equal(await exec(`${name}-app-1`, "cat /data/migrations"), "migrated\n");
      assert.equal((await inDir(dir, ["status"])).code, 0, "exited 0 is what a one-shot service should be");
    });

    test("a service with build: is built when its image is missing, and rebuilt with --build", async () => {
      const { name, dir } = project("build");
      appFile(dir, name, `  app:\n    build: ./app\n    command: ${idle}\n    x-moor: {settle: 300ms}\n`, "");
      mkdirSync(join(dir, "app"), { recursive: true });
      writeFileSync(join(dir, "app", "Dockerfile"), `FROM ${image}\nCOPY version /version\n`);
      writeFileSync(join(dir, "app", "version"), "1\n");
      const first = await inDir(dir, ["up"]);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, new RegExp(`app: building ${name}-app\n`), "compose's image name for a built service");
      assert.equal(await exec(`${name}-app-1`, "cat /version"), "1\n");
      const built = await containerId(`${name}-app-1`);
      const firstImage = (await docker(engine(), ["inspect", "--format", "{{.Image}}", built])).stdout.trim();

      writeFileSync(join(dir, "app", "version"), "2\n");
      const unchanged = await inDir(dir, ["up"]);
      assert.match(unchanged.stdout, /keep     app +unchanged/, "an existing image is not rebuilt without --build");
      const rebuilt = await inDir(dir, ["up", "--build"]);
      assert.equal(rebuilt.code, 0, rebuilt.stderr);
      assert.match(rebuilt.stdout, /replace  app +image changed \([0-9a-f]{12} → [0-9a-f]{12}\)/);
      assert.notEqual(await containerId(`${name}-app-1`), built);
      assert.equal(await exec(`${name}-app-1`, "cat /version"), "2\n");
      await inDir(dir, ["down"]);
      await docker(engine(), ["rmi", `${name}-app`, firstImage]);
    });

    test("kill -9 of moor up in the middle: the next up removes what it left and finishes", async () => {
      const { name, dir } = project("kill");
      appFile(dir, name, dbService());
      assert.equal((await inDir(dir, ["up"])).code, 0);
      await exec(`${name}-db-1`, "echo row1 > /data/rows");
      const old = await containerId(`${name}-db-1`);
      // The new container never gets healthy, so `up` is surely inside its health gate when killed.
      appFile(dir, name, dbService({ healthFile: "/data/later", extra: "    x-moor: {health_timeout: 60s}\n" }));
      const child = spawnIn(dir, engine().host, ["up"]);
      await waitFor(async () => (await docker(engine(), ["inspect", `${name}-db-rev1`])).code === 0 && (await docker(engine(), ["inspect", "--format", "{{.State.Running}}", `${name}-db-1`])).stdout.trim() === "true");
      child.kill("SIGKILL");
      await new Promise((resolveExit) => child.once("exit", resolveExit));

      const status = await inDir(dir, ["status"]);
      assert.match(status.stdout, /left by an interrupted deploy/);
      appFile(dir, name, dbService({ env: "three" }));
      const next = await inDir(dir, ["up"]);
      assert.equal(next.code, 0, next.stderr);
      assert.match(next.stdout, /an interrupted deploy left 1 container\(s\): they are removed first/);
      assert.match(next.stderr, new RegExp(`renaming ${name}-db-rev1 back to ${name}-db-1`));
      assert.notEqual(await containerId(`${name}-db-1`), old);
      assert.equal(await exec(`${name}-db-1`, "cat /data/rows; echo $SETTING"), "row1\nthree\n");
      assert.deepEqual(JSON.parse((await inDir(dir, ["history", "--json"])).stdout).map((m: { revision: number }) => m.revision), [1, 2]);
    });
  });
}

function spawnIn(dir: string, host: string, args: string[]): ChildProcess {
  return spawn(moorBin, args, { cwd: dir, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, MOOR_HOST: host } });
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 100));
  }
}
