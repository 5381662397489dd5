// A build interrupted by a crash of the engine (kill -9 in the middle of a RUN and of a COPY)
// leaves nothing once the engine starts again: no build container, no mount, no scratch file,
// no half-made image. Needs root, runc, conmon and busybox-static, and a built binary.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { acrossRestart, docker, type TestEngine } from "./support/engine.ts";

async function buildUntil(engine: TestEngine, dir: string, marker: string): Promise<void> {
  const child = spawn("docker", ["-H", engine.host, "build", dir], { env: { ...process.env, DOCKER_BUILDKIT: "0" } });
  let output = "";
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((reached, failed) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(marker)) reached();
    });
    child.once("close", (code) => failed(new Error(`the build ended (${code}) before printing ${JSON.stringify(marker)}:\n${output}`)));
  });
  await engine.kill();
  await new Promise<void>((exited) => child.once("close", () => exited()));
}

test("an engine killed mid-build cleans the build up when it starts again", async () => {
  await acrossRestart(async (first, restart, work) => {
    const images = (await docker(first, ["images", "-a", "-q"])).stdout;
    const dir = join(work, "ctx");
    mkdirSync(dir);
    writeFileSync(join(dir, "Dockerfile"), "FROM busybox\nRUN echo started; sleep 60\n");
    await buildUntil(first, dir, "\nstarted\n");

    const second = await restart();
    assert.equal((await docker(second, ["ps", "-aq"])).stdout, "", "the RUN step's container is gone");
    assert.deepEqual(readdirSync(join(first.root, "builds")), [], "no scratch directory is left");
    const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((line) => line.includes(first.root));
    assert.deepEqual(mounts, [], "no mount is left under the engine root");
    assert.equal((await docker(second, ["images", "-a", "-q"])).stdout, images, "no image was made");
    const built = await docker(second, ["build", "-q", "-"], {
      input: "FROM busybox\nRUN echo after > /after\n",
      env: { DOCKER_BUILDKIT: "0" },
    });
    assert.equal(built.code, 0, `the engine builds again: ${built.stderr}`);
  });
});
