import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ScopedTree, TreeError, packTree, unpackTar, type Located, type TreeMount } from "./scoped-tree.ts";
import { encodeTarHeader, readTar, tarEnd, tarHeader, tarPadding, TarType, type TarHeader } from "./tar.ts";

// A root filesystem with hostile symlinks, beside a "host" directory they must never reach.
let base: string;
let root: string;
let host: string;
let volume: string;

before(() => {
  base = mkdtempSync(join(tmpdir(), "moor-scoped-"));
  root = join(base, "root");
  host = join(base, "host");
  volume = join(base, "volume");
  for (const dir of [join(root, "etc"), join(root, "d", "sub"), join(root, "data"), join(host, "etc"), volume]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(root, "etc", "passwd"), "container\n");
  writeFileSync(join(host, "etc", "passwd"), "host\n");
  writeFileSync(join(root, "d", "sub", "f"), "hello\n");
  writeFileSync(join(volume, "v"), "in the volume\n");
  symlinkSync("/", join(root, "evil"));
  symlinkSync("../../../../../../../etc", join(root, "rel"));
  symlinkSync(host, join(root, "hostlink"));
  symlinkSync("f", join(root, "d", "sub", "lnk"));
  symlinkSync("loop", join(root, "loop"));
});

after(() => rmSync(base, { recursive: true, force: true }));

async function withTree<T>(work: (tree: ScopedTree) => Promise<T>, mounts: TreeMount[] = []): Promise<T> {
  const tree = await ScopedTree.open(root, { mounts });
  try {
    return await work(tree);
  } finally {
    await tree.close();
  }
}

async function resolved(tree: ScopedTree, path: string, followFinal = false): Promise<string> {
  const located = await tree.locate(path, { followFinal });
  await tree.release(located);
  return located.path;
}

test("symlinks resolve inside the tree: absolute targets from its root, .. stopping at it", async () => {
  await withTree(async (tree) => {
    assert.equal(await resolved(tree, "/evil/etc/passwd"), "/etc/passwd");
    assert.equal(await resolved(tree, "/rel/passwd"), "/etc/passwd");
    await assert.rejects(tree.locate("/hostlink/etc/passwd"), { code: "ENOENT" }, "a host path in a link is a path inside the tree, which has none");
    assert.equal(await resolved(tree, "/../../etc"), "/etc");
    assert.equal(await resolved(tree, "/d/sub/lnk"), "/d/sub/lnk", "the last component is not followed unless asked");
    assert.equal(await resolved(tree, "/d/sub/lnk", true), "/d/sub/f");
    assert.equal(await resolved(tree, "/evil/"), "/", "a trailing slash follows the last component");
    assert.equal(await resolved(tree, "/rel", true), "/etc");
    const stats = await tree.lstat(await tree.locate("/evil/etc/passwd"));
    assert.equal(Number(stats.size), "container\n".length, "the container's file, not the host's");
  });
});

test("missing directories, non-directories and symlink loops fail with the tree's path", async () => {
  await withTree(async (tree) => {
    const missing = await tree.locate("/nonexistent");
    assert.equal(missing.kind, "entry", "a missing last component is fine");
    await tree.release(missing);
    await assert.rejects(tree.locate("/nonexistent/x"), (err: TreeError) => err.code === "ENOENT" && err.message === "lstat /nonexistent: no such file or directory");
    await assert.rejects(tree.locate("/d/sub/f/x/y"), (err: TreeError) => err.code === "ENOTDIR" && err.message === "lstat /d/sub/f/x: not a directory");
    await assert.rejects(tree.locate("/loop/x"), (err: TreeError) => err.code === "ELOOP");
    await assert.rejects(tree.lstat(await tree.locate("/nonexistent")), (err: TreeError) => err.code === "ENOENT");
  });
});

test("mount points show their sources, also where a symlink leads to them", async () => {
  symlinkSync("/data", join(root, "datalink"));
  try {
    await withTree(
      async (tree) => {
        const located = await tree.locate("/datalink/v");
        assert.equal(located.path, "/data/v");
        assert.equal(Number((await tree.lstat(located)).size), "in the volume\n".length);
        await tree.release(located);
        const mountPoint = await tree.locate("/data");
        assert.equal(mountPoint.kind, "open");
        await tree.release(mountPoint);
        assert.equal(tree.mountHolding("/data/x/y")?.source, volume);
        assert.equal(tree.mountHolding("/d"), undefined);
      },
      [{ path: "/data", source: volume, readOnly: false }],
    );
  } finally {
    rmSync(join(root, "datalink"));
  }
});

async function namesAndLinks(archive: AsyncIterable<Buffer>): Promise<string[]> {
  const entries = [];
  for await (const { header, body } of readTar(archive)) {
    let data = "";
    for await (const piece of body) data += piece.toString();
    entries.push(`${header.name}${header.linkname ? ` -> ${header.linkname}` : ""}${data ? ` = ${data.trim()}` : ""}`);
  }
  return entries;
}

test("packTree archives a directory under its name, sorted, symlinks as links, mounts entered", async () => {
  await withTree(
    async (tree) => {
      const d = await tree.locate("/d");
      assert.deepEqual(await namesAndLinks(packTree(tree, d, "d")), ["d/", "d/sub/", "d/sub/f = hello", "d/sub/lnk -> f"]);
      assert.deepEqual(await namesAndLinks(packTree(tree, d, ".")), ["./", "./sub/", "./sub/f = hello", "./sub/lnk -> f"]);
      await tree.release(d);
      const evil = await tree.locate("/evil");
      assert.deepEqual(await namesAndLinks(packTree(tree, evil, "evil")), ["evil -> /"], "a symlink is archived, not followed");
      await tree.release(evil);
      const top = await tree.locate("/");
      const all = await namesAndLinks(packTree(tree, top, ""));
      assert.ok(all.includes("/data/v = in the volume"), "the mount's content, where it is mounted");
      assert.ok(all.includes("/etc/passwd = container"));
      assert.ok(!all.some((entry) => entry.includes("host\n") || entry.startsWith(`${host}`)));
      await tree.release(top);
    },
    [{ path: "/data", source: volume, readOnly: false }],
  );
});

function archiveOf(...entries: Array<{ header: Partial<TarHeader> & { name: string; type: string }; data?: string }>): AsyncIterable<Buffer> {
  const buffers = entries.flatMap(({ header, data = "" }) => [
    encodeTarHeader(tarHeader({ mode: header.type === TarType.directory ? 0o40755 : 0o100644, mtime: 1000, ...header, size: Buffer.byteLength(data) })),
    Buffer.from(data),
    tarPadding(Buffer.byteLength(data)),
  ]);
  return (async function* () {
    yield* buffers;
    yield tarEnd;
  })();
}

const keepOwners = { noOverwriteDirNonDir: true, owner: "unchanged" as const };

test("unpackTar writes through symlinks only inside the tree", async () => {
  await withTree(async (tree) => {
    await unpackTar(
      tree,
      "/",
      archiveOf({ header: { name: "evil/etc/pwned", type: TarType.file }, data: "1" }, { header: { name: "rel/pwned2", type: TarType.file }, data: "2" }, { header: { name: "hostlink/etc/pwned3", type: TarType.file }, data: "3" }),
      keepOwners,
    );
    assert.equal(readFileSync(join(root, "etc", "pwned"), "utf8"), "1");
    assert.equal(readFileSync(join(root, "etc", "pwned2"), "utf8"), "2");
    assert.equal(readFileSync(join(root, host, "etc", "pwned3"), "utf8"), "3", "the host path is made inside the tree");
    assert.equal(existsSync(join(host, "etc", "pwned3")), false, "nothing written on the host");
    assert.equal(readFileSync(join(host, "etc", "passwd"), "utf8"), "host\n");
  });
});

test("unpackTar refuses names and links that leave the destination, with moby's texts", async () => {
  await withTree(async (tree) => {
    await assert.rejects(unpackTar(tree, "/d", archiveOf({ header: { name: "../escape", type: TarType.file } }), keepOwners), {
      message: '"../escape" is outside of "/d"',
    });
    await assert.rejects(unpackTar(tree, "/d", archiveOf({ header: { name: "x", type: TarType.symlink, linkname: "../../etc" } }), keepOwners), {
      message: 'invalid symlink "/d/x" -> "../../etc"',
    });
    await assert.rejects(unpackTar(tree, "/d", archiveOf({ header: { name: "h", type: TarType.hardLink, linkname: "../etc/passwd" } }), keepOwners), {
      message: 'invalid hardlink "/etc/passwd" -> "../etc/passwd"',
    });
    assert.equal(existsSync(join(root, "escape")), false);
    // An absolute target stays inside the tree when followed, so it is allowed (moby joins it to the directory).
    await unpackTar(tree, "/d", archiveOf({ header: { name: "abs", type: TarType.symlink, linkname: "/etc" } }), keepOwners);
    assert.equal(readlinkSync(join(root, "d", "abs")), "/etc");
  });
});

test("unpackTar replaces files, merges directories, and refuses a directory for a file with noOverwriteDirNonDir", async () => {
  await withTree(async (tree) => {
    await unpackTar(
      tree,
      "/d",
      archiveOf(
        { header: { name: "new/", type: TarType.directory, mode: 0o40700 } },
        { header: { name: "new/file", type: TarType.file, mode: 0o100600, mtime: 12345 }, data: "data" },
        { header: { name: "new/link", type: TarType.symlink, linkname: "file" } },
        { header: { name: "new/hard", type: TarType.hardLink, linkname: "new/file" } },
        { header: { name: "implied/dir/file", type: TarType.file }, data: "x" },
      ),
      keepOwners,
    );
    const file = lstatSync(join(root, "d", "new", "file"));
    assert.equal(file.mode & 0o7777, 0o600);
    assert.equal(file.mtimeMs, 12345 * 1000);
    assert.equal(file.nlink, 2, "the hard link shares the file");
    assert.equal(lstatSync(join(root, "d", "new")).mode & 0o7777, 0o700);
    assert.equal(lstatSync(join(root, "d", "new")).mtimeMs, 1000 * 1000, "directory times are set last");
    assert.equal(lstatSync(join(root, "d", "implied", "dir")).mode & 0o7777, 0o755);
    await unpackTar(tree, "/d", archiveOf({ header: { name: "new/file", type: TarType.file }, data: "replaced" }), keepOwners);
    assert.equal(readFileSync(join(root, "d", "new", "file"), "utf8"), "replaced");
    await assert.rejects(unpackTar(tree, "/d", archiveOf({ header: { name: "new", type: TarType.file } }), keepOwners), {
      message: 'cannot overwrite directory "/d/new" with non-directory "/d"',
    });
    await assert.rejects(unpackTar(tree, "/d", archiveOf({ header: { name: "new/file/", type: TarType.directory } }), keepOwners), {
      message: 'cannot overwrite non-directory "/d/new/file" with directory "/d"',
    });
    await unpackTar(tree, "/d", archiveOf({ header: { name: "new", type: TarType.file }, data: "now a file" }), { ...keepOwners, noOverwriteDirNonDir: false });
    assert.equal(readFileSync(join(root, "d", "new"), "utf8"), "now a file");
  });
});

test("unpackTar sets the archive's owners, or one owner for all", { skip: process.getuid?.() !== 0 && "needs root" }, async () => {
  await withTree(async (tree) => {
    await unpackTar(tree, "/d", archiveOf({ header: { name: "owned", type: TarType.file, uid: 1234, gid: 5678 } }), { noOverwriteDirNonDir: true, owner: "archive" });
    assert.deepEqual([lstatSync(join(root, "d", "owned")).uid, lstatSync(join(root, "d", "owned")).gid], [1234, 5678]);
    await unpackTar(tree, "/d", archiveOf({ header: { name: "forced", type: TarType.symlink, linkname: "owned", uid: 1 } }), { noOverwriteDirNonDir: true, owner: { uid: 42, gid: 43 } });
    assert.deepEqual([lstatSync(join(root, "d", "forced")).uid, lstatSync(join(root, "d", "forced")).gid], [42, 43]);
  });
});

test("read-only mounts and trees refuse writes; mount points are not replaced", async () => {
  await withTree(
    async (tree) => {
      await assert.rejects(unpackTar(tree, "/data", archiveOf({ header: { name: "x", type: TarType.file } }), keepOwners), { message: "open /data/x: read-only file system" });
      await assert.rejects(unpackTar(tree, "/", archiveOf({ header: { name: "data", type: TarType.file } }), { ...keepOwners, noOverwriteDirNonDir: false }), {
        message: "unlinkat /data: device or resource busy",
      });
    },
    [{ path: "/data", source: volume, readOnly: true }],
  );
  const readOnly = await ScopedTree.open(root, { readOnly: true });
  try {
    await assert.rejects(unpackTar(readOnly, "/d", archiveOf({ header: { name: "x", type: TarType.file } }), keepOwners), { message: "open /d/x: read-only file system" });
  } finally {
    await readOnly.close();
  }
});

test("a host directory as the tree: messages carry the host path", async () => {
  const dest = mkdtempSync(join(tmpdir(), "moor-scoped-dest-"));
  try {
    const tree = await ScopedTree.open(dest);
    try {
      const options = { noOverwriteDirNonDir: true, owner: "unchanged" as const, displayRoot: dest };
      await assert.rejects(unpackTar(tree, "/", archiveOf({ header: { name: "x", type: TarType.symlink, linkname: "../../etc" } }), options), {
        message: `invalid symlink "${dest}/x" -> "../../etc"`,
      });
      await unpackTar(tree, "/", archiveOf({ header: { name: "a/", type: TarType.directory } }, { header: { name: "a/b", type: TarType.symlink, linkname: "../a" } }), options);
      assert.equal(readlinkSync(join(dest, "a", "b")), "../a");
    } finally {
      await tree.close();
    }
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
});

// Keeps the type import used when the file is read alone.
export type { Located };
