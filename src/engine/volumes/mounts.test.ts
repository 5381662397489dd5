// Option volumes are mounted on first use and unmounted after the last user (needs root:
// it really mounts tmpfs and bind mounts).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { openDatabase, type Db } from "../../store/database.ts";
import { VolumeStore } from "../../store/volume-store.ts";
import { mountsUnder } from "../fs.ts";
import { LocalDriver, mountErrorText } from "./local-driver.ts";
import { VolumeService } from "./service.ts";

const silent = { info() {}, warn() {}, error() {} };
let dir: string;
let db: Db;
let service: VolumeService;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "moor-mounts-"));
  mkdirSync(join(dir, "volumes"));
  db = openDatabase(join(dir, "moor.db"));
  service = new VolumeService(new VolumeStore(db), new Map([["local", new LocalDriver(join(dir, "volumes"), silent)]]), silent);
});

afterEach(async () => {
  for (const mount of mountsUnder(dir)) {
    execFileSync("umount", [mount]);
  }
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a tmpfs volume is mounted for its first user, kept for the second, unmounted after the last", async () => {
  const volume = await service.create({ name: "scratch", driverOptions: { type: "tmpfs", device: "tmpfs", o: "size=1m" } });
  assert.deepEqual(mountsUnder(volume.mountpoint), []);
  assert.equal(await service.mount("scratch", "c1"), volume.mountpoint);
  assert.deepEqual(mountsUnder(volume.mountpoint), [volume.mountpoint]);
  writeFileSync(join(volume.mountpoint, "f"), "in tmpfs");
  await service.mount("scratch", "c2");
  await service.unmount("scratch", "c1");
  assert.equal(readFileSync(join(volume.mountpoint, "f"), "utf8"), "in tmpfs", "still mounted for c2");
  await assert.rejects(service.remove("scratch"), { message: "remove scratch: volume has active mounts" });
  await service.unmount("scratch", "c2");
  assert.deepEqual(mountsUnder(volume.mountpoint), []);
  assert.equal(existsSync(join(volume.mountpoint, "f")), false, "tmpfs content is gone with the mount");
});

test("an o=bind volume shows a host directory; removing the volume never touches the host data", async () => {
  const host = join(dir, "host-data");
  mkdirSync(host);
  writeFileSync(join(host, "precious"), "keep me");
  const volume = await service.create({ name: "hostdir", driverOptions: { type: "none", device: host, o: "bind" } });
  await service.mount("hostdir", "c1");
  assert.equal(readFileSync(join(volume.mountpoint, "precious"), "utf8"), "keep me");
  await service.unmount("hostdir", "c1");
  await service.remove("hostdir");
  await service.settled();
  assert.equal(readFileSync(join(host, "precious"), "utf8"), "keep me");
});

test("deleting a removed volume's data never reaches through a mount made inside it by hand", async () => {
  const host = join(dir, "host-data");
  mkdirSync(host);
  writeFileSync(join(host, "precious"), "keep me");
  const volume = await service.create({ name: "plain" });
  mkdirSync(join(volume.mountpoint, "sub"));
  execFileSync("mount", ["--bind", host, join(volume.mountpoint, "sub")]);
  const errors: string[] = [];
  const watched = new VolumeService(
    new VolumeStore(db),
    new Map([["local", new LocalDriver(join(dir, "volumes"), { ...silent, error: (_obj, msg) => errors.push(msg) })]]),
    silent,
  );
  await watched.remove("plain");
  await watched.settled();
  assert.equal(readFileSync(join(host, "precious"), "utf8"), "keep me");
  assert.deepEqual(errors, ["could not delete the data of a removed volume"]);
});

test("a missing bind device fails the mount with dockerd's wrapping, and leaves no user behind", async () => {
  await service.create({ name: "broken", driverOptions: { type: "none", device: join(dir, "missing"), o: "bind" } });
  await assert.rejects(service.mount("broken", "c1"), {
    message: `failed to mount local volume: mount ${join(dir, "missing")}:${join(dir, "volumes", "broken", "_data")}, flags: 0x1000: no such file or directory`,
  });
  await service.remove("broken");
});

test("at start, devices left mounted by users that are gone are unmounted", async () => {
  const volume = await service.create({ name: "leftover", driverOptions: { type: "tmpfs", device: "tmpfs" } });
  await service.mount("leftover", "crashed-container");
  await service.recover(new Set());
  assert.deepEqual(mountsUnder(volume.mountpoint), []);
  await service.remove("leftover");
});

test("mount failures read as moby/sys/mount words them", () => {
  assert.equal(mountErrorText("/h/missing", "/v/_data", "bind", "mount: /v/_data: special device /h/missing does not exist."), "mount /h/missing:/v/_data, flags: 0x1000: no such file or directory");
  assert.equal(mountErrorText("tmpfs", "/v/_data", "size=1m,ro,uid=5", "mount: /v/_data: wrong fs type, bad option, bad superblock on tmpfs."), "mount tmpfs:/v/_data, flags: 0x1, data: size=1m,uid=5: invalid argument");
  assert.equal(mountErrorText("", "/v/_data", "", "something new"), "mount /v/_data: something new");
});
