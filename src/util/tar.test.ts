import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setImmediate } from "node:timers/promises";
import { nameText } from "./name-text.ts";
import { encodeTarHeader, readTar, rebaseTar, tarEnd, tarHeader, tarPadding, TarFormatError, TarType, writeTar, type TarEntryToWrite, type TarHeader } from "./tar.ts";

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

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const all: Buffer[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return Buffer.concat(all);
}

function archiveOf(...entries: Array<{ header: TarHeader; data?: string }>): Promise<Buffer> {
  return collect(writeTar(entries.map(({ header, data = "" }) => ({ header: { ...header, size: Buffer.byteLength(data) }, body: [Buffer.from(data)] }))));
}

/** `tar -tv` lines: mode, owner, size, date, time, name (and " -> target"). */
function gnuListing(archive: Buffer): string[] {
  return execFileSync("tar", ["--numeric-owner", "--utc", "-tvf", "-"], { input: archive })
    .toString()
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.replace(/ +/g, " "));
}

test("written headers are ustar that GNU tar reads: permission and set-id bits, owners, times, types, devices", async () => {
  const archive = await archiveOf(
    { header: tarHeader({ name: "d/", type: TarType.directory, mode: 0o41777, mtime: 0o15302455341 }) },
    { header: tarHeader({ name: "d/f", type: TarType.file, mode: 0o106750, uid: 1234, gid: 5678, mtime: 100 }), data: "hello\n" },
    { header: tarHeader({ name: "d/none", type: TarType.file, mode: 0o100000 }), data: "" },
    { header: tarHeader({ name: "d/s", type: TarType.symlink, mode: 0o120777, linkname: "f" }) },
    { header: tarHeader({ name: "d/h", type: TarType.hardLink, mode: 0o100644, linkname: "d/f", size: 6 }) },
    { header: tarHeader({ name: "d/null", type: TarType.charDevice, mode: 0o20666, devmajor: 1, devminor: 3 }) },
    { header: tarHeader({ name: "d/p", type: TarType.fifo, mode: 0o10600 }) },
  );
  assert.equal(archive.toString("latin1", 257, 265), "ustar\x0000");
  assert.deepEqual(gnuListing(archive), [
    "drwxrwxrwt 0/0 0 2026-11-28 04:38 d/",
    "-rwsr-s--- 1234/5678 6 1970-01-01 00:01 d/f",
    "---------- 0/0 0 1970-01-01 00:00 d/none",
    "lrwxrwxrwx 0/0 0 1970-01-01 00:00 d/s -> f",
    "hrw-r--r-- 0/0 0 1970-01-01 00:00 d/h link to d/f",
    "crw-rw-rw- 0/0 1,3 1970-01-01 00:00 d/null",
    "prw------- 0/0 0 1970-01-01 00:00 d/p",
  ]);
  assert.equal(execFileSync("tar", ["-xOf", "-", "d/f"], { input: archive }).toString(), "hello\n");
  const entries = await entriesOf(archive);
  assert.deepEqual(
    entries.map(({ header }) => [header.name, header.type, header.mode & 0o7777, header.size]),
    [
      ["d/", "5", 0o1777, 0],
      ["d/f", "0", 0o6750, 6],
      ["d/none", "0", 0, 0],
      ["d/s", "2", 0o777, 0],
      ["d/h", "1", 0o644, 0],
      ["d/null", "3", 0o666, 0],
      ["d/p", "6", 0o600, 0],
    ],
  );
  assert.deepEqual([entries[5].header.devmajor, entries[5].header.devminor], [1, 3]);
});

test("entries round-trip, with data streamed in pieces and short names, long names and long links", async () => {
  const longName = `${"dir/".repeat(30)}file.txt`; // 128 bytes: split into prefix and name
  const veryLongName = `${"x".repeat(120)}/${"y".repeat(120)}`; // no split fits: PAX path
  const longTarget = "t".repeat(150);
  const archive = await archiveOf(
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
  assert.deepEqual([entries[0].header.mode & 0o7777, entries[0].header.uid, entries[0].header.gid, entries[0].header.mtime], [0o640, 1234, 5678, 100]);
  assert.equal(entries[0].data, "hello\n");
  const listing = gnuListing(archive);
  assert.ok(listing.some((line) => line.endsWith(` ${veryLongName}`)));
  assert.ok(listing.some((line) => line.endsWith(` link -> ${longTarget}`)));
  assert.ok(listing.some((line) => line.endsWith(" héllo")));
});

test("values ustar cannot hold go to PAX records, which GNU tar and readTar read", async () => {
  const uname = "u".repeat(40);
  const archive = await archiveOf(
    { header: tarHeader({ name: `${"p".repeat(200)}/file`, type: TarType.file, mode: 0o100644, uid: 3_000_000, gid: 300_000, mtime: 2 ** 33, uname }), data: "content" },
    { header: tarHeader({ name: "xattr", type: TarType.file, pax: { "SCHILY.xattr.user.k": "v" } }), data: "" },
  );
  const listing = gnuListing(archive);
  assert.match(listing[0], new RegExp(`^-rw-r--r-- 3000000/300000 7 2242-03-16 12:56 ${"p".repeat(200)}/file$`));
  assert.deepEqual(execFileSync("tar", ["-tvf", "-"], { input: archive }).toString().split(" ")[1], `${uname}/300000`);
  const [big, withXattr] = await entriesOf(archive);
  assert.deepEqual([big.header.uid, big.header.gid, big.header.mtime, big.header.uname, big.data], [3_000_000, 300_000, 2 ** 33, uname, "content"]);
  assert.deepEqual(big.header.pax, {}, "records mapped to fields are not repeated");
  assert.deepEqual(withXattr.header.pax, { "SCHILY.xattr.user.k": "v" });
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

test("owners, times and user names GNU tar writes beyond ustar's fields are read (PAX records, GNU base-256)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "moor-tar-"));
  try {
    writeFileSync(join(dir, "f"), "data");
    for (const format of ["pax", "gnu"]) {
      const archive = execFileSync("tar", ["-C", dir, `--format=${format}`, "--owner=someone:3000000", "--group=agroup:3000001", "--mtime=@9000000000", "-cf", "-", "f"]);
      const [entry] = await entriesOf(archive);
      assert.deepEqual(
        [entry.header.name, entry.header.uid, entry.header.gid, entry.header.mtime, entry.header.uname, entry.header.gname, entry.data],
        ["f", 3_000_000, 3_000_001, 9_000_000_000, "someone", "agroup", "data"],
        format,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a truncated archive is an error; an empty stream is an empty archive", async () => {
  const archive = await archiveOf({ header: tarHeader({ name: "a", type: TarType.file }), data: "x".repeat(600) });
  await assert.rejects(entriesOf(archive.subarray(0, 700)), (err: unknown) => err instanceof TarFormatError && err.message === "unexpected EOF");
  await assert.rejects(entriesOf(archive.subarray(0, 300)), (err: unknown) => err instanceof TarFormatError && err.message === "unexpected EOF");
  await assert.rejects(entriesOf(Buffer.from("garbage that is not a tar header".repeat(20))), (err: unknown) => err instanceof TarFormatError && err.message === "invalid tar header");
  assert.deepEqual(await entriesOf(Buffer.alloc(0)), []);
});

test("an error of the input itself comes out as it is, not as a format error", async () => {
  const archive = await archiveOf({ header: tarHeader({ name: "a", type: TarType.file }), data: "x".repeat(2000) });
  const failing = async function* () {
    yield archive.subarray(0, 1024);
    throw new Error("connection reset");
  };
  await assert.rejects(
    (async () => {
      for await (const { body } of readTar(failing())) for await (const _ of body);
    })(),
    (err: unknown) => err instanceof Error && !(err instanceof TarFormatError) && err.message === "connection reset",
  );
});

test("an entry's body is skipped when unread or partly read", async () => {
  const archive = await archiveOf(
    { header: tarHeader({ name: "a", type: TarType.file }), data: "x".repeat(100_000) },
    { header: tarHeader({ name: "b", type: TarType.file }), data: "y".repeat(100_000) },
    { header: tarHeader({ name: "c", type: TarType.file }), data: "c" },
  );
  const seen = [];
  for await (const { header, body } of readTar(chunksOf(archive, 1000))) {
    let first = "";
    if (header.name === "b") {
      for await (const piece of body) {
        first = piece.toString("utf8", 0, 1);
        break;
      }
    }
    if (header.name === "c") for await (const piece of body) first = piece.toString();
    seen.push(`${header.name}${first}`);
  }
  assert.deepEqual(seen, ["a", "by", "cc"]);
});

test("writeTar asks for entries only as fast as the archive is read, and closes them when the reader stops", async () => {
  let made = 0;
  let closed = false;
  const manyDirectories = async function* (): AsyncGenerator<TarEntryToWrite> {
    try {
      for (;;) yield { header: tarHeader({ name: `d${made++}/`, type: TarType.directory, mode: 0o40755 }) };
    } finally {
      closed = true;
    }
  };
  const archive = writeTar(manyDirectories());
  await archive.next();
  for (let i = 0; i < 20; i++) await setImmediate();
  assert.ok(made < 200, `${made} entries made for one chunk read`);
  console.log("MADE", made);
  await archive.return(undefined);
  assert.equal(closed, true);
});

test("a file body that does not match its header's size is an error", async () => {
  await assert.rejects(collect(writeTar([{ header: tarHeader({ name: "f", type: TarType.file, size: 10 }), body: [Buffer.from("short")] }])), /Size mismatch/);
});

test("encodeTarHeader, tarPadding and tarEnd compose an archive piece by piece", async () => {
  const header = tarHeader({ name: `${"q".repeat(150)}/f`, type: TarType.file, size: 3 });
  const archive = Buffer.concat([await encodeTarHeader(header), Buffer.from("abc"), tarPadding(3), tarEnd]);
  assert.deepEqual(archive, await archiveOf({ header, data: "abc" }));
  assert.equal(tarPadding(512).length, 0);
  assert.equal(tarPadding(513).length, 511);
});

test("rebaseTar renames the first occurrence of the old base, in names and hard link targets (moby RebaseArchiveEntries)", async () => {
  const archive = await archiveOf(
    { header: tarHeader({ name: "d/", type: TarType.directory }) },
    { header: tarHeader({ name: "d/f", type: TarType.file }), data: "1" },
    { header: tarHeader({ name: "d/h", type: TarType.hardLink, linkname: "d/f" }) },
    { header: tarHeader({ name: "d/s", type: TarType.symlink, linkname: "d/f" }) },
  );
  const rebased = await collect(rebaseTar(chunksOf(archive, 50), "d", "e"));
  const entries = await entriesOf(rebased);
  assert.deepEqual(
    entries.map(({ header }) => `${header.name} ${header.linkname}`),
    ["e/ ", "e/f ", "e/h e/f", "e/s d/f"],
  );
  assert.equal(entries[1].data, "1");
  const fromRoot = await entriesOf(await collect(rebaseTar(chunksOf(archive, 50), "/", "x")));
  assert.equal(fromRoot[0].header.name, "xd/", "an old base of / is the empty string, as moby does");
});

test("rebaseTar passes a malformed archive's error on", async () => {
  await assert.rejects(collect(rebaseTar(chunksOf(Buffer.from("not a tar header ".repeat(40)), 64), "d", "e")), TarFormatError);
});

test("names that are not UTF-8 and binary PAX values (xattrs) are read and written as their bytes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "moor-tar-"));
  try {
    const source = join(dir, "src");
    mkdirSync(source);
    const oddName = Buffer.from([0x66, 0xff, 0x2e, 0xfe]); // "f\xff.\xfe"
    writeFileSync(Buffer.concat([Buffer.from(`${source}/`), oddName]), "odd");
    writeFileSync(join(source, "capable"), "x");
    const binaryValue = Buffer.from([0xff, 0x00, 0xfe, 0x80, 0x41]);
    execFileSync("setfattr", ["-n", "user.bin", "-v", `0x${binaryValue.toString("hex")}`, join(source, "capable")]);
    const oddText = nameText(Buffer.concat([Buffer.from("./"), oddName]));
    for (const format of ["pax", "gnu"]) {
      const archive = execFileSync("tar", ["-C", source, `--format=${format}`, "--xattrs", "--xattrs-include=user.*", "--sort=name", "-cf", "-", "."]);
      const entries: TarEntryToWrite[] = [];
      for await (const { header, body } of readTar(chunksOf(archive, 100))) entries.push({ header, body: [await collect(body)] });
      const odd = entries.find((entry) => entry.header.name === oddText);
      assert.ok(odd, `${format}: ${entries.map((entry) => JSON.stringify(entry.header.name)).join(", ")}`);
      if (format === "pax") {
        // GNU tar keeps xattrs in pax archives only.
        const capable = entries.find((entry) => entry.header.name === "./capable")!;
        assert.equal(capable.header.pax["SCHILY.xattr.user.bin"], nameText(binaryValue));
      }
      const out = join(dir, `out-${format}`);
      mkdirSync(out);
      execFileSync("tar", ["-C", out, "--xattrs", "--xattrs-include=user.*", "-xf", "-"], { input: await collect(writeTar(entries)) });
      assert.ok(readdirSync(out, { encoding: "buffer" }).some((name) => name.equals(oddName)), `${format}: the name's bytes`);
      assert.equal(readFileSync(Buffer.concat([Buffer.from(`${out}/`), oddName])).toString(), "odd");
      if (format === "pax") {
        const dumped = execFileSync("getfattr", ["-e", "hex", "-n", "user.bin", join(out, "capable")]).toString();
        assert.match(dumped, new RegExp(`user.bin=0x${binaryValue.toString("hex")}`));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a name or link target that is not UTF-8 is written in a PAX record that GNU tar reads", async () => {
  const name = nameText(Buffer.from([0x64, 0xfe, 0x2f, 0x66])); // "d\xfe/f"
  const target = nameText(Buffer.from([0x74, 0xff])); // "t\xff"
  const archive = await archiveOf({ header: tarHeader({ name, type: TarType.file }), data: "1" }, { header: tarHeader({ name: "link", type: TarType.symlink, linkname: target }) });
  const listing = execFileSync("tar", ["--quoting-style=escape", "-tvf", "-"], { input: archive }).toString();
  assert.match(listing, / d\\376\/f\n/);
  assert.match(listing, / link -> t\\377\n/);
  const entries = await entriesOf(archive);
  assert.deepEqual(entries.map(({ header }) => [header.name, header.linkname]), [[name, ""], ["link", target]]);
});
