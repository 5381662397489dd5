// The examples/mariadb showcase, end to end on a real engine: the Dockerfile is built with the
// docker CLI's classic builder FROM debian:bookworm (apt-get from the Debian mirror), and the
// server's data lives in a volume: an anonymous one filled by copy-up when the container has no
// -v, and a named one that outlives the container and a rebuilt image (the immutable deploy
// with persistent data). Needs root, runc, conmon, debootstrap's cached debian image (or the
// mirror), and a built binary. The first build downloads MariaDB's packages; later builds in the
// same engine hit the layer cache.
import assert from "node:assert/strict";
import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { ensureDebianImage } from "./support/debian-image.ts";
import { docker, moor, useEngine, type RunResult } from "./support/engine.ts";

const exampleDir = resolve(import.meta.dirname, "../examples/mariadb");
const image = "mariadb-example:1";
/** Long enough for a slow first start (mariadb-install-db, then InnoDB); polled, never timed. */
const serverStartDeadlineMs = 180_000;

let work: string;
const engine = useEngine(async (started) => {
  await ensureDebianImage(started);
  const begun = Date.now();
  const built = await build(started, image, exampleDir);
  assert.equal(built.code, 0, built.stdout + built.stderr);
  console.log(`building ${image} took ${Date.now() - begun} ms`);
});

before(() => {
  work = mkdtempSync(join(tmpdir(), "moor-mariadb-"));
});

after(() => {
  rmSync(work, { recursive: true, force: true });
});

function build(target: { host: string }, tag: string, dir: string): Promise<RunResult> {
  return docker(target, ["build", "-t", tag, dir], { env: { DOCKER_BUILDKIT: "0" } });
}

async function ok(args: string[]): Promise<string> {
  const result = await docker(engine(), args);
  assert.equal(result.code, 0, `docker ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** A TCP port nobody on the host listens on now: containers share the host's network. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** SQL run by the mariadb client inside the container, over the server's unix socket. */
async function sql(container: string, statements: string): Promise<string> {
  return ok(["exec", container, "mariadb", "--batch", "--skip-column-names", "-e", statements]);
}

/** Polls until the server answers a query; fails early, with its logs, if the container exits. */
async function waitForServer(container: string): Promise<void> {
  const deadline = Date.now() + serverStartDeadlineMs;
  for (;;) {
    const answer = await docker(engine(), ["exec", container, "mariadb", "--batch", "--skip-column-names", "-e", "select 1"]);
    if (answer.code === 0 && answer.stdout === "1\n") return;
    const running = (await ok(["inspect", "-f", "{{.State.Running}}", container])).trim();
    if (running !== "true" || Date.now() > deadline) {
      const logs = await docker(engine(), ["logs", container]);
      assert.fail(`${container} did not answer (running: ${running}; last answer: ${answer.stderr.trim()}):\n${logs.stdout}${logs.stderr}`);
    }
    await new Promise((wait) => setTimeout(wait, 500));
  }
}

async function logsOf(container: string): Promise<string> {
  const logs = await docker(engine(), ["logs", container]);
  return logs.stdout + logs.stderr;
}

test("the image declares its data volume, an unprivileged user, a healthcheck and the port setting", async () => {
  const [inspected] = JSON.parse(await ok(["image", "inspect", image])) as Array<{ Config: Record<string, any> }>;
  assert.deepEqual(inspected.Config.Volumes, { "/var/lib/mysql": {} });
  assert.equal(inspected.Config.User, "mysql");
  assert.deepEqual(inspected.Config.Healthcheck.Test, ["CMD", "mariadb-admin", "ping", "--silent"]);
  assert.ok(inspected.Config.Env.includes("MARIADB_PORT=3306"), inspected.Config.Env.join(" "));
  assert.deepEqual(inspected.Config.Entrypoint, ["docker-entrypoint.sh"]);
  assert.deepEqual(inspected.Config.Cmd, ["mariadbd"]);
  const lists = await ok(["run", "--rm", "--entrypoint", "ls", image, "-A", "/var/lib/apt/lists"]);
  assert.equal(lists, "", "apt's package lists are not left in the image");
});

test("without -v the data directory is an anonymous volume, filled by copy-up with mysql's ownership, and the server works in it", async () => {
  const port = await freePort();
  // A hostname of its own: the default (the ID's first 12 hex digits) is all digits now and then,
  // which resolvers read as an address, so mariadb-install-db's lookup of it would fail on dockerd too.
  const id = (await ok(["create", "--name", "db-anonymous", "--hostname", "db-anonymous", "-e", `MARIADB_PORT=${port}`, image])).trim();
  try {
    const mounts = JSON.parse(await ok(["inspect", "-f", "{{json .Mounts}}", id])) as Array<Record<string, unknown>>;
    assert.equal(mounts.length, 1);
    assert.equal(mounts[0].Type, "volume");
    assert.equal(mounts[0].Destination, "/var/lib/mysql");
    assert.match(String(mounts[0].Name), /^[0-9a-f]{64}$/, "an anonymous volume");
    const data = String(mounts[0].Source);
    assert.equal(data, join(engine().root, "volumes", String(mounts[0].Name), "_data"));

    // Before the first start, so only the copy-up can have set this: the image's directory is
    // empty and owned by the image's mysql user, which the server runs as (USER mysql).
    const [uid, gid] = (await ok(["run", "--rm", "--entrypoint", "sh", image, "-c", "id -u mysql; id -g mysql"])).trim().split("\n").map(Number);
    assert.notEqual(uid, 0);
    const owner = statSync(data);
    assert.deepEqual([owner.uid, owner.gid], [uid, gid], "the volume's _data is owned by mysql:mysql");
    assert.deepEqual(readdirSync(data), [], "the image ships the data directory empty");

    await ok(["start", id]);
    await waitForServer(id);
    const logs = await logsOf(id);
    assert.match(logs, /docker-entrypoint\.sh: initialising the data directory \/var\/lib\/mysql\n/);
    assert.doesNotMatch(logs, /could not be looked up/, "the container's hostname resolves (mariadb-install-db checks it)");

    await sql(id, "create database shop; create table shop.items (id int primary key, name varchar(40)); insert into shop.items values (1, 'kettle');");
    assert.equal(await sql(id, "select id, name from shop.items"), "1\tkettle\n");
    assert.ok(statSync(join(data, "shop", "items.ibd")).isFile(), "the table's file is in the volume on the host");

    // Over TCP the server listens where MARIADB_PORT says, on the host's loopback (containers
    // share the host's network): another container's client reaches it there, with a password.
    await sql(id, "create user app@'127.0.0.1' identified by 'app-secret'; grant select on shop.* to app@'127.0.0.1';");
    const overTcp = await ok(["run", "--rm", "--entrypoint", "mariadb", image, "-h", "127.0.0.1", "-P", String(port), "-u", "app", "-papp-secret", "--batch", "--skip-column-names", "-e", "select name from shop.items"]);
    assert.equal(overTcp, "kettle\n");
  } finally {
    await docker(engine(), ["rm", "-f", "-v", id]);
  }
  const volumes = await ok(["volume", "ls", "-q"]);
  assert.equal(volumes, "", "rm -v removed the anonymous volume");
});

test("a named volume keeps the rows across containers and a rebuilt image: the immutable deploy with persistent data", async () => {
  const port = await freePort();
  try {
    await ok(["run", "-d", "--name", "db-v1", "-e", `MARIADB_PORT=${port}`, "-v", "dbdata:/var/lib/mysql", image]);
    await waitForServer("db-v1");
    await sql("db-v1", "create database shop; create table shop.orders (id int primary key, item varchar(40)); insert into shop.orders values (42, 'teapot');");
    await ok(["stop", "db-v1"]);
    assert.match(await logsOf("db-v1"), /mariadbd: Shutdown complete/, "docker stop shut the server down cleanly");
    await ok(["rm", "db-v1"]);
    assert.equal((await ok(["volume", "ls", "-q"])).trim(), "dbdata", "the named volume outlives its container");

    // The next release of the image: the same Dockerfile with one more line.
    const release2 = join(work, "release-2");
    cpSync(exampleDir, release2, { recursive: true });
    appendFileSync(join(release2, "Dockerfile"), "\nLABEL org.opencontainers.image.version=2\n");
    const rebuilt = await build(engine(), "mariadb-example:2", release2);
    assert.equal(rebuilt.code, 0, rebuilt.stdout + rebuilt.stderr);
    assert.match(rebuilt.stdout, /Step 2\/\d+ : RUN set -eux;[^\n]*\n ---> Using cache\n/, "the package installation came from the layer cache");
    const [first, second] = JSON.parse(await ok(["image", "inspect", image, "mariadb-example:2"])) as Array<{ Id: string; Config: { Labels: Record<string, string> | null } }>;
    assert.notEqual(second.Id, first.Id);
    assert.equal(second.Config.Labels?.["org.opencontainers.image.version"], "2");

    await ok(["run", "-d", "--name", "db-v2", "-e", `MARIADB_PORT=${port}`, "-v", "dbdata:/var/lib/mysql", "mariadb-example:2"]);
    await waitForServer("db-v2");
    assert.equal(await sql("db-v2", "select id, item from shop.orders"), "42\tteapot\n", "the new container sees the old container's row");
    assert.doesNotMatch(await logsOf("db-v2"), /initialising the data directory/, "the existing data directory was used as it is");
    const [container] = JSON.parse(await ok(["inspect", "db-v2"])) as Array<{ Image: string; Mounts: Array<Record<string, unknown>> }>;
    assert.equal(container.Image, second.Id);
    assert.deepEqual(
      container.Mounts.map((mount) => [mount.Type, mount.Name, mount.Destination]),
      [["volume", "dbdata", "/var/lib/mysql"]],
    );
  } finally {
    await docker(engine(), ["rm", "-f", "db-v1", "db-v2"]);
    await docker(engine(), ["volume", "rm", "dbdata"]);
  }
  assert.equal(await ok(["volume", "ls", "-q"]), "", "the test's volume is gone");
});

/** The moor CLI in the example's directory, where compose.yaml is. */
function moorUp(args: string[], env: Record<string, string>): Promise<RunResult> {
  return moor(engine(), args, { cwd: exampleDir, env });
}

test("compose.yaml: moor up deploys revisions that keep the rows, rolls a broken one back by itself, and down keeps the volume", async () => {
  const port = String(await freePort());
  // The image this file's engine already built is the one compose.yaml names: moor up skips the build.
  await ok(["tag", image, "mariadb-example"]);
  try {
    const first = await moorUp(["up"], { MARIADB_PORT: port });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /create   volume mariadb_data +new volume\n {2}create   db +new service\n/);
    assert.match(first.stdout, /Revision 1 of mariadb is live/);
    await waitForServer("mariadb-db-1");
    await sql("mariadb-db-1", "create database shop; create table shop.items (id int primary key, name varchar(40)); insert into shop.items values (1, 'kettle'), (2, 'teapot');");

    // A changed setting: a new revision, a new container, the same rows.
    const revision1 = (await ok(["inspect", "-f", "{{.Id}}", "mariadb-db-1"])).trim();
    const second = await moorUp(["up"], { MARIADB_PORT: port, MAX_CONNECTIONS: "50" });
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /replace  db +config changed\n/);
    assert.match(second.stderr, /snapshot of volume mariadb_data/);
    const revision2 = (await ok(["inspect", "-f", "{{.Id}}", "mariadb-db-1"])).trim();
    assert.notEqual(revision2, revision1);
    assert.equal(await sql("mariadb-db-1", "select @@max_connections; select count(*) from shop.items"), "50\n2\n");

    // A broken revision: its healthcheck never passes, so moor up undoes it and says why.
    const broken = await moorUp(["up", "-f", "compose.yaml", "-f", "compose.broken.yaml"], { MARIADB_PORT: port, MAX_CONNECTIONS: "50" });
    assert.equal(broken.code, 1, broken.stdout + broken.stderr);
    assert.match(broken.stderr, /deploy of mariadb failed: service "db": mariadb-db-1 unhealthy: its healthcheck exited 1/);
    assert.match(broken.stderr, /rolled back: the previous revision runs again; its volumes were restored from the snapshots taken before it/);
    assert.equal((await ok(["inspect", "-f", "{{.Id}}", "mariadb-db-1"])).trim(), revision2, "revision 2's container is live again");
    await waitForServer("mariadb-db-1");
    assert.equal(await sql("mariadb-db-1", "select id, name from shop.items order by id"), "1\tkettle\n2\tteapot\n");

    const history = await moorUp(["history"], {});
    assert.match(history.stdout, /\*2 .* up +db: config changed\n 1 .* up +db: new service\n/);

    // down removes the containers, never the volume: up brings the same rows back.
    const down = await moorUp(["down"], {});
    assert.equal(down.code, 0, down.stderr);
    assert.equal((await ok(["ps", "-a", "-q", "--filter", "label=com.docker.compose.project=mariadb"])).trim(), "");
    const again = await moorUp(["up"], { MARIADB_PORT: port, MAX_CONNECTIONS: "50" });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    await waitForServer("mariadb-db-1");
    assert.equal(await sql("mariadb-db-1", "select count(*) from shop.items"), "2\n");
  } finally {
    await moorUp(["down", "--volumes", "--yes"], {});
    await docker(engine(), ["rmi", "mariadb-example"]);
  }
  assert.equal(await ok(["volume", "ls", "-q"]), "", "down --volumes removed the volume and its snapshots");
});

test("the running server's volume is backed up with --stop, destroyed, restored, and the rows are back", async () => {
  const port = await freePort();
  const archive = join(work, "shopdata.tar.zst");
  try {
    await ok(["run", "-d", "--name", "db-backup", "--hostname", "db-backup", "-e", `MARIADB_PORT=${port}`, "-v", "shopdata:/var/lib/mysql", image]);
    await waitForServer("db-backup");
    await sql("db-backup", "create database shop; create table shop.items (id int primary key, name varchar(40)); insert into shop.items values (1, 'kettle'), (2, 'teapot');");

    const refused = await moor(engine(), ["volume", "backup", "shopdata", "-o", archive]);
    assert.equal(refused.code, 1, "the server writes to the volume: a backup needs --stop");
    const backedUp = await moor(engine(), ["volume", "backup", "--stop", "shopdata", "-o", archive]);
    assert.equal(backedUp.code, 0, backedUp.stderr);
    assert.match(await logsOf("db-backup"), /mariadbd: Shutdown complete/, "the server was stopped cleanly for the backup");
    assert.equal((await ok(["inspect", "-f", "{{.State.Running}}", "db-backup"])).trim(), "true", "and started again");

    await ok(["rm", "-f", "db-backup"]);
    await ok(["volume", "rm", "shopdata"]);
    const restored = await moor(engine(), ["volume", "restore", archive]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /^Restored volume shopdata: /);

    await ok(["run", "-d", "--name", "db-restored", "--hostname", "db-restored", "-e", `MARIADB_PORT=${port}`, "-v", "shopdata:/var/lib/mysql", image]);
    await waitForServer("db-restored");
    assert.equal(await sql("db-restored", "select id, name from shop.items order by id"), "1\tkettle\n2\tteapot\n");
    assert.doesNotMatch(await logsOf("db-restored"), /initialising the data directory/);
  } finally {
    await docker(engine(), ["rm", "-f", "db-backup", "db-restored"]);
    await docker(engine(), ["volume", "rm", "shopdata"]);
  }
  assert.equal(await ok(["volume", "ls", "-q"]), "", "the test's volume is gone");
});
