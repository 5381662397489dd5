import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appendFileSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
// digestInBackground() runs the built worker, so the engine's backup tests cover it.
import { changeMark, compareAsUtf8, digestFiles, firstChange, listingChecksum, readDigestCache, writeDigestCache } from "./file-digests.ts";

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), "moor-file-digests-"));
  mkdirSync(join(root, "a/b"), { recursive: true });
  writeFileSync(join(root, "a/b/small.txt"), "small\n");
  writeFileSync(join(root, "a/large.bin"), Buffer.alloc(3 * 1024 * 1024 + 17, 7));
  writeFileSync(join(root, "empty"), "");
  linkSync(join(root, "a/b/small.txt"), join(root, "hardlink"));
  symlinkSync("a/b/small.txt", join(root, "symlink"));
  execFileSync("truncate", ["-s", "5M", join(root, "sparse")]);
  execFileSync("mkfifo", [join(root, "fifo")]);
  return root;
}

/** What `tool` (sha256sum or b3sum) says of every regular file, as path → sum, the paths under `prefix`. */
function checksums(tool: "sha256sum" | "b3sum", root: string, prefix: string): Map<string, string> {
  const listing = execFileSync("sh", ["-c", `find . -type f -print0 | xargs -0 ${tool}`], { cwd: root, encoding: "utf8" });
  return new Map(listing.trim().split("\n").map((line) => [`${prefix}/${line.slice(66).replace(/^\.\//, "")}`, line.slice(0, 64)]));
}

test("every regular file's content digest, named under the prefix, as sha256sum has it; hard links counted once", async () => {
  const root = tree();
  try {
    const digests = digestFiles(root, "_data", "sha256");
    assert.deepEqual(new Map([...digests.checksums].sort()), new Map([...checksums("sha256sum", root, "_data")].sort()));
    assert.equal(digests.files, 4, "small.txt (with its hard link), large.bin, empty, sparse");
    assert.equal(digests.bytes, 6 + 3 * 1024 * 1024 + 17 + 5 * 1024 * 1024);

    const listing = execFileSync("sh", ["-c", "find . -type f -print0 | xargs -0 sha256sum | sed 's#  \\./#  _data/#' | LC_ALL=C sort -k2 | sha256sum"], { cwd: root, encoding: "utf8" });
    assert.equal(listingChecksum(digests.checksums, "sha256"), listing.slice(0, 64), "the checksum of sha256sum's listing, sorted by path");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("with BLAKE3, every regular file's checksum is what b3sum says, and the whole's is b3sum's of its listing", async () => {
  const root = tree();
  try {
    const digests = digestFiles(root, "_data", "blake3");
    assert.deepEqual(new Map([...digests.checksums].sort()), new Map([...checksums("b3sum", root, "_data")].sort()));
    assert.equal(digests.files, 4);
    const listing = execFileSync("sh", ["-c", "find . -type f -print0 | xargs -0 b3sum | sed 's#  \\./#  _data/#' | LC_ALL=C sort -k2 | b3sum"], { cwd: root, encoding: "utf8" });
    assert.equal(listingChecksum(digests.checksums, "blake3"), listing.slice(0, 64));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/** changeMark() of a file written now, outside the tree (writing in it would change a directory). */
async function markNow(): Promise<bigint> {
  const dir = mkdtempSync(join(tmpdir(), "moor-file-digests-mark-"));
  try {
    writeFileSync(join(dir, "mark"), "");
    return await changeMark(join(dir, "mark"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("names that are not UTF-8 are digested, named by their bytes, listed as bytes, and checked for changes", () => {
  const root = mkdtempSync(join(tmpdir(), "moor-file-digests-"));
  try {
    const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part) : Buffer.from(part))));
    mkdirSync(bytes(root, "/d", [0xfe]));
    writeFileSync(bytes(root, "/d", [0xfe], "/inner"), "inner\n");
    writeFileSync(bytes(root, "/f", [0xff]), "ff\n");
    writeFileSync(bytes(root, "/f\ufffd"), "fffd\n");
    const digests = digestFiles(root, "_data", "blake3");
    assert.deepEqual([...digests.checksums.keys()].sort(), ["_data/d\udcfe/inner", "_data/f\udcff", "_data/f\ufffd"].sort());
    const sums = new Map(execFileSync("sh", ["-c", "find . -type f -print0 | xargs -0 b3sum --no-names"], { cwd: root, encoding: "utf8" }).trim().split("\n").map((sum) => [sum, true]));
    for (const sum of digests.checksums.values()) assert.ok(sums.has(sum), "each checksum is its file's");
    const named = new Map([
      ["_data/d\udcfe/inner", bytes("_data/d", [0xfe], "/inner")],
      ["_data/f\udcff", bytes("_data/f", [0xff])],
      ["_data/f\ufffd", bytes("_data/f\ufffd")],
    ]);
    const listing = Buffer.concat(
      [...digests.checksums]
        .map(([path, sum]) => ({ name: named.get(path)!, sum }))
        .sort((a, b) => Buffer.compare(a.name, b.name))
        .flatMap(({ name, sum }) => [Buffer.from(`${sum}  `), name, Buffer.from("\n")]),
    );
    assert.equal(digests.checksum, execFileSync("b3sum", ["--no-names"], { input: listing, encoding: "utf8" }).trim(), "the listing holds the names' bytes, in byte order");
    assert.equal(firstChange(root, "_data", digests.identities, 2n ** 62n), undefined);
    writeFileSync(bytes(root, "/d", [0xfe], "/inner"), "changed\n");
    assert.equal(firstChange(root, "_data", digests.identities, 2n ** 62n), "_data/d\udcfe/inner");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("firstChange names a file written or removed since the digest, or the directory a file was added to; nothing when all is as it was", async () => {
  const root = tree();
  try {
    const since = await markNow();
    const digests = digestFiles(root, "_data", "sha256");
    assert.equal(firstChange(root, "_data", digests.identities, since), undefined);
    appendFileSync(join(root, "a/large.bin"), "more");
    assert.equal(firstChange(root, "_data", digests.identities, since), "_data/a/large.bin");
    const again = digestFiles(root, "_data", "sha256");
    writeFileSync(join(root, "a/b/new"), "new");
    assert.equal(firstChange(root, "_data", again.identities, await markNow()), "_data/a/b");
    const third = digestFiles(root, "_data", "sha256");
    unlinkSync(join(root, "empty"));
    assert.ok(["_data/empty", "_data"].includes((firstChange(root, "_data", third.identities, await markNow()))!), "the file, or the directory it was in");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("firstChange names a file changed after the mark even when the digest read it changed (tar may have read it before the change)", async () => {
  const root = tree();
  try {
    const since = await markNow();
    appendFileSync(join(root, "a/large.bin"), "later\n");
    const digests = digestFiles(root, "_data", "sha256");
    assert.equal(firstChange(root, "_data", digests.identities, since), "_data/a/large.bin");
    const after = await markNow();
    assert.equal(firstChange(root, "_data", digests.identities, after), undefined, "nothing changed after the second mark");
    writeFileSync(join(root, "a/new"), "new\n");
    const withNew = digestFiles(root, "_data", "sha256");
    assert.equal(firstChange(root, "_data", withNew.identities, after), "_data/a", "the directory a file was added to after the mark");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("a digest reads only the files its cache does not hold as they are; the cache it writes keeps only files unchanged since the mark", async () => {
  const root = tree();
  const cacheDir = mkdtempSync(join(tmpdir(), "moor-file-digests-cache-"));
  try {
    const cachePath = join(cacheDir, "digests.json");
    assert.deepEqual(readDigestCache(cachePath, "sha256"), new Map(), "no cache yet");
    writeFileSync(cachePath, "{ not json");
    assert.deepEqual(readDigestCache(cachePath, "sha256"), new Map(), "a cache that cannot be read counts as none");

    const since = await markNow();
    const first = digestFiles(root, "_data", "sha256");
    writeDigestCache(cachePath, first, since, mkdtempSync(join(cacheDir, "staging-")));
    const cache = readDigestCache(cachePath, "sha256");
    assert.deepEqual(new Map([...cache].map(([path, entry]) => [path, entry.checksum])), first.checksums, "every file, unchanged since the mark");

    // An entry that matches the file's identity is taken as it is: the file is not read again.
    const planted = new Map(cache);
    planted.set("_data/a/large.bin", { ...cache.get("_data/a/large.bin")!, checksum: "0".repeat(64) });
    assert.equal(digestFiles(root, "_data", "sha256", planted).checksums.get("_data/a/large.bin"), "0".repeat(64));
    // A file changed since has another identity: it is read again.
    appendFileSync(join(root, "a/large.bin"), "more");
    const again = digestFiles(root, "_data", "sha256", planted);
    assert.equal(again.checksums.get("_data/a/large.bin"), checksums("sha256sum", root, "_data").get("_data/a/large.bin"));
    assert.deepEqual(new Map([...again.checksums].sort()), new Map([...checksums("sha256sum", root, "_data")].sort()));

    // Changed after this mark: left out of the cache written with it.
    writeDigestCache(cachePath, again, since, mkdtempSync(join(cacheDir, "staging-")));
    const kept = readDigestCache(cachePath, "sha256");
    assert.equal(kept.has("_data/a/large.bin"), false, "changed after the mark");
    assert.equal(kept.has("_data/a/b/small.txt"), true);
    assert.deepEqual(readDigestCache(cachePath, "blake3"), new Map(), "checksums taken with another hash count as none");
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test("paths sort in the order of their UTF-8 bytes, characters past U+FFFF after U+E000 to U+FFFF too", () => {
  const paths = ["_data/b", "_data/a", "_data/a/b", "_data/ab", "_data/é", "_data/z", "_data/\u{e000}", "_data/\u{fffd}", "_data/\u{1f600}", "_data/\u{10000}", "_data/A", "_data/a b", "_data/\u{7ff}", "_data/\u{800}"];
  const byBytes = [...paths].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  assert.deepEqual([...paths].sort(compareAsUtf8), byBytes);
  assert.notDeepEqual([...paths].sort(), byBytes, "plain string order differs here (surrogates before U+E000)");
  const sums = new Map(paths.map((path, i) => [path, i.toString(16).padStart(64, "0")]));
  const listing = byBytes.map((path) => `${sums.get(path)}  ${path}\n`).join("");
  const expected = execFileSync("sha256sum", ["-"], { input: listing, encoding: "utf8" }).slice(0, 64);
  assert.equal(listingChecksum([...sums].reverse(), "sha256"), expected, "the listing's checksum follows that order");
});
