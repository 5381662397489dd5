import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { encodeTarHeader, readTar, rebaseTar, tarEnd, tarHeader, tarPadding, TarType, type TarHeader } from "./tar.ts";

async function* chunksOf(buffer: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < buffer.length; offset += size) yield buffer.subarray(offset, offset + size);
}

async function entriesOf(archive: Buffer, chunkSize = 7): Promise<Array<{ header: TarHeader; data: string }>> {
  const entries = [];
  for await (const { header, body } of readTar(chunksOf(archive, chunkSize))) {
    const parts: Buffer[] = [];
    for await (const part of body) parts.push(Buffer.from(part));
    entries.push({ header, data: Buffer.concat(parts).toString() });
  }
  return entries;
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const all: Buffer[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return all;
}

function archiveOf(...entries: Array<{ header: TarHeader; data?: string }>): Buffer {
  return Buffer.concat([
    ...entries.flatMap(({ header, data = "" }) => [encodeTarHeader({ ...header, size: Buffer.byteLength(data) }), Buffer.from(data), tarPadding(Buffer.byteLength(data))]),
    tarEnd,
  ]);
}

test("a header is written as Go writes ustar: 7-digit mode with type bits, checksum, magic", () => {
  const block = encodeTarHeader(tarHeader({ name: "d/", type: TarType.directory, mode: 0o40755, mtime: 0o15302455341 }));
  assert.equal(block.length, 512);
  assert.equal(block.toString("latin1", 100, 108), "0040755\0");
  assert.equal(block.toString("latin1", 136, 148), "15302455341\0");
  assert.equal(block.toString("latin1", 257, 265), "ustar\x0000");
  assert.match(block.toString("latin1", 148, 156), /^[0-7]{6}\0 $/);
});

test("entries round-trip, with data streamed in pieces and short names, long names and long links", async () => {
  const longName = `${"dir/".repeat(30)}file.txt`; // 128 bytes: split into prefix and name
  const veryLongName = `${"x".repeat(120)}/${"y".repeat(120)}`; // no split fits: PAX path
  const longTarget = "t".repeat(150);
  const archive = archiveOf(
    { header: tarHeader({ name: "a.txt", type: TarType.file, mode: 0o100640, uid: 1234, gid: 5678, mtime: 100 }), data: "hello\n" },
    { header: tarHeader({ name: longName, type: TarType.file }), data: "x".repeat(1000) },
    { header: tarHeader({ name: veryLongName, type: TarType.file }), data: "" },
    { header: tarHeader({ name: "link", type: TarType.symlink, linkname: longTarget }) },
    { header: tarHeader({ name: "héllo", type: TarType.file }), data: "utf8" },
  );
  const entries = await entriesOf(archive);
  assert.deepEqual(
    entries.map(({ header, data }) => [header.name, header.type, header.linkname, data.length]),
    [
      ["a.txt", "0", "", 6],
      [longName, "0", "", 1000],
      [veryLongName, "0", "", 0],
      ["link", "2", longTarget, 0],
      ["héllo", "0", "", 4],
    ],
  );
  assert.deepEqual([entries[0].header.mode, entries[0].header.uid, entries[0].header.gid, entries[0].header.mtime], [0o100640, 1234, 5678, 100]);
  assert.equal(entries[0].data, "hello\n");
});

test("archives GNU tar writes are read: long names, symlinks, hard links, directories", async () => {
  const dir = mkdtempSync(join(tmpdir(), "moor-tar-"));
  try {
    const long = "n".repeat(150);
    mkdirSync(join(dir, "src", "sub"), { recursive: true });
    writeFileSync(join(dir, "src", "sub", long), "long");
    writeFileSync(join(dir, "src", "f"), "file");
    symlinkSync("f", join(dir, "src", "lnk"));
    execFileSync("ln", [join(dir, "src", "f"), join(dir, "src", "hard")]);
    for (const format of ["gnu", "pax", "ustar"]) {
      if (format === "ustar") rmSync(join(dir, "src", "sub", long));
      const archive = execFileSync("tar", ["-C", join(dir, "src"), `--format=${format}`, "--sort=name", "-cf", "-", "."]);
      const entries = await entriesOf(archive, 100);
      const byName = new Map(entries.map((entry) => [entry.header.name, entry]));
      if (format !== "ustar") assert.equal(byName.get(`./sub/${long}`)?.data, "long", format);
      assert.equal(byName.get("./lnk")?.header.linkname, "f", format);
      assert.equal(byName.get("./sub/")?.header.type, TarType.directory, format);
      const hard = byName.get("./hard") ?? byName.get("./f");
      assert.equal([byName.get("./hard"), byName.get("./f")].filter((e) => e?.header.type === TarType.hardLink).length, 1, format);
      assert.ok(hard);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("archives this module writes are read by GNU tar", () => {
  const archive = archiveOf(
    { header: tarHeader({ name: `${"p".repeat(200)}/file`, type: TarType.file, mode: 0o100644 }), data: "content" },
    { header: tarHeader({ name: "s", type: TarType.symlink, mode: 0o120777, linkname: "target" }) },
  );
  const listing = execFileSync("tar", ["-tvf", "-"], { input: archive }).toString();
  assert.match(listing, new RegExp(`${"p".repeat(200)}/file`));
  assert.match(listing, /s -> target/);
});

test("a truncated archive is an error; an empty stream is an empty archive", async () => {
  const archive = archiveOf({ header: tarHeader({ name: "a", type: TarType.file }), data: "x".repeat(600) });
  await assert.rejects(entriesOf(archive.subarray(0, 700)), /unexpected EOF/);
  await assert.rejects(entriesOf(Buffer.from("garbage that is not a tar header".repeat(20))), /invalid tar header/);
  assert.deepEqual(await entriesOf(Buffer.alloc(0)), []);
});

test("an entry's unread body is skipped", async () => {
  const archive = archiveOf({ header: tarHeader({ name: "a", type: TarType.file }), data: "x".repeat(700) }, { header: tarHeader({ name: "b", type: TarType.file }), data: "b" });
  const names = [];
  for await (const { header } of readTar(chunksOf(archive, 100))) names.push(header.name);
  assert.deepEqual(names, ["a", "b"]);
});

test("rebaseTar renames the first occurrence of the old base, in names and hard link targets (moby RebaseArchiveEntries)", async () => {
  const archive = archiveOf(
    { header: tarHeader({ name: "d/", type: TarType.directory }) },
    { header: tarHeader({ name: "d/f", type: TarType.file }), data: "1" },
    { header: tarHeader({ name: "d/h", type: TarType.hardLink, linkname: "d/f" }) },
    { header: tarHeader({ name: "d/s", type: TarType.symlink, linkname: "d/f" }) },
  );
  const rebased = Buffer.concat(await collect(rebaseTar(chunksOf(archive, 50), "d", "e")));
  const entries = await entriesOf(rebased);
  assert.deepEqual(
    entries.map(({ header }) => `${header.name} ${header.linkname}`),
    ["e/ ", "e/f ", "e/h e/f", "e/s d/f"],
  );
  assert.equal(entries[1].data, "1");
  const fromRoot = await entriesOf(Buffer.concat(await collect(rebaseTar(chunksOf(archive, 50), "/", "x"))));
  assert.equal(fromRoot[0].header.name, "xd/", "an old base of / is the empty string, as moby does");
});
