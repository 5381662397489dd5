// `moor build` against a real engine: flags, contexts (a directory, a Dockerfile or a tar on
// stdin), .dockerignore, -q and --iidfile, exit codes, Ctrl-C, and output byte for byte like
// the docker CLI's legacy builder (DOCKER_BUILDKIT=0) against the same engine. Needs root,
// runc, conmon, busybox-static, the docker CLI and a built binary.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { docker, importBusybox, moor, moorBin, useEngine, writeContext, type RunResult } from "./support/engine.ts";

let work: string;
const engine = useEngine((started) => importBusybox(started, { changes: ['CMD ["/bin/sh"]'] }));

before(() => {
  work = mkdtempSync(join(tmpdir(), "moor-cli-build-"));
});

after(() => {
  rmSync(work, { recursive: true, force: true });
});

function context(name: string, files: Record<string, string>): string {
  return writeContext(join(work, name), files);
}

function moorBuild(args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return moor(engine(), ["build", ...args], options);
}

function dockerBuild(args: string[], options: { input?: string | Buffer } = {}): Promise<RunResult> {
  return docker(engine(), ["build", ...args], { input: options.input, env: { DOCKER_BUILDKIT: "0" } });
}

/** docker 28 warns on stderr that the legacy builder is deprecated; moor's builder is not, and says nothing. */
function withoutDeprecationBanner(stderr: string): string {
  return stderr.replace(/^DEPRECATED: The legacy builder is deprecated[^]*?environment-variable\.\n\n/, "");
}

/** Image, container and layer IDs differ from build to build; everything else must not. */
function maskIds(text: string): string {
  return text.replace(/sha256:[0-9a-f]{64}/g, "<digest>").replace(/\b[0-9a-f]{12}\b/g, "<id>");
}

async function runIn(image: string, script: string): Promise<string> {
  const result = await docker(engine(), ["run", "--rm", image, "sh", "-c", script]);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

async function inspectImage(image: string): Promise<{ Id: string; Config: { Labels: Record<string, string> | null } }> {
  const result = await docker(engine(), ["image", "inspect", image]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout)[0];
}

async function assertNothingLeftBehind(): Promise<void> {
  assert.equal((await docker(engine(), ["ps", "-aq"])).stdout, "", "no build container is left");
  assert.deepEqual(readdirSync(join(engine().root, "builds")), [], "no build scratch directory is left");
}

test("a directory context with -t, -f, --build-arg (given, from the environment, unset), --label and --target", async () => {
  const dir = context("flags", {
    "build/Other.dockerfile": [
      "FROM busybox AS first",
      "ARG GIVEN",
      "ARG FROM_ENV",
      "ARG MOOR_TEST_UNSET_ARG=the-default",
      "RUN echo \"$GIVEN $FROM_ENV $MOOR_TEST_UNSET_ARG\" > /args",
      "COPY data.txt /data.txt",
      "FROM busybox",
      "RUN echo second > /second",
      "",
    ].join("\n"),
    "data.txt": "data\n",
  });
  assert.equal(process.env.MOOR_TEST_UNSET_ARG, undefined);
  const result = await moorBuild(
    [
      "-t", "flags:1", "--tag", "flags:2",
      "-f", join(dir, "build/Other.dockerfile"),
      "--build-arg", "GIVEN=given", "--build-arg", "FROM_ENV", "--build-arg", "MOOR_TEST_UNSET_ARG",
      "--label", "team=storage", "--label", "empty",
      "--target", "first",
      dir,
    ],
    { env: { FROM_ENV: "from-env" } },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  assert.match(result.stdout, /^Sending build context to Docker daemon {2}\d/);
  assert.doesNotMatch(result.stdout, /RUN echo second/, "--target stops after the first stage");
  assert.match(result.stdout, /Successfully tagged flags:1\nSuccessfully tagged flags:2\n$/);
  assert.equal(await runIn("flags:1", "cat /args /data.txt; test -e /second || echo 'no second stage'"), "given from-env the-default\ndata\nno second stage\n");
  assert.deepEqual((await inspectImage("flags:2")).Config.Labels, { team: "storage", empty: "" });
});

test(".dockerignore keeps files out of the image; an ignored Dockerfile is still found", async () => {
  const dir = context("ignore", {
    "build/Dockerfile": "FROM busybox\nCOPY . /ctx/\n",
    ".dockerignore": "secret.txt\nlogs\nbuild\n.dockerignore\n",
    "app.txt": "app\n",
    "secret.txt": "secret\n",
    "logs/debug.log": "debug\n",
  });
  const result = await moorBuild(["-t", "ignored", "-f", join(dir, "build/Dockerfile"), dir]);
  assert.equal(result.code, 0, result.stderr);
  // The Dockerfile travels (the CLI adds an exception for it) and the engine drops it, as
  // dockerd does: its directory stays behind, empty.
  assert.equal(await runIn("ignored", "cd /ctx && find . | sort"), ".\n./app.txt\n./build\n");
});

test("a Dockerfile on stdin with -, and a tar context on stdin", async () => {
  const fromStdin = await moorBuild(["-t", "stdin-file", "-"], { input: "FROM busybox\nRUN echo piped > /piped\n" });
  assert.equal(fromStdin.code, 0, fromStdin.stderr);
  assert.match(fromStdin.stdout, /^Sending build context to Docker daemon {2}2\.048kB\r\r\nStep 1\/2 : FROM busybox\n/);
  assert.equal(await runIn("stdin-file", "cat /piped"), "piped\n");

  const dir = context("tar-stdin", { "Dockerfile": "FROM busybox\nCOPY hello.txt /hello.txt\n", "hello.txt": "from a tar\n" });
  const tarball = execFileSync("tar", ["-c", "-C", dir, "."]);
  const fromTar = await moorBuild(["-t", "stdin-tar", "-"], { input: tarball });
  assert.equal(fromTar.code, 0, fromTar.stderr);
  assert.equal(await runIn("stdin-tar", "cat /hello.txt"), "from a tar\n");
});

test("-q prints only the image ID; on failure it shows what it held back; --iidfile saves the ID and drops a stale one", async () => {
  const dir = context("quiet", { "Dockerfile": "FROM busybox\nRUN echo quiet > /quiet\n" });
  const quiet = await moorBuild(["-q", "-t", "quiet", dir]);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.match(quiet.stdout, /^sha256:[0-9a-f]{64}\n$/);
  assert.equal(quiet.stdout.trim(), (await inspectImage("quiet")).Id);

  const iidfile = join(work, "iid");
  const saved = await moorBuild(["--iidfile", iidfile, "-t", "quiet", dir]);
  assert.equal(saved.code, 0, saved.stderr);
  assert.equal(readFileSync(iidfile, "utf8"), (await inspectImage("quiet")).Id, "the ID alone, without a newline, as docker writes it");

  const failing = context("quiet-failing", { "Dockerfile": "FROM busybox\nRUN echo held back; exit 4\n" });
  const failed = await moorBuild(["-q", "--iidfile", iidfile, failing]);
  assert.equal(failed.code, 4);
  assert.equal(failed.stdout, "");
  assert.match(failed.stderr, /^Sending build context to Docker daemon {2}[^]*Step 2\/2 : RUN echo held back; exit 4\n[^]*held back\n[^]*The command '\/bin\/sh -c echo held back; exit 4' returned a non-zero code: 4\n$/);
  assert.equal(existsSync(iidfile), false, "a failed build leaves no stale ID file");
});

test("a failing RUN exits with its code; a Dockerfile syntax error exits 1 with the engine's message; both as the docker CLI", async () => {
  const failing = context("failing", { "Dockerfile": "FROM busybox\nRUN echo out; echo err >&2; exit 7\n" });
  const moorFailed = await moorBuild([failing]);
  assert.equal(moorFailed.code, 7);
  assert.equal(moorFailed.stderr, "The command '/bin/sh -c echo out; echo err >&2; exit 7' returned a non-zero code: 7\n");
  const dockerFailed = await dockerBuild([failing]);
  assert.equal(dockerFailed.code, 7);
  assert.equal(maskIds(moorFailed.stdout), maskIds(dockerFailed.stdout));
  assert.equal(moorFailed.stderr, withoutDeprecationBanner(dockerFailed.stderr));

  const syntax = context("syntax", { "Dockerfile": "FROM busybox\nFOOBAR x\n" });
  const moorSyntax = await moorBuild([syntax]);
  assert.equal(moorSyntax.code, 1);
  assert.equal(moorSyntax.stderr, "Error response from daemon: dockerfile parse error on line 2: unknown instruction: FOOBAR\n");
  assert.match(moorSyntax.stdout, /^Sending build context to Docker daemon {2}\S+\r\r\n$/, "no step ran");
  const dockerSyntax = await dockerBuild([syntax]);
  assert.equal(dockerSyntax.code, 1);
  assert.equal(moorSyntax.stdout, dockerSyntax.stdout);
  assert.equal(moorSyntax.stderr, withoutDeprecationBanner(dockerSyntax.stderr));
  await assertNothingLeftBehind();
});

test("the output of the steps is the docker CLI's for the same build on the same engine, IDs aside", async () => {
  const dir = context("compare", {
    "Dockerfile": [
      "FROM busybox",
      "ARG WHO=nobody",
      "ENV GREETING=hello",
      "WORKDIR /srv",
      "COPY app.txt .",
      "RUN echo \"$GREETING $WHO\"; echo to-stderr >&2",
      "LABEL stage=compare",
      "CMD [\"cat\", \"app.txt\"]",
      "",
    ].join("\n"),
    "app.txt": "app\n",
    "sub/nested.txt": "nested\n",
  });
  const args = ["--no-cache", "-t", "compare:1", "-t", "compare:2", "--build-arg", "WHO=world", "--build-arg", "UNUSED=x", "--label", "via=flag", dir];
  const moorResult = await moorBuild(args);
  assert.equal(moorResult.code, 0, moorResult.stderr);
  const dockerResult = await dockerBuild(args);
  assert.equal(dockerResult.code, 0, dockerResult.stderr);
  assert.match(moorResult.stdout, /Step 6\/9 : RUN echo "\$GREETING \$WHO"; echo to-stderr >&2\n ---> Running in [0-9a-f]{12}\nhello world\n/);
  assert.equal(maskIds(moorResult.stdout), maskIds(dockerResult.stdout));
  assert.equal(moorResult.stderr, withoutDeprecationBanner(dockerResult.stderr));

  const input = "FROM busybox\nRUN echo from stdin\n";
  const moorStdin = await moorBuild(["--no-cache", "-"], { input });
  const dockerStdin = await dockerBuild(["--no-cache", "-"], { input });
  assert.equal(moorStdin.code, 0, moorStdin.stderr);
  assert.equal(maskIds(moorStdin.stdout), maskIds(dockerStdin.stdout));

  const moorQuiet = await moorBuild(["-q", dir]);
  const dockerQuiet = await dockerBuild(["-q", dir]);
  assert.equal(moorQuiet.stdout, dockerQuiet.stdout, "the cache gives both the same image");
});

test("flags are checked before anything is sent, with docker's texts", async () => {
  const dir = context("checked", { "Dockerfile": "FROM busybox\n" });
  const cases: Array<[string[], string]> = [
    [["-t", "UPPER"], 'invalid argument "UPPER" for "-t, --tag" flag: invalid reference format: repository name (library/UPPER) must be lowercase'],
    [["-t", "a b"], 'invalid argument "a b" for "-t, --tag" flag: invalid reference format'],
    [["-t", "x:"], 'invalid argument "x:" for "-t, --tag" flag: invalid reference format'],
    [["--label", "=x"], "invalid argument \"=x\" for \"--label\" flag: invalid label '=x': empty name"],
    [["--build-arg", "=x"], 'invalid argument "=x" for "--build-arg" flag: invalid environment variable: =x'],
  ];
  for (const [flags, message] of cases) {
    const moorResult = await moorBuild([...flags, dir]);
    assert.equal(moorResult.code, 125, flags.join(" "));
    assert.equal(moorResult.stderr.split("\n")[0], message);
    assert.equal(moorResult.stdout, "");
    const dockerResult = await dockerBuild([...flags, dir]);
    assert.equal(dockerResult.code, 125);
    assert.equal(withoutDeprecationBanner(dockerResult.stderr).split("\n")[0], message);
  }
  const accepted = await moorBuild(["-q", "-t", "Registry.example.com:5000/team/app:v1", "-t", "localhost/app", dir]);
  assert.equal(accepted.code, 0, accepted.stderr);
  const missing = await moorBuild([join(work, "no-such-dir")]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `unable to prepare context: path "${join(work, "no-such-dir")}" not found\n`);
});

test("Ctrl-C cancels the build: exit code 130, its container and scratch files are removed", async () => {
  const dir = context("interrupt", { "Dockerfile": "FROM busybox\nRUN echo started; sleep 60\n" });
  const child = spawn(moorBin, ["build", dir], { env: { ...process.env, MOOR_HOST: engine().host } });
  let output = "";
  await new Promise<void>((started, failed) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("\nstarted\n")) started();
    });
    child.once("close", () => failed(new Error(`moor build ended before its RUN started:\n${output}`)));
  });
  child.kill("SIGINT");
  const code = await new Promise<number | null>((exited) => child.once("close", (exitCode) => exited(exitCode)));
  assert.equal(code, 130);
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await docker(engine(), ["ps", "-aq"])).stdout === "" && readdirSync(join(engine().root, "builds")).length === 0) break;
    await new Promise((wait) => setTimeout(wait, 100));
  }
  await assertNothingLeftBehind();
});
