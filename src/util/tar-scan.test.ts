import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { TarScanner, type ScannedMember } from "./tar-scan.ts";

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
    assert.equal(file.sha256, createHash("sha256").update("content\n").digest("hex"));
    assert.equal(members.find((member) => member.name === "data/link")?.linkName, "target");
    assert.equal(scanner.membersLength, archive.length - 1024, "the end-of-archive blocks start there");
    const first = members[0];
    assert.equal(first.precedingSha256, createHash("sha256").digest("hex"), "nothing comes before the first member");
  }
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
