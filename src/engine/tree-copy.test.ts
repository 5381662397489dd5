// copyDirectoryTree: everything kept, whether one cp copies the tree or several
// share its top-level entries. Needs root (owners, ACLs) and the attr and acl tools.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chownSync, closeSync, constants, linkSync, lstatSync, lutimesSync, mkdirSync, mkdtempSync, openSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { O_PATH } from "../util/scoped-tree.ts";
import { copyDirectoryTree } from "./tree-copy.ts";

const base = mkdtempSync(join(tmpdir(), "moor-copy-up-"));
after(() => rmSync(base, { recursive: true, force: true }));

/** Every entry under `root` (itself as "."): type, mode, owner, size, times, link target, extended attributes (ACLs among them). */
function listing(root: string): string[] {
  const lines: string[] = [];
  const visit = (path: string, name: string) => {
    const stats = lstatSync(path, { bigint: true });
    const attributes = stats.isSymbolicLink() ? "" : execFileSync("getfattr", ["--absolute-names", "--no-dereference", "--dump", "--match=-", "--encoding=hex", path], { encoding: "utf8" }).split("\n").filter((line) => line.includes("=")).sort().join(",");
    const target = stats.isSymbolicLink() ? ` -> ${readlinkSync(path)}` : "";
    const size = stats.isDirectory() ? "-" : String(stats.size);
    lines.push(`${name} mode=${stats.mode.toString(8)} ${stats.uid}:${stats.gid} size=${size} mtime=${stats.mtimeNs}${target} ${attributes}`);
    if (stats.isDirectory()) for (const entry of readdirSync(path).sort()) visit(join(path, entry), `${name}/${entry}`);
  };
  visit(root, ".");
  return lines;
}

async function copy(source: string, target: string): Promise<void> {
  const fd = openSync(source, O_PATH | constants.O_DIRECTORY);
  try {
    await copyDirectoryTree(fd, target);
  } finally {
    closeSync(fd);
  }
}

/** An image directory big enough for the copy to be shared out: top-level directories of unequal sizes, a file, a symlink. */
function imageTree(name: string): string {
  const root = join(base, name);
  mkdirSync(root);
  const sizes = [150, 80, 40, 20, 10, 5];
  sizes.forEach((count, d) => {
    const dir = join(root, `dir-${d}`);
    mkdirSync(join(dir, "nested"), { recursive: true });
    for (let f = 0; f < count; f++) {
      const file = join(dir, f % 3 === 0 ? "nested" : "", `file-${f}`);
      writeFileSync(file, `content ${d}/${f}\n`, { mode: 0o600 + (f % 8) * 0o10 });
      chownSync(file, 1000 + (f % 3), 2000);
      lutimesSync(file, 1_000_000 + f, 2_000_000 + f);
    }
    chownSync(dir, 1000, 2000);
    lutimesSync(join(dir, "nested"), 3_000_000, 3_000_000);
    lutimesSync(dir, 4_000_000 + d, 4_000_000 + d);
  });
  writeFileSync(join(root, "top-file"), "top\n");
  execFileSync("setfattr", ["--name=user.origin", "--value=image", join(root, "top-file")]);
  symlinkSync("dir-0/nested", join(root, "top-link"));
  // The directory's own attributes: the last thing copied.
  execFileSync("chmod", ["0750", root]);
  chownSync(root, 1000, 2000);
  execFileSync("setfattr", ["--name=user.origin", "--value=image root", root]);
  execFileSync("setfacl", ["--modify=user:1234:rx", root]);
  lutimesSync(root, 5_000_000, 5_000_000);
  return root;
}

test("a big image directory is copied whole, its own mode, owner, times, xattrs and ACL last, into a missing or an empty target", async () => {
  assert.ok(availableParallelism() >= 2, "several cores, so that the copy is shared out");
  const source = imageTree("image");
  const expected = listing(source);
  assert.ok(expected.length > 300, "more entries than the copy shares out from");
  await copy(source, join(base, "into-missing"));
  assert.deepEqual(listing(join(base, "into-missing")), expected);
  mkdirSync(join(base, "into-empty"));
  await copy(source, join(base, "into-empty"));
  assert.deepEqual(listing(join(base, "into-empty")), expected);
});

test("a tree with a hard link keeps it: one file with two names in the copy", async () => {
  const source = imageTree("linked");
  linkSync(join(source, "dir-0", "file-1"), join(source, "dir-5", "second-name"));
  lutimesSync(join(source, "dir-5"), 4_000_005, 4_000_005);
  const expected = listing(source);
  const target = join(base, "linked-copy");
  await copy(source, target);
  assert.deepEqual(listing(target), expected);
  assert.equal(lstatSync(join(target, "dir-0", "file-1")).ino, lstatSync(join(target, "dir-5", "second-name")).ino);
});

test("a small directory is copied whole too", async () => {
  const source = join(base, "small");
  mkdirSync(join(source, "a"), { recursive: true });
  writeFileSync(join(source, "a", "file"), "small\n");
  writeFileSync(join(source, "b"), "b\n");
  chownSync(source, 1000, 2000);
  lutimesSync(source, 6_000_000, 6_000_000);
  const expected = listing(source);
  await copy(source, join(base, "small-copy"));
  assert.deepEqual(listing(join(base, "small-copy")), expected);
});

test("when one cp fails, the copy fails only once every cp has ended, so that what was copied can be removed", async () => {
  const source = imageTree("failing");
  for (let f = 0; f < 3000; f++) writeFileSync(join(source, "dir-0", `more-${f}`), "more\n");
  const target = join(base, "failing-copy");
  mkdirSync(target);
  // A file where a directory of the other group goes: that cp fails at once, the one with dir-0 goes on.
  writeFileSync(join(target, "dir-5"), "in the way\n");
  const running = () => execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n").filter((args) => args.startsWith("cp ") && args.includes(target));
  await assert.rejects(copy(source, target), /cannot overwrite non-directory/);
  assert.deepEqual(running(), []);
});
