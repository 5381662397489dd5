import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chownSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { contextArchive, prepareBuildContext, readDockerignore } from "./build-context.ts";
import { trimBuildFilesFromExcludes } from "../util/dockerignore.ts";
import { nameText } from "../util/name-text.ts";
import { readTar, TarType, writeTar, tarHeader, type TarHeader } from "../util/tar.ts";

const root = mkdtempSync(join(tmpdir(), "moor-build-context-"));
after(() => rmSync(root, { recursive: true, force: true }));

let dirCount = 0;
/** A fresh directory holding `files` (a path ending in "/" is a directory). */
function tree(files: Record<string, string>): string {
  const dir = join(root, `t${++dirCount}`);
  mkdirSync(dir);
  for (const [path, content] of Object.entries(files)) {
    if (path.endsWith("/")) mkdirSync(join(dir, path), { recursive: true });
    else {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
  }
  return dir;
}

interface Entry {
  header: TarHeader;
  data: string;
}

async function entriesOf(archive: AsyncIterable<Buffer>): Promise<Entry[]> {
  const entries: Entry[] = [];
  for await (const { header, body } of readTar(archive)) {
    const parts: Buffer[] = [];
    for await (const part of body) parts.push(Buffer.from(part));
    entries.push({ header, data: Buffer.concat(parts).toString() });
  }
  return entries;
}

async function namesOf(archive: AsyncIterable<Buffer>): Promise<string[]> {
  return (await entriesOf(archive)).map((entry) => entry.header.name);
}

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}

test("a context archive keeps types, modes, mtimes and links, resets owners, and lists a directory before its content in byte order", async () => {
  const dir = tree({ "b.txt": "bee", "a/": "", "a/z": "zed", "A/x": "ex", "é": "e", _: "" });
  symlinkSync("b.txt", join(dir, "link"));
  linkSync(join(dir, "b.txt"), join(dir, "a/hard"));
  execFileSync("mkfifo", [join(dir, "fifo")]);
  chmodSync(join(dir, "a/z"), 0o4750);
  utimesSync(join(dir, "b.txt"), 981173106.7, 981173106.7);
  if (process.getuid?.() === 0) chownSync(join(dir, "b.txt"), 1234, 5678);

  const entries = await entriesOf(contextArchive(dir, { excludes: [] }));
  assert.deepEqual(
    entries.map(({ header }) => [header.name, header.type, header.mode, header.uid, header.gid, header.uname, header.linkname]),
    [
      ["A/", TarType.directory, 0o755, 0, 0, "", ""],
      ["A/x", TarType.file, 0o644, 0, 0, "", ""],
      ["_", TarType.file, 0o644, 0, 0, "", ""],
      ["a/", TarType.directory, 0o755, 0, 0, "", ""],
      ["a/hard", TarType.file, 0o644, 0, 0, "", ""],
      ["a/z", TarType.file, 0o4750, 0, 0, "", ""],
      // The second name of a file is a link to the first one archived.
      ["b.txt", TarType.hardLink, 0o644, 0, 0, "", "a/hard"],
      ["fifo", TarType.fifo, 0o644, 0, 0, "", ""],
      ["link", TarType.symlink, 0o777, 0, 0, "", "b.txt"],
      ["é", TarType.file, 0o644, 0, 0, "", ""],
    ],
  );
  const byName = new Map(entries.map((entry) => [entry.header.name, entry]));
  assert.equal(byName.get("a/hard")?.data, "bee");
  assert.equal(byName.get("a/hard")?.header.mtime, 981173106);
  assert.equal(byName.get("a/z")?.data, "zed");
});

test(".dockerignore patterns exclude files and directories; an exception reopens a directory without adding it", async () => {
  const dir = tree({
    Dockerfile: "FROM scratch\n",
    "keep.txt": "",
    "notes.md": "",
    "docs/a.md": "",
    "docs/README.md": "",
    "node_modules/x/index.js": "",
    "build/out/keep/k": "",
    "build/out/drop": "",
    "cache/keep/k": "",
    ".dockerignore": "# comment\n*.md\n**/*.md\n!docs/README.md\nnode_modules\n/build\n!build/out/keep\ncache\n!*/keep\n",
  });
  const excludes = await readDockerignore(dir);
  assert.deepEqual(excludes, ["*.md", "**/*.md", "!docs/README.md", "node_modules", "build", "!build/out/keep", "cache", "!*/keep"]);
  // "cache" stays skipped: "*/keep" does not start with "cache/" (go-archive compares text, not matches).
  assert.deepEqual(await namesOf(contextArchive(dir, { excludes })), [".dockerignore", "Dockerfile", "build/out/keep/", "build/out/keep/k", "docs/", "docs/README.md", "keep.txt"]);
});

test("the Dockerfile and .dockerignore are archived even when the patterns exclude them", async () => {
  const dir = tree({ Dockerfile: "", "sub/Dockerfile": "", other: "", ".dockerignore": "*\n" });
  const excludes = trimBuildFilesFromExcludes(await readDockerignore(dir), "Dockerfile", false);
  assert.deepEqual(excludes, ["*", "!.dockerignore", "!Dockerfile"]);
  assert.deepEqual(await namesOf(contextArchive(dir, { excludes })), [".dockerignore", "Dockerfile"]);
  const built = await prepareBuildContext({ context: dir, dockerfile: join(dir, "sub/Dockerfile") });
  assert.equal(built.dockerfile, "sub/Dockerfile");
  assert.deepEqual(await namesOf(built.body), [".dockerignore", "sub/Dockerfile"]);
  assert.deepEqual(await readDockerignore(tree({})), []);
});

test("the Dockerfile: PATH/Dockerfile, else PATH/dockerfile; -f is relative to the working directory; symlinks are resolved", async () => {
  const dir = tree({ "ctx/dockerfile": "lower", "ctx/sub/Build.df": "", "ctx/f": "" });
  assert.equal((await prepareBuildContext({ context: join(dir, "ctx") })).dockerfile, "dockerfile");
  assert.equal((await prepareBuildContext({ context: "ctx", dockerfile: "ctx/sub/Build.df", cwd: dir })).dockerfile, "sub/Build.df");
  symlinkSync("ctx", join(dir, "ctx-link"));
  symlinkSync("sub/Build.df", join(dir, "ctx/df-link"));
  const built = await prepareBuildContext({ context: "ctx-link", dockerfile: "ctx-link/df-link", cwd: dir });
  assert.equal(built.dockerfile, "sub/Build.df");
  assert.deepEqual(await namesOf(built.body), ["df-link", "dockerfile", "f", "sub/", "sub/Build.df"]);
});

test("a Dockerfile outside the context, or from stdin, goes in under a random name that .dockerignore lists", async () => {
  const dir = tree({ "ctx/data": "data", "ctx/.dockerignore": "secret", "ctx/secret": "", "plain/data": "", "Dockerfile.out": "FROM outside\n" });
  const built = await prepareBuildContext({ context: "ctx", dockerfile: "Dockerfile.out", cwd: dir });
  assert.match(built.dockerfile, /^\.dockerfile\.[0-9a-f]{20}$/);
  const entries = await entriesOf(built.body);
  assert.deepEqual(
    entries.map(({ header }) => header.name),
    [".dockerignore", "data", built.dockerfile],
  );
  assert.equal(entries[0].data, `secret\n${built.dockerfile}\n`);
  assert.deepEqual([entries[2].data, entries[2].header.mode, entries[2].header.uid], ["FROM outside\n", 0o600, 0]);

  // Without a .dockerignore, one is made that leaves out itself and the Dockerfile.
  const fromStdin = await prepareBuildContext({ context: join(dir, "plain"), dockerfile: "-", stdin: once(Buffer.from("FROM stdin\n")) });
  const stdinEntries = await entriesOf(fromStdin.body);
  assert.deepEqual(
    stdinEntries.map(({ header, data }) => [header.name, data]),
    [
      ["data", ""],
      [fromStdin.dockerfile, "FROM stdin\n"],
      [".dockerignore", `.dockerignore\n${fromStdin.dockerfile}\n`],
    ],
  );
});

test("a stdin context: a Dockerfile alone becomes an archive; an archive, compressed or not, is sent as it is", async () => {
  const dockerfile = await prepareBuildContext({ context: "-", stdin: once(Buffer.from("FROM scratch\n")) });
  assert.equal(dockerfile.dockerfile, "Dockerfile");
  assert.deepEqual(
    (await entriesOf(dockerfile.body)).map(({ header, data }) => [header.name, header.type, data]),
    [["Dockerfile", TarType.file, "FROM scratch\n"]],
  );

  const chunks: Buffer[] = [];
  for await (const chunk of writeTar([{ header: tarHeader({ name: "sub/Dockerfile", type: TarType.file, size: 2 }), body: [Buffer.from("hi")] }])) chunks.push(chunk);
  for (const archive of [Buffer.concat(chunks), gzipSync(Buffer.concat(chunks))]) {
    const built = await prepareBuildContext({ context: "-", dockerfile: "sub/Dockerfile", stdin: once(archive) });
    assert.equal(built.dockerfile, "sub/Dockerfile");
    const sent: Buffer[] = [];
    for await (const chunk of built.body) sent.push(chunk);
    assert.deepEqual(Buffer.concat(sent), archive);
  }
  await assert.rejects(prepareBuildContext({ context: "-", dockerfile: "x", stdin: once(Buffer.from("FROM scratch\n")) }), {
    message: "unable to prepare context: ambiguous Dockerfile source: both stdin and flag correspond to Dockerfiles",
  });
  await assert.rejects(prepareBuildContext({ context: "-", dockerfile: "-" }), { message: "invalid argument: can't use stdin for both build context and dockerfile" });
});

test("docker's messages when a context cannot be prepared", async () => {
  const dir = tree({ "ctx/Dockerfile": "", "empty/": "", file: "", "bad/Dockerfile": "", "bad/.dockerignore": "[\n", "bang/Dockerfile": "", "bang/.dockerignore": "!\n", "dirignore/Dockerfile": "", "dirignore/.dockerignore/": "" });
  const cases: Array<[context: string, dockerfile: string | undefined, message: string]> = [
    ["nope", undefined, 'unable to prepare context: path "nope" not found'],
    ["file", undefined, `unable to prepare context: context must be a directory: ${dir}/file`],
    ["empty", undefined, `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${dir}/empty/Dockerfile: no such file or directory`],
    ["ctx", "nope/Dockerfile", `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${dir}/nope: no such file or directory`],
    ["ctx", "file/Dockerfile", "unable to prepare context: unable to evaluate symlinks in Dockerfile path: not a directory"],
    ["bad", undefined, "error checking context: syntax error in pattern"],
    ["bang", undefined, 'error checking context: illegal exclusion pattern: "!"'],
    ["dirignore", undefined, `error reading .dockerignore: read ${dir}/dirignore/.dockerignore: is a directory`],
  ];
  for (const [context, dockerfile, message] of cases) await assert.rejects(prepareBuildContext({ context, dockerfile, cwd: dir }), { message }, context);
});

test("a name that is not UTF-8 in the context is sent as its bytes, and .dockerignore can exclude it", async () => {
  const dir = tree({ "sent/Dockerfile": "", "sent/sub/": "", "excluded/Dockerfile": "", "excluded/.dockerignore": "sub/f*\n", "excluded/sub/": "" });
  for (const context of ["sent", "excluded"]) writeFileSync(Buffer.concat([Buffer.from(`${dir}/${context}/sub/f`), Buffer.of(0xff)]), "x");
  const sent = await prepareBuildContext({ context: "sent", cwd: dir });
  assert.deepEqual((await namesOf(sent.body)).filter((name) => name.startsWith("sub")), ["sub/", nameText(Buffer.from("sub/f\xff", "latin1"))]);
  const excluded = await prepareBuildContext({ context: "excluded", cwd: dir });
  assert.deepEqual((await namesOf(excluded.body)).filter((name) => name.startsWith("sub")), ["sub/"]);
});

/** What an entry is, for comparing two archives (PAX records aside: both say the same things differently). */
function summary({ header, data }: Entry): string {
  const { name, type, mode, uid, gid, uname, gname, size, mtime, linkname, devmajor, devminor } = header;
  return JSON.stringify({ name, type, mode, uid, gid, uname, gname, size, mtime, linkname, devmajor, devminor, data: createHash("sha256").update(data).digest("hex") });
}

const hasDockerCli = (() => {
  try {
    execFileSync("docker", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

test("the archive is the one the docker CLI's legacy builder sends", { skip: !hasDockerCli && "no docker CLI" }, async () => {
  const dir = tree({
    "ctx/Dockerfile": "FROM scratch\n",
    "ctx/.dockerignore": "*.log\nvendor\n!vendor/keep\nDockerfile\n",
    "ctx/app/main.js": "main",
    "ctx/app/debug.log": "",
    "ctx/vendor/keep/k": "k",
    "ctx/vendor/drop/d": "d",
    "ctx/Z": "",
    "ctx/ü": "u",
  });
  const context = join(dir, "ctx");
  symlinkSync("app/main.js", join(context, "main"));
  linkSync(join(context, "Z"), join(context, "app/Z2"));
  chmodSync(join(context, "app"), 0o2775);
  writeFileSync(Buffer.concat([Buffer.from(`${context}/app/n`), Buffer.of(0xe9)]), "latin-1 name");
  symlinkSync(Buffer.concat([Buffer.from("t"), Buffer.of(0xff)]), join(context, "odd-link"));
  utimesSync(join(context, "Z"), 1e9, 1e9);

  // A stand-in engine that keeps what the CLI sends.
  let sent: { url: string; body: Buffer } | undefined;
  const socket = join(dir, "engine.sock");
  const server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on("data", (part: Buffer) => parts.push(part));
    request.on("end", () => {
      response.setHeader("Api-Version", "1.41");
      response.setHeader("Content-Type", "application/json");
      if (request.url?.includes("/build")) {
        sent = { url: request.url, body: Buffer.concat(parts) };
        response.end('{"stream":"Successfully built 0123456789ab\\n"}\n');
      } else response.end(request.method === "HEAD" ? undefined : "OK");
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  try {
    await promisify(execFile)("docker", ["-H", `unix://${socket}`, "build", context], { env: { ...process.env, DOCKER_BUILDKIT: "0", DOCKER_CONFIG: dir } });
  } finally {
    server.close();
  }
  assert.ok(sent !== undefined);
  assert.match(sent.url, /[?&]dockerfile=Dockerfile(&|$)/);
  const ours = await prepareBuildContext({ context });
  assert.equal(ours.dockerfile, "Dockerfile");
  const expected = (await entriesOf(once(sent.body))).map(summary);
  assert.deepEqual((await entriesOf(ours.body)).map(summary), expected);
  assert.ok(expected.length >= 9, "the comparison covers the tree");
  assert.equal(readFileSync(join(context, "Z"), "utf8"), "");
});
