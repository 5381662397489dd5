import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, existsSync, statSync, symlinkSync, linkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { openDatabase, type Db } from "../../store/database.ts";
import { VolumeStore } from "../../store/volume-store.ts";
import { Filters } from "../filters.ts";
import { LocalDriver } from "./local-driver.ts";
import { VolumeService } from "./service.ts";

const silent = { info() {}, warn() {}, error() {} };
let dir: string;
let db: Db;
let store: VolumeStore;
let service: VolumeService;

function makeService(): VolumeService {
  return new VolumeService(store, new Map([["local", new LocalDriver(join(dir, "volumes"), silent)]]), silent, () => 1_700_000_000);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "moor-volumes-"));
  mkdirSync(join(dir, "volumes"));
  db = openDatabase(join(dir, "moor.db"));
  store = new VolumeStore(db);
  service = makeService();
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A container row referencing a volume, as container create will write it. */
function referenceFromContainer(containerId: string, volume: string): void {
  db.prepare("INSERT OR IGNORE INTO images (id, config, size, created_at) VALUES ('sha256:i', '{}', 0, 0)").run();
  db.prepare("INSERT INTO containers (id, image_id, config, host_config, created_at) VALUES (?, 'sha256:i', '{}', '{}', 0)").run(containerId);
  db.prepare(
    "INSERT INTO container_mounts (container_id, destination, type, volume_name, source, mode, rw, propagation, spec) VALUES (?, '/data', 'volume', ?, '', 'z', 1, '', '{}')",
  ).run(containerId, volume);
}

test("create makes <root>/volumes/<name>/_data with dockerd's modes and returns the volume", async () => {
  const volume = await service.create({ name: "data", labels: { a: "b" } });
  assert.deepEqual(volume, {
    name: "data",
    driver: "local",
    mountpoint: join(dir, "volumes", "data", "_data"),
    createdAt: 1_700_000_000,
    labels: { a: "b" },
    options: null,
    scope: "local",
  });
  assert.equal(statSync(join(dir, "volumes", "data")).mode & 0o777, 0o701);
  assert.equal(statSync(join(dir, "volumes", "data", "_data")).mode & 0o777, 0o755);
});

test("create is idempotent and ignores new labels and options", async () => {
  await service.create({ name: "data", labels: { a: "1" } });
  const again = await service.create({ name: "data", labels: { a: "2" }, driverOptions: { type: "tmpfs", device: "tmpfs" } });
  assert.deepEqual(again.labels, { a: "1" });
  assert.equal(again.options, null);
});

test("50 concurrent creates of one name give one volume", async () => {
  const results = await Promise.all(Array.from({ length: 50 }, () => service.create({ name: "same" })));
  assert.equal(new Set(results.map((v) => v.name)).size, 1);
  assert.equal(service.list().length, 1);
});

test("anonymous volumes get a 64-hex name and the anonymous label", async () => {
  const volume = await service.create({ labels: { x: "y" } });
  assert.match(volume.name, /^[0-9a-f]{64}$/);
  assert.deepEqual(volume.labels, { x: "y", "com.docker.volume.anonymous": "" });
});

test("errors are prefixed with the operation and name, and keep their kind", async () => {
  await assert.rejects(service.create({ name: "a" }), { kind: "invalid", message: /^create a: volume name is too short/ });
  await assert.rejects(service.create({ name: "ok", driverOptions: { foo: "bar" } }), { kind: "invalid", message: 'create ok: invalid option: "foo"' });
  await assert.rejects(service.create({ name: "ok", driverOptions: { type: "tmpfs" } }), { message: 'create ok: missing required option: "device"' });
  await assert.rejects(service.create({ name: "ok", driverOptions: { o: "size=1m" } }), { message: 'create ok: missing required option: "device"' });
  await assert.rejects(service.create({ name: "ok", driverOptions: { device: "/x" } }), { message: 'create ok: missing required option: "type"' });
  await assert.rejects(service.create({ name: "ok", driverOptions: { size: "10m" } }), { message: "create ok: quota size requested but no quota support" });
  await assert.rejects(service.create({ name: "ok", driver: "nosuch" }), {
    kind: "not_found",
    message: 'create ok: error looking up volume plugin nosuch: plugin "nosuch" not found',
  });
  assert.equal(existsSync(join(dir, "volumes", "ok")), false, "a refused create leaves no directory");
  assert.equal(service.list().length, 0);
});

test("list filters: name, driver, label, dangling", async () => {
  await service.create({ name: "alpha", labels: { tier: "db" } });
  await service.create({ name: "beta" });
  await service.create({ name: "gamma", labels: { tier: "web" } });
  referenceFromContainer("c1", "beta");
  const names = (filters: Filters) => service.list(filters).map((v) => v.name).sort();
  assert.deepEqual(names(new Filters([["name", ["a$"]]])), ["alpha", "beta", "gamma"]);
  assert.deepEqual(names(new Filters([["name", ["^al"]]])), ["alpha"]);
  assert.deepEqual(names(new Filters([["driver", ["loc"]]])), []);
  assert.deepEqual(names(new Filters([["label", ["tier"]]])), ["alpha", "gamma"]);
  assert.deepEqual(names(new Filters([["label", ["tier=web"]]])), ["gamma"]);
  assert.deepEqual(names(new Filters([["dangling", ["true"]]])), ["alpha", "gamma"]);
  assert.deepEqual(names(new Filters([["dangling", ["false"]]])), ["beta"]);
  assert.throws(() => service.list(new Filters([["label!", ["x"]]])), { message: "Invalid filter 'label!'" });
});

test("remove deletes row and data; in use is refused with the container ids, even with force", async () => {
  await service.create({ name: "used" });
  referenceFromContainer("c1", "used");
  await assert.rejects(service.remove("used", { force: true }), { kind: "conflict", message: "remove used: volume is in use - [c1]" });
  assert.equal(existsSync(join(dir, "volumes", "used", "_data")), true);
  await service.create({ name: "free" });
  writeFileSync(join(dir, "volumes", "free", "_data", "f"), "x");
  await service.remove("free");
  assert.equal(existsSync(join(dir, "volumes", "free")), false, "the name is free at once");
  await service.settled();
  assert.deepEqual(readdirSync(join(dir, "volumes")), ["used"], "and the data is deleted");
  await assert.rejects(service.remove("free"), { kind: "not_found", message: "get free: no such volume" });
  await service.remove("free", { force: true });
});

test("prune from 1.42 takes only unused anonymous volumes, all with all=true, and counts sizes as dockerd", async () => {
  const anonymous = await service.create({});
  await service.create({ name: "named" });
  await service.create({ name: "withopts", driverOptions: { type: "tmpfs", device: "tmpfs" } });
  const data = join(dir, "volumes", "named", "_data");
  writeFileSync(join(data, "hello"), "hello\n");
  writeFileSync(join(data, "digits"), "1234567");
  linkSync(join(data, "hello"), join(data, "hardlink"));
  symlinkSync("hello.txt", join(data, "symlink"));

  let report = await service.prune();
  assert.deepEqual(report, { deleted: [anonymous.name], spaceReclaimed: 0 });
  report = await service.prune(new Filters([["all", ["true"]]]));
  assert.deepEqual(report, { deleted: ["named"], spaceReclaimed: 6 + 7 + 9 });
  assert.deepEqual(service.list().map((v) => v.name), ["withopts"], "volumes with driver options are never pruned");
});

test("prune filters label and label!, and refuses a second concurrent prune", async () => {
  await service.create({ name: "keep", labels: { tier: "db" } });
  await service.create({ name: "drop", labels: { tier: "tmp" } });
  await service.create({ name: "plain" });
  const all = new Filters([["all", ["1"]]]);
  const first = service.prune(all.add("label!", "tier=db"));
  await assert.rejects(service.prune(all), { kind: "conflict", message: "a prune operation is already running" });
  assert.deepEqual((await first).deleted, ["drop", "plain"]);
  await assert.rejects(service.prune(new Filters([["all", ["true", "false"]]])), { message: "invalid filter 'all=[true false]': only one value is expected" });
  await assert.rejects(service.prune(new Filters([["dangling", ["true"]]])), { message: "Invalid filter 'dangling'" });
});

test("recover rolls back interrupted creates, finishes removals and adopts directories", async () => {
  store.insert({ name: "halfmade", driver: "local", labels: null, options: null, createdAt: 1, state: "creating" });
  mkdirSync(join(dir, "volumes", "halfmade", "_data"), { recursive: true });
  store.insert({ name: "halfgone", driver: "local", labels: { a: "b" }, options: null, createdAt: 1, state: "removing" });
  mkdirSync(join(dir, "volumes", "halfgone", "_data"), { recursive: true });
  mkdirSync(join(dir, "volumes", "orphan", "_data"), { recursive: true });
  writeFileSync(join(dir, "volumes", "orphan", "_data", "keep"), "data");
  mkdirSync(join(dir, "volumes", "not-a-volume"), { recursive: true });

  mkdirSync(join(dir, "volumes", ".trash-0123456789abcdef", "_data"), { recursive: true });

  const restarted = makeService();
  await restarted.recover(new Set());
  await restarted.settled();
  assert.deepEqual(restarted.list().map((v) => v.name), ["orphan"]);
  assert.deepEqual(readdirSync(join(dir, "volumes")).sort(), ["not-a-volume", "orphan"]);
  assert.equal(existsSync(join(dir, "volumes", "orphan", "_data", "keep")), true);
});

test("an interrupted create whose directory holds data is kept, never deleted", async () => {
  store.insert({ name: "precious", driver: "local", labels: null, options: null, createdAt: 1, state: "creating" });
  mkdirSync(join(dir, "volumes", "precious", "_data"), { recursive: true });
  writeFileSync(join(dir, "volumes", "precious", "_data", "db"), "rows");
  const restarted = makeService();
  await restarted.recover(new Set());
  assert.deepEqual(restarted.list().map((v) => v.name), ["precious"]);
});

test("a symlink planted at a volume's path is never followed", async () => {
  const outside = join(dir, "outside");
  mkdirSync(outside);
  symlinkSync(outside, join(dir, "volumes", "trap"));
  await assert.rejects(service.create({ name: "trap" }), { message: /not a directory/ });
  assert.equal(existsSync(join(outside, "_data")), false);
});

test("a volume reserved by a container being created is in use until the create ends", async () => {
  await service.create({ name: "data", reservedBy: "c1" });
  await service.create({ name: "data", reservedBy: "c2" });
  await assert.rejects(service.remove("data"), { kind: "conflict", message: "remove data: volume is in use - [c1, c2]" });
  assert.deepEqual((await service.prune(new Filters().add("all", "true"))).deleted, [], "prune skips it");
  service.releaseReservations("c1");
  service.releaseReservations("c2");
  await service.remove("data");
  assert.throws(() => service.inspect("data"), { kind: "not_found" });
});

test("copy-up fills an empty volume in one step and never a volume that holds data", async () => {
  const volume = await service.create({ name: "data" });
  const filled = await service.populate("data", async (target) => {
    assert.equal(existsSync(volume.mountpoint), true);
    assert.deepEqual(readdirSync(volume.mountpoint), [], "nothing shows in the volume while the copy runs");
    mkdirSync(target);
    writeFileSync(join(target, "from-image"), "x");
  });
  assert.equal(filled, true);
  assert.deepEqual(readdirSync(volume.mountpoint), ["from-image"]);
  assert.equal(await service.populate("data", async () => assert.fail("a volume with data is not filled again")), false);

  await service.create({ name: "failing" });
  await assert.rejects(service.populate("failing", async (target) => {
    mkdirSync(target);
    writeFileSync(join(target, "partial"), "x");
    throw new Error("disk full");
  }), /disk full/);
  assert.deepEqual(readdirSync(join(dir, "volumes", "failing")), ["_data"], "the partial copy is gone");
  assert.deepEqual(readdirSync(join(dir, "volumes", "failing", "_data")), []);
});

test("a restore's staged data replaces a volume's at once; a crash at any step leaves the old data or the new", async () => {
  const volumes = join(dir, "volumes");
  const stage = (content: string) => {
    const staged = service.stagingDir();
    mkdirSync(join(staged, "_data"));
    writeFileSync(join(staged, "_data", "file"), content);
    return staged;
  };
  const content = (name: string) => readdirSync(join(volumes, name, "_data")).map((file) => `${file}`).join(",");

  // Into an empty volume, then over a full one.
  await service.create({ name: "vv" });
  await service.replaceData("vv", join(stage("new"), "_data"));
  assert.equal(content("vv"), "file");
  writeFileSync(join(volumes, "vv", "_data", "extra"), "");
  await service.replaceData("vv", join(stage("newer"), "_data"));
  assert.equal(content("vv"), "file", "the old data, extra file included, is gone");

  // Crashes: staged but not swapped (the old data stays); swapped halfway (the new data wins).
  await service.create({ name: "ww" });
  writeFileSync(join(volumes, "ww", "_data", "old"), "");
  mkdirSync(join(volumes, "ww", "_data.restored"));
  writeFileSync(join(volumes, "ww", "_data.restored", "new"), "");
  await service.create({ name: "xx" });
  mkdirSync(join(volumes, "xx", "_data.restored"));
  writeFileSync(join(volumes, "xx", "_data.restored", "new"), "");
  rmSync(join(volumes, "xx", "_data"), { recursive: true });
  mkdirSync(join(volumes, "xx", "_data.replaced"));
  const leftover = service.stagingDir();
  const restarted = makeService();
  await restarted.recover(new Set());
  await restarted.settled();
  assert.equal(content("ww"), "old", "a restore that never swapped changes nothing");
  assert.equal(content("xx"), "new", "a swap cut short is finished");
  assert.deepEqual(readdirSync(join(volumes, "xx")).sort(), ["_data"]);
  assert.deepEqual(readdirSync(join(volumes, "ww")).sort(), ["_data"]);
  assert.equal(existsSync(leftover), false, "an unfinished restore's staging directory goes");
});

test("a restore into a new volume adopts the staged directory; the name must be free", async () => {
  const staged = service.stagingDir();
  mkdirSync(join(staged, "_data"));
  writeFileSync(join(staged, "_data", "file"), "x");
  const volume = await service.createFromStaged({ name: "restored", labels: { a: "b" } }, staged);
  assert.deepEqual(volume.labels, { a: "b" });
  assert.deepEqual(readdirSync(join(dir, "volumes", "restored", "_data")), ["file"]);
  await assert.rejects(service.createFromStaged({ name: "restored", labels: null }, service.stagingDir()), { message: "volume restored already exists" });
});

test("rename moves the row and the data; refused while a container refers to the volume or the name is taken", async () => {
  await service.create({ name: "before", labels: { keep: "me" } });
  writeFileSync(join(dir, "volumes", "before", "_data", "file"), "x");
  await service.create({ name: "taken" });
  await assert.rejects(service.rename("before", "taken"), { message: "volume taken already exists: choose another name" });
  referenceFromContainer("c0ffee0000000000", "taken");
  await assert.rejects(service.rename("taken", "elsewhere"), /volume taken is used by container\(s\) c0ffee000000: /);
  const renamed = await service.rename("before", "after");
  assert.deepEqual(renamed.labels, { keep: "me" });
  assert.deepEqual(readdirSync(join(dir, "volumes", "after", "_data")), ["file"]);
  assert.throws(() => service.inspect("before"), /no such volume/);
  assert.equal(existsSync(join(dir, "volumes", "before")), false);
});

test("an interrupted rename is finished if the directory moved, dropped if it did not", async () => {
  await service.create({ name: "moved" });
  await service.create({ name: "stayed" });
  store.beginRename("moved", "moved-new");
  store.beginRename("stayed", "stayed-new");
  // The crash came after the directory of "moved" was renamed, before that of "stayed" was.
  renameSync(join(dir, "volumes", "moved"), join(dir, "volumes", "moved-new"));
  const restarted = makeService();
  await restarted.recover(new Set());
  assert.deepEqual(restarted.list().map((volume) => volume.name).sort(), ["moved-new", "stayed"]);
  assert.deepEqual(store.pendingRenames(), []);
});

test("sizes are measured once while nothing uses a volume, and again after it was mounted or its data replaced", async () => {
  const volume = await service.create({ name: "sized" });
  const sizeOf = async () => (await service.diskUsage()).find((usage) => usage.volume.name === "sized")!.size;
  writeFileSync(join(volume.mountpoint, "a"), Buffer.alloc(1000));
  assert.equal(await sizeOf(), 1000);
  writeFileSync(join(volume.mountpoint, "b"), Buffer.alloc(500));
  assert.equal(await sizeOf(), 1000, "kept: nothing mounted the volume since (a write straight into _data is not seen)");

  await service.mount("sized", "container-1");
  assert.equal(await sizeOf(), 1500, "measured while mounted");
  writeFileSync(join(volume.mountpoint, "c"), Buffer.alloc(250));
  assert.equal(await sizeOf(), 1750, "never kept while mounted");
  await service.unmount("sized", "container-1");
  writeFileSync(join(volume.mountpoint, "d"), Buffer.alloc(250));
  assert.equal(await sizeOf(), 2000, "measured again after the last user left");

  const staged = join(service.stagingDir(), "_data");
  mkdirSync(staged);
  writeFileSync(join(staged, "restored"), Buffer.alloc(42));
  await service.replaceData("sized", staged);
  assert.equal(await sizeOf(), 42, "a restore's data is measured");
});
