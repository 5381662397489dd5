// Layers unpacked for overlayfs (needs root: owners, device nodes, trusted.* xattrs; and GNU
// tar, and getfattr from the attr package).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, chownSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, test } from "node:test";
import { LayerStore } from "./layers.ts";
import { extendedAttribute } from "../runtime/syscalls.ts";

let dir: string;
let layers: LayerStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "moor-layers-"));
  layers = new LayerStore(join(dir, "image", "layers"));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A tarball of the directory tree `build` makes. */
function tarOf(build: (root: string) => void): Buffer {
  const root = mkdtempSync(join(dir, "src-"));
  build(root);
  return execFileSync("tar", ["--numeric-owner", "--sort=name", "-C", root, "-cf", "-", "."], { maxBuffer: 64 << 20 });
}

async function* chunks(data: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += 64 * 1024) yield data.subarray(i, i + 64 * 1024);
}

test("a layer is unpacked with owners, modes and links; its diff ID is the tar's sha256", async () => {
  const tar = tarOf((root) => {
    mkdirSync(join(root, "etc"), { mode: 0o750 });
    writeFileSync(join(root, "etc", "conf"), "setting=1\n", { mode: 0o640 });
    chownSync(join(root, "etc", "conf"), 1000, 1001);
    symlinkSync("conf", join(root, "etc", "link"));
  });
  const layer = await layers.unpack(chunks(tar), () => undefined);
  assert.equal(layer.diffId, `sha256:${createHash("sha256").update(tar).digest("hex")}`);
  assert.equal(layer.created, true);
  const diff = layers.diffPath(layer.diffId);
  assert.equal(readFileSync(join(diff, "etc", "conf"), "utf8"), "setting=1\n");
  const conf = lstatSync(join(diff, "etc", "conf"));
  assert.deepEqual([conf.uid, conf.gid, conf.mode & 0o777], [1000, 1001, 0o640]);
  assert.equal(lstatSync(join(diff, "etc")).mode & 0o777, 0o750);
  assert.equal(readlinkSync(join(diff, "etc", "link")), "conf");
  assert.equal(layer.size, "setting=1\n".length + "conf".length);
  assert.deepEqual(readFileSync(layers.tarPath(layer.diffId)), tar, "the layer tar is kept for save");
});

test("gzip layers give the diff ID of their uncompressed content; the same content is unpacked once", async () => {
  const tar = tarOf((root) => writeFileSync(join(root, "file"), "same"));
  const first = await layers.unpack(chunks(tar), () => undefined);
  const second = await layers.unpack(chunks(gzipSync(tar)), (diffId) => (diffId === first.diffId ? first.size : undefined));
  assert.equal(second.diffId, first.diffId);
  assert.equal(second.created, false);
  assert.equal(second.size, first.size);
  assert.deepEqual(readdirSync(join(dir, "image", "tmp")), [], "no temporary unpack is left");
});

test("whiteouts become overlayfs whiteouts: a 0/0 character device and an opaque directory", async () => {
  const tar = tarOf((root) => {
    mkdirSync(join(root, "gone-dir"));
    writeFileSync(join(root, ".wh.deleted-file"), "");
    writeFileSync(join(root, "gone-dir", ".wh..wh..opq"), "");
  });
  const layer = await layers.unpack(chunks(tar), () => undefined);
  const diff = layers.diffPath(layer.diffId);
  const whiteout = lstatSync(join(diff, "deleted-file"));
  assert.equal(whiteout.isCharacterDevice(), true);
  assert.equal(whiteout.rdev, 0);
  assert.equal(whiteout.mode & 0o7777, 0, "a whiteout has no permissions, as docker's have");
  assert.equal(existsSync(join(diff, ".wh.deleted-file")), false);
  assert.equal(existsSync(join(diff, "gone-dir", ".wh..wh..opq")), false);
  assert.equal(execFileSync("getfattr", ["--only-values", "-n", "trusted.overlay.opaque", join(diff, "gone-dir")]).toString(), "y");
});

test("a whiteout whose name holds a newline hides its own sibling, and nothing outside the layer", async () => {
  // Parsed by line, the name below once read as a second marker, ".wh.victim", relative to the
  // engine's working directory: the file "victim" there was deleted.
  const outside = mkdtempSync(join(dir, "cwd-"));
  writeFileSync(join(outside, "victim"), "keep me");
  const tar = tarOf((root) => {
    writeFileSync(join(root, "x\n.wh.victim"), "hidden by the layer");
    writeFileSync(join(root, ".wh.x\n.wh.victim"), "");
  });
  const cwd = process.cwd();
  process.chdir(outside);
  try {
    const layer = await layers.unpack(chunks(tar), () => undefined);
    const whiteout = lstatSync(join(layers.diffPath(layer.diffId), "x\n.wh.victim"));
    assert.equal(whiteout.isCharacterDevice(), true);
    assert.deepEqual(readdirSync(layers.diffPath(layer.diffId)), ["x\n.wh.victim"]);
  } finally {
    process.chdir(cwd);
  }
  assert.equal(readFileSync(join(outside, "victim"), "utf8"), "keep me");
});

test("whiteouts below a directory whose name is not UTF-8, and whiteouts of such names, are converted", async () => {
  const dirName = Buffer.from([0x64, 0xfe]);
  const tar = tarOf((root) => {
    const dir = Buffer.concat([Buffer.from(root), Buffer.from("/"), dirName]);
    mkdirSync(dir);
    writeFileSync(Buffer.concat([dir, Buffer.from("/.wh.gone")]), "");
    writeFileSync(Buffer.concat([dir, Buffer.from("/.wh..wh..opq")]), "");
    writeFileSync(Buffer.concat([Buffer.from(root), Buffer.from("/.wh.f"), Buffer.of(0xff)]), "");
  });
  const layer = await layers.unpack(chunks(tar), () => undefined);
  const diff = Buffer.from(layers.diffPath(layer.diffId));
  const dir = Buffer.concat([diff, Buffer.from("/"), dirName]);
  assert.deepEqual(readdirSync(diff, { encoding: "buffer" }).sort(Buffer.compare), [dirName, Buffer.from([0x66, 0xff])].sort(Buffer.compare));
  assert.equal(lstatSync(Buffer.concat([diff, Buffer.from("/f"), Buffer.of(0xff)])).isCharacterDevice(), true);
  assert.deepEqual(readdirSync(dir, { encoding: "buffer" }), [Buffer.from("gone")]);
  assert.equal(lstatSync(Buffer.concat([dir, Buffer.from("/gone")])).isCharacterDevice(), true);
  assert.equal(extendedAttribute(dir, "trusted.overlay.opaque", 8)?.toString(), "y");
});

test("AUFS's metadata directories (.wh..wh.plnk) are dropped, and whiteout nothing", async () => {
  const tar = tarOf((root) => {
    mkdirSync(join(root, ".wh..wh.plnk"));
    writeFileSync(join(root, ".wh..wh.plnk", "1234.5678"), "hard link target");
    writeFileSync(join(root, "kept"), "");
  });
  const layer = await layers.unpack(chunks(tar), () => undefined);
  assert.deepEqual(readdirSync(layers.diffPath(layer.diffId)), ["kept"]);
});

test("a whiteout that names no file (.wh..) refuses the layer, and nothing is left behind", async () => {
  const tar = tarOf((root) => {
    mkdirSync(join(root, "dir"));
    writeFileSync(join(root, "dir", ".wh.."), "");
  });
  await assert.rejects(layers.unpack(chunks(tar), () => undefined), { kind: "invalid", message: /invalid whiteout "\.wh\.\." in the layer/ });
  assert.deepEqual(readdirSync(join(dir, "image", "tmp")), []);
  assert.deepEqual(readdirSync(join(dir, "image", "layers")), []);
});

test("a tarball that is not a tar fails cleanly and leaves nothing behind", async () => {
  await assert.rejects(layers.unpack(chunks(Buffer.from("this is not a tarball, just text".repeat(40))), () => undefined), {
    kind: "invalid",
    message: /^error unpacking layer: /,
  });
  assert.deepEqual(readdirSync(join(dir, "image", "tmp")), []);
  assert.deepEqual(readdirSync(join(dir, "image", "layers")), []);
});

test("members that would escape the layer directory are refused", async () => {
  // A hand-made tar whose member climbs out with "..".
  const outside = join(dir, "escaped");
  const root = mkdtempSync(join(dir, "evil-"));
  writeFileSync(join(root, "payload"), "x");
  const tar = execFileSync("tar", ["-C", root, "-cf", "-", "--transform", "s,^payload,../../../escaped,", "payload"]);
  await layers.unpack(chunks(tar), () => undefined).catch(() => undefined);
  assert.equal(existsSync(outside), false);
});
