import assert from "node:assert/strict";
import { test } from "node:test";
import { MoorError } from "../../errors.ts";
import type { MountRecord } from "../../store/container-store.ts";
import { registerMountPoints, type MountRequestSet, type RegistrationContext } from "./register.ts";

/** A registration context over in-memory volumes and containers; records the volumes it made. */
function fakeContext(containers: Record<string, MountRecord[]> = {}) {
  const volumes = new Map<string, { name: string; driver: string; mountpoint: string }>();
  let anonymousCount = 0;
  const context: RegistrationContext = {
    daemonRoot: "/var/lib/moor",
    pathExists: (path) => path.startsWith("/exists"),
    mountsOf: (container) => {
      const mounts = containers[container];
      if (mounts === undefined) throw new MoorError("not_found", `No such container: ${container}`);
      return mounts;
    },
    createVolume: async ({ name, driver }) => {
      const volumeName = name || `anon${++anonymousCount}`;
      const volume = volumes.get(volumeName) ?? { name: volumeName, driver, mountpoint: `/var/lib/moor/volumes/${volumeName}/_data` };
      volumes.set(volumeName, volume);
      return volume;
    },
    getVolume: (name) => {
      const volume = volumes.get(name);
      if (volume === undefined) throw new MoorError("not_found", name === "" ? "get: no such volume" : `get ${name}: no such volume`);
      return volume;
    },
  };
  return { context, volumes };
}

function request(partial: Partial<MountRequestSet>): MountRequestSet {
  return { binds: [], mounts: [], tmpfs: {}, volumesFrom: [], volumeDriver: "", readOnlyNonRecursive: false, ...partial };
}

async function rejection(promise: Promise<unknown>): Promise<{ kind: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof MoorError, String(err));
    return { kind: err.kind, message: err.message };
  }
  assert.fail("expected a rejection");
}

const mount = (destination: string, partial: Partial<MountRecord>): MountRecord => ({
  destination,
  type: "volume",
  volumeName: null,
  source: "",
  mode: "",
  rw: true,
  propagation: "",
  driver: "",
  spec: "{}",
  createSource: false,
  ...partial,
});

test("Binds and Mounts become mount points shaped as dockerd's inspect shows them", async () => {
  const { context } = fakeContext();
  const anonymous: string[] = [];
  const points = await registerMountPoints(
    request({
      binds: ["/host:/b:ro", "named:/n", "named2:/n2:nocopy,ro"],
      mounts: [
        { Type: "volume", Target: "/anon" },
        { Type: "bind", Source: "/exists", Target: "/m" },
        { Type: "tmpfs", Target: "/t", TmpfsOptions: { SizeBytes: 1024 } },
      ],
    }),
    context,
    anonymous,
  );
  const view = (d: string) => {
    const { spec: _spec, ...rest } = points.get(d)!;
    return rest;
  };
  assert.deepEqual(view("/b"), { destination: "/b", type: "bind", volumeName: null, source: "/host", mode: "ro", rw: false, propagation: "rprivate", driver: "", createSource: true, copyData: false });
  assert.deepEqual(view("/n"), { destination: "/n", type: "volume", volumeName: "named", source: "/var/lib/moor/volumes/named/_data", mode: "z", rw: true, propagation: "", driver: "local", createSource: false, copyData: true });
  assert.deepEqual([view("/n2").mode, view("/n2").rw, view("/n2").copyData], ["nocopy,ro", false, false]);
  assert.deepEqual([view("/anon").volumeName, view("/anon").mode], ["anon1", "z"]);
  assert.deepEqual([view("/m").mode, view("/m").createSource], ["", false]);
  assert.deepEqual([view("/t").type, view("/t").source, view("/t").mode], ["tmpfs", "", ""]);
  assert.deepEqual(anonymous, ["anon1"]);
});

test("Duplicate mount points: Binds with Binds or Tmpfs, Mounts with either; the first text is cleaned, the second raw", async () => {
  const cases: Array<[Partial<MountRequestSet>, string]> = [
    [{ binds: ["/a:/x", "/b:/x/"] }, "Duplicate mount point: /x"],
    [{ binds: ["/a:/x/"], tmpfs: { "/x": "" } }, "Duplicate mount point: /x"],
    [{ binds: ["/a:/x"], mounts: [{ Type: "tmpfs", Target: "/x/" }] }, "Duplicate mount point: /x/"],
    [{ mounts: [{ Type: "tmpfs", Target: "/x" }, { Type: "volume", Target: "/x//" }] }, "Duplicate mount point: /x//"],
  ];
  for (const [partial, message] of cases) {
    assert.deepEqual(await rejection(registerMountPoints(request(partial), fakeContext().context, [])), { kind: "invalid", message }, JSON.stringify(partial));
  }
});

test("a failure after a volume was made leaves it, and reports the anonymous ones made", async () => {
  const { context, volumes } = fakeContext();
  const anonymous: string[] = [];
  await rejection(registerMountPoints(request({ binds: ["newvol:/x"], mounts: [{ Type: "volume", Target: "/y" }, { Type: "bind", Source: "/exists", Target: "/x" }] }), context, anonymous));
  assert.ok(volumes.has("newvol"));
  assert.deepEqual(anonymous, ["anon1"]);
});

test("volumes-from copies every mount point, with the mode's rw, no mode and no copy-up; later sources win", async () => {
  const first = [mount("/data", { volumeName: "v1", source: "/var/lib/moor/volumes/v1/_data", mode: "z", driver: "local", spec: '{"Type":"volume","Target":"/data"}' }), mount("/ro", { type: "bind", source: "/h", rw: false, mode: "ro", propagation: "rprivate" })];
  const second = [mount("/data", { volumeName: "v2", source: "/var/lib/moor/volumes/v2/_data", mode: "z", driver: "local" })];
  const { context } = fakeContext({ first, second });
  const points = await registerMountPoints(request({ volumesFrom: ["first:rw", "second:ro"], binds: ["/over:/ro"] }), context, []);
  assert.deepEqual([points.get("/data")!.volumeName, points.get("/data")!.rw, points.get("/data")!.mode, points.get("/data")!.copyData], ["v2", false, "", false]);
  // A bind replaces an inherited mount point silently.
  assert.equal(points.get("/ro")!.source, "/over");

  const ro = await registerMountPoints(request({ volumesFrom: ["first"] }), context, []);
  assert.equal(ro.get("/ro")!.rw, false, ":rw cannot make a read-only mount writable");
  assert.equal(ro.get("/data")!.spec, '{"Type":"volume","Target":"/data"}', "the spec (and so anonymity) is inherited");

  assert.deepEqual(await rejection(registerMountPoints(request({ volumesFrom: ["missing"] }), context, [])), { kind: "invalid", message: "No such container: missing" });
  const withTmpfs = fakeContext({ t: [mount("/t", { type: "tmpfs" })] }).context;
  assert.deepEqual(await rejection(registerMountPoints(request({ volumesFrom: ["t"] }), withTmpfs, [])), { kind: "not_found", message: "get: no such volume" });
});

test("binds of the data root get rslave, and refuse a private propagation", async () => {
  const { context } = fakeContext();
  const points = await registerMountPoints(request({ binds: ["/:/host", "/var/lib/moor/volumes:/v", "/var/lib/moor2:/prefix", "/var/lib/moor:/s:rshared"] }), context, []);
  assert.equal(points.get("/host")!.propagation, "rslave");
  assert.equal(points.get("/v")!.propagation, "rslave");
  assert.equal(points.get("/prefix")!.propagation, "rslave", "dockerd compares the paths as strings");
  assert.equal(points.get("/s")!.propagation, "rshared");
  assert.deepEqual(await rejection(registerMountPoints(request({ binds: ["/:/host:rprivate"] }), context, [])), {
    kind: "invalid",
    message: 'invalid mount config: must use either propagation mode "rslave" or "rshared" when mount source is within the daemon root, daemon root: "/var/lib/moor", bind mount source: "/", propagation: "rprivate"',
  });
});

test("read-only binds of old API clients stay non-recursive", async () => {
  const { context } = fakeContext();
  const points = await registerMountPoints(request({ binds: ["/h:/a:ro", "/h:/b"], mounts: [{ Type: "bind", Source: "/exists", Target: "/c", ReadOnly: true }], readOnlyNonRecursive: true }), context, []);
  assert.equal(JSON.parse(points.get("/a")!.spec).BindOptions.ReadOnlyNonRecursive, true);
  assert.equal(JSON.parse(points.get("/b")!.spec).BindOptions, undefined);
  assert.equal(JSON.parse(points.get("/c")!.spec).BindOptions.ReadOnlyNonRecursive, true);
});
