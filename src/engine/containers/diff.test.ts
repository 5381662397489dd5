// The container diff over real overlayfs-shaped directories (needs root: 0/0 character-device
// whiteouts and trusted.* xattrs; mknod and setfattr from coreutils and attr).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { containerChanges, statDifferent } from "./diff.ts";
import { makeWhiteout, setExtendedAttribute } from "../runtime/syscalls.ts";

let work: string;
let bottom: string;
let top: string;
let upper: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "moor-diff-"));
  bottom = join(work, "layer1");
  top = join(work, "layer2");
  upper = join(work, "upper");
  for (const dir of [bottom, top, upper]) mkdirSync(dir, { mode: 0o755 });
});

afterEach(() => rmSync(work, { recursive: true, force: true }));

/** A file with fixed mode and a whole-second mtime, as layers unpacked from tar have. */
function file(root: string, path: string, content = "", mode = 0o644, mtime = 1_000_000): void {
  dir(root, dirname(path));
  writeFileSync(join(root, path), content);
  chmodSync(join(root, path), mode);
  utimesSync(join(root, path), mtime, mtime);
}

function dir(root: string, path: string, mode = 0o755): void {
  mkdirSync(join(root, path), { recursive: true });
  chmodSync(join(root, path), mode);
}

function whiteout(root: string, path: string): void {
  dir(root, dirname(path));
  execFileSync("mknod", ["-m", "0", join(root, path), "c", "0", "0"]);
}

function opaque(root: string, path: string): void {
  execFileSync("setfattr", ["-n", "trusted.overlay.opaque", "-v", "y", join(root, path)]);
}

const lines = async () => (await containerChanges(upper, [bottom, top])).map((c) => `${"CAD"[c.kind]} ${c.path}`);

test("no upper directory, or an empty one, is no change", async () => {
  assert.deepEqual(await containerChanges(join(work, "missing"), [bottom]), []);
  file(bottom, "etc/passwd");
  assert.deepEqual(await lines(), []);
});

test("added, modified and deleted paths, with changed directories listed before their contents", async () => {
  file(bottom, "etc/passwd", "root\n");
  file(bottom, "etc/group", "root\n");
  file(bottom, "bin/ls", "elf");
  file(bottom, "bin/sh", "elf", 0o755);
  dir(bottom, "var/lib");
  dir(bottom, "tmp", 0o1777);
  // The container's writes: a copied-up /etc with passwd changed, group deleted, x added.
  dir(upper, "etc");
  file(upper, "etc/passwd", "root\napp\n");
  whiteout(upper, "etc/group");
  file(upper, "etc/x", "new");
  dir(upper, "bin");
  whiteout(upper, "bin/ls");
  symlinkSync("sh", join(upper, "bin", "ls2"));
  // Copied up but unchanged (a chmod to the same mode): not a change, as with dockerd.
  file(upper, "bin/sh", "elf", 0o755);
  dir(upper, "var/lib/a/b");
  file(upper, "var/lib/a/b/c");
  dir(upper, "tmp", 0o700);
  dir(upper, "newdir");
  assert.deepEqual(await lines(), [
    "C /bin",
    "D /bin/ls",
    "A /bin/ls2",
    "C /etc",
    "D /etc/group",
    "C /etc/passwd",
    "A /etc/x",
    "A /newdir",
    "C /tmp",
    "C /var",
    "C /var/lib",
    "A /var/lib/a",
    "A /var/lib/a/b",
    "A /var/lib/a/b/c",
  ]);
});

test("a file whose mode, owner, size or mtime changed is modified; a directory only by mode or owner", async () => {
  const stat = { mode: 0o100644n, uid: 0n, gid: 0n, rdev: 0n, size: 3n, mtimeNs: 1_000_000_123_456_789n };
  assert.equal(statDifferent(stat, { ...stat }), false);
  assert.equal(statDifferent(stat, { ...stat, mtimeNs: stat.mtimeNs + 5n }), true);
  assert.equal(statDifferent({ ...stat, mtimeNs: 7_000_000_000n }, { ...stat, mtimeNs: 7_123_456_789n }), false, "whole-second tar times match by the second");
  assert.equal(statDifferent(stat, { ...stat, size: 4n }), true);
  assert.equal(statDifferent(stat, { ...stat, uid: 1000n }), true);
  const directory = { ...stat, mode: 0o040755n };
  assert.equal(statDifferent(directory, { ...directory, size: 4096n, mtimeNs: 0n }), false);
  assert.equal(statDifferent(directory, { ...directory, mode: 0o040700n }), true);
});

test("whiteouts and opaque directories in the image's layers decide what the image has", async () => {
  file(bottom, "opt/old/x");
  file(bottom, "gone/y");
  dir(top, "opt");
  opaque(top, "opt");
  file(top, "opt/new");
  whiteout(top, "gone");
  // /opt/old and /gone are not in the image (hidden by the top layer): the container adds them.
  dir(upper, "opt/old");
  dir(upper, "gone");
  file(upper, "opt/new", "changed");
  assert.deepEqual(await lines(), ["A /gone", "C /opt", "C /opt/new", "A /opt/old"]);
});

test("a directory replaced in the container (opaque) lists the image's entries it lacks as deleted", async () => {
  file(bottom, "root/.profile", "x");
  file(bottom, "root/.cache/data");
  dir(upper, "root");
  opaque(upper, "root");
  file(upper, "root/.profile", "x", 0o644, 2_000_000);
  file(upper, "root/new");
  assert.deepEqual(await lines(), ["C /root", "D /root/.cache", "C /root/.profile", "A /root/new"]);
});

test("mount points runc makes for dockerd's init-layer paths are not changes", async () => {
  file(bottom, "bin/sh");
  // The image has no /etc, /proc or /dev: runc made them and the files it bind-mounts over.
  for (const name of ["hosts", "hostname", "resolv.conf"]) file(upper, `etc/${name}`, "", 0o755);
  dir(upper, "proc");
  dir(upper, "dev");
  // A volume's mount point is a change, as with dockerd.
  dir(upper, "data");
  assert.deepEqual(await lines(), ["A /data"]);
});

test("opacity is read from each directory's own attribute: odd names, and overlayfs's \"x\" (not opaque)", async () => {
  for (const name of ["a b", "e\nf", "x\\y", "plain", "marked-x"]) file(bottom, `${name}/kept`);
  for (const name of ["a b", "e\nf", "x\\y"]) {
    dir(upper, name);
    opaque(upper, name);
  }
  dir(upper, "plain");
  dir(upper, "marked-x");
  execFileSync("setfattr", ["-n", "trusted.overlay.opaque", "-v", "x", join(upper, "marked-x")]);
  // Only the opaque directories hide the image's /kept in them; the others have no change at all.
  assert.deepEqual(await lines(), ["C /a b", "D /a b/kept", "C /e\nf", "D /e\nf/kept", "C /x\\y", "D /x\\y/kept"]);
});

test("names that are not UTF-8 are walked as their bytes: changes inside such a directory, its opacity, and whiteouts of such names", async () => {
  const bytes = (root: string, ...parts: Array<string | number[]>) => Buffer.concat([Buffer.from(root), ...parts.map((part) => (typeof part === "string" ? Buffer.from(part) : Buffer.from(part)))]);
  // The image has "d\xfe/kept", "o\xfd/kept" and "gone\xff"; the container changes inside the first,
  // replaces the second (opaque) and deletes the third.
  for (const root of [bottom]) {
    mkdirSync(bytes(root, "/d", [0xfe]));
    writeFileSync(bytes(root, "/d", [0xfe], "/kept"), "");
    mkdirSync(bytes(root, "/o", [0xfd]));
    writeFileSync(bytes(root, "/o", [0xfd], "/kept"), "");
    writeFileSync(bytes(root, "/gone", [0xff]), "");
  }
  for (const dir of [bytes(bottom, "/d", [0xfe]), bytes(bottom, "/o", [0xfd])]) utimesSync(dir, 1_000_000, 1_000_000);
  mkdirSync(bytes(upper, "/d", [0xfe]));
  writeFileSync(bytes(upper, "/d", [0xfe], "/new"), "");
  mkdirSync(bytes(upper, "/o", [0xfd]));
  setExtendedAttribute(bytes(upper, "/o", [0xfd]), "trusted.overlay.opaque", "y");
  makeWhiteout(bytes(upper, "/gone", [0xff]));
  assert.deepEqual(await lines(), ["C /d\udcfe", "A /d\udcfe/new", "D /gone\udcff", "C /o\udcfd", "D /o\udcfd/kept"]);
});
