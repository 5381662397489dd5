import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createHasher, type HashName } from "./content-hash.ts";
import { TarScanner, type ScannedMember } from "./tar-scan.ts";

function hashOf(hash: HashName, data: Buffer | string): string {
  const hasher = createHasher(hash);
  hasher.update(Buffer.from(data));
  return hasher.digest("hex");
}

function gnuTar(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "moor-tar-scan-"));
  try {
    const long = "d".repeat(120);
    mkdirSync(join(dir, "data", long), { recursive: true });
    writeFileSync(join(dir, "data", long, "file"), "content\n");
    symlinkSync("target", join(dir, "data", "link"));
    return execFileSync("tar", ["--create", "--format=posix", "--blocking-factor=1", "-C", dir, "data"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("members of GNU tar's pax archives, fed in any chunk size: names from pax headers, link targets, data digests", () => {
  const archive = gnuTar();
  for (const size of [1, 511, 512, 4096, archive.length]) {
    const members: ScannedMember[] = [];
    const scanner = new TarScanner((member) => members.push(member));
    for (let offset = 0; offset < archive.length; offset += size) scanner.push(archive.subarray(offset, offset + size));
    scanner.finish();
    const file = members.find((member) => member.name.endsWith("/file"))!;
    assert.equal(file.name, `data/${"d".repeat(120)}/file`, "the long name comes from the pax header");
    assert.equal(file.digest, createHash("sha256").update("content\n").digest("hex"));
    assert.equal(members.find((member) => member.name === "data/link")?.linkName, "target");
    assert.equal(file.contentDigest, file.digest, "a file that is not sparse: its content is its stored data");
    const first = members[0];
    assert.equal(first.precedingSha256, createHash("sha256").digest("hex"), "nothing comes before the first member");
  }
});

test("names that are not UTF-8 (pax records of GNU tar's hdrcharset=BINARY, and ustar fields) read as their bytes (see nameText)", () => {
  const dir = mkdtempSync(join(tmpdir(), "moor-tar-scan-"));
  try {
    const name = Buffer.concat([Buffer.from(`${dir}/f`), Buffer.of(0xff)]);
    writeFileSync(name, "x");
    for (const format of ["posix", "gnu"]) {
      const members: ScannedMember[] = [];
      const scanner = new TarScanner((member) => members.push(member));
      scanner.push(execFileSync("tar", ["--create", `--format=${format}`, "-C", dir, "."]));
      scanner.finish();
      assert.ok(members.some((member) => member.name === "./f\udcff"), `${format}: ${members.map((member) => JSON.stringify(member.name)).join(", ")}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("members are digested with the hash the scanner is given, which a reader may change between members", () => {
  const archive = gnuTar();
  const members: ScannedMember[] = [];
  const scanner = new TarScanner((member) => {
    members.push(member);
    scanner.hash = "blake3";
  });
  scanner.push(archive);
  scanner.finish();
  const file = members.find((member) => member.name.endsWith("/file"))!;
  assert.equal(file.digest, hashOf("blake3", "content\n"));
  assert.equal(members[0].digest, hashOf("sha256", ""), "the first member, before the change, with sha256");
  assert.equal(hashOf("blake3", "abc"), "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85", "BLAKE3's published test vector");
});

test("without a hash, members are read and named but not digested", () => {
  const members: ScannedMember[] = [];
  const scanner = new TarScanner((member) => members.push(member), undefined, undefined, { trackPreceding: false, hash: null });
  scanner.push(gnuTar());
  scanner.finish();
  const file = members.find((member) => member.name.endsWith("/file"))!;
  assert.equal(file.size, "content\n".length);
  assert.deepEqual([file.digest, file.precedingSha256], ["", ""]);
});

test("a truncated archive, a corrupt header and a zero block in the middle are errors", () => {
  const archive = gnuTar();
  const truncated = new TarScanner(() => undefined);
  truncated.push(archive.subarray(0, archive.length - 1024));
  assert.throws(() => truncated.finish(), /the archive is truncated/);
  const corrupt = Buffer.from(archive);
  corrupt[10] ^= 0xff;
  assert.throws(() => new TarScanner(() => undefined).push(corrupt), /checksum does not match/);
  const holed = Buffer.concat([archive.subarray(0, 512 * 3), Buffer.alloc(512), archive.subarray(512 * 3)]);
  assert.throws(() => new TarScanner(() => undefined).push(holed), /a zero block in the middle/);
});

test("with ignoreZeros, archives in a row are read as one, and the stream must end after zero blocks", () => {
  const archive = gnuTar();
  const scan = (bytes: Buffer, ignoreZeros: boolean) => {
    const names: string[] = [];
    const scanner = new TarScanner((member) => names.push(member.name), undefined, undefined, { ignoreZeros });
    scanner.push(bytes);
    scanner.finish();
    return names;
  };
  const once = scan(archive, false);
  assert.ok(once.includes("data/link"));
  assert.deepEqual(scan(Buffer.concat([archive, archive]), true), [...once, ...once], "the second archive's members too");
  assert.deepEqual(scan(Buffer.concat([archive, archive]), false), once, "without it, the first archive's end is the end");
  assert.throws(() => scan(Buffer.concat([archive, archive.subarray(0, archive.length - 1024)]), true), /the archive is truncated/);
});

test("a sparse file in GNU's format 1.0: named by GNU.sparse.name, its content digest counts the holes as zeros", () => {
  const dir = mkdtempSync(join(tmpdir(), "moor-tar-scan-"));
  try {
    const file = join(dir, "holey");
    execFileSync("truncate", ["-s", "3M", file]);
    execFileSync("sh", ["-c", `printf start | dd of=${file} conv=notrunc status=none && printf middle | dd of=${file} bs=1 seek=1500000 conv=notrunc status=none`]);
    const content = readFileSync(file);
    const archive = execFileSync("tar", ["--create", "--format=posix", "--sparse", "-C", dir, "holey"]);
    for (const [size, hash] of [[1, "sha256"], [700, "blake3"], [archive.length, "sha256"], [archive.length, "blake3"]] as Array<[number, HashName]>) {
      const members: ScannedMember[] = [];
      const scanner = new TarScanner((member) => members.push(member), undefined, undefined, { hash });
      for (let offset = 0; offset < archive.length; offset += size) scanner.push(archive.subarray(offset, offset + size));
      scanner.finish();
      assert.equal(members.length, 1);
      assert.equal(members[0].name, "holey", "the name it is extracted to");
      assert.match(members[0].storedName!, /^\.\/GNUSparseFile\.[0-9]+\/holey$/);
      assert.ok(members[0].size < 64 * 1024, `only the data regions are stored (${members[0].size} bytes)`);
      assert.equal(members[0].contentDigest, hashOf(hash, content), hash);
      assert.notEqual(members[0].digest, members[0].contentDigest);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
