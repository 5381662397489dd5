// Every form of the storage flags docker CLI 28.2.2 accepts and every error it gives, with the
// request fragments and texts observed from the real CLI (see test/cli-mount-flags.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  MountFlagError,
  parseMountFlag,
  parseTmpfsFlags,
  parseVolume,
  parseVolumeFlags,
  readCsvRecord,
  storageRequest,
  type MountSpec,
} from "./mount-options.ts";
import { OptionError } from "./run-options.ts";

const cwd = "/work/dir";

test("-v: anonymous volumes go to Config.Volumes under the raw spec, the rest to Binds as written", () => {
  const cases: Array<[string[], Record<string, object>, string[] | null]> = [
    [["/data"], { "/data": {} }, null],
    [["/data/"], { "/data/": {} }, null],
    // A lone letter before ":" is a Windows drive: no source, so an anonymous volume.
    [["x:/foo"], { "x:/foo": {} }, null],
    // One or two bytes are a target whatever they hold.
    [["ab"], { ab: {} }, null],
    [["::"], { "::": {} }, null],
    [[":a"], { ":a": {} }, null],
    [["é"], { "é": {} }, null],
    [["é:"], { "é:": {} }, null],
    [["./x"], { "./x": {} }, null],
    [["n:/a"], { "n:/a": {} }, null],
    [["vol:/a"], {}, ["vol:/a"]],
    [["n:/a:ro"], {}, ["n:/a:ro"]],
    [["/h:/c:ro,z"], {}, ["/h:/c:ro,z"]],
    // The mode is the daemon's to check.
    [["n:/a:ro,z,bogus"], {}, ["n:/a:ro,z,bogus"]],
    // Drive letters again: "a:b" on "c:d", "a:" on "b", "c:/x" on "/y"; all sent unchanged.
    [["a:b:c:d"], {}, ["a:b:c:d"]],
    [["a::b"], {}, ["a::b"]],
    [["a:b:c:"], {}, ["a:b:c:"]],
    [["c:/x:/y"], {}, ["c:/x:/y"]],
    [["\\\\srv\\share:/x"], {}, ["\\\\srv\\share:/x"]],
    [["~/x:/y"], {}, ["~/x:/y"]],
    // A relative bind source starting with "." is made absolute (and clean).
    [["./rel:/r"], {}, [`${cwd}/rel:/r`]],
    [[".:/x"], {}, [`${cwd}:/x`]],
    [["../up/:/x:ro"], {}, ["/work/up:/x:ro"]],
    [["./a/../b/./:/c"], {}, [`${cwd}/b:/c`]],
    [[".c:/y"], {}, [`${cwd}/.c:/y`]],
    [[".a:b:/c"], {}, [`${cwd}/.a:b:/c`]],
    // Identical specs count once.
    [["./a:/b", "./a:/b", "/d", "/d", "vol:/e"], { "/d": {} }, [`${cwd}/a:/b`, "vol:/e"]],
    [[], {}, null],
  ];
  for (const [specs, volumes, binds] of cases) {
    assert.deepEqual(parseVolumeFlags(specs, cwd), { volumes, binds }, specs.join(" "));
  }
});

test("-v: compose's ParseVolume reads source, target and whether the source is a path", () => {
  assert.deepEqual(parseVolume("a:b:c:d"), { source: "a:b", target: "c:d", type: "bind" });
  assert.deepEqual(parseVolume("name:/data:ro"), { source: "name", target: "/data", type: "volume" });
  assert.deepEqual(parseVolume("~/x:/y"), { source: "~/x", target: "/y", type: "bind" });
  assert.deepEqual(parseVolume("/data"), { source: "", target: "/data", type: "volume" });
});

test("-v: docker's errors, reported after the flags are read", () => {
  for (const [spec, message] of [
    ["", "invalid empty volume spec"],
    [":/x", "invalid spec: :/x: empty section between colons"],
    ["/x:", "invalid spec: /x:: empty section between colons"],
    ["/a::/b", "invalid spec: /a::/b: empty section between colons"],
    ["ab:cd:ef:gh", "invalid spec: ab:cd:ef:gh: too many colons"],
    ["/a:/b:/c:/d", "invalid spec: /a:/b:/c:/d: too many colons"],
    ["/a:/b:ro:x", "invalid spec: /a:/b:ro:x: too many colons"],
    ["/x:/y:", "invalid spec: /x:/y:: empty section between colons"],
  ]) {
    assert.throws(() => parseVolumeFlags(["/ok", spec], cwd), (err: unknown) => err instanceof OptionError && err.message === message, JSON.stringify(spec));
  }
});

test("--tmpfs: destination to options, cut at the first colon, the last repeat winning", () => {
  assert.deepEqual(parseTmpfsFlags(["/run", "/a:x:y", "/b", "/b:size=1", ""]), { "": "", "/a": "x:y", "/b": "size=1", "/run": "" });
  assert.deepEqual(parseTmpfsFlags([]), {});
});

test("--mount: every key and the exact Mount docker sends for it", () => {
  const cases: Array<[string, MountSpec]> = [
    ["target=/x", { Type: "volume", Target: "/x" }],
    ["type=volume,src=v,dst=/x", { Type: "volume", Source: "v", Target: "/x" }],
    ["type=volume,source=v,destination=/x", { Type: "volume", Source: "v", Target: "/x" }],
    ["type=bind,source=/h,target=/c", { Type: "bind", Source: "/h", Target: "/c" }],
    // Relative sources starting with "." are made absolute, whatever the type.
    ["type=bind,src=./x,dst=/y", { Type: "bind", Source: `${cwd}/x`, Target: "/y" }],
    ["type=bind,source=.,target=/z", { Type: "bind", Source: cwd, Target: "/z" }],
    ["type=volume,src=.x,dst=/y", { Type: "volume", Source: `${cwd}/.x`, Target: "/y" }],
    ["type=bind,src=rel,dst=/y", { Type: "bind", Source: "rel", Target: "/y" }],
    // Keys, type, consistency and propagation are read case-insensitively; empty values are omitted.
    [
      "Type=BIND,SRC=./x,Target=/y,bind-propagation=RSHARED,consistency=Cached",
      { Type: "bind", Source: `${cwd}/x`, Target: "/y", Consistency: "cached", BindOptions: { Propagation: "rshared" } },
    ],
    ["dst=/x,src=,consistency=", { Type: "volume", Target: "/x" }],
    ["src=a,src=b,dst=/x,dst=/y,type=bind,type=volume", { Type: "volume", Source: "b", Target: "/y" }],
    ["type=bogus,dst=/c", { Type: "bogus", Target: "/c" }],
    ["target=/x,ro", { Type: "volume", Target: "/x", ReadOnly: true }],
    ["target=/x,RO", { Type: "volume", Target: "/x", ReadOnly: true }],
    ["target=/x,readonly", { Type: "volume", Target: "/x", ReadOnly: true }],
    ["target=/x,readonly=1", { Type: "volume", Target: "/x", ReadOnly: true }],
    ["target=/x,ro=True", { Type: "volume", Target: "/x", ReadOnly: true }],
    ["target=/x,readonly=false", { Type: "volume", Target: "/x" }],
    // bind-*: "enabled" is the default and makes no BindOptions, even on another type.
    ["type=bind,src=/a,dst=/b,bind-propagation=", { Type: "bind", Source: "/a", Target: "/b", BindOptions: {} }],
    ["type=bind,src=/a,dst=/b,bind-nonrecursive", { Type: "bind", Source: "/a", Target: "/b", BindOptions: { NonRecursive: true } }],
    ["type=bind,src=/a,dst=/b,bind-nonrecursive=false", { Type: "bind", Source: "/a", Target: "/b", BindOptions: {} }],
    ["type=bind,src=/a,dst=/b,bind-recursive=disabled", { Type: "bind", Source: "/a", Target: "/b", BindOptions: { NonRecursive: true } }],
    ["type=bind,src=/a,dst=/b,bind-recursive=enabled", { Type: "bind", Source: "/a", Target: "/b" }],
    ["type=volume,dst=/b,bind-recursive=enabled", { Type: "volume", Target: "/b" }],
    [
      "type=bind,src=/a,dst=/b,bind-recursive=writable,readonly=1",
      { Type: "bind", Source: "/a", Target: "/b", ReadOnly: true, BindOptions: { ReadOnlyNonRecursive: true } },
    ],
    [
      "type=bind,src=/a,dst=/b,bind-recursive=readonly,ro,bind-propagation=rprivate",
      { Type: "bind", Source: "/a", Target: "/b", ReadOnly: true, BindOptions: { Propagation: "rprivate", ReadOnlyForceRecursive: true } },
    ],
    // Any volume-* key makes VolumeOptions with an empty DriverConfig; empty Labels and Options are omitted.
    ["target=/x,volume-nocopy", { Type: "volume", Target: "/x", VolumeOptions: { NoCopy: true, DriverConfig: {} } }],
    ["target=/x,volume-nocopy=false", { Type: "volume", Target: "/x", VolumeOptions: { DriverConfig: {} } }],
    ["type=volume,src=v,dst=/b,volume-subpath=sub", { Type: "volume", Source: "v", Target: "/b", VolumeOptions: { Subpath: "sub", DriverConfig: {} } }],
    ["dst=/y,volume-subpath=,volume-driver=", { Type: "volume", Target: "/y", VolumeOptions: { DriverConfig: {} } }],
    ["target=/w,volume-opt==b,volume-label==c", { Type: "volume", Target: "/w", VolumeOptions: { DriverConfig: {} } }],
    [
      "target=/x,volume-label=z=1,volume-label=a=b=c,volume-label=c,volume-opt=o=1,volume-opt=a,volume-driver=local",
      { Type: "volume", Target: "/x", VolumeOptions: { Labels: { a: "b=c", c: "", z: "1" }, DriverConfig: { Name: "local", Options: { a: "", o: "1" } } } },
    ],
    ["type=image,src=img,dst=/b,image-subpath=sub", { Type: "image", Source: "img", Target: "/b", ImageOptions: { Subpath: "sub" } }],
    ["type=image,src=img,dst=/b,image-subpath=", { Type: "image", Source: "img", Target: "/b", ImageOptions: {} }],
    // tmpfs-size is go-units RAMInBytes (binary units), tmpfs-mode octal up to 32 bits.
    ["type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1777", { Type: "tmpfs", Target: "/t", TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1777 } }],
    ["type=tmpfs,dst=/t,tmpfs-size=-0,tmpfs-mode=0", { Type: "tmpfs", Target: "/t", TmpfsOptions: {} }],
    ["type=tmpfs,dst=/t,tmpfs-size=1.5k,tmpfs-mode=0755", { Type: "tmpfs", Target: "/t", TmpfsOptions: { SizeBytes: 1536, Mode: 0o755 } }],
    ["type=tmpfs,dst=/t,tmpfs-size=1 KiB,tmpfs-mode=37777777777", { Type: "tmpfs", Target: "/t", TmpfsOptions: { SizeBytes: 1024, Mode: 4294967295 } }],
    ["type=tmpfs,dst=/t,tmpfs-size=1e3", { Type: "tmpfs", Target: "/t", TmpfsOptions: { SizeBytes: 1000 } }],
    // CSV: quotes keep commas, "" is a quote, blank lines before the record are skipped, the rest ignored.
    ['type=bind,"src=/a,b",dst=/c', { Type: "bind", Source: "/a,b", Target: "/c" }],
    ['"target=/x""y"', { Type: "volume", Target: '/x"y' }],
    ["\n\ntarget=/x,ro\nfoo", { Type: "volume", Target: "/x", ReadOnly: true }],
    ['target=/x,"volume-label=a\r\nb"', { Type: "volume", Target: "/x", VolumeOptions: { Labels: { "a\nb": "" }, DriverConfig: {} } }],
    ["target=/x\r", { Type: "volume", Target: "/x" }],
  ];
  for (const [value, mount] of cases) {
    const parsed = parseMountFlag(value, cwd);
    assert.deepEqual(parsed, mount, JSON.stringify(value));
    // Field order as Go writes the struct, so the JSON is docker's byte for byte.
    assert.deepEqual(Object.keys(parsed), Object.keys(mount), JSON.stringify(value));
  }
});

test("--mount: every error, worded as pflag reports a bad flag value", () => {
  const cases: Array<[string, string]> = [
    ["", "EOF"],
    ["\n", "EOF"],
    ["\r", "EOF"],
    ["type=bind", "target is required"],
    ["type=,target=/x", "type is required"],
    ["foo", "invalid field 'foo' must be a key=value pair"],
    ["target=/x,,ro", "invalid field '' must be a key=value pair"],
    ["target=/x,", "invalid field '' must be a key=value pair"],
    ["type=bind,bind-create-src,src=/a,dst=/b", "invalid field 'bind-create-src' must be a key=value pair"],
    ["bogus=1,target=/x", "unexpected key 'bogus' in 'bogus=1'"],
    ["target=/x,Bogus=1", "unexpected key 'bogus' in 'Bogus=1'"],
    ["target=/x,=v", "unexpected key '' in '=v'"],
    ["type=bind,src=/a,dst=/b,bind-create-src=true", "unexpected key 'bind-create-src' in 'bind-create-src=true'"],
    ["target=/x,ro=yes", "invalid value for ro: yes"],
    ["target=/x,ReadOnly=2", "invalid value for readonly: 2"],
    ["type=bind,src=/a,dst=/b,bind-nonrecursive=x", "invalid value for bind-nonrecursive: x"],
    ["type=volume,dst=/b,volume-nocopy=maybe", "invalid value for volume-nocopy: maybe"],
    ["type=bind,src=/a,dst=/b,bind-recursive=bogus", 'invalid value for bind-recursive: bogus (must be "enabled", "disabled", "writable", or "readonly")'],
    ["type=bind,src=/a,dst=/b,bind-recursive=Enabled", 'invalid value for bind-recursive: Enabled (must be "enabled", "disabled", "writable", or "readonly")'],
    ["type=tmpfs,dst=/t,tmpfs-size=abc", "invalid value for tmpfs-size: abc"],
    ["type=tmpfs,dst=/t,tmpfs-size=", "invalid value for tmpfs-size: "],
    ["type=tmpfs,dst=/t,tmpfs-size=-1", "invalid value for tmpfs-size: -1"],
    ["type=tmpfs,dst=/t,tmpfs-mode=999", "invalid value for tmpfs-mode: 999"],
    ["type=tmpfs,dst=/t,tmpfs-mode=40000000000", "invalid value for tmpfs-mode: 40000000000"],
    ["type=tmpfs,dst=/t,tmpfs-mode=0o7", "invalid value for tmpfs-mode: 0o7"],
    ["type=tmpfs,dst=/t,tmpfs-mode=+7", "invalid value for tmpfs-mode: +7"],
    ["type=tmpfs,dst=/t,tmpfs-mode=", "invalid value for tmpfs-mode: "],
    ["type=bind,src=/a,dst=/b,volume-nocopy", "cannot mix 'volume-*' options with mount type 'bind'"],
    ["type=volume,dst=/c,image-subpath=1", "cannot mix 'image-*' options with mount type 'volume'"],
    ["type=tmpfs,dst=/c,bind-propagation=shared", "cannot mix 'bind-*' options with mount type 'tmpfs'"],
    ["type=bind,src=/a,dst=/c,tmpfs-size=1", "cannot mix 'tmpfs-*' options with mount type 'bind'"],
    ["type=bind,src=/a,dst=/b,bind-recursive=writable", "option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction"],
    ["type=bind,src=/a,dst=/b,bind-recursive=readonly", "option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction"],
    ["type=bind,src=/a,dst=/b,bind-recursive=readonly,ro", "option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction"],
    // Go's encoding/csv, columns in bytes.
    ['type=bind,src=/a"b,dst=/c', 'parse error on line 1, column 17: bare " in non-quoted-field'],
    ['"abc', 'parse error on line 1, column 5: extraneous or missing " in quoted-field'],
    ['"target=/x', 'parse error on line 1, column 11: extraneous or missing " in quoted-field'],
    ['target=/x,"ab"c', 'parse error on line 1, column 14: extraneous or missing " in quoted-field'],
    ['target=/é,"ab"c', 'parse error on line 1, column 15: extraneous or missing " in quoted-field'],
    ['target=/x,"a\nb', 'record on line 1; parse error on line 2, column 2: extraneous or missing " in quoted-field'],
    ['target=/x,"a\nb"c', 'record on line 1; parse error on line 2, column 2: extraneous or missing " in quoted-field'],
  ];
  for (const [value, reason] of cases) {
    assert.throws(
      () => parseMountFlag(value, cwd),
      (err: unknown) =>
        err instanceof MountFlagError &&
        err.reason === reason &&
        err.message === `invalid argument ${JSON.stringify(value)} for "--mount" flag: ${reason}`,
      JSON.stringify(value),
    );
  }
});

test("encoding/csv's first record", () => {
  assert.deepEqual(readCsvRecord("a,b"), ["a", "b"]);
  assert.deepEqual(readCsvRecord('"a,b",c'), ["a,b", "c"]);
  assert.deepEqual(readCsvRecord('"a\nb",c\nd,e'), ["a\nb", "c"]);
  assert.deepEqual(readCsvRecord('"target=/x"\n,ro'), ["target=/x"]);
  assert.deepEqual(readCsvRecord('"",""'), ["", ""]);
  assert.deepEqual(readCsvRecord("a,"), ["a", ""]);
});

test("all the storage flags together make the request fragments, --mount failing before -v", () => {
  assert.deepEqual(storageRequest({ volume: ["/a:/b", "/anon"], mount: ["dst=/c"], tmpfs: ["/t"], volumesFrom: ["x", "x", "y:ro"], readOnly: true }, cwd), {
    volumes: { "/anon": {} },
    binds: ["/a:/b"],
    mounts: [{ Type: "volume", Target: "/c" }],
    tmpfs: { "/t": "" },
    volumesFrom: ["x", "x", "y:ro"],
    readonlyRootfs: true,
  });
  // Without flags: Binds and VolumesFrom null, Mounts and Tmpfs left out, Volumes empty.
  assert.deepEqual(storageRequest({}, cwd), { volumes: {}, binds: null, volumesFrom: null, readonlyRootfs: false });
  assert.throws(() => storageRequest({ volume: [""], mount: ["foo"] }, cwd), MountFlagError);
});
