import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { resolveInRoot, resolveUser } from "./rootfs.ts";

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "moor-rootfs-"));
  mkdirSync(join(root, "etc"));
  writeFileSync(join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
  writeFileSync(join(root, "etc", "group"), "root:x:0:\napp:x:1000:\nstaff:x:50:app\nwheel:x:10:root,app\n");
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

test("symlinks resolve inside the root, never outside it", async () => {
  symlinkSync("/etc/passwd", join(root, "abs"));
  symlinkSync("../../../../etc/passwd", join(root, "etc", "climb"));
  assert.equal(await resolveInRoot(root, "/abs"), join(root, "etc", "passwd"));
  assert.equal(await resolveInRoot(root, "/etc/climb"), join(root, "etc", "passwd"));
  assert.equal(await resolveInRoot(root, "/../../x"), join(root, "x"));
});

test("users resolve by name or id, with their groups", async () => {
  assert.deepEqual(await resolveUser(root, ""), { uid: 0, gid: 0, additionalGids: [10], home: "/root" });
  assert.deepEqual(await resolveUser(root, "app"), { uid: 1000, gid: 1000, additionalGids: [50, 10], home: "/home/app" });
  assert.deepEqual(await resolveUser(root, "1000:50"), { uid: 1000, gid: 50, additionalGids: [10], home: "/home/app" });
  assert.deepEqual(await resolveUser(root, "4242"), { uid: 4242, gid: 0, additionalGids: [], home: "/" });
  await assert.rejects(resolveUser(root, "nobody"), { message: "unable to find user nobody: no matching entries in passwd file" });
  await assert.rejects(resolveUser(root, "app:nogroup"), { message: "unable to find group nogroup: no matching entries in group file" });
});
