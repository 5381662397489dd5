// Needs root: it mounts and unmounts (in a temporary directory, all undone at the end).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { bindMount, mountOverlay, pipe, unmount } from "./syscalls.ts";

function mounted(path: string): boolean {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").some((line) => line.split(" ")[4] === path);
}

test("an overlay mounts with its lowerdirs topmost first, writes go to the upper dir, and it unmounts", async () => {
  const dir = mkdtempSync(join(tmpdir(), "moor-syscalls-"));
  try {
    for (const name of ["bottom", "top", "upper", "work", "root"]) mkdirSync(join(dir, name));
    writeFileSync(join(dir, "bottom/file"), "bottom");
    writeFileSync(join(dir, "bottom/only-bottom"), "b");
    writeFileSync(join(dir, "top/file"), "top");
    mountOverlay([join(dir, "top"), join(dir, "bottom")], join(dir, "upper"), join(dir, "work"), join(dir, "root"));
    try {
      assert.equal(readFileSync(join(dir, "root/file"), "utf8"), "top");
      assert.equal(readFileSync(join(dir, "root/only-bottom"), "utf8"), "b");
      writeFileSync(join(dir, "root/new"), "new");
      assert.equal(readFileSync(join(dir, "upper/new"), "utf8"), "new");
    } finally {
      await unmount(join(dir, "root"));
    }
    assert.equal(mounted(join(dir, "root")), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a bind mount of an open directory; a busy mount refuses to unmount with the kernel's reason, and detaches", async () => {
  const dir = mkdtempSync(join(tmpdir(), "moor-syscalls-"));
  try {
    mkdirSync(join(dir, "source"));
    mkdirSync(join(dir, "target"));
    writeFileSync(join(dir, "source/file"), "content");
    const fd = openSync(join(dir, "source"), "r");
    try {
      bindMount(`/proc/self/fd/${fd}`, join(dir, "target"));
    } finally {
      closeSync(fd);
    }
    assert.equal(readFileSync(join(dir, "target/file"), "utf8"), "content");
    const held = openSync(join(dir, "target/file"), "r");
    try {
      await assert.rejects(unmount(join(dir, "target")), { message: `unmount ${join(dir, "target")}: Device or resource busy` });
      assert.equal(mounted(join(dir, "target")), true);
      await unmount(join(dir, "target"), { detach: true });
      assert.equal(mounted(join(dir, "target")), false);
    } finally {
      closeSync(held);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a failed mount or unmount says what and why", async () => {
  const dir = mkdtempSync(join(tmpdir(), "moor-syscalls-"));
  try {
    assert.throws(() => bindMount(join(dir, "missing"), dir), { message: `mount ${join(dir, "missing")} on ${dir}: No such file or directory` });
    await assert.rejects(unmount(dir), { message: `unmount ${dir}: Invalid argument` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a pipe passes bytes from its writing end to its reading end, holds half a megabyte unread, is closed on exec, and ends when written to no more", () => {
  const [reading, writing] = pipe(1024 * 1024);
  let writingOpen = true;
  try {
    for (const fd of [reading, writing]) {
      const flags = /^flags:\s+(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"))![1];
      assert.ok((parseInt(flags, 8) & 0o2000000) !== 0, `fd ${fd} is closed on exec (flags ${flags})`);
    }
    // A writer that fills it with nobody reading: done at once when the buffer holds it all, stuck (and killed) if not.
    const filled = spawnSync("sh", ["-c", "head -c 524288 /dev/zero >&3"], { stdio: ["ignore", "ignore", "pipe", writing], timeout: 10_000 });
    assert.equal(filled.status, 0, `the pipe held 512 KiB unread: ${filled.signal ?? filled.stderr}`);
    writeSync(writing, "end");
    closeSync(writing);
    writingOpen = false;
    const into = Buffer.alloc(1024 * 1024);
    let total = 0;
    for (let read; (read = readSync(reading, into, total, into.length - total, null)) > 0; ) total += read;
    assert.equal(total, 524288 + 3);
    assert.equal(into.subarray(524288, total).toString(), "end");
  } finally {
    closeSync(reading);
    if (writingOpen) closeSync(writing);
  }
});
