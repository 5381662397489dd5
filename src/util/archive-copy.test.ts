import assert from "node:assert/strict";
import { test } from "node:test";
import { baseName, cleanPath, CopyError, dirName, getRebaseName, joinPath, prepareArchiveCopy, preserveTrailingDotOrSeparator, splitPathDirEntry, type CopyInfo } from "./archive-copy.ts";
import { encodeTarHeader, readTar, tarEnd, tarHeader, TarType } from "./tar.ts";

test("Go's filepath Clean, Base, Dir and Join", () => {
  const cases: Array<[string, string, string, string]> = [
    // path, Clean, Base, Dir
    ["", ".", ".", "."],
    ["/", "/", "/", "/"],
    ["/a/b/", "/a/b", "b", "/a/b"],
    ["/a/./b/../c", "/a/c", "c", "/a/b/.."],
    ["a/../../b", "../b", "b", "a/../.."],
    ["/../x", "/x", "x", "/.."],
    ["/d/.", "/d", ".", "/d"],
  ];
  for (const [path, clean, base, dir] of cases) {
    assert.equal(cleanPath(path), clean, `Clean(${path})`);
    assert.equal(baseName(path), base, `Base(${path})`);
    assert.equal(dirName(path), cleanPath(dir), `Dir(${path})`);
  }
  assert.equal(joinPath("/", "d/sub/"), "/d/sub");
  assert.equal(joinPath("/", "/../../etc"), "/etc");
});

test("a trailing / or /. survives cleaning (PreserveTrailingDotOrSeparator)", () => {
  assert.equal(preserveTrailingDotOrSeparator("/d", "/d/"), "/d/");
  assert.equal(preserveTrailingDotOrSeparator("/d", "d/."), "/d/.");
  assert.equal(preserveTrailingDotOrSeparator("/", "/."), "/.");
  assert.equal(preserveTrailingDotOrSeparator("/", "/"), "/");
  assert.equal(preserveTrailingDotOrSeparator("/d", "/d"), "/d");
});

test("SplitPathDirEntry keeps a trailing dot", () => {
  assert.deepEqual(splitPathDirEntry("/tmp/dir/."), ["/tmp/dir", "."]);
  assert.deepEqual(splitPathDirEntry("/tmp/dir/"), ["/tmp", "dir"]);
  assert.deepEqual(splitPathDirEntry("/f"), ["/", "f"]);
});

test("GetRebaseName: a followed symlink keeps its own name in the archive", () => {
  assert.deepEqual(getRebaseName("/d/lnk", "/d/target"), ["/d/target", "lnk"]);
  assert.deepEqual(getRebaseName("/d/lnk/", "/data"), ["/data/", "lnk"]);
  assert.deepEqual(getRebaseName("/d/lnk/.", "/data"), ["/data/.", ""]);
  assert.deepEqual(getRebaseName("/d/f", "/d/f"), ["/d/f", ""]);
});

async function namesOf(archive: AsyncIterable<Buffer>): Promise<string[]> {
  const names = [];
  for await (const { header } of readTar(archive)) names.push(header.name);
  return names;
}

async function* archiveOf(...names: string[]): AsyncGenerator<Buffer> {
  for (const name of names) yield encodeTarHeader(tarHeader({ name, type: name.endsWith("/") ? TarType.directory : TarType.file }));
  yield tarEnd;
}

test("PrepareArchiveCopy decides where an archive goes and under which name", async () => {
  const file = (path: string, rebaseName = ""): CopyInfo => ({ path, exists: true, isDir: false, rebaseName });
  const dir = (path: string): CopyInfo => ({ path, exists: true, isDir: true, rebaseName: "" });
  const missing = (path: string): CopyInfo => ({ path, exists: false, isDir: false, rebaseName: "" });

  const intoDir = prepareArchiveCopy(archiveOf("f"), file("/src/f"), dir("/dst"));
  assert.equal(intoDir.directory, "/dst");
  assert.deepEqual(await namesOf(intoDir.archive), ["f"], "into an existing directory: as is");

  const overFile = prepareArchiveCopy(archiveOf("f"), file("/src/f"), file("/dst/g"));
  assert.equal(overFile.directory, "/dst");
  assert.deepEqual(await namesOf(overFile.archive), ["g"], "over an existing file: renamed to it");

  const newDir = prepareArchiveCopy(archiveOf("d/", "d/x"), dir("/src/d"), missing("/dst/new"));
  assert.equal(newDir.directory, "/dst");
  assert.deepEqual(await namesOf(newDir.archive), ["new/", "new/x"], "a directory to a new name: renamed");

  const followed = prepareArchiveCopy(archiveOf("lnk"), file("/src/target", "lnk"), missing("/dst/copy"));
  assert.deepEqual(await namesOf(followed.archive), ["copy"], "a followed link's entries carry the link's name");

  assert.throws(() => prepareArchiveCopy(archiveOf("d/"), dir("/src/d"), file("/dst/f")), (err: Error) => err instanceof CopyError && err.message === "cannot copy directory");
  assert.throws(() => prepareArchiveCopy(archiveOf("f"), file("/src/f"), missing("/dst/new/")), (err: Error) => err instanceof CopyError && err.message === "no such directory");
});

test("cleanPath is Go's path.Clean for container destinations too", () => {
  const cases: Array<[string, string]> = [["/a/b/", "/a/b"], ["//a//b", "/a/b"], ["/a/../..", "/"], ["a/..", "."], ["", "."], ["/x:/foo", "/x:/foo"], ["relative/", "relative"]];
  for (const [input, want] of cases) assert.equal(cleanPath(input), want, input);
});
