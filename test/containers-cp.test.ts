// docker cp / moor cp: files and directories in and out of created and running containers, tar
// streams, volumes, dockerd's errors, and hostile symlinks that must not reach the host. The
// expected texts were taken from a reference dockerd and docker CLI 28 running the same
// commands. Needs root, busybox-static and a built binary.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { api, docker, importBusybox, moor, moorBin, useEngine, type TestEngine } from "./support/engine.ts";
import { encodeTarHeader, tarEnd, tarHeader, TarType } from "../src/util/tar.ts";

let work: string;
const engine = useEngine(async (started) => {
  work = mkdtempSync(join(tmpdir(), "moor-cp-"));
  await importBusybox(started, { changes: ['CMD ["/bin/sh"]'] });
});

after(() => {
  rmSync(work, { recursive: true, force: true });
});

interface BinaryResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a command with binary stdin and stdout (tar streams). */
function capture(file: string, args: string[], env: NodeJS.ProcessEnv, input?: Buffer): Promise<BinaryResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } });
    const stdout: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolveRun({ code, stdout: Buffer.concat(stdout), stderr }));
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

function dockerBinary(target: TestEngine, args: string[], input?: Buffer): Promise<BinaryResult> {
  const config = mkdtempSync(join(tmpdir(), "moor-docker-config-"));
  return capture("docker", ["-H", target.host, ...args], { DOCKER_CONFIG: config, DOCKER_CLI_HINTS: "false" }, input).finally(() => rmSync(config, { recursive: true, force: true }));
}

function moorBinary(target: TestEngine, args: string[], input?: Buffer): Promise<BinaryResult> {
  return capture(moorBin, args, { MOOR_HOST: target.host }, input);
}

/** The CLIs under test, each against the moor engine. */
const clis = [
  { name: "docker", binary: dockerBinary, text: docker },
  { name: "moor", binary: moorBinary, text: moor },
] as const;

function tarNames(archive: Buffer): string[] {
  return execFileSync("tar", ["-t"], { input: archive }).toString().split("\n").filter((line) => line !== "");
}

function tarFile(archive: Buffer, name: string): string {
  return execFileSync("tar", ["-xO", name], { input: archive }).toString();
}

/** A tarball of a local directory's entries, made by GNU tar. */
function tarOf(dir: string, ...names: string[]): Buffer {
  return execFileSync("tar", ["-C", dir, "-c", ...names]);
}

async function waitForPath(container: string, path: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const res = await api(engine(), "HEAD", `/v1.45/containers/${container}/archive?path=${encodeURIComponent(path)}`);
    if (res.status === 200) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`${path} never appeared in ${container}`);
}

const setupScript = "mkdir -p /d/sub && echo hello > /d/sub/f && ln -s f /d/sub/lnk && ln -s / /evil && ln -s ../../../../etc /rel && touch /ready && sleep 1000";

test("a file and a directory out of a created and a running container, with docker cp and moor cp", async () => {
  assert.equal((await docker(engine(), ["create", "--name", "cp-created", "busybox", "true"])).code, 0);
  assert.equal((await docker(engine(), ["run", "-d", "--name", "cp-running", "busybox", "sh", "-c", setupScript])).code, 0);
  await waitForPath("cp-running", "/ready");
  const passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
  for (const cli of clis) {
    const out = join(work, `out-${cli.name}`);
    mkdirSync(out);
    assert.deepEqual(await cli.text(engine(), ["cp", "cp-created:/etc/passwd", out]), { code: 0, stdout: "", stderr: "" });
    assert.equal(readFileSync(join(out, "passwd"), "utf8"), passwd);
    assert.equal((await cli.text(engine(), ["cp", "cp-created:/etc", join(out, "etc-copy")])).code, 0);
    assert.equal(readFileSync(join(out, "etc-copy", "group"), "utf8"), "root:x:0:\nnogroup:x:65534:\n", "a directory copied to a new name");
    assert.equal((await cli.text(engine(), ["cp", "cp-running:/d", out])).code, 0);
    assert.equal(readFileSync(join(out, "d", "sub", "f"), "utf8"), "hello\n");
    assert.equal(readlinkSync(join(out, "d", "sub", "lnk")), "f", "a symlink is copied as a symlink");
    assert.equal((await cli.text(engine(), ["cp", "-L", "cp-running:/d/sub/lnk", join(out, "followed")])).code, 0);
    assert.equal(readFileSync(join(out, "followed"), "utf8"), "hello\n", "-L copies what the link points to");
    assert.equal(lstatSync(join(out, "followed")).isFile(), true);
    assert.equal((await cli.text(engine(), ["cp", "cp-running:/d/sub/f", join(out, "d", "sub", "f")])).code, 0, "over an existing file");
  }
  const containerCp = await moor(engine(), ["container", "cp", "cp-created:/etc/passwd", join(work, "out-moor", "alias")]);
  assert.equal(containerCp.code, 0, containerCp.stderr);
  assert.equal(readFileSync(join(work, "out-moor", "alias"), "utf8"), passwd);
  assert.equal(await mountedRootfsOf("cp-created"), false, "a created container's root filesystem is unmounted after the copy");
});

async function mountedRootfsOf(container: string): Promise<boolean> {
  const inspect = JSON.parse((await docker(engine(), ["inspect", container])).stdout)[0];
  return readFileSync("/proc/self/mountinfo", "utf8").includes(` ${inspect.GraphDriver.Data.MergedDir} `);
}

test("files and directories into a created container keep their owners; -a gives them the container's user", async () => {
  const local = join(work, "in");
  mkdirSync(join(local, "dir", "sub"), { recursive: true });
  writeFileSync(join(local, "hello.txt"), "hello from the host\n");
  writeFileSync(join(local, "dir", "sub", "f2"), "two\n");
  for (const path of [join(local, "hello.txt"), join(local, "dir"), join(local, "dir", "sub"), join(local, "dir", "sub", "f2")]) chownSync(path, 1234, 5678);
  const script = "cat /in/sub/f2 /in/renamed.txt /tmp/hello.txt; stat -c %u:%g /in/sub/f2 /tmp/hello.txt";
  assert.equal((await docker(engine(), ["create", "--name", "cp-into", "busybox", "sh", "-c", script])).code, 0);
  // /in does not exist: the directory is copied as /in.
  assert.deepEqual(await docker(engine(), ["cp", join(local, "dir"), "cp-into:/in"]), { code: 0, stdout: "", stderr: "" });
  assert.deepEqual(await moor(engine(), ["cp", join(local, "hello.txt"), "cp-into:/in/renamed.txt"]), { code: 0, stdout: "", stderr: "" });
  assert.deepEqual(await moor(engine(), ["cp", join(local, "hello.txt"), "cp-into:/tmp/"]), { code: 0, stdout: "", stderr: "" });
  const started = await docker(engine(), ["start", "-a", "cp-into"]);
  assert.equal(started.stdout, "two\nhello from the host\nhello from the host\n1234:5678\n1234:5678\n", started.stderr);

  assert.equal((await docker(engine(), ["create", "--name", "cp-user", "--user", "nobody", "busybox", "stat", "-c", "%u:%g", "/tmp/hello.txt"])).code, 0);
  assert.equal((await moor(engine(), ["cp", "-a", join(local, "hello.txt"), "cp-user:/tmp/"])).code, 0);
  assert.equal((await docker(engine(), ["start", "-a", "cp-user"])).stdout, "65534:65534\n", "-a: the container user's uid and gid");
});

test("names and link targets that are not UTF-8 pass through docker cp and moor cp as their bytes, both ways", async () => {
  const local = join(work, "odd-names");
  const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part) : Buffer.from(part))));
  mkdirSync(local);
  writeFileSync(bytes(`${local}/f`, [0xff]), "odd\n");
  mkdirSync(bytes(`${local}/d`, [0xfe]));
  writeFileSync(bytes(`${local}/d`, [0xfe], "/inner"), "inner\n");
  symlinkSync(bytes("t", [0xff]), join(local, "l"));
  assert.equal((await docker(engine(), ["create", "--name", "cp-odd", "busybox", "true"])).code, 0);
  assert.deepEqual(await docker(engine(), ["cp", local, "cp-odd:/in"]), { code: 0, stdout: "", stderr: "" });
  assert.deepEqual(await moor(engine(), ["cp", local, "cp-odd:/in2"]), { code: 0, stdout: "", stderr: "" });
  for (const [cli, directory] of [["docker", "in"], ["moor", "in2"]]) {
    const archive = await dockerBinary(engine(), ["cp", `cp-odd:/${directory}`, "-"]);
    assert.equal(archive.code, 0, archive.stderr);
    const listing = execFileSync("tar", ["--quoting-style=escape", "-tvf", "-"], { input: archive.stdout }).toString();
    for (const entry of [`${directory}/f\\377`, `${directory}/d\\376/inner`, `${directory}/l -> t\\377`]) assert.ok(listing.includes(` ${entry}\n`), `copied in with ${cli}: ${entry} in\n${listing}`);
  }
  const out = join(work, "odd-names-out");
  assert.deepEqual(await moor(engine(), ["cp", "cp-odd:/in", out]), { code: 0, stdout: "", stderr: "" });
  assert.equal(readFileSync(bytes(`${out}/f`, [0xff])).toString(), "odd\n");
  assert.equal(readFileSync(bytes(`${out}/d`, [0xfe], "/inner")).toString(), "inner\n");
  assert.deepEqual(readlinkSync(join(out, "l"), { encoding: "buffer" }), bytes("t", [0xff]));
});

test("FIFOs and device nodes in an archive copied in are made as such, with their numbers and modes", async () => {
  assert.equal((await docker(engine(), ["create", "--name", "cp-nodes", "busybox", "true"])).code, 0);
  const archive = Buffer.concat([
    encodeTarHeader(tarHeader({ name: "nodes/", type: TarType.directory, mode: 0o755 })),
    encodeTarHeader(tarHeader({ name: "nodes/pipe", type: TarType.fifo, mode: 0o640 })),
    encodeTarHeader(tarHeader({ name: "nodes/null", type: TarType.charDevice, mode: 0o666, devmajor: 1, devminor: 3 })),
    encodeTarHeader(tarHeader({ name: "nodes/big", type: TarType.blockDevice, mode: 0o600, devmajor: 259, devminor: 65539 })),
    tarEnd,
  ]);
  assert.deepEqual(await dockerBinary(engine(), ["cp", "-", "cp-nodes:/"], archive), { code: 0, stdout: Buffer.alloc(0), stderr: "" });
  const out = await dockerBinary(engine(), ["cp", "cp-nodes:/nodes", "-"]);
  const listing = execFileSync("tar", ["--numeric-owner", "-tvf", "-"], { input: out.stdout }).toString().replace(/ +/g, " ");
  assert.match(listing, /^prw-r----- 0\/0 0 \S+ \S+ nodes\/pipe$/m);
  assert.match(listing, /^crw-rw-rw- 0\/0 1,3 \S+ \S+ nodes\/null$/m);
  assert.match(listing, /^brw------- 0\/0 259,65539 \S+ \S+ nodes\/big$/m);
});

test("docker export streams the container's root filesystem, its changes included and its volumes left out", async () => {
  const script = "echo hi > /root/new; echo in-volume > /data/v; rm /bin/vi; ln /root/new /root/hard";
  assert.equal((await docker(engine(), ["run", "--name", "cp-export", "-v", "cp-export-data:/data", "busybox", "sh", "-c", script])).code, 0);
  const exported = await dockerBinary(engine(), ["export", "cp-export"]);
  assert.equal(exported.code, 0, exported.stderr);
  const listing = execFileSync("tar", ["--numeric-owner", "-tvf", "-"], { input: exported.stdout }).toString().replace(/ +/g, " ");
  const names = listing.split("\n").filter((line) => line !== "").map((line) => line.split(" ").slice(5).join(" "));
  assert.ok(names.includes("bin/busybox") && names.includes("etc/passwd") && names.includes(".dockerenv"), listing);
  assert.ok(!names.some((name) => name.startsWith("./") || name === ""), "names as docker's: no ./ and no entry for the root");
  assert.ok(names.includes("root/hard") && names.includes("root/new link to root/hard"), "the container's own changes, hard links kept");
  assert.ok(!names.includes("bin/vi -> busybox"), "a file the container removed is not there");
  assert.ok(names.includes("data/") && !names.includes("data/v"), "the volume's mount point, not its content");
  assert.equal(execFileSync("tar", ["-xOf", "-", "root/hard"], { input: exported.stdout }).toString(), "hi\n");
  const missing = await docker(engine(), ["export", "no-such-container"]);
  assert.deepEqual([missing.code, missing.stderr], [1, "Error response from daemon: No such container: no-such-container\n"]);

  // moor export: the same archive, to stdout or, with -o, to a file that appears once complete.
  const listed = (archive: Buffer) => execFileSync("tar", ["--numeric-owner", "-tvf", "-"], { input: archive }).toString();
  const piped = await moorBinary(engine(), ["export", "cp-export"]);
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(listed(piped.stdout), listed(exported.stdout));
  const file = join(work, "exported.tar");
  assert.deepEqual(await moor(engine(), ["container", "export", "-o", file, "cp-export"]), { code: 0, stdout: "", stderr: "" });
  assert.equal(listed(readFileSync(file)), listed(exported.stdout));
  const moorMissing = await moor(engine(), ["export", "-o", join(work, "never.tar"), "no-such-container"]);
  assert.deepEqual([moorMissing.code, moorMissing.stderr], [1, "Error response from daemon: No such container: no-such-container\n"]);
  assert.equal(existsSync(join(work, "never.tar")), false, "no file for a failed export");
});

test("tar streams: - as the destination writes the archive, - as the source extracts one", async () => {
  assert.equal((await docker(engine(), ["run", "-d", "--name", "cp-stream", "busybox", "sh", "-c", setupScript])).code, 0);
  await waitForPath("cp-stream", "/ready");
  for (const cli of clis) {
    const dir = await cli.binary(engine(), ["cp", "cp-stream:/d", "-"]);
    assert.equal(dir.code, 0, dir.stderr);
    assert.deepEqual(tarNames(dir.stdout), ["d/", "d/sub/", "d/sub/f", "d/sub/lnk"], cli.name);
    const contents = await cli.binary(engine(), ["cp", "cp-stream:/d/.", "-"]);
    assert.deepEqual(tarNames(contents.stdout), ["./", "./sub/", "./sub/f", "./sub/lnk"], `${cli.name}: a trailing /. archives the contents`);
    const file = await cli.binary(engine(), ["cp", "cp-stream:/d/sub/f", "-"]);
    assert.equal(tarFile(file.stdout, "f"), "hello\n");
    const root = await cli.binary(engine(), ["cp", "cp-stream:/", "-"]);
    assert.ok(tarNames(root.stdout).includes("/d/sub/f"), `${cli.name}: the root's entries are named /…`);
  }
  const local = join(work, "stream-in");
  mkdirSync(join(local, "x"), { recursive: true });
  writeFileSync(join(local, "x", "y"), "from a tar stream\n");
  const extracted = await moorBinary(engine(), ["cp", "-", "cp-stream:/tmp"], tarOf(local, "x"));
  assert.equal(extracted.code, 0, extracted.stderr);
  assert.equal(tarFile((await dockerBinary(engine(), ["cp", "cp-stream:/tmp/x/y", "-"])).stdout, "y"), "from a tar stream\n");
  for (const cli of clis) {
    assert.deepEqual(await cli.text(engine(), ["cp", "-", "cp-stream:/d/sub/f"]), { code: 1, stdout: "", stderr: 'destination "cp-stream:/d/sub/f" must be a directory\n' });
  }
});

test("a path in a volume is the volume's: copied in, it lands in the volume's directory, and comes back out", async () => {
  assert.equal((await docker(engine(), ["create", "--name", "cp-volume", "-v", "cpdata:/data", "busybox", "true"])).code, 0);
  const local = join(work, "vol-in.txt");
  writeFileSync(local, "into the volume\n");
  assert.equal((await moor(engine(), ["cp", local, "cp-volume:/data/"])).code, 0);
  const mountpoint = JSON.parse((await docker(engine(), ["volume", "inspect", "cpdata"])).stdout)[0].Mountpoint;
  assert.equal(readFileSync(join(mountpoint, "vol-in.txt"), "utf8"), "into the volume\n");
  writeFileSync(join(mountpoint, "from-host.txt"), "made in the volume\n");
  const out = await dockerBinary(engine(), ["cp", "cp-volume:/data", "-"]);
  assert.deepEqual(tarNames(out.stdout).sort(), ["data/", "data/from-host.txt", "data/vol-in.txt"]);
  assert.equal(tarFile(out.stdout, "data/from-host.txt"), "made in the volume\n");
  const inspect = JSON.parse((await docker(engine(), ["inspect", "cp-volume"])).stdout)[0];
  assert.equal(existsSync(join(inspect.GraphDriver.Data.UpperDir, "data", "vol-in.txt")), false, "not in the container's own layer");

  assert.equal((await docker(engine(), ["create", "--name", "cp-readonly", "--read-only", "-v", "cpro:/ro:ro", "-v", "cprw:/rw", "busybox", "true"])).code, 0);
  for (const [path, message] of [
    ["/", "container rootfs is marked read-only"],
    ["/ro", "mounted volume is marked read-only"],
  ]) {
    const res = await api(engine(), "PUT", `/v1.45/containers/cp-readonly/archive?path=${path}`, tarOf(work, "vol-in.txt").toString("latin1"), { "Content-Type": "application/x-tar" });
    assert.deepEqual([res.status, JSON.parse(res.body).message], [400, message]);
  }
  assert.equal((await moor(engine(), ["cp", local, "cp-readonly:/rw/"])).code, 0, "a writable volume of a read-only container takes copies");
});

test("errors read as dockerd's and docker's", async () => {
  assert.equal((await docker(engine(), ["create", "--name", "cp-errors", "busybox", "true"])).code, 0);
  const out = join(work, "errors");
  mkdirSync(out);
  const localFile = join(work, "local-file");
  writeFileSync(localFile, "local\n");
  for (const cli of clis) {
    assert.deepEqual(await cli.text(engine(), ["cp", "cp-errors:/nonexist", out]), {
      code: 1,
      stdout: "",
      stderr: "Error response from daemon: Could not find the file /nonexist in container cp-errors\n",
    });
    assert.deepEqual(await cli.text(engine(), ["cp", "nosuch:/x", out]), { code: 1, stdout: "", stderr: "Error response from daemon: No such container: nosuch\n" });
    assert.deepEqual(await cli.text(engine(), ["cp", localFile, "nosuch:/x"]), { code: 1, stdout: "", stderr: "Error response from daemon: No such container: nosuch\n" });
    assert.deepEqual(await cli.text(engine(), ["cp", localFile, "cp-errors:/etc/passwd/x"]), {
      code: 1,
      stdout: "",
      stderr: "Error response from daemon: extraction point is not a directory\n",
    });
    assert.deepEqual(await cli.text(engine(), ["cp", localFile, "cp-errors:/nonexist/x"]), {
      code: 1,
      stdout: "",
      stderr: "Error response from daemon: Could not find the file /nonexist in container cp-errors\n",
    });
    assert.deepEqual(await cli.text(engine(), ["cp", "cp-errors:/etc", join(out, "nodir", "x")]), {
      code: 1,
      stdout: "",
      stderr: `invalid output path: directory "${join(out, "nodir")}" does not exist\n`,
    });
    assert.deepEqual(await cli.text(engine(), ["cp", "cp-errors:/etc", localFile]), { code: 1, stdout: "", stderr: "cannot copy directory\n" });
    assert.deepEqual(await cli.text(engine(), ["cp", "cp-errors:/etc/passwd", join(out, "newdir") + "/"]), { code: 1, stdout: "", stderr: "no such directory\n" });
    assert.deepEqual(await cli.text(engine(), ["cp", join(work, "nonexist"), "cp-errors:/"]), { code: 1, stdout: "", stderr: `lstat ${join(work, "nonexist")}: no such file or directory\n` });
    assert.deepEqual(await cli.text(engine(), ["cp", "a", "b"]), { code: 1, stdout: "", stderr: "must specify at least one container source\n" });
    assert.deepEqual(await cli.text(engine(), ["cp", "a:b", "c:d"]), { code: 1, stdout: "", stderr: "copying between containers is not supported\n" });
  }
  const usage = await moor(engine(), ["cp", "x"]);
  assert.equal(usage.code, 1);
  assert.match(usage.stderr, /^moor: 'moor cp' requires 2 arguments\n\nUsage: {2}moor cp \[OPTIONS\] CONTAINER:SRC_PATH DEST_PATH\|-\n\tmoor cp \[OPTIONS\] SRC_PATH\|- CONTAINER:DEST_PATH\n/);

  const noPath = await api(engine(), "GET", "/v1.45/containers/cp-errors/archive");
  assert.deepEqual([noPath.status, JSON.parse(noPath.body).message], [400, "bad parameter: path cannot be empty"]);
  const missing = await api(engine(), "HEAD", "/v1.45/containers/cp-errors/archive?path=/nonexist");
  assert.equal(missing.status, 404);
  const throughFile = await api(engine(), "GET", "/v1.45/containers/cp-errors/archive?path=/etc/passwd/x");
  assert.deepEqual([throughFile.status, JSON.parse(throughFile.body).message], [500, "lstat /etc/passwd/x: not a directory"]);
});

test("the path stat header is dockerd's: name, size, Go file mode, mtime, resolved link target", async () => {
  assert.equal((await docker(engine(), ["run", "-d", "--name", "cp-stat", "busybox", "sh", "-c", setupScript])).code, 0);
  await waitForPath("cp-stat", "/ready");
  const stat = async (path: string) => {
    const res = await api(engine(), "HEAD", `/v1.45/containers/cp-stat/archive?path=${encodeURIComponent(path)}`);
    assert.equal(res.status, 200, path);
    return JSON.parse(Buffer.from(String(res.headers["x-docker-container-path-stat"]), "base64").toString());
  };
  const dir = await stat("/d/");
  assert.deepEqual([dir.name, dir.size, dir.mode, dir.linkTarget], ["d", 4096, 2147484141, ""]);
  assert.match(dir.mtime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.deepEqual(await stat("/tmp"), { name: "tmp", size: 4096, mode: 2148532735, mtime: "1970-01-01T00:00:00Z", linkTarget: "" });
  const file = await stat("/d/sub/f");
  assert.deepEqual([file.name, file.size, file.mode], ["f", 6, 420]);
  assert.deepEqual(await stat("/bin/sh"), { name: "sh", size: 7, mode: 134218239, mtime: "1970-01-01T00:00:00Z", linkTarget: "/bin/busybox" });
  assert.equal((await stat("/rel")).linkTarget, "/etc", "../../../../etc stops at the container's root");
  assert.equal((await stat("/evil")).linkTarget, "/");
  assert.equal((await stat("/")).name, "/");
  assert.equal((await stat("/d/.")).name, ".");
});

test("hostile symlinks in a container never reach the host, neither copying out nor in", async () => {
  const hostDir = mkdtempSync(join(tmpdir(), "moor-cp-host-"));
  try {
    writeFileSync(join(hostDir, "secret"), "host secret\n");
    const script = `${setupScript.replace(" && touch /ready && sleep 1000", "")} && ln -s ${hostDir} /hostlink && touch /ready && sleep 1000`;
    assert.equal((await docker(engine(), ["run", "-d", "--name", "cp-hostile", "busybox", "sh", "-c", script])).code, 0);
    await waitForPath("cp-hostile", "/ready");

    // Out: the links lead to the container's own files.
    const passwd = await dockerBinary(engine(), ["cp", "cp-hostile:/evil/etc/passwd", "-"]);
    assert.equal(tarFile(passwd.stdout, "passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
    assert.equal(tarFile((await dockerBinary(engine(), ["cp", "cp-hostile:/rel/group", "-"])).stdout, "group"), "root:x:0:\nnogroup:x:65534:\n");
    assert.deepEqual(await docker(engine(), ["cp", "cp-hostile:/hostlink/secret", "-"]), {
      code: 1,
      stdout: "",
      stderr: "Error response from daemon: Could not find the file /hostlink/secret in container cp-hostile\n",
    });
    const evilDir = await dockerBinary(engine(), ["cp", "cp-hostile:/evil/", "-"]);
    assert.ok(tarNames(evilDir.stdout).includes("evil/d/sub/f"), "a trailing slash follows the link, inside the container");
    assert.ok(!tarNames(evilDir.stdout).some((name) => name.includes("moor-cp-host-")), "nothing of the host");

    // In: archives written through the links land inside the container.
    const local = join(work, "hostile-in");
    mkdirSync(join(local, "evil", hostDir.slice(1)), { recursive: true });
    mkdirSync(join(local, "rel"));
    mkdirSync(join(local, "hostlink"));
    writeFileSync(join(local, "evil", hostDir.slice(1), "pwned"), "1");
    writeFileSync(join(local, "rel", "pwned2"), "2");
    writeFileSync(join(local, "hostlink", "pwned3"), "3");
    const archive = tarOf(local, `evil/${hostDir.slice(1)}/pwned`, "rel/pwned2", "hostlink/pwned3");
    const put = await api(engine(), "PUT", "/v1.45/containers/cp-hostile/archive?path=/", archive.toString("latin1"), { "Content-Type": "application/x-tar" });
    assert.equal(put.status, 200, put.body);
    assert.equal((await moor(engine(), ["cp", join(local, "rel", "pwned2"), "cp-hostile:/hostlink/"])).code, 0);
    assert.equal((await moor(engine(), ["cp", join(local, "rel", "pwned2"), "cp-hostile:/rel/"])).code, 0);
    assert.equal(existsSync(join(hostDir, "pwned")), false, "the host directory got nothing");
    assert.equal(existsSync(join(hostDir, "pwned2")), false, "the host directory got nothing");
    assert.equal(existsSync(join(hostDir, "pwned3")), false, "the host directory got nothing");
    assert.equal(existsSync("/etc/pwned2"), false, "the host's /etc got nothing");
    assert.equal(readFileSync(join(hostDir, "secret"), "utf8"), "host secret\n");
    assert.equal(tarFile((await dockerBinary(engine(), ["cp", "cp-hostile:/etc/pwned2", "-"])).stdout, "pwned2"), "2", "../../../../etc is the container's /etc");
    assert.equal(tarFile((await dockerBinary(engine(), ["cp", `cp-hostile:${hostDir}/pwned`, "-"])).stdout, "pwned"), "1", "/ is the container's root");

    // A symlink out of the destination is refused, as docker refuses it.
    const escape = join(work, "escape");
    mkdirSync(escape);
    symlinkSync("../../../../etc", join(escape, "up"));
    const refused = await api(engine(), "PUT", "/v1.45/containers/cp-hostile/archive?path=/d", tarOf(escape, "up").toString("latin1"), { "Content-Type": "application/x-tar" });
    assert.deepEqual([refused.status, JSON.parse(refused.body).message], [400, 'invalid symlink "/d/up" -> "../../../../etc"']);
    for (const cli of clis) {
      const out = join(work, `rel-${cli.name}`);
      assert.deepEqual(await cli.text(engine(), ["cp", "cp-hostile:/rel", out]), { code: 1, stdout: "", stderr: `invalid symlink "${out}" -> "../../../../etc"\n` }, cli.name);
    }
  } finally {
    rmSync(hostDir, { recursive: true, force: true });
  }
});

test("a dangling symlink is copied as the link; -L says its target is missing, as dockerd does", async () => {
  assert.equal((await docker(engine(), ["run", "--name", "cp-dangling", "busybox", "ln", "-s", "/nonexist/x", "/dangling"])).code, 0);
  try {
    for (const cli of clis) {
      const out = join(work, `dangling-${cli.name}`);
      assert.equal((await cli.text(engine(), ["cp", "cp-dangling:/dangling", out])).code, 0, cli.name);
      assert.equal(readlinkSync(out), "/nonexist/x", cli.name);
      assert.deepEqual(await cli.text(engine(), ["cp", "-L", "cp-dangling:/dangling", join(work, `followed-${cli.name}`)]), {
        code: 1,
        stdout: "",
        stderr: "Error response from daemon: Could not find the file /nonexist/x in container cp-dangling\n",
      });
    }
  } finally {
    await docker(engine(), ["rm", "cp-dangling"]);
  }
});

test("-q=false reports the bytes copied as docker does", async () => {
  assert.equal((await docker(engine(), ["create", "--name", "cp-progress", "busybox", "true"])).code, 0);
  for (const cli of clis) {
    const out = join(work, `progress-${cli.name}`);
    assert.deepEqual(await cli.text(engine(), ["cp", "-q=false", "cp-progress:/etc/passwd", out]), { code: 0, stdout: "", stderr: `Successfully copied 2.05kB to ${out}\n` }, cli.name);
    assert.deepEqual(await cli.text(engine(), ["cp", "-q=false", out, "cp-progress:/tmp/"]), { code: 0, stdout: "", stderr: "Successfully copied 2.05kB to cp-progress:/tmp/\n" }, cli.name);
  }
});
