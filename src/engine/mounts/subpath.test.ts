import assert from "node:assert/strict";
import { closeSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { MoorError } from "../../errors.ts";
import { openSubpath } from "./subpath.ts";

const base = realpathSync(mkdtempSync(join(tmpdir(), "moor-subpath-")));
after(() => rmSync(base, { recursive: true, force: true }));
mkdirSync(join(base, "a", "b"), { recursive: true });
writeFileSync(join(base, "a", "b", "f"), "inner");
symlinkSync("a", join(base, "inside"));
symlinkSync("/etc", join(base, "outside"));
symlinkSync("../..", join(base, "a", "up"));

function opened(subpath: string): { isDirectory: boolean; content?: string } {
  const { fd, isDirectory } = openSubpath(base, subpath);
  try {
    return isDirectory ? { isDirectory } : { isDirectory, content: readFileSync(`/proc/self/fd/${fd}`, "utf8") };
  } finally {
    closeSync(fd);
  }
}

test("subpaths inside the volume open, symlinks that stay inside included", () => {
  assert.deepEqual(opened("a/b"), { isDirectory: true });
  assert.deepEqual(opened("a/b/f"), { isDirectory: false, content: "inner" });
  assert.deepEqual(opened("inside/b"), { isDirectory: true });
  assert.deepEqual(opened("."), { isDirectory: true });
});

test("subpaths that leave the volume or do not exist are refused with dockerd's texts", () => {
  const cases: Array<[string, string, string]> = [
    ["outside", "invalid", `path concatenation escapes the base directory, base: ${base}, subpath: outside`],
    ["a/up", "invalid", `path concatenation escapes the base directory, base: ${base}, subpath: a/up`],
    ["missing", "not_found", `cannot access path ${base}/missing: lstat ${base}/missing: no such file or directory`],
  ];
  for (const [subpath, kind, message] of cases) {
    assert.throws(() => openSubpath(base, subpath), (err: unknown) => err instanceof MoorError && err.kind === kind && err.message === message, subpath);
  }
});
