// Dockerfile builds through the real docker CLI (classic builder protocol, DOCKER_BUILDKIT=0
// and the CLI's default) against moor: every instruction's effect on the image config and
// filesystem, the layer cache, VOLUME semantics, multi-stage builds, errors with docker's
// texts and exit codes, and that builds leave nothing behind. Needs root, runc, conmon and
// busybox-static, and a built binary.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { docker, importBusybox, useEngine, writeContext, type RunResult } from "./support/engine.ts";

let work: string;
let server: Server;
let serverUrl: string;
const engine = useEngine((started) => importBusybox(started, { changes: ['CMD ["/bin/sh"]'] }));

before(async () => {
  work = mkdtempSync(join(tmpdir(), "moor-build-"));
  server = createServer((req, res) => {
    if (req.url === "/files/remote.txt") {
      res.writeHead(200, { "Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT" });
      res.end("fetched by the engine\n");
    } else {
      res.writeHead(404);
      res.end("nothing here");
    }
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address() as { port: number };
  serverUrl = `http://127.0.0.1:${address.port}`;
});

after(async () => {
  await new Promise<void>((done) => server.close(() => done()));
  rmSync(work, { recursive: true, force: true });
});

function context(name: string, files: Record<string, string>): string {
  return writeContext(join(work, name), files);
}

function build(args: string[], options: { buildkit?: boolean; input?: string } = {}): Promise<RunResult> {
  return docker(engine(), ["build", ...args], { input: options.input, env: options.buildkit === undefined ? { DOCKER_BUILDKIT: "0" } : {} });
}

async function runIn(image: string, script: string): Promise<string> {
  const result = await docker(engine(), ["run", "--rm", image, "sh", "-c", script]);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

async function inspectImage(image: string): Promise<{ Config: Record<string, unknown>; Parent: string; Id: string; RootFS: { Layers: string[] } }> {
  const result = await docker(engine(), ["image", "inspect", image]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout)[0];
}

async function assertNothingLeftBehind(): Promise<void> {
  const containers = await docker(engine(), ["ps", "-a", "--format", "{{.ID}} {{.Command}} {{.Status}}"]);
  assert.equal(containers.stdout, "", "no build container is left");
  const builds = join(engine().root, "builds");
  assert.deepEqual(readdirSync(builds), [], "no build scratch directory is left");
  const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((line) => line.includes(engine().root));
  assert.deepEqual(mounts, [], "no mount is left under the engine root");
}

test("every instruction shapes the image's config and filesystem, with the classic builder's output", async () => {
  const dir = context("all", {
    "Dockerfile": [
      "# syntax=docker/dockerfile:1",
      "FROM busybox AS base",
      "LABEL maintainer.team=storage \"quoted key\"=\"two words\"",
      "ENV APP_HOME=/srv/app GREETING=\"hello world\"",
      "WORKDIR $APP_HOME",
      "COPY --chown=1000:1000 app.txt .",
      "COPY --chmod=0750 tool.sh /usr/local/bin/tool",
      "ADD bundle.tar /opt/bundle/",
      "ADD bundle.tar.gz /opt/gzipped/",
      `ADD ${"${REMOTE_URL}"} /opt/remote/`,
      "RUN echo \"$GREETING from $(pwd)\" > greeting.txt \\",
      "    && id -u > builder-uid.txt",
      "USER 1000:1000",
      "EXPOSE 8080 53/udp",
      "STOPSIGNAL SIGQUIT",
      "HEALTHCHECK --interval=5s --retries=3 CMD [\"true\"]",
      "SHELL [\"/bin/sh\", \"-ec\"]",
      "ONBUILD RUN echo triggered",
      "ENTRYPOINT [\"/bin/sh\", \"-c\"]",
      "CMD [\"cat greeting.txt\"]",
      "",
    ]
      .join("\n")
      .replace("${REMOTE_URL}", `${serverUrl}/files/remote.txt`),
    "app.txt": "application\n",
    "tool.sh": "#!/bin/sh\necho tool\n",
  });
  execFileSync("tar", ["-c", "-f", join(dir, "bundle.tar"), "-C", dir, "app.txt", "tool.sh"]);
  writeFileSync(join(dir, "bundle.tar.gz"), gzipSync(readFileSync(join(dir, "bundle.tar"))));
  const result = await build(["-t", "every:1", "-t", "every:latest", dir]);
  assert.equal(result.code, 0, result.stderr);
  const steps = result.stdout.split("\n").filter((line) => line.startsWith("Step "));
  assert.equal(steps.length, 18);
  assert.equal(steps[0], "Step 1/18 : FROM busybox AS base");
  assert.equal(steps[9], 'Step 10/18 : RUN echo "$GREETING from $(pwd)" > greeting.txt     && id -u > builder-uid.txt');
  assert.match(result.stdout, / ---> Running in [0-9a-f]{12}\n/);
  assert.match(result.stdout, /Successfully built [0-9a-f]{12}\nSuccessfully tagged every:1\nSuccessfully tagged every:latest\n$/);

  const image = await inspectImage("every:1");
  const config = image.Config;
  assert.deepEqual(config.Labels, { "maintainer.team": "storage", "quoted key": "two words" });
  assert.deepEqual(config.Env, ["APP_HOME=/srv/app", "GREETING=hello world"]);
  assert.equal(config.WorkingDir, "/srv/app");
  assert.equal(config.User, "1000:1000");
  assert.deepEqual(config.ExposedPorts, { "53/udp": {}, "8080/tcp": {} });
  assert.equal(config.StopSignal, "SIGQUIT");
  assert.deepEqual(config.Healthcheck, { Test: ["CMD", "true"], Interval: 5_000_000_000, Retries: 3 });
  assert.deepEqual(config.Shell, ["/bin/sh", "-ec"]);
  assert.deepEqual(config.OnBuild, ["RUN echo triggered"]);
  assert.deepEqual(config.Entrypoint, ["/bin/sh", "-c"]);
  assert.deepEqual(config.Cmd, ["cat greeting.txt"]);
  assert.match(image.Parent, /^sha256:[0-9a-f]{64}$/, "a built image names the step it was built on");

  const run = await docker(engine(), ["run", "--rm", "every:1"]);
  assert.equal(run.stdout, "hello world from /srv/app\n", "the RUN saw ENV and WORKDIR; CMD runs through the ENTRYPOINT");
  const files = await docker(engine(), [
    "run", "--rm", "--user", "0", "--entrypoint", "sh", "every:1", "-c",
    "cat builder-uid.txt; stat -c '%u:%g %a' app.txt /usr/local/bin/tool /opt/bundle/app.txt; cat /opt/bundle/tool.sh /opt/gzipped/app.txt /opt/remote/remote.txt; stat -c '%a %Y' /opt/remote/remote.txt",
  ]);
  assert.equal(files.code, 0, files.stderr);
  assert.equal(
    files.stdout,
    "0\n1000:1000 644\n0:0 750\n0:0 644\n#!/bin/sh\necho tool\napplication\nfetched by the engine\n600 1445412480\n",
    "RUN ran as root before USER; --chown, --chmod, ADD's tar extraction (plain and gzip) and URL download",
  );
});

test("a rebuild is served from the cache; a changed file invalidates from its step on; --no-cache skips it", async () => {
  const dir = context("cache", {
    "Dockerfile": "FROM busybox\nRUN echo one > /one\nCOPY data.txt /data.txt\nRUN cat /data.txt > /copy\nCMD [\"cat\", \"/copy\"]\n",
    "data.txt": "first\n",
  });
  const first = await build(["-t", "cached", dir]);
  assert.equal(first.code, 0, first.stderr);
  const firstId = (await inspectImage("cached")).Id;
  const second = await build(["-t", "cached", dir]);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout.match(/ ---> Using cache\n/g)?.length, 4, second.stdout);
  assert.doesNotMatch(second.stdout, /Running in/);
  assert.equal((await inspectImage("cached")).Id, firstId);

  writeFileSync(join(dir, "data.txt"), "second\n");
  const third = await build(["-t", "cached", dir]);
  assert.equal(third.code, 0, third.stderr);
  assert.equal(third.stdout.match(/ ---> Using cache\n/g)?.length, 1, "only the RUN before the COPY is cached");
  assert.equal((await docker(engine(), ["run", "--rm", "cached"])).stdout, "second\n");

  const fresh = await build(["--no-cache", "-t", "cached", dir]);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.doesNotMatch(fresh.stdout, /Using cache/);
  await assertNothingLeftBehind();
});

test("VOLUME: later RUN changes under it are discarded; a container gets the content by copy-up", async () => {
  const dir = context("volume", {
    "Dockerfile": "FROM busybox\nRUN mkdir -p /var/lib/data && echo seeded > /var/lib/data/file\nVOLUME [\"/var/lib/data\"]\nRUN echo changed > /var/lib/data/file && echo kept > /outside\n",
  });
  const result = await build(["-t", "withvolume", dir]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual((await inspectImage("withvolume")).Config.Volumes, { "/var/lib/data": {} });
  const created = await docker(engine(), ["run", "--name", "vol-user", "withvolume", "cat", "/var/lib/data/file", "/outside"]);
  assert.equal(created.stdout, "seeded\nkept\n");
  const mounts = JSON.parse((await docker(engine(), ["inspect", "vol-user", "--format", "{{json .Mounts}}"])).stdout);
  assert.equal(mounts.length, 1);
  assert.equal(mounts[0].Destination, "/var/lib/data");
  assert.equal(mounts[0].Type, "volume", "the image's VOLUME gives the container an anonymous volume");
  assert.equal((await docker(engine(), ["rm", "-v", "vol-user"])).code, 0);
});

test("multi-stage: COPY --from a named stage and by index, --target stops at a stage, build args and meta args", async () => {
  const dir = context("stages", {
    "Dockerfile": [
      "ARG BASE=busybox",
      "FROM ${BASE} AS builder",
      "ARG VERSION=1.0",
      "RUN mkdir /out && echo \"version $VERSION\" > /out/version",
      "FROM ${BASE}",
      "COPY --from=builder /out/version /version",
      "COPY --from=0 /out /from-index",
      "FROM busybox AS final",
      "COPY --from=1 /version /v",
      "",
    ].join("\n"),
  });
  const result = await build(["--build-arg", "VERSION=2.5", "--build-arg", "UNUSED=x", "-t", "stages", dir]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^Step 1\/9 : ARG BASE=busybox$/m);
  assert.match(result.stdout, /\[Warning\] One or more build-args \[UNUSED\] were not consumed\n/);
  assert.equal(await runIn("stages", "cat /v"), "version 2.5\n");
  const target = await build(["--target", "builder", "-t", "stages-builder", dir]);
  assert.equal(target.code, 0, target.stderr);
  assert.equal(target.stdout.split("\n").filter((line) => line.startsWith("Step ")).length, 4);
  assert.equal(await runIn("stages-builder", "cat /out/version"), "version 1.0\n");
  const missing = await build(["--target", "nope", dir]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /target stage "nope" could not be found/);
});

test("heredocs: RUN with an inline script, with a shebang, and COPY of inline files", async () => {
  const dir = context("heredoc", {
    "Dockerfile": [
      "FROM busybox",
      "ENV WHO=heredoc",
      "RUN <<EOF",
      "echo \"line one\" > /one",
      "echo \"$WHO\" >> /one",
      "EOF",
      "RUN <<EOT",
      "#!/bin/sh",
      "echo \"from a script: $0\" > /two",
      "EOT",
      "COPY <<-EOF /three",
      "\tcontent of $WHO",
      "\tEOF",
      "COPY <<'EOF' /four",
      "not $EXPANDED",
      "EOF",
      "",
    ].join("\n"),
  });
  const result = await build(["-t", "heredoc", dir]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(await runIn("heredoc", "cat /one /two /three /four"), "line one\nheredoc\nfrom a script: /dev/pipes/EOT\ncontent of heredoc\nnot $EXPANDED\n");
});

test("Dockerfile errors name the line and what is wrong, as docker does", async () => {
  const cases: Array<[string, RegExp]> = [
    ["FROM busybox\nFOOBAR x\n", /dockerfile parse error on line 2: unknown instruction: FOOBAR/],
    ["FROM busybox\nCOPY --bogus=1 a b\n", /dockerfile parse error on line 2: Unknown flag: bogus/],
    ["FROM busybox\nCOPY onlyone\n", /dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined/],
    ["RUN echo\n", /no build stage in current context/],
    ["FROM busybox AS 1bad\n", /invalid name for build stage: "1bad", name can't start with a number or contain symbols/],
    ["FROM busybox\nENV A\n", /failed to parse Dockerfile: ENV must have two arguments/],
    ["FROM busybox\nSHELL sh -c\n", /SHELL requires the arguments to be in JSON form/],
  ];
  for (const [text, message] of cases) {
    const dir = context(`error-${cases.findIndex(([t]) => t === text)}`, { Dockerfile: text });
    const result = await build([dir]);
    assert.equal(result.code, 1, text);
    assert.match(result.stderr, message, text);
    assert.doesNotMatch(result.stdout, /Step 1/, "a syntax error stops the build before its first step");
  }
  const stepErrors: Array<[string, RegExp]> = [
    ["FROM busybox\nCOPY nothere /x\n", /COPY failed: file not found in build context or excluded by .dockerignore: stat nothere: file does not exist/],
    ["FROM busybox\nCOPY a b /x\n", /COPY failed: file not found in build context/],
    ["FROM busybox\nCOPY --from=nostage /a /x\n", /invalid from flag value nostage: No such image: nostage:latest/],
    ["FROM busybox\nEXPOSE abc\n", /invalid containerPort: abc/],
    ["FROM busybox\nSTOPSIGNAL FOO\n", /Invalid signal: FOO/],
    ["FROM nosuchimage:1\n", /No such image: nosuchimage:1/],
    ["FROM busybox\nCOPY ../outside /x\n", /forbidden path outside the build context: ..\/outside/],
  ];
  for (const [text, message] of stepErrors) {
    const dir = context(`step-error-${stepErrors.findIndex(([t]) => t === text)}`, { Dockerfile: text });
    const result = await build([dir]);
    assert.equal(result.code, 1, text);
    assert.match(result.stderr, message, text);
    assert.match(result.stdout, /Step 1\//);
  }
  await assertNothingLeftBehind();
});

test("a failing RUN shows its output, stops the build with its exit code and leaves nothing behind", async () => {
  const dir = context("failing", { Dockerfile: "FROM busybox\nRUN echo out; echo err >&2; exit 3\nRUN echo never\n" });
  const result = await build([dir]);
  assert.equal(result.code, 3, "the CLI exits with the command's code");
  assert.match(result.stdout, /out\n/);
  assert.match(result.stdout, /\u001b\[91merr\n\u001b\[0m/, "stderr shows in red, as dockerd sends it");
  assert.match(result.stderr, /The command '\/bin\/sh -c echo out; echo err >&2; exit 3' returned a non-zero code: 3/);
  assert.doesNotMatch(result.stdout, /never/);
  await assertNothingLeftBehind();
});

test("the context can be a bare Dockerfile on stdin, -f names another file, -q prints only the ID, the CLI's default works", async () => {
  const stdin = await build(["-t", "fromstdin", "-"], { input: "FROM busybox\nRUN echo piped > /piped\n" });
  assert.equal(stdin.code, 0, stdin.stderr);
  assert.equal(await runIn("fromstdin", "cat /piped"), "piped\n");

  const dir = context("named", { "build/Other.dockerfile": "FROM busybox\nCOPY file.txt /file.txt\n", "file.txt": "named\n" });
  const named = await build(["-q", "-f", join(dir, "build/Other.dockerfile"), "-t", "named", dir]);
  assert.equal(named.code, 0, named.stderr);
  assert.match(named.stdout, /^sha256:[0-9a-f]{64}\n$/);
  assert.equal(await runIn("named", "cat /file.txt"), "named\n");

  const plain = await build(["-t", "plain", dir, "-f", join(dir, "build/Other.dockerfile")], { buildkit: true });
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /Successfully tagged plain:latest/);
});

test("copies never leave the image's root through its symlinks, nor the context through the context's", async () => {
  const escapeTarget = join(work, "host-dir");
  mkdirSync(escapeTarget);
  const dir = context("symlinks", {
    "Dockerfile": `FROM busybox\nRUN ln -s ${escapeTarget} /escape\nCOPY a.txt /escape/\nCOPY link /from-link\n`,
    "a.txt": "inside\n",
  });
  symlinkSync("/etc/hostname", join(dir, "link"));
  const result = await build(["-t", "symlinks", dir]);
  assert.equal(result.code, 1, "the context's absolute symlink resolves inside the context, where nothing is");
  assert.match(result.stderr, /file not found in build context/);
  assert.equal(existsSync(join(escapeTarget, "a.txt")), false, "nothing was written to the host through the image's symlink");

  writeFileSync(join(dir, "Dockerfile"), `FROM busybox\nRUN ln -s ${escapeTarget} /escape\nCOPY a.txt /escape/\n`);
  const safe = await build(["-t", "symlinks", dir]);
  assert.equal(safe.code, 0, safe.stderr);
  assert.equal(existsSync(join(escapeTarget, "a.txt")), false);
  assert.equal(await runIn("symlinks", `cat ${escapeTarget}/a.txt`), "inside\n", "the copy landed at the symlink's target inside the image");
  chmodSync(escapeTarget, 0o755);
});

test("interrupting the client cancels the build: its container is killed and removed", async () => {
  const dir = context("interrupt", { Dockerfile: "FROM busybox\nRUN echo started; sleep 60\n" });
  const child = spawn("docker", ["-H", engine().host, "build", dir], { env: { ...process.env, DOCKER_BUILDKIT: "0" } });
  let output = "";
  await new Promise<void>((started) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("\nstarted\n")) started();
    });
  });
  child.kill("SIGINT");
  await new Promise<void>((exited) => child.once("close", () => exited()));
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await docker(engine(), ["ps", "-aq"])).stdout === "" && readdirSync(join(engine().root, "builds")).length === 0) break;
    await new Promise((wait) => setTimeout(wait, 100));
  }
  await assertNothingLeftBehind();
});

test("images lists built images but hides the intermediate ones unless -a; rmi removes the untagged parents", async () => {
  const dir = context("layers", { Dockerfile: "FROM busybox\nENV A=1\nRUN echo layered > /layered\n" });
  const result = await build(["-t", "layers", dir]);
  assert.equal(result.code, 0, result.stderr);
  const listed = (await docker(engine(), ["images", "-q", "--no-trunc"])).stdout.split("\n");
  const all = (await docker(engine(), ["images", "-a", "-q", "--no-trunc"])).stdout.split("\n");
  const parent = (await inspectImage("layers")).Parent;
  assert.equal(listed.includes(parent), false, "the intermediate image is hidden");
  assert.equal(all.includes(parent), true, "and listed with -a");
  const removed = await docker(engine(), ["rmi", "layers"]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, new RegExp(`Deleted: ${parent}`), "the untagged parent goes with it");
});

test("history lists each step with its size, as docker history shows dockerd's", async () => {
  const dir = context("history", { "Dockerfile": "FROM busybox\nENV FOO=bar\nCOPY a.txt /a.txt\nRUN echo hi > /hi\nCMD [\"sh\"]\n", "a.txt": "hello\n" });
  const result = await build(["-t", "history", dir]);
  assert.equal(result.code, 0, result.stderr);
  const history = await docker(engine(), ["history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Size}}", "history"]);
  assert.equal(history.code, 0, history.stderr);
  const lines = history.stdout.trim().split("\n");
  assert.equal(lines.length, 5);
  assert.equal(lines[0], '/bin/sh -c #(nop)  CMD ["sh"]|0B');
  assert.equal(lines[1], "/bin/sh -c echo hi > /hi|3B");
  assert.match(lines[2], /^\/bin\/sh -c #\(nop\) COPY file:[0-9a-f]{64} in \/a\.txt \|6B$/);
  assert.equal(lines[3], "/bin/sh -c #(nop)  ENV FOO=bar|0B");
  const ids = (await docker(engine(), ["history", "-q", "--no-trunc", "history"])).stdout.trim().split("\n");
  assert.equal(ids[0], (await inspectImage("history")).Id);
  assert.equal(ids[1], (await inspectImage("history")).Parent);
});

test(".dockerignore keeps files out of the context; the Dockerfile and .dockerignore leave it when listed", async () => {
  const dir = context("ignore", {
    "Dockerfile": "FROM busybox\nCOPY . /ctx/\n",
    ".dockerignore": "secret.txt\nlogs/\n!logs/keep.log\nDockerfile\n.dockerignore\n",
    "app.txt": "app\n",
    "secret.txt": "secret\n",
    "logs/debug.log": "debug\n",
    "logs/keep.log": "keep\n",
  });
  const result = await build(["-t", "ignored", dir]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(await runIn("ignored", "cd /ctx && find . | sort"), ".\n./app.txt\n./logs\n./logs/keep.log\n");
});

test("a Dockerfile outside the context (-f ../Dockerfile) builds: the CLI adds it to the context", async () => {
  const dir = context("outside-context", { "inside.txt": "inside\n" });
  const dockerfile = join(work, "outside.Dockerfile");
  writeFileSync(dockerfile, "FROM busybox\nCOPY inside.txt /inside.txt\n");
  const result = await build(["-t", "outside", "-f", dockerfile, dir]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(await runIn("outside", "cat /inside.txt"), "inside\n");
});

test("RUN runs as the USER with the SHELL and the ENV; an image's ONBUILD triggers run in the build that uses it", async () => {
  const parent = context("onbuild-parent", {
    Dockerfile: 'FROM busybox\nONBUILD RUN echo "trigger ran" > /triggered\nONBUILD COPY child.txt /child.txt\n',
  });
  const parentBuild = await build(["-t", "onbuild-parent", parent]);
  assert.equal(parentBuild.code, 0, parentBuild.stderr);
  const child = context("onbuild-child", {
    "Dockerfile": [
      "FROM onbuild-parent",
      "ENV GREETING=hi",
      'SHELL ["/bin/sh", "-xc"]',
      "USER 1000:1000",
      "RUN id -u > /tmp/uid && echo \"$GREETING\" > /tmp/greeting",
      "",
    ].join("\n"),
    "child.txt": "from the child context\n",
  });
  const result = await build(["-t", "onbuild-child", child]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /# Executing 2 build triggers\n/);
  assert.match(result.stdout.replace(/\u001b\[\d+m/g, ""), /\+ id -u/, "the SHELL's -x traced the command");
  assert.equal(await runIn("onbuild-child", "cat /triggered /child.txt /tmp/uid /tmp/greeting"), "trigger ran\nfrom the child context\n1000\nhi\n");
  assert.equal((await inspectImage("onbuild-child")).Config.OnBuild, null, "triggers run once: the child image has none");
});

test("FROM scratch: an image of only what the build copies", async () => {
  const dir = context("scratch", { "Dockerfile": 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY hello.txt /\nENTRYPOINT ["/bin/busybox"]\nCMD ["cat", "/hello.txt"]\n', "hello.txt": "from scratch\n" });
  execFileSync("cp", ["/bin/busybox", join(dir, "busybox")]);
  const result = await build(["-t", "scratch-built", dir]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Step 1\/5 : FROM scratch\n ---> \n/, "scratch has no image ID to show, as with dockerd");
  assert.equal((await inspectImage("scratch-built")).RootFS.Layers.length, 2, "one layer per COPY");
  assert.equal((await docker(engine(), ["run", "--rm", "scratch-built"])).stdout, "from scratch\n");
});

test("COPY of a directory's content leaves the destination its own owner and mode, as dockerd does", async () => {
  const dir = context("copy-root-mode", {
    Dockerfile: "FROM busybox\nRUN mkdir -m 0751 /kept && chown 7:7 /kept\nWORKDIR /app\nCOPY . .\nCOPY . /new/\nCOPY . /kept/\nUSER nobody\nRUN ls /app > /dev/null\n",
    "src/main.txt": "main\n",
  });
  const result = await build(["-t", "copy-root-mode", dir]);
  assert.equal(result.code, 0, result.stderr);
  // The context's own directory is 0700 on the engine; before, `COPY . .` gave /app that mode.
  assert.equal(await runIn("copy-root-mode", "stat -c '%a %u:%g' /app /new /kept /app/src"), "755 0:0\n755 0:0\n751 7:7\n755 0:0\n");
});

test("COPY of a symlink in the context copies its target's content under the link's own name, as dockerd does", async () => {
  const dir = context("copy-symlink-name", { Dockerfile: "FROM busybox\nCOPY link /one/\nCOPY lin* /two/\n", "target.txt": "content\n" });
  symlinkSync("target.txt", join(dir, "link"));
  const result = await build(["-t", "copy-symlink-name", dir]);
  assert.equal(result.code, 0, result.stderr);
  // Before, the copy was named after the link's target: /one/target.txt.
  assert.equal(await runIn("copy-symlink-name", "ls /one; ls /two; cat /one/link; [ -L /one/link ] || echo regular"), "link\nlink\ncontent\nregular\n");
});
