import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { TarListing, TarListingFollower, unquoteListingName } from "./tar-listing.ts";

test("GNU tar's verbose listing gives back every member's name, odd bytes included, in chunks cut anywhere", () => {
  const root = mkdtempSync(join(tmpdir(), "moor-tar-listing-"));
  try {
    const names = ["a b", "new\nline", "tab\there", "back\\slash", "é", "\x01control", "sub/deeper/x", "link"];
    mkdirSync(join(root, "_data/sub/deeper"), { recursive: true });
    for (const name of names.filter((n) => n !== "link")) writeFileSync(join(root, "_data", name), "x");
    symlinkSync("a b", join(root, "_data/link"));
    for (const env of [{ LC_ALL: "C" }, { LC_ALL: "C.UTF-8" }]) {
      execFileSync("tar", ["-c", "-v", `--index-file=${join(root, "listing")}`, "-f", join(root, "archive.tar"), "-C", root, "_data"], { env: { ...process.env, ...env } });
      const output = readFileSync(join(root, "listing"));
      for (const chunkSize of [1, 3, 7, output.length]) {
        const listing = new TarListing();
        const listed: string[] = [];
        for (let at = 0; at < output.length; at += chunkSize) listed.push(...listing.push(output.subarray(at, at + chunkSize)));
        const expected = ["_data", "_data/sub", "_data/sub/deeper", ...names.map((n) => `_data/${n}`)].sort();
        assert.deepEqual([...listed].sort(), expected, `${env.LC_ALL}, chunks of ${chunkSize}`);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("the follower passes each member once the next is listed, and the last at the end; nothing before the file exists", () => {
  const root = mkdtempSync(join(tmpdir(), "moor-tar-listing-"));
  try {
    const path = join(root, "listing");
    const batches: string[][] = [];
    const follower = new TarListingFollower(path, (names) => batches.push(names));
    follower.read();
    writeFileSync(path, "_data/\n_data/a");
    follower.read();
    assert.deepEqual(batches, [], "_data is not passed before the next line is whole");
    appendFileSync(path, "\n_data/b\n");
    follower.read();
    assert.deepEqual(batches, [["_data", "_data/a"]]);
    follower.readToEnd();
    assert.deepEqual(batches, [["_data", "_data/a"], ["_data/b"]]);
    follower.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("a name that is not UTF-8 comes back as its bytes, a lone U+DC80 to U+DCFF each (see nameText)", () => {
  assert.equal(unquoteListingName(Buffer.from("_data/f\\377")), "_data/f\udcff");
  assert.equal(unquoteListingName(Buffer.from("_data/f\\357\\277\\275")), "_data/f\ufffd", "U+FFFD itself, in UTF-8");
});

test("a backslash that starts no escape stays as it is", () => {
  assert.equal(unquoteListingName(Buffer.from("a\\qb\\")), "a\\qb\\");
  assert.equal(unquoteListingName(Buffer.from("\\\\101\\101")), "\\101A");
  assert.equal(unquoteListingName(Buffer.from("/")), "/");
});
