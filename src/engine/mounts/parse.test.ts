import assert from "node:assert/strict";
import { test } from "node:test";
import { MoorError } from "../../errors.ts";
import { isValidMountMode, parseBind, parseMountSpec, parseVolumesFrom, tmpfsData, tmpfsMountOptions, validateTmpfsDestination, type MountRequest } from "./parse.ts";

function failure(work: () => unknown): { kind: string; message: string } {
  try {
    work();
  } catch (err) {
    assert.ok(err instanceof MoorError, String(err));
    return { kind: err.kind, message: err.message };
  }
  assert.fail("expected an error");
}

test("mount modes: one element per class, only known elements", () => {
  const valid = ["", "ro", "rw", "z", "Z", "ro,z", "rshared", "nocopy", "cached", "delegated,ro", "ro,nocopy,z", "rw,rprivate,nocopy,Z,consistent"];
  const invalid = ["ro,rw", "z,Z", "rw,rw", "bogus", "default", "copy", "shared,slave", "ro,"];
  for (const mode of valid) assert.equal(isValidMountMode(mode), true, mode);
  for (const mode of invalid) assert.equal(isValidMountMode(mode), false, mode);
});

test("Binds: the forms dockerd accepts and the mount points they make", () => {
  const cases: Array<{ raw: string; driver?: string; want: Partial<ReturnType<typeof parseBind>> & { spec?: MountRequest } }> = [
    { raw: "/h:/c", want: { type: "bind", source: "/h", destination: "/c", rw: true, mode: "", propagation: "rprivate", copyData: false } },
    { raw: "/h/:/c/", want: { type: "bind", source: "/h", destination: "/c" } },
    { raw: "/h:/c:ro", want: { type: "bind", rw: false, mode: "ro", spec: { Type: "bind", Source: "/h", Target: "/c", ReadOnly: true } } },
    { raw: "/h:/c:rshared,ro", want: { propagation: "rshared", rw: false, spec: { Type: "bind", Source: "/h", Target: "/c", ReadOnly: true, BindOptions: { Propagation: "rshared" } } } },
    { raw: "/h:/c:delegated", want: { mode: "delegated", rw: true } },
    { raw: "data:/c", want: { type: "volume", name: "data", source: "", destination: "/c", copyData: true, propagation: "" } },
    { raw: "data:/c:nocopy", want: { copyData: false, spec: { Type: "volume", Source: "data", Target: "/c", ReadOnly: false, VolumeOptions: { NoCopy: true } } } },
    { raw: "data:/c:ro,z", want: { rw: false, mode: "ro,z" } },
    { raw: "data:/c", driver: "other", want: { driver: "other", spec: { Type: "volume", Source: "data", Target: "/c", ReadOnly: false, VolumeOptions: { DriverConfig: { Name: "other" } } } } },
    { raw: "/h:/c", driver: "other", want: { driver: "" } },
    { raw: "/anonymous", want: { type: "volume", name: "", destination: "/anonymous" } },
    { raw: "x:/y", want: { type: "volume", name: "x" } },
  ];
  for (const { raw, driver, want } of cases) {
    const parsed = parseBind(raw, driver);
    for (const [key, value] of Object.entries(want)) assert.deepEqual(parsed[key as keyof typeof parsed], value, `${raw}: ${key}`);
  }
});

test("Binds: every error dockerd gives, untyped there (500)", () => {
  const cases: Array<[string, string]> = [
    ["", "invalid volume specification: ''"],
    [":/c", "invalid volume specification: ':/c'"],
    ["/foo:rw", "invalid volume specification: '/foo:rw'"],
    ["/foo:ro", "invalid volume specification: '/foo:ro'"],
    ["a:b:c:d", "invalid volume specification: 'a:b:c:d'"],
    ["a::b", "invalid mode: b"],
    ["/h:/c:ro,rw", "invalid mode: ro,rw"],
    ["/h:/c:default", "invalid mode: default"],
    ["/h:/c:copy", "invalid mode: copy"],
    ["/h:relative", "invalid volume specification: '/h:relative': invalid mount config for type \"bind\": invalid mount path: 'relative' mount path must be absolute"],
    ["/h:/", "invalid volume specification: '/h:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'"],
    ["/h:/x:nocopy", "invalid volume specification: '/h:/x:nocopy': invalid mount config for type \"bind\": field VolumeOptions must not be specified"],
    ["v:/x:rshared", "invalid volume specification: 'v:/x:rshared': invalid mount config for type \"volume\": field BindOptions must not be specified"],
    ["v:", "invalid volume specification: 'v:'"],
    ["v::ro", "invalid volume specification: 'v::ro': invalid mount config for type \"volume\": field Target must not be empty"],
  ];
  for (const [raw, message] of cases) assert.deepEqual(failure(() => parseBind(raw)), { kind: "internal", message }, raw);
});

test("Mounts: accepted specs become mount points; a bind source must exist", () => {
  const exists = { pathExists: (path: string) => path.replace(/\/$/, "") === "/there" };
  const bind = parseMountSpec({ Type: "bind", Source: "/there/", Target: "/c/" }, exists);
  assert.deepEqual([bind.type, bind.source, bind.destination, bind.mode, bind.propagation, bind.rw], ["bind", "/there", "/c", "", "rprivate", true]);
  const created = parseMountSpec({ Type: "bind", Source: "/missing", Target: "/c", BindOptions: { CreateMountpoint: true } }, exists);
  assert.equal(created.source, "/missing");
  const volume = parseMountSpec({ Type: "volume", Source: "named", Target: "/v", ReadOnly: true, VolumeOptions: { NoCopy: true, DriverConfig: { Name: "local" } } }, exists);
  assert.deepEqual([volume.name, volume.copyData, volume.rw, volume.driver], ["named", false, false, "local"]);
  const tmpfs = parseMountSpec({ Type: "tmpfs", Target: "/t", TmpfsOptions: { SizeBytes: 1 << 20 } }, exists);
  assert.deepEqual([tmpfs.type, tmpfs.source, tmpfs.destination], ["tmpfs", "", "/t"]);
});

test("Mounts: every validation error, as dockerd words it (400)", () => {
  const exists = { pathExists: () => false };
  const cases: Array<[MountRequest, string]> = [
    [{ Type: "bind", Source: "/h", Target: "/c", VolumeOptions: {} }, 'invalid mount config for type "bind": field VolumeOptions must not be specified'],
    [{ Type: "volume", Target: "/c", BindOptions: {} }, 'invalid mount config for type "volume": field BindOptions must not be specified'],
    [{ Type: "volume", Target: "/c", TmpfsOptions: {} }, 'invalid mount config for type "volume": field TmpfsOptions must not be specified'],
    [{ Type: "tmpfs", Target: "/c", BindOptions: {} }, 'invalid mount config for type "tmpfs": field BindOptions must not be specified'],
    [{ Type: "volume" }, 'invalid mount config for type "volume": field Target must not be empty'],
    [{ Type: "volume", Target: "/" }, `invalid mount config for type "volume": invalid specification: destination can't be '/'`],
    [{ Type: "volume", Target: "rel" }, `invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute`],
    [{ Type: "bind", Target: "/c" }, 'invalid mount config for type "bind": field Source must not be empty'],
    [{ Type: "bind", Source: "/h", Target: "/c", BindOptions: { Propagation: "bogus" } }, 'invalid mount config for type "bind": invalid propagation mode: bogus'],
    [{ Type: "bind", Source: "relative", Target: "/c" }, `invalid mount config for type "bind": invalid mount path: 'relative' mount path must be absolute`],
    [{ Type: "bind", Source: "/h/missing", Target: "/c" }, 'invalid mount config for type "bind": bind source path does not exist: /h/missing'],
    [{ Type: "volume", Target: "/c", ReadOnly: true }, 'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes'],
    [{ Type: "volume", Target: "/c", VolumeOptions: { Subpath: "x" } }, 'invalid mount config for type "volume": must not set Subpath when using anonymous volumes'],
    [{ Type: "volume", Source: "v", Target: "/c", VolumeOptions: { Subpath: "../x" } }, 'invalid mount config for type "volume": subpath must be a relative path within the volume'],
    [{ Type: "volume", Source: "v", Target: "/c", VolumeOptions: { Subpath: "/x" } }, 'invalid mount config for type "volume": subpath must be a relative path within the volume'],
    [{ Type: "tmpfs", Source: "x", Target: "/t" }, 'invalid mount config for type "tmpfs": field Source must not be specified'],
    [{ Type: "tmpfs", Target: "/t", TmpfsOptions: { Options: [["nr_inodes", "1"]] } }, 'invalid mount config for type "tmpfs": invalid option: nr_inodes'],
    [{ Type: "tmpfs", Target: "/t", TmpfsOptions: { Options: [[]] } }, 'invalid mount config for type "tmpfs": invalid option array length'],
    [{ Type: "bogus", Target: "/t" }, 'invalid mount config for type "bogus": mount type unknown'],
    [{ Type: "npipe", Target: "/t" }, 'invalid mount config for type "npipe": mount type unknown'],
  ];
  for (const [spec, message] of cases) assert.deepEqual(failure(() => parseMountSpec(spec, exists)), { kind: "invalid", message }, JSON.stringify(spec));
});

test("volumes-from: container and mode; propagation and copy modes refused", () => {
  assert.deepEqual(parseVolumesFrom("data"), { container: "data", mode: "rw" });
  assert.deepEqual(parseVolumesFrom("data:ro"), { container: "data", mode: "ro" });
  assert.deepEqual(parseVolumesFrom("data:ro,z"), { container: "data", mode: "ro,z" });
  assert.deepEqual(parseVolumesFrom("data:"), { container: "data", mode: "rw" });
  assert.deepEqual(failure(() => parseVolumesFrom("")), { kind: "invalid", message: "volumes-from specification cannot be an empty string" });
  for (const mode of ["bogus", "rshared", "nocopy", "ro,rw"]) {
    assert.deepEqual(failure(() => parseVolumesFrom(`data:${mode}`)), { kind: "invalid", message: `invalid mode: ${mode}` });
  }
});

test("tmpfs: destinations, the data of Mounts tmpfs, and merged options", () => {
  validateTmpfsDestination("/run");
  assert.deepEqual(failure(() => validateTmpfsDestination("run")), { kind: "invalid", message: "invalid mount path: 'run' mount path must be absolute" });
  assert.deepEqual(failure(() => validateTmpfsDestination("/")), { kind: "invalid", message: "invalid specification: destination can't be '/'" });

  assert.equal(tmpfsData({ SizeBytes: 4194304, Mode: 0o700 }, false), "mode=700,size=4m");
  assert.equal(tmpfsData({ SizeBytes: 2 ** 30 }, true), "ro,size=1g");
  assert.equal(tmpfsData({ SizeBytes: 3072 }, false), "size=3k");
  assert.equal(tmpfsData({ SizeBytes: 1536 }, false), "size=1536");
  assert.equal(tmpfsData({ SizeBytes: 1000 }, false), "size=1000");
  assert.equal(tmpfsData({ Options: [["exec"]] }, false), "exec");
  assert.equal(tmpfsData(null, false), "");

  assert.deepEqual(tmpfsMountOptions(""), ["noexec", "nosuid", "nodev", "rprivate"]);
  assert.deepEqual(tmpfsMountOptions("size=1m,mode=700"), ["noexec", "nosuid", "nodev", "rprivate", "size=1m", "mode=700"]);
  assert.deepEqual(tmpfsMountOptions("exec,uid=1000"), ["nosuid", "nodev", "rprivate", "exec", "uid=1000"]);
  assert.deepEqual(tmpfsMountOptions("ro"), ["noexec", "nosuid", "nodev", "rprivate", "ro"]);
  assert.deepEqual(tmpfsMountOptions("size=1m,size=2m,shared"), ["noexec", "nosuid", "nodev", "size=2m", "shared"]);
  assert.deepEqual(failure(() => tmpfsMountOptions("bogus")), { kind: "invalid", message: 'invalid tmpfs option "bogus"' });
  assert.deepEqual(failure(() => tmpfsMountOptions("color=red")), { kind: "invalid", message: 'invalid tmpfs option "color"' });
});
