// Ported from compose-go format/volume_test.go (the short volume syntax).
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseVolumeSpec, type ShortVolumeSpec } from "./volume-spec.ts";

const bind = (source: string, target: string, extra: Partial<ShortVolumeSpec> = {}, bindOptions = {}): ShortVolumeSpec => ({
  type: "bind",
  source,
  target,
  readOnly: false,
  bind: { createHostPath: true, ...bindOptions },
  ...extra,
});
const named = (source: string, target: string, nocopy = false): ShortVolumeSpec => ({ type: "volume", source, target, readOnly: false, volume: { nocopy } });

const cases: Array<[spec: string, expected: ShortVolumeSpec]> = [
  ["/path", named("", "/path")],
  ["/path/foo", named("", "/path/foo")],
  ["C:\\path", named("", "C:\\path")],
  ["Z:\\path\\foo", named("", "Z:\\path\\foo")],
  [".", { type: "volume", source: "", target: ".", readOnly: false }],
  ["/a", { type: "volume", source: "", target: "/a", readOnly: false }],
  ["./foo:/target", bind("./foo", "/target")],
  ["~/thing:/target", bind("~/thing", "/target")],
  ["../other:/target", bind("../other", "/target")],
  ["/foo:/target", bind("/foo", "/target")],
  ["/home/user:/target", bind("/home/user", "/target")],
  ["./foo:d:\\target", bind("./foo", "d:\\target")],
  ["D:\\path:d:\\target", bind("D:\\path", "d:\\target")],
  ["/source:/target:slave", bind("/source", "/target", {}, { propagation: "slave" })],
  ["/source:/target:ro,z", bind("/source", "/target", { readOnly: true }, { selinux: "z" })],
  ["/source:/target:ro,Z", bind("/source", "/target", { readOnly: true }, { selinux: "Z" })],
  ["C:\\source\\foo:D:\\target:ro,rprivate", bind("C:\\source\\foo", "D:\\target", { readOnly: true }, { propagation: "rprivate" })],
  ["name:/target:bogus", named("name", "/target")],
  ["name:/target:nocopy", named("name", "/target", true)],
  ["./foo:/target:ro", bind("./foo", "/target", { readOnly: true })],
  ["/home/user:/target:rw", bind("/home/user", "/target")],
  ["\\\\.\\pipe\\docker_engine:\\\\.\\pipe\\inside", bind("\\\\.\\pipe\\docker_engine", "\\\\.\\pipe\\inside")],
  // Variables (interpolated later) may hold colons.
  ["/tmp:/tmp/${BUG_HERE:-DEFAULT}/path", bind("/tmp", "/tmp/${BUG_HERE:-DEFAULT}/path")],
  ["/tmp/${VAR:-default}:/target", bind("/tmp/${VAR:-default}", "/target")],
  ["/src/${SRC:-default}:/dst/${DST:-value}", bind("/src/${SRC:-default}", "/dst/${DST:-value}")],
  ["/tmp:/tmp/${VAR:-}/path", bind("/tmp", "/tmp/${VAR:-}/path")],
  ["/tmp:/tmp/${VAR1:-val1}/${VAR2:-val2}/path", bind("/tmp", "/tmp/${VAR1:-val1}/${VAR2:-val2}/path")],
  ["/tmp:/tmp/${VAR:-default}/path:ro", bind("/tmp", "/tmp/${VAR:-default}/path", { readOnly: true })],
  ["/tmp:/tmp/${TIME:-12:30:45}/path", bind("/tmp", "/tmp/${TIME:-12:30:45}/path")],
  ["myvolume:/data/${VAR:-default}/path", named("myvolume", "/data/${VAR:-default}/path")],
  ["/src:/target/${VAR:-default}/path:slave,ro", bind("/src", "/target/${VAR:-default}/path", { readOnly: true }, { propagation: "slave" })],
  ["/tmp:/tmp/${VAR:-{default}}/path", bind("/tmp", "/tmp/${VAR:-{default}}/path")],
  ["C:\\source:D:\\target\\${VAR:-default}\\path", bind("C:\\source", "D:\\target\\${VAR:-default}\\path")],
  // A one-letter source reads as a Windows drive, as in compose.
  ["a:/data", named("", "a:/data")],
];

test("short volume specs parse as compose-go's ParseVolume", () => {
  for (const [spec, expected] of cases) assert.deepEqual(parseVolumeSpec(spec), expected, spec);
});

test("which specs have a source (compose-go's TestParseVolumeSplitCases)", () => {
  const splits: Array<[string, boolean]> = [
    ["C:\\foo:d:", true],
    [":C:\\foo:d:", false],
    ["/foo:/bar:ro", true],
    ["C:\\foo\\:/foo", true],
    ["d:\\", false],
    ["d:", false],
    ["d:\\path", false],
    ["d:\\pathandmode:rw", true],
    ["c:\\:d:\\", true],
    ["c:\\windows\\:d:", true],
    ["c:\\windows:d:\\s p a c e:RW", true],
    ["0123456789name:d:", true],
    ["name:D::rW", true],
    ["c:\\Windows", false],
    ["", false],
    [".", false],
    ["..\\", false],
    ["c:\\:..\\", true],
    ["/tmp/x/y:/foo/x/y", true],
  ];
  for (const [spec, hasSource] of splits) {
    let source = "";
    try {
      source = parseVolumeSpec(spec).source;
    } catch {
      // compose-go's test looks at the partly parsed value, whose source an error leaves empty here.
    }
    assert.equal(source !== "", hasSource, spec);
  }
});

test("invalid specs fail with compose-go's messages", () => {
  assert.throws(() => parseVolumeSpec(""), { message: "invalid empty volume spec" });
  assert.throws(() => parseVolumeSpec("/foo:/foo:ro:foo"), { message: "invalid spec: /foo:/foo:ro:foo: too many colons" });
  assert.throws(() => parseVolumeSpec(":foo"), { message: "invalid spec: :foo: empty section between colons" });
  assert.throws(() => parseVolumeSpec("/foo::ro"), { message: "invalid spec: /foo::ro: empty section between colons" });
});
