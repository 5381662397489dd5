// moor's care of volumes end to end on a real engine (backup, restore, verify, clone, rename,
// export, import, cp, sizes): round trips compared file by file with their metadata (owners,
// modes, times, symlinks, hard links, sparse files, xattrs, ACLs), corrupt, truncated, foreign and
// hostile archives and symlinks refused with nothing changed, restores into existing volumes, and
// the consistency rule for volumes running containers write to.
// Needs root, runc, conmon, busybox-static, GNU tar, zstd, attr and acl, and a built binary.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, closeSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { request, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";
import { headSha256 } from "../src/util/file-head.ts";
import { encodeTarHeader, tarEnd, tarHeader, tarPadding } from "../src/util/tar.ts";
import { api, docker, importBusybox, moor, moorBin, useEngine } from "./support/engine.ts";

let work: string;
const engine = useEngine(async (started) => {
  work = mkdtempSync(join(tmpdir(), "moor-backup-"));
  await importBusybox(started, { changes: ['CMD ["sh"]'] });
});
after(() => rmSync(work, { recursive: true, force: true }));

async function ok(args: string[], input?: string): Promise<string> {
  const result = await moor(engine(), args, { input });
  assert.equal(result.code, 0, `moor ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

async function mountpoint(volume: string): Promise<string> {
  return (await ok(["volume", "inspect", "--format", "{{.Mountpoint}}", volume])).trim();
}

/** Every entry under `root` with what a faithful copy must keep. */
function describeTree(root: string): string[] {
  const inodes = new Map<bigint, string>();
  const lines: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const relPath = rel === "" ? name : `${rel}/${name}`;
      const info = lstatSync(path, { bigint: true });
      const link = info.isSymbolicLink() ? ` -> ${readlinkSync(path)}` : "";
      const firstName = info.isFile() && info.nlink > 1n ? inodes.get(info.ino) : undefined;
      if (info.isFile() && info.nlink > 1n && firstName === undefined) inodes.set(info.ino, relPath);
      const xattrs = info.isSymbolicLink() ? "" : execFileSync("getfattr", ["--absolute-names", "-d", "-m", "-", path], { encoding: "utf8" }).split("\n").slice(1).filter(Boolean).sort().join(" ");
      const content = info.isFile() ? ` sha=${execFileSync("sha256sum", [path], { encoding: "utf8" }).slice(0, 16)} blocks<=${info.blocks <= 64n ? "64" : "more"}` : "";
      lines.push(`${relPath} mode=${info.mode.toString(8)} ${info.uid}:${info.gid} size=${info.isDirectory() ? "-" : info.size} mtime=${info.mtimeNs}${link}${firstName ? ` hardlink=${firstName}` : ""}${content} ${xattrs}`);
      if (info.isDirectory()) walk(path, relPath);
    }
  };
  walk(root, "");
  return lines;
}

/** A volume holding each kind of file and metadata a backup must keep. */
async function filledVolume(name: string): Promise<string> {
  await ok(["volume", "create", "--label", "team=shop", name]);
  const data = await mountpoint(name);
  mkdirSync(join(data, "dir/nested"), { recursive: true });
  writeFileSync(join(data, "dir/file.txt"), "hello\n", { mode: 0o640 });
  chownSync(join(data, "dir/file.txt"), 1234, 5678);
  symlinkSync("../dir/file.txt", join(data, "dir/nested/link"));
  symlinkSync("/etc/passwd", join(data, "absolute-link"));
  linkSync(join(data, "dir/file.txt"), join(data, "hardlink.txt"));
  execFileSync("truncate", ["-s", "64M", join(data, "sparse.img")]);
  execFileSync("sh", ["-c", `printf end >> ${join(data, "sparse.img")}`]);
  execFileSync("setfattr", ["-n", "user.origin", "-v", "backup-test", join(data, "dir/file.txt")]);
  execFileSync("setfacl", ["-m", "u:4321:rw", join(data, "dir/nested")]);
  execFileSync("mkfifo", [join(data, "pipe")]);
  utimesSync(join(data, "dir"), new Date("2020-01-02T03:04:05.678Z"), new Date("2020-01-02T03:04:05.678Z"));
  return data;
}

test("backup then restore under another name: every file, owner, mode, time, link, sparse file, xattr and ACL comes back", async () => {
  const original = await filledVolume("keep");
  const archive = join(work, "keep.tar.zst");
  await ok(["volume", "backup", "keep", "-o", archive]);
  assert.deepEqual(readFileSync(archive).subarray(0, 4), Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), "zstd by default");

  const verified = await ok(["volume", "verify", archive]);
  assert.match(verified, /^OK: volume keep, 2 files, .*, blake3 [0-9a-f]{64}\n$/);

  const restored = await ok(["volume", "restore", archive, "keep-copy"]);
  assert.match(restored, /^Restored volume keep-copy: 2 files/);
  assert.deepEqual(describeTree(await mountpoint("keep-copy")), describeTree(original));
  assert.equal(execFileSync("getfacl", ["-cp", join(await mountpoint("keep-copy"), "dir/nested")], { encoding: "utf8" }), execFileSync("getfacl", ["-cp", join(original, "dir/nested")], { encoding: "utf8" }));
  assert.equal((await ok(["volume", "inspect", "--format", "{{json .Labels}}", "keep-copy"])).trim(), '{"team":"shop"}', "the labels come with it");

  // gzip, through a pipe, restored over the original volume.
  const gzip = join(work, "keep.tar.gz");
  await ok(["volume", "backup", "--gzip", "keep", "-o", gzip]);
  assert.deepEqual(readFileSync(gzip).subarray(0, 2), Buffer.from([0x1f, 0x8b]));
  writeFileSync(join(original, "added-later"), "x");
  const refused = await moor(engine(), ["volume", "restore", gzip]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /volume keep is not empty: replace its data with --force/);
  assert.ok(readdirSync(original).includes("added-later"), "a refused restore changes nothing");
  await ok(["volume", "restore", "--force", gzip]);
  assert.deepEqual(describeTree(await mountpoint("keep")), describeTree(await mountpoint("keep-copy")), "--force replaced the data");
});

test("a backup is two archives: GNU tar's of the volume, then the manifest with each file's BLAKE3 as b3sum prints it", async () => {
  const data = await filledVolume("layout");
  const archive = join(work, "layout.tar.zst");
  await ok(["volume", "backup", "layout", "-o", archive]);
  const first = execFileSync("sh", ["-c", `zstd -d -c ${archive} | tar -t`], { encoding: "utf8" }).trim().split("\n");
  assert.equal(first[0], "moor-volume.json");
  assert.ok(first.includes("_data/dir/file.txt") && !first.includes("moor-manifest.json"), "plain tar reads the volume's archive");
  const manifest = JSON.parse(execFileSync("sh", ["-c", `zstd -d -c ${archive} | tar -x -O --ignore-zeros moor-manifest.json`], { encoding: "utf8" })) as { files: number; blake3: Record<string, string>; checksum: string };
  const sums = execFileSync("sh", ["-c", "find . -type f -print0 | xargs -0 b3sum"], { cwd: data, encoding: "utf8" }).trim().split("\n");
  assert.deepEqual(
    Object.entries(manifest.blake3).sort(),
    sums.map((line) => [`_data/${line.slice(66).replace(/^\.\//, "")}`, line.slice(0, 64)]).sort(),
    "every regular file, hard links and the sparse file too, with b3sum's checksum",
  );
  const listing = execFileSync("sh", ["-c", "find . -type f -print0 | xargs -0 b3sum | sed 's#  \\./#  _data/#' | LC_ALL=C sort -k2 | b3sum"], { cwd: data, encoding: "utf8" });
  assert.equal(manifest.checksum, listing.slice(0, 64), "the whole's checksum is b3sum's of that listing, sorted by path");
  assert.equal(manifest.files, 2, "file.txt (with its hard link) and sparse.img");
});

test("a second backup reads again only what changed since the first: its manifest holds every file's current checksum", async () => {
  const data = await filledVolume("again");
  const manifestOf = (archive: string) =>
    JSON.parse(execFileSync("sh", ["-c", `zstd -d -c ${archive} | tar -x -O --ignore-zeros moor-manifest.json`], { encoding: "utf8" })) as { blake3: Record<string, string> };
  const sums = () =>
    execFileSync("sh", ["-c", "find . -type f -print0 | xargs -0 b3sum"], { cwd: data, encoding: "utf8" }).trim().split("\n").map((line) => [`_data/${line.slice(66).replace(/^\.\//, "")}`, line.slice(0, 64)]).sort();
  await ok(["volume", "backup", "again", "-o", join(work, "again-1.tar.zst")]);
  // The checksums are kept beside the data, where no container sees them, and not archived.
  const cache = JSON.parse(readFileSync(join(data, "..", "digests.json"), "utf8")) as { entries: Array<[string, string, string]> };
  assert.deepEqual(cache.entries.map(([path, , checksum]) => [path, checksum]).sort(), Object.entries(manifestOf(join(work, "again-1.tar.zst")).blake3).sort());
  writeFileSync(join(data, "dir/file.txt"), "changed content\n", { flag: "a" });
  writeFileSync(join(data, "new.txt"), "new\n");
  const second = join(work, "again-2.tar.zst");
  await ok(["volume", "backup", "again", "-o", second]);
  assert.deepEqual(Object.entries(manifestOf(second).blake3).sort(), sums(), "the changed and the new file's checksums are their current ones");
  assert.match(await ok(["volume", "verify", second]), /blake3 [0-9a-f]{64}/);
  assert.ok(!execFileSync("sh", ["-c", `zstd -d -c ${second} | tar -t --ignore-zeros`], { encoding: "utf8" }).includes("digests.json"));
});

test("names that are not UTF-8 come through a backup, its verify, a second backup and a restore as their bytes, and count in the size", async () => {
  await ok(["volume", "create", "bytes"]);
  const data = Buffer.from(await mountpoint("bytes"));
  const path = (...names: Buffer[]) => Buffer.concat([data, ...names.flatMap((name) => [Buffer.from("/"), name])]);
  // "f\xff" and "f\ufffd" read the same when decoded as UTF-8; "dir\xfe" hides a file below it.
  const byteName = Buffer.from([0x66, 0xff]);
  const replacementName = Buffer.from("f\ufffd");
  const byteDir = Buffer.from([0x64, 0x69, 0x72, 0xfe]);
  writeFileSync(path(byteName), "not UTF-8\n");
  writeFileSync(path(replacementName), "U+FFFD itself\n");
  mkdirSync(path(byteDir));
  writeFileSync(path(byteDir, Buffer.from("inner")), "below a name that is not UTF-8\n");
  const [inspected] = JSON.parse(await ok(["volume", "inspect", "--size", "bytes"])) as Array<{ UsageData: { Size: number } }>;
  assert.equal(inspected.UsageData.Size, 10 + 14 + 31, "every file counts, its name whatever bytes");

  const first = join(work, "bytes-1.tar.zst");
  await ok(["volume", "backup", "bytes", "-o", first]);
  assert.match(await ok(["volume", "verify", first]), /blake3 [0-9a-f]{64}/);
  writeFileSync(path(byteDir, Buffer.from("inner")), "changed\n");
  const second = join(work, "bytes-2.tar.zst");
  await ok(["volume", "backup", "bytes", "-o", second]);
  await ok(["volume", "restore", second, "bytes-copy"]);
  const copy = Buffer.from(await mountpoint("bytes-copy"));
  const within = (...names: Buffer[]) => Buffer.concat([copy, ...names.flatMap((name) => [Buffer.from("/"), name])]);
  assert.deepEqual(readdirSync(copy, { encoding: "buffer" }).sort(Buffer.compare), [byteDir, byteName, replacementName].sort(Buffer.compare));
  assert.equal(readFileSync(within(byteName), "utf8"), "not UTF-8\n");
  assert.equal(readFileSync(within(replacementName), "utf8"), "U+FFFD itself\n");
  assert.equal(readFileSync(within(byteDir, Buffer.from("inner")), "utf8"), "changed\n", "the second backup read the changed file again");
});

test("a volume whose driver options bind a host directory is mounted for its backup, streamed or written, and unmounted after", async () => {
  const source = join(work, "bound-source");
  mkdirSync(source);
  writeFileSync(join(source, "file.txt"), "bound data\n");
  await ok(["volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt", `device=${source}`, "bound"]);
  const archive = join(work, "bound.tar.zst");
  await ok(["volume", "backup", "bound", "-o", archive]);
  const streamed = execFileSync(moorBin, ["volume", "backup", "--gzip", "bound"], { env: { ...process.env, MOOR_HOST: engine().host } });
  writeFileSync(join(work, "bound.tar.gz"), streamed);
  const expected = execFileSync("b3sum", [join(source, "file.txt")], { encoding: "utf8" }).slice(0, 64);
  for (const [file, decompress] of [[archive, "zstd -dc"], [join(work, "bound.tar.gz"), "gzip -dc"]]) {
    const manifest = JSON.parse(execFileSync("sh", ["-c", `${decompress} ${file} | tar -x -O --ignore-zeros moor-manifest.json`], { encoding: "utf8" })) as { blake3: Record<string, string> };
    assert.deepEqual(manifest.blake3, { "_data/file.txt": expected }, file);
  }
  assert.ok(!readFileSync("/proc/self/mountinfo", "utf8").includes(join(engine().root, "volumes/bound")), "unmounted after the backups");
});

test("a backup of a volume that something outside moor's containers writes to meanwhile fails and leaves no archive", async () => {
  await ok(["volume", "create", "scribbled"]);
  const data = await mountpoint("scribbled");
  writeFileSync(join(data, "random"), randomBytes(8 * 1024 * 1024));
  const scribbler = spawn("sh", ["-c", `while :; do echo x >> ${join(data, "log")}; done`], { stdio: "ignore" });
  try {
    const archive = join(work, "scribbled.tar.zst");
    const result = await moor(engine(), ["volume", "backup", "scribbled", "-o", archive]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^Error response from daemon: _data\/log in volume scribbled changed while it was being backed up, so the archive would not match its checksums: stop what writes to the volume \(outside moor's containers too\) and back it up again\n$/);
    assert.deepEqual(readdirSync(work).filter((name) => name.startsWith("scribbled.tar.zst")), [], "no archive and no partial file");
  } finally {
    scribbler.kill("SIGKILL");
  }
});

for (const [format, described] of [[1, "single-archive, checksummed as stored"], [2, "checksummed with sha256"]] as const) {
  test(`archives of format ${format} (${described}) are still verified and restored`, async () => {
    const archive = resolve(import.meta.dirname, `fixtures/volume-backup-v${format}.tar.zst`);
    assert.match(await ok(["volume", "verify", archive]), new RegExp(`^OK: volume fixture-v${format}, 2 files, .*, sha256 [0-9a-f]{64}\\n$`));
    const restored = `from-v${format}`;
    assert.match(await ok(["volume", "restore", archive, restored]), new RegExp(`^Restored volume ${restored}: 2 files`));
    const data = await mountpoint(restored);
    assert.equal(readFileSync(join(data, "dir/hello.txt"), "utf8"), "hello moor\n");
    assert.equal(lstatSync(join(data, "dir/hello.txt")).ino, lstatSync(join(data, "dir/hello-link.txt")).ino, "the hard link");
    assert.equal(readlinkSync(join(data, "dir/symlink")), "hello.txt");
    const sparse = readFileSync(join(data, "sparse.bin"));
    assert.equal(sparse.length, 1024 * 1024);
    assert.equal(sparse.subarray(500000, 500018).toString(), "data in the middle");
    assert.ok(lstatSync(join(data, "sparse.bin")).blocks * 512 < 64 * 1024, "still sparse");
    assert.deepEqual([lstatSync(join(data, "dir/sub")).uid, lstatSync(join(data, "dir/sub")).gid], [1234, 5678]);
    assert.match(execFileSync("getfattr", ["-n", "user.note", join(data, "dir/hello.txt")], { encoding: "utf8" }), /user\.note="fixture"/);
    assert.equal((await ok(["volume", "inspect", "--format", "{{json .Labels}}", restored])).trim(), '{"purpose":"fixture"}');
  });
}

test("the engine writes a backup into a client's file only when it holds the client's nonce; a client it cannot see streams it instead", async () => {
  await filledVolume("direct");
  const nonce = randomBytes(16).toString("hex");
  const target = join(work, "direct.tar.zst");
  const post = (file: string, sentNonce = nonce) => api(engine(), "POST", `/moor/volumes/direct/backup?file=${encodeURIComponent(file)}&nonce=${sentNonce}`);

  writeFileSync(target, nonce);
  const written = await post(target);
  assert.equal(written.status, 200, written.body);
  assert.equal(JSON.parse(written.body).Bytes, lstatSync(target).size);
  assert.match(await ok(["volume", "verify", target]), /^OK: volume direct, 2 files/);
  // An export is written the same way, by tar itself.
  const exported = join(work, "direct.tar");
  writeFileSync(exported, nonce);
  const exportWritten = await api(engine(), "POST", `/moor/volumes/direct/export?file=${encodeURIComponent(exported)}&nonce=${nonce}`);
  assert.equal(exportWritten.status, 200, exportWritten.body);
  assert.equal(JSON.parse(exportWritten.body).Bytes, lstatSync(exported).size);
  assert.ok(execFileSync("tar", ["-tf", exported], { encoding: "utf8" }).split("\n").includes("./dir/file.txt"));

  // Refused, and the file left as it was: another nonce, a symlink, a FIFO, a relative path, no file.
  const other = join(work, "other");
  writeFileSync(other, nonce.replace(/^./, nonce[0] === "a" ? "b" : "a"));
  const unseen = await post(other);
  assert.equal(unseen.status, 404);
  assert.match(JSON.parse(unseen.body).message, /the engine does not see the client's file .*other \(is the client on another machine\?\)/);
  assert.equal(readFileSync(other, "utf8").length, nonce.length);
  const link = join(work, "link-to-other");
  symlinkSync(other, link);
  assert.equal((await post(link)).status, 404);
  const fifo = join(work, "fifo");
  execFileSync("mkfifo", [fifo]);
  assert.equal((await post(fifo)).status, 404);
  assert.equal((await post("relative.tar.zst")).status, 400);
  assert.equal((await post(join(work, "missing"))).status, 404);
  assert.equal((await post(target, "short")).status, 400);

  // A CLI in its own mount namespace writes where the engine cannot see: it streams the backup.
  const privateDir = join(work, "private");
  mkdirSync(privateDir);
  const script = `mount -t tmpfs tmpfs ${privateDir} && ${moorBin} volume backup direct -o ${privateDir}/x.tar.zst && ${moorBin} volume verify ${privateDir}/x.tar.zst && ls ${privateDir}`;
  const streamed = execFileSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], { encoding: "utf8", env: { ...process.env, MOOR_HOST: engine().host } });
  assert.match(streamed, /^OK: volume direct, 2 files.*\nx\.tar\.zst\n$/s, "verified, and no partial file left");
  assert.deepEqual(readdirSync(privateDir), [], "written inside the namespace only");
});

test("the engine reads a restore's, an import's or a verify's archive from a client's file only when its size and first bytes match; a client it cannot see streams it instead", async () => {
  const source = await filledVolume("read-source");
  const archive = join(work, "read-source.tar.zst");
  await ok(["volume", "backup", "read-source", "-o", archive]);
  const size = lstatSync(archive).size;
  const head = (file: string) => {
    const fd = openSync(file, "r");
    try {
      return headSha256(fd, lstatSync(file).size);
    } finally {
      closeSync(fd);
    }
  };
  const post = (action: "restore" | "verify", query: Record<string, string>) => api(engine(), "POST", `/moor/volumes/${action}?${new URLSearchParams(query)}`);
  const named = (file: string, extra: Record<string, string> = {}) => ({ file, size: String(size), head: head(archive), ...extra });

  const verified = await post("verify", named(archive));
  assert.equal(verified.status, 200, verified.body);
  assert.equal(JSON.parse(verified.body).Volume, "read-source");
  const restored = await post("restore", named(archive, { name: "read-restored" }));
  assert.equal(restored.status, 200, restored.body);
  assert.equal(JSON.parse(restored.body).Volume, "read-restored");
  assert.deepEqual(describeTree(await mountpoint("read-restored")), describeTree(source));
  assert.match(await ok(["volume", "inspect", "--format", "{{json .Labels}}", "read-restored"]), /"team":"shop"/);
  // A plain tar is imported the same way.
  const plain = join(work, "read-source.tar");
  await ok(["volume", "export", "read-source", "-o", plain]);
  const imported = await api(engine(), "POST", `/moor/volumes/read-imported/import?${new URLSearchParams({ file: plain, size: String(lstatSync(plain).size), head: head(plain) })}`);
  assert.equal(imported.status, 200, imported.body);
  assert.deepEqual(describeTree(await mountpoint("read-imported")), describeTree(source));

  // Refused, and nothing restored: other first bytes, another size, a symlink, a FIFO, no file; a relative path or a malformed head or operation id.
  const other = join(work, "other-archive.tar.zst");
  const bytes = readFileSync(archive);
  bytes[100] ^= 0xff;
  writeFileSync(other, bytes);
  const unseen = await post("restore", named(other, { name: "not-restored" }));
  assert.equal(unseen.status, 404);
  assert.match(JSON.parse(unseen.body).message, /the engine does not see the client's file .*other-archive\.tar\.zst \(is the client on another machine\?\)/);
  assert.equal((await post("restore", { ...named(archive), size: String(size - 1), name: "not-restored" })).status, 404);
  assert.equal((await post("verify", { ...named(archive), head: head(other) })).status, 404);
  const link = join(work, "link-to-archive");
  symlinkSync(archive, link);
  assert.equal((await post("restore", named(link, { name: "not-restored" }))).status, 404);
  const fifo = join(work, "archive-fifo");
  execFileSync("mkfifo", [fifo]);
  assert.equal((await post("verify", named(fifo))).status, 404);
  assert.equal((await post("verify", named(join(work, "missing.tar.zst")))).status, 404);
  assert.equal((await post("verify", named("relative.tar.zst"))).status, 400);
  assert.equal((await post("verify", { ...named(archive), head: "short" })).status, 400);
  const badOperation = await post("restore", named(archive, { name: "not-restored", operation: "NOT-HEX" }));
  assert.deepEqual([badOperation.status, JSON.parse(badOperation.body).message], [400, 'invalid operation id "NOT-HEX": 16 to 64 lowercase hex digits']);
  assert.equal((await moor(engine(), ["volume", "inspect", "not-restored"])).code, 1, "no volume was created");

  // A CLI in its own mount namespace reads an archive the engine cannot see: it streams it.
  const privateDir = join(work, "private-restore");
  mkdirSync(privateDir);
  const script = `mount -t tmpfs tmpfs ${privateDir} && cp ${archive} ${privateDir}/x.tar.zst && ${moorBin} volume verify ${privateDir}/x.tar.zst && ${moorBin} volume restore ${privateDir}/x.tar.zst read-streamed`;
  const streamed = execFileSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], { encoding: "utf8", env: { ...process.env, MOOR_HOST: engine().host } });
  assert.match(streamed, /^OK: volume read-source, 2 files.*\nRestored volume read-streamed: 2 files/s);
  assert.deepEqual(describeTree(await mountpoint("read-streamed")), describeTree(source));
});

test("a large archive streamed to a restore is fed to its decompressor with backpressure and nothing piled up", async () => {
  await ok(["volume", "create", "streamed-large"]);
  const content = randomBytes(48 << 20);
  writeFileSync(join(await mountpoint("streamed-large"), "random"), content);
  const archive = join(work, "streamed-large.tar.zst");
  await ok(["volume", "backup", "streamed-large", "-o", archive]);
  const restored = await moor(engine(), ["volume", "restore", "-", "streamed-large-copy"], { input: readFileSync(archive) });
  assert.equal(restored.code, 0, restored.stderr);
  assert.ok(readFileSync(join(await mountpoint("streamed-large-copy"), "random")).equals(content));
  // A listener added per wait and never removed would pass Node's limit of ten and say so.
  assert.doesNotMatch(engine().logs(), /MaxListenersExceededWarning/);
});

test("corrupt, truncated and foreign archives are refused, and nothing is created or changed", async () => {
  await filledVolume("source");
  const archive = join(work, "source.tar");
  const plain = execFileSync("sh", ["-c", `${moorBin} volume backup source | zstd -d -c`], {
    env: { ...process.env, MOOR_HOST: engine().host },
    maxBuffer: 256 << 20,
  });
  writeFileSync(archive, plain);
  // An uncompressed archive is accepted as it is.
  assert.match(await ok(["volume", "verify", archive]), /^OK: volume source/);

  const corrupt = Buffer.from(plain);
  const at = corrupt.indexOf("hello\n");
  corrupt[at] = "j".charCodeAt(0);
  const truncated = plain.subarray(0, plain.length - 2048);
  const foreign = execFileSync("tar", ["-c", "-C", work, "keep.tar.zst"]);
  const cases: Array<[string, Buffer, RegExp]> = [
    ["corrupt", corrupt, /the archive is not a valid moor volume backup: the checksum of "_data\/(dir\/file|hardlink)\.txt" does not match: its data is corrupt; nothing was changed/],
    ["truncated", truncated, /the archive is not a valid moor volume backup: (the archive is truncated|moor-manifest.json is missing)/],
    ["foreign", foreign, /its first member is "keep.tar.zst", not moor-volume.json \(a plain tar of a volume is imported with moor volume import\)/],
  ];
  for (const [label, bytes, error] of cases) {
    const file = join(work, `${label}.tar`);
    writeFileSync(file, bytes);
    const verify = await moor(engine(), ["volume", "verify", file]);
    assert.equal(verify.code, 1, label);
    assert.match(verify.stderr, error, label);
    const restore = await moor(engine(), ["volume", "restore", file, `from-${label}`]);
    assert.equal(restore.code, 1, label);
    assert.match(restore.stderr, error, label);
    // Streamed (from a pipe, as from another host), it is refused with the same words.
    const streamed = await moor(engine(), ["volume", "restore", "-", `from-${label}`], { input: bytes });
    assert.equal(streamed.code, 1, `${label}, streamed`);
    assert.match(streamed.stderr, error, `${label}, streamed`);
    assert.equal((await moor(engine(), ["volume", "inspect", `from-${label}`])).code, 1, `${label}: no volume was created`);
  }
  const volumesDir = join(engine().root, "volumes");
  assert.deepEqual(readdirSync(volumesDir).filter((entry) => entry.startsWith(".restore-")), [], "no staging directory is left");
});

test("an archive whose members would land outside the volume is refused before anything is written", async () => {
  const header = Buffer.from(`${JSON.stringify({ format: "moor-volume-backup/1", created: "2026-01-01T00:00:00Z", volume: { name: "evil", driver: "local", options: null, labels: null, createdAt: 0 } })}\n`);
  const member = async (name: string, content: string, type = "0", linkname = "") => {
    const body = Buffer.from(content);
    return Buffer.concat([await encodeTarHeader(tarHeader({ name, type, size: type === "0" ? body.length : 0, linkname })), type === "0" ? body : Buffer.alloc(0), tarPadding(type === "0" ? body.length : 0)]);
  };
  const outside = join(work, "escaped");
  for (const [name, type, linkname] of [[`_data/../../../${outside.slice(1)}`, "0", ""], [outside, "0", ""], ["_data/link", "1", "/etc/passwd"]] as const) {
    const archive = Buffer.concat([await member("moor-volume.json", header.toString()), await member(name, "owned", type, linkname), tarEnd]);
    const file = join(work, "hostile.tar");
    writeFileSync(file, archive);
    const result = await moor(engine(), ["volume", "restore", file, "hostile"]);
    assert.equal(result.code, 1, name);
    assert.match(result.stderr, /would be written outside the volume; nothing was changed/, name);
    const streamed = await moor(engine(), ["volume", "restore", "-", "hostile"], { input: archive });
    assert.equal(streamed.code, 1, `${name}, streamed`);
    assert.match(streamed.stderr, /would be written outside the volume; nothing was changed/, `${name}, streamed`);
    assert.throws(() => lstatSync(outside), "nothing was written outside");
    assert.equal((await moor(engine(), ["volume", "inspect", "hostile"])).code, 1);
  }
});

test("a volume that a running container writes to is backed up only with --stop, which stops and restarts it", async () => {
  await ok(["volume", "create", "busy"]);
  await ok(["run", "-d", "--name", "writer", "-v", "busy:/data", "busybox", "sh", "-c", "trap 'exit 0' TERM; echo row > /data/rows; while :; do sleep 0.2; done"]);
  try {
    const refused = await moor(engine(), ["volume", "backup", "busy", "-o", join(work, "busy.tar.zst")]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /volume busy is in use by running container\(s\) writer, which write to it: a backup now would not be consistent\. Stop them, or back up with --stop/);
    assert.throws(() => lstatSync(join(work, "busy.tar.zst")), "no archive is left by a refused backup");

    const startedBefore = (await ok(["inspect", "--format", "{{.State.StartedAt}}", "writer"])).trim();
    await ok(["volume", "backup", "--stop", "busy", "-o", join(work, "busy.tar.zst")]);
    assert.equal((await ok(["inspect", "--format", "{{.State.Running}}", "writer"])).trim(), "true", "started again");
    assert.notEqual((await ok(["inspect", "--format", "{{.State.StartedAt}}", "writer"])).trim(), startedBefore);
    await ok(["volume", "restore", join(work, "busy.tar.zst"), "busy-copy"]);
    assert.equal(readFileSync(join(await mountpoint("busy-copy"), "rows"), "utf8"), "row\n");

    const intoRunning = await moor(engine(), ["volume", "restore", "--force", join(work, "busy.tar.zst"), "busy"]);
    assert.equal(intoRunning.code, 1);
    assert.match(intoRunning.stderr, /volume busy is in use by running container\(s\) writer: stop them before restoring into it/);
  } finally {
    await moor(engine(), ["rm", "-f", "writer"]);
  }
});

test("--pause freezes the writers while the backup streams and thaws them after; one paused already stays paused", async () => {
  await ok(["volume", "create", "frozen-data"]);
  // Random data does not compress: the backup cannot finish while nobody reads it.
  writeFileSync(join(await mountpoint("frozen-data"), "random"), randomBytes(48 * 1024 * 1024));
  await ok(["run", "-d", "--name", "frozen-writer", "-v", "frozen-data:/data", "busybox", "sh", "-c", "while :; do date >> /data/log; sleep 0.1; done"]);
  try {
    const startedBefore = (await ok(["inspect", "--format", "{{.State.StartedAt}}", "frozen-writer"])).trim();
    const both = await moor(engine(), ["volume", "backup", "--stop", "--pause", "frozen-data"]);
    assert.deepEqual([both.code, both.stderr], [1, "--stop and --pause cannot be used together: the writers are either stopped or paused\n"]);

    const backup = spawn(moorBin, ["volume", "backup", "--pause", "frozen-data", "-o", "-"], { env: { ...process.env, MOOR_HOST: engine().host }, stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise<number | null>((resolveExit) => backup.on("close", resolveExit));
    const chunks: Buffer[] = [];
    await new Promise<void>((resolveFirst) => backup.stdout.once("data", (chunk: Buffer) => {
      chunks.push(chunk);
      backup.stdout.pause();
      resolveFirst();
    }));
    assert.equal((await ok(["inspect", "--format", "{{.State.Status}}", "frozen-writer"])).trim(), "paused", "paused while the backup streams");
    backup.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    backup.stdout.resume();
    assert.equal(await exited, 0);
    writeFileSync(join(work, "frozen.tar.zst"), Buffer.concat(chunks));
    assert.match(await ok(["volume", "verify", join(work, "frozen.tar.zst")]), /frozen-data/);
    assert.equal((await ok(["inspect", "--format", "{{.State.Status}} {{.State.StartedAt}}", "frozen-writer"])).trim(), `running ${startedBefore}`, "thawed, never restarted");

    await ok(["pause", "frozen-writer"]);
    await ok(["volume", "backup", "--pause", "frozen-data", "-o", join(work, "frozen-2.tar.zst")]);
    assert.equal((await ok(["inspect", "--format", "{{.State.Status}}", "frozen-writer"])).trim(), "paused", "the user's pause is kept");
  } finally {
    await moor(engine(), ["rm", "-f", "frozen-writer"]);
  }
});

test("a backup given an operation id tells how far it is, of the volume's size, until it ends", async () => {
  await ok(["volume", "create", "followed"]);
  writeFileSync(join(await mountpoint("followed"), "random"), randomBytes(48 * 1024 * 1024));
  const operation = "0123456789abcdef";
  const progress = async () => {
    const res = await api(engine(), "GET", `/v1.45/moor/operations/${operation}`);
    return { status: res.status, body: JSON.parse(res.body) as { Done?: number; Total?: number; message?: string } };
  };
  const response = await new Promise<IncomingMessage>((resolveResponse, reject) => {
    request({ socketPath: engine().socket, path: `/v1.45/moor/volumes/followed/backup?operation=${operation}` }, resolveResponse).on("error", reject).end();
  });
  // Nobody reads the archive yet: the backup stands part way.
  let during = await progress();
  for (let waited = 0; during.status !== 200 || during.body.Done === 0; waited += 50) {
    assert.ok(waited < 10_000, `the backup began: ${JSON.stringify(during)}`);
    await new Promise((r) => setTimeout(r, 50));
    during = await progress();
  }
  assert.equal(during.status, 200);
  assert.equal(during.body.Total, 48 * 1024 * 1024, "the total is the volume's size");
  assert.ok(during.body.Done! > 0 && during.body.Done! < during.body.Total!, `part way: ${JSON.stringify(during.body)}`);
  let archiveBytes = 0;
  for await (const chunk of response) archiveBytes += (chunk as Buffer).length;
  assert.ok(archiveBytes > 48 * 1024 * 1024);
  assert.deepEqual(await progress(), { status: 404, body: { message: `no operation ${operation} is under way` } });
  const refused = await api(engine(), "GET", "/v1.45/moor/volumes/followed/backup?operation=NOT-HEX");
  assert.deepEqual([refused.status, JSON.parse(refused.body).message], [400, 'invalid operation id "NOT-HEX": 16 to 64 lowercase hex digits']);
});

test("clone copies a volume with its metadata and labels; an existing target or a written-to source is refused", async () => {
  const source = await filledVolume("orig");
  assert.equal(await ok(["volume", "clone", "orig", "orig-clone"]), "orig-clone\n");
  assert.deepEqual(describeTree(await mountpoint("orig-clone")), describeTree(source));
  assert.equal((await ok(["volume", "inspect", "--format", "{{json .Labels}}", "orig-clone"])).trim(), '{"team":"shop"}');

  const exists = await moor(engine(), ["volume", "clone", "orig", "orig-clone"]);
  assert.equal(exists.code, 1);
  assert.match(exists.stderr, /volume orig-clone already exists: choose another name, or remove it first/);

  await ok(["run", "-d", "--name", "clone-writer", "-v", "orig:/data", "busybox", "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.2; done"]);
  try {
    const busy = await moor(engine(), ["volume", "clone", "orig", "orig-2"]);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /volume orig is in use by running container\(s\) clone-writer, which write to it: a clone now would not be consistent/);
    assert.equal((await moor(engine(), ["volume", "inspect", "orig-2"])).code, 1, "no volume was made");
    assert.equal(await ok(["volume", "clone", "--stop", "orig", "orig-2"]), "orig-2\n");
    assert.equal((await ok(["inspect", "--format", "{{.State.Running}}", "clone-writer"])).trim(), "true");
  } finally {
    await moor(engine(), ["rm", "-f", "clone-writer"]);
  }
});

test("rename: the volume and its data take the new name; a volume a container refers to is refused", async () => {
  await ok(["volume", "create", "--label", "team=shop", "old-name"]);
  writeFileSync(join(await mountpoint("old-name"), "rows"), "row\n");
  assert.equal(await ok(["volume", "rename", "old-name", "new-name"]), "new-name\n");
  assert.equal(readFileSync(join(await mountpoint("new-name"), "rows"), "utf8"), "row\n");
  assert.equal((await ok(["volume", "inspect", "--format", "{{json .Labels}}", "new-name"])).trim(), '{"team":"shop"}');
  assert.equal((await moor(engine(), ["volume", "inspect", "old-name"])).code, 1);

  const id = (await ok(["create", "-v", "new-name:/data", "busybox", "true"])).trim();
  try {
    const refused = await moor(engine(), ["volume", "rename", "new-name", "newer-name"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`volume new-name is used by container\\(s\\) ${id.slice(0, 12)}: a container refers to its volumes by name`));
    const taken = await moor(engine(), ["volume", "rename", "new-name", "keep"]);
    assert.match(taken.stderr, /volume keep already exists: choose another name/);
  } finally {
    await moor(engine(), ["rm", id]);
  }
});

test("export and import: a plain tar of the content that moves a volume faithfully; hostile members refused", async () => {
  const source = await filledVolume("exported");
  const archive = join(work, "exported.tar");
  await ok(["volume", "export", "exported", "-o", archive]);
  const names = execFileSync("tar", ["-tf", archive], { encoding: "utf8" }).split("\n");
  assert.ok(names.includes("./dir/file.txt"), "a plain tar of the content, as podman volume export writes it");
  const streamed = join(work, "exported-streamed.tar");
  const streamedFd = openSync(streamed, "w");
  try {
    execFileSync(moorBin, ["volume", "export", "exported"], { env: { ...process.env, MOOR_HOST: engine().host }, stdio: ["ignore", streamedFd, "inherit"] });
  } finally {
    closeSync(streamedFd);
  }
  assert.deepEqual(execFileSync("tar", ["-tvf", streamed], { encoding: "utf8" }), execFileSync("tar", ["-tvf", archive], { encoding: "utf8" }), "streamed to stdout, the same archive as written by the engine");

  assert.match(await ok(["volume", "import", "imported", archive]), /^Imported 2 files, .* into volume imported\n$/);
  assert.deepEqual(describeTree(await mountpoint("imported")), describeTree(source));
  const piped = await moor(engine(), ["volume", "import", "imported", "-"], { input: readFileSync(archive).toString("latin1") });
  assert.equal(piped.code, 1, "an existing, non-empty volume needs --force");
  assert.match(piped.stderr, /volume imported is not empty: replace its data with --force/);

  const hostile = Buffer.concat([await encodeTarHeader(tarHeader({ name: "../escape", type: "0", size: 1 })), Buffer.from("x"), tarPadding(1), tarEnd]);
  writeFileSync(join(work, "hostile-plain.tar"), hostile);
  const refused = await moor(engine(), ["volume", "import", "hostile-plain", join(work, "hostile-plain.tar")]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /the archive cannot be imported: member "..\/escape" would be written outside the volume; nothing was changed/);
  assert.equal((await moor(engine(), ["volume", "inspect", "hostile-plain"])).code, 1);
});

test("sizes: volume ls --size, volume inspect --size and system df show each volume's size and links, as docker does", async () => {
  await ok(["volume", "create", "sized"]);
  writeFileSync(join(await mountpoint("sized"), "kilobytes"), Buffer.alloc(5000));
  const id = (await ok(["create", "-v", "sized:/data", "busybox", "true"])).trim();
  try {
    const listed = await ok(["volume", "ls", "--size", "--filter", "name=sized"]);
    assert.match(listed, /^DRIVER +VOLUME NAME +LINKS +SIZE\nlocal +sized +1 +5kB\n$/);
    const [inspected] = JSON.parse(await ok(["volume", "inspect", "--size", "sized"])) as Array<{ UsageData: { Size: number; RefCount: number } }>;
    assert.deepEqual(inspected.UsageData, { Size: 5000, RefCount: 1 });
    assert.match(await ok(["volume", "ls", "--filter", "name=sized"]), /^DRIVER +VOLUME NAME\nlocal +sized\n$/, "without --size, docker's columns");

    // moor system df prints what the docker CLI prints from the same engine (times aside, which
    // may tick between the two).
    const timeless = (text: string) => text.replace(/(Less than a second|About an? (minute|hour)|\d+ (second|minute|hour|day|week|month|year)s?)( ago)?/g, "T").replace(/ {2,}/g, "  ");
    for (const args of [["system", "df"], ["system", "df", "-v"], ["system", "df", "--format", "json"]]) {
      const [fromMoor, fromDocker] = await Promise.all([ok(args), docker(engine(), args)]);
      assert.equal(timeless(fromMoor), timeless(fromDocker.stdout), args.join(" "));
    }
    assert.match(await ok(["system", "df", "-v"]), /\nLocal Volumes space usage:\n\nVOLUME NAME +LINKS +SIZE\n(.*\n)*sized +1 +5kB\n/);
  } finally {
    await moor(engine(), ["rm", id]);
  }
});

/** What docker cp keeps of each entry under `root`: modes, times in seconds, links, content; owners if asked. */
function describeCopy(root: string, options: { owners: boolean }): string[] {
  return describeTree(root).map((line) => {
    const [path, mode, owner, size, mtime, ...rest] = line.split(" ");
    const seconds = `mtime=${BigInt(mtime.slice("mtime=".length)) / 1_000_000_000n}`;
    const kept = rest.filter((part) => part.startsWith("->") || part.startsWith("hardlink=") || part.startsWith("sha=") || !part.includes("=") || part.startsWith("blocks"));
    return [path, mode, options.owners ? owner : "", size, seconds, ...kept.filter((part) => !part.startsWith("user.") && !part.startsWith("system."))].join(" ");
  });
}

function moorTar(args: string[]): Buffer {
  return execFileSync(moorBin, args, { env: { ...process.env, MOOR_HOST: engine().host } });
}

test("volume cp: a directory into a volume, out of it and between volumes keeps modes, times, links and owners", async () => {
  const local = join(work, "cp-local");
  mkdirSync(join(local, "site/css"), { recursive: true });
  writeFileSync(join(local, "site/index.html"), "<h1>shop</h1>\n", { mode: 0o640 });
  chownSync(join(local, "site/index.html"), 1234, 5678);
  writeFileSync(join(local, "site/css/main.css"), "body {}\n");
  symlinkSync("index.html", join(local, "site/home"));
  linkSync(join(local, "site/css/main.css"), join(local, "site/css/copy.css"));
  utimesSync(join(local, "site/css"), new Date("2021-05-06T07:08:09Z"), new Date("2021-05-06T07:08:09Z"));

  await ok(["volume", "create", "cp-data"]);
  await ok(["volume", "cp", join(local, "site"), "cp-data:/"]);
  const data = await mountpoint("cp-data");
  assert.deepEqual(describeCopy(join(data, "site"), { owners: true }), describeCopy(join(local, "site"), { owners: true }), "in: the archive's owners kept");

  const out = join(work, "cp-out");
  await ok(["volume", "cp", "cp-data:/site", out]);
  assert.deepEqual(describeCopy(out, { owners: false }), describeCopy(join(local, "site"), { owners: false }), "out: owned by the local user, as docker cp does");

  await ok(["volume", "create", "cp-other"]);
  await ok(["volume", "cp", "cp-data:/site", "cp-other:/www"]);
  const other = await mountpoint("cp-other");
  assert.deepEqual(describeCopy(join(other, "www"), { owners: true }), describeCopy(join(local, "site"), { owners: true }), "between volumes");

  await ok(["volume", "cp", join(local, "site/index.html"), "cp-other:/www/css/"]);
  const names = execFileSync("tar", ["-t"], { input: moorTar(["volume", "cp", "cp-other:/www/css", "-"]), encoding: "utf8" }).split("\n").filter(Boolean).sort();
  assert.deepEqual(names, ["css/", "css/copy.css", "css/index.html", "css/main.css"], "- writes a tar stream named as docker cp names it");
  execFileSync(moorBin, ["volume", "cp", "-", "cp-other:/www"], { input: execFileSync("tar", ["-C", local, "-c", "site/home"]), env: { ...process.env, MOOR_HOST: engine().host } });
  assert.equal(readlinkSync(join(other, "www/site/home")), "index.html", "- as the source extracts a tar stream");

  assert.equal(await ok(["run", "--rm", "-v", "cp-other:/srv", "busybox", "cat", "/srv/www/css/index.html"]), "<h1>shop</h1>\n", "a container sees what was copied in");
});

test("volume cp never reaches outside the volume: hostile symlinks and archive members", async () => {
  const hostDir = mkdtempSync(join(tmpdir(), "moor-volume-cp-host-"));
  try {
    writeFileSync(join(hostDir, "secret"), "host secret\n");
    await ok(["volume", "create", "cp-hostile"]);
    const data = await mountpoint("cp-hostile");
    mkdirSync(join(data, "etc"));
    writeFileSync(join(data, "etc/passwd"), "volume's own\n");
    symlinkSync("/", join(data, "evil"));
    symlinkSync("../../../../etc", join(data, "rel"));
    symlinkSync(hostDir, join(data, "hostlink"));

    // Out: links lead to the volume's own files, never the host's.
    assert.deepEqual(await moor(engine(), ["volume", "cp", "cp-hostile:/hostlink/secret", "-"]), {
      code: 1,
      stdout: "",
      stderr: "Error response from daemon: Could not find the file /hostlink/secret in volume cp-hostile\n",
    });
    assert.equal(execFileSync("tar", ["-xO"], { input: moorTar(["volume", "cp", "cp-hostile:/rel/passwd", "-"]), encoding: "utf8" }), "volume's own\n");
    const linkOut = join(work, "hostlink-out");
    await ok(["volume", "cp", "cp-hostile:/hostlink", linkOut]);
    assert.equal(readlinkSync(linkOut), hostDir, "a link is copied as a link, even one that leads nowhere in the volume");

    // In: written through the links, files land inside the volume.
    const local = join(work, "cp-pwned");
    writeFileSync(local, "pwned\n");
    await ok(["volume", "cp", local, "cp-hostile:/evil/"]);
    await ok(["volume", "cp", local, "cp-hostile:/rel/"]);
    await moor(engine(), ["volume", "cp", local, "cp-hostile:/hostlink/"]);
    assert.equal(readFileSync(join(data, "cp-pwned"), "utf8"), "pwned\n", "/ is the volume's root");
    assert.equal(readFileSync(join(data, "etc/cp-pwned"), "utf8"), "pwned\n", "../../../../etc is the volume's /etc");
    assert.deepEqual(readdirSync(hostDir), ["secret"], "the host directory got nothing");
    assert.equal(existsSync("/etc/cp-pwned"), false, "the host's /etc got nothing");

    const outside = Buffer.concat([await encodeTarHeader(tarHeader({ name: "../escape", type: "0", size: 1 })), Buffer.from("x"), tarPadding(1), tarEnd]);
    const refused = await moor(engine(), ["volume", "cp", "-", "cp-hostile:/"], { input: outside.toString("latin1") });
    assert.equal(refused.code, 1);
    assert.equal(existsSync(join(data, "../escape")), false, "nothing beside the volume's data");
    const up = Buffer.concat([await encodeTarHeader(tarHeader({ name: "up", type: "2", linkname: "../../../../usr" })), tarEnd]);
    assert.deepEqual(await moor(engine(), ["volume", "cp", "-", "cp-hostile:/etc"], { input: up.toString("latin1") }), {
      code: 1,
      stdout: "",
      stderr: 'Error response from daemon: invalid symlink "/etc/up" -> "../../../../usr"\n',
    });
  } finally {
    rmSync(hostDir, { recursive: true, force: true });
  }
});

test("volume cp copies a name that is not UTF-8 as its bytes, either way, instead of leaving the file out", async () => {
  await ok(["volume", "create", "cp-bytes"]);
  const source = join(work, "cp-bytes-src");
  mkdirSync(source);
  writeFileSync(join(source, "plain"), "plain\n");
  const odd = Buffer.concat([Buffer.from(`${source}/f`), Buffer.of(0xff)]);
  writeFileSync(odd, "not UTF-8\n");
  assert.deepEqual(await moor(engine(), ["volume", "cp", source, "cp-bytes:/"]), { code: 0, stdout: "", stderr: "" });
  const inVolume = await mountpoint("cp-bytes");
  assert.equal(readFileSync(Buffer.concat([Buffer.from(`${inVolume}/cp-bytes-src/f`), Buffer.of(0xff)])).toString(), "not UTF-8\n");

  writeFileSync(Buffer.concat([Buffer.from(`${inVolume}/g`), Buffer.of(0xfe)]), "in the volume\n");
  const out = join(work, "cp-bytes-out");
  assert.deepEqual(await moor(engine(), ["volume", "cp", "cp-bytes:/", out]), { code: 0, stdout: "", stderr: "" });
  assert.equal(readFileSync(Buffer.concat([Buffer.from(`${out}/g`), Buffer.of(0xfe)])).toString(), "in the volume\n");
  assert.equal(readFileSync(Buffer.concat([Buffer.from(`${out}/cp-bytes-src/f`), Buffer.of(0xff)])).toString(), "not UTF-8\n");
});

test("volume cp errors say what is wrong", async () => {
  await ok(["volume", "create", "cp-errors"]);
  writeFileSync(join(await mountpoint("cp-errors"), "file"), "x");
  const cases: Array<[string[], string]> = [
    [["volume", "cp", "no-such-volume:/x", work], "Error response from daemon: get no-such-volume: no such volume\n"],
    [["volume", "cp", "cp-errors:/missing", work], "Error response from daemon: Could not find the file /missing in volume cp-errors\n"],
    [["volume", "cp", work, join(work, "elsewhere")], "must specify at least one volume: VOLUME:PATH\n"],
    [["volume", "cp", "-", "cp-errors:/file"], 'destination "cp-errors:/file" must be a directory\n'],
    [["volume", "cp", "cp-errors:/file"], "moor: 'moor volume cp' requires 2 arguments\n\nUsage:  moor volume cp [OPTIONS] VOLUME:SRC_PATH DEST_PATH|-\n\tmoor volume cp [OPTIONS] SRC_PATH|- VOLUME:DEST_PATH\n\tmoor volume cp [OPTIONS] VOLUME:SRC_PATH VOLUME:DEST_PATH\n\nRun 'moor volume cp --help' for more information\n"],
  ];
  for (const [args, stderr] of cases) assert.deepEqual(await moor(engine(), args), { code: 1, stdout: "", stderr }, args.join(" "));
});

test("scheduled backups from the app file: the engine runs them, keeps the newest, records each run; up and down change them", async () => {
  const app = join(work, "scheduled-app");
  mkdirSync(app);
  const compose = (backup: string) =>
    [
      "name: sched",
      "services:",
      "  db:",
      "    image: busybox",
      `    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do date >> /data/log; sleep 0.2; done"]`,
      "    volumes: [data:/data]",
      "volumes:",
      "  data:",
      backup,
    ].join("\n");
  const inApp = (args: string[]) => moor(engine(), args, { cwd: app });
  const history = async () => JSON.parse(await ok(["volume", "backups", "--json", "sched_data"])) as { Schedule: { Schedule: string; Keep: number; Target: string; Writers: string; Owner: string } | null; Runs: Array<{ Status: string; File: string; Pruned: boolean; Bytes: number | null }> };

  writeFileSync(join(app, "compose.yaml"), compose(`    x-moor: {backup: {schedule: "61 * * * *"}}`));
  const refused = await inApp(["up"]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /backup schedule of volume sched_data: invalid cron expression "61 \* \* \* \*": Invalid value for minute: 61/);
  assert.equal((await moor(engine(), ["ps", "-a", "--filter", "label=com.docker.compose.project=sched", "-q"])).stdout, "", "no container was made");

  writeFileSync(join(app, "compose.yaml"), compose(`    x-moor: {backup: {schedule: "* * * * * *", keep: 2, target: ./backups, writers: pause}}`));
  const up = await inApp(["up"]);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stderr, new RegExp(`volume sched_data: backups scheduled: "\\* \\* \\* \\* \\* \\*", newest 2 kept in ${join(app, "backups")}`));
  for (let waited = 0; (await history()).Runs.filter((run) => run.Status === "ok").length < 4; waited += 200) {
    assert.ok(waited < 60_000, `4 runs within a minute: ${JSON.stringify(await history())}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  writeFileSync(join(app, "compose.yaml"), compose(""));
  assert.match((await inApp(["up"])).stderr, /volume sched_data: scheduled backups stopped \(the archives stay\)/);
  // A run under way when the schedule went finishes first.
  let { Schedule, Runs } = await history();
  for (let waited = 0; Runs.some((run) => run.Status === "running"); waited += 100) {
    assert.ok(waited < 30_000, "the last run ends");
    await new Promise((r) => setTimeout(r, 100));
    ({ Schedule, Runs } = await history());
  }
  assert.equal(Schedule, null);
  const done = Runs.filter((run) => run.Status === "ok");
  assert.ok(done.every((run) => run.Bytes !== null && run.Bytes > 0));
  const kept = done.filter((run) => !run.Pruned).map((run) => run.File);
  assert.deepEqual(kept, done.slice(0, 2).map((run) => run.File), "the newest two are kept");
  assert.deepEqual(readdirSync(join(app, "backups")).sort(), kept.map((file) => file.slice(join(app, "backups").length + 1)).sort(), "older archives deleted; no partial file");
  assert.match(await ok(["volume", "verify", kept[0]]), /sched_data/);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await history()).Runs.length, Runs.length, "no run after the schedule was dropped");
  assert.equal((await ok(["inspect", "--format", "{{.State.Status}}", "sched-db-1"])).trim(), "running", "paused only during each run");

  writeFileSync(join(app, "compose.yaml"), compose(`    x-moor: {backup: {schedule: "0 3 * * *"}}`));
  assert.equal((await inApp(["up"])).code, 0);
  const daily = (await history()).Schedule!;
  assert.deepEqual([daily.Schedule, daily.Keep, daily.Target, daily.Writers, daily.Owner], ["0 3 * * *", 7, join(app, "backups"), "stop", "sched"], "the defaults");
  assert.match(await ok(["volume", "backups", "sched_data"]), /^Volume sched_data: backed up on "0 3 \* \* \*" \(next \d{4}-\d\d-\d\d 03:00:00\), newest 7 kept in .*; containers writing to it are stopped; set by sched\.\nSTARTED +STATUS +SIZE +ARCHIVE\n/);
  const listed = await ok(["volume", "backups"]);
  assert.match(listed, /^VOLUME +SCHEDULE +KEEP +NEXT RUN +LAST RUN +TARGET\n/);
  assert.match(listed, new RegExp(`\nsched_data +0 3 \\* \\* \\* +7 +\\d{4}-\\d\\d-\\d\\d 03:00:00 +ok \\d{4}-\\d\\d-\\d\\d [\\d:]+ +${join(app, "backups")}\n`), "every schedule, with its last run");
  const down = await inApp(["down"]);
  assert.match(down.stdout, /scheduled backups of sched_data stopped \(their archives stay\)/);
  assert.equal((await history()).Schedule, null);
});

test("a backup schedule follows its volume's rename, with the record of its runs", async () => {
  await ok(["volume", "create", "sched-old"]);
  const target = join(work, "renamed-backups");
  const set = await api(engine(), "PUT", "/v1.45/moor/volumes/sched-old/backup-schedule", { Schedule: "* * * * * *", Keep: 1, Target: target, Writers: "refuse" });
  assert.equal(set.status, 200, set.body);
  const runsOf = async (volume: string) => (JSON.parse(await ok(["volume", "backups", "--json", volume])) as { Runs: Array<{ Status: string; File: string }> }).Runs;
  const waitFor = async (volume: string, wanted: (runs: Array<{ Status: string; File: string }>) => boolean) => {
    for (let waited = 0; !wanted(await runsOf(volume)); waited += 200) {
      assert.ok(waited < 30_000, `runs of ${volume}: ${JSON.stringify(await runsOf(volume))}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  await waitFor("sched-old", (runs) => runs.some((run) => run.Status === "ok"));
  assert.equal(await ok(["volume", "rename", "sched-old", "sched-new"]), "sched-new\n");
  await waitFor("sched-new", (runs) => runs.some((run) => run.Status === "ok" && run.File.includes("/sched-new-")));
  const runs = await runsOf("sched-new");
  assert.ok(runs.some((run) => run.File.includes("/sched-old-")), "the runs from before the rename are still listed");
  assert.equal((await api(engine(), "DELETE", "/v1.45/moor/volumes/sched-new/backup-schedule")).status, 204);
});
