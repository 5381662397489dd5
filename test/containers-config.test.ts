// What a container's config keeps from the request and the image, and the warnings its create
// answers, through the real docker CLI and moor. Needs root, busybox-static and a built binary.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";
import { api, docker, moor, useEngine } from "./support/engine.ts";

const imageHealthcheck = { Test: ["CMD-SHELL", "cat /etc/passwd"], Interval: 30_000_000_000, Retries: 3 };

let work: string;
const engine = useEngine(async (started) => {
  work = mkdtempSync(join(tmpdir(), "moor-config-"));
  const tarball = join(work, "layer.tar");
  execFileSync(resolve(import.meta.dirname, "../scripts/make-test-image.sh"), [tarball]);
  assert.equal((await docker(started, ["import", "-c", 'CMD ["/bin/sh"]', tarball, "busybox"])).code, 0);
  // `docker import` cannot set a HEALTHCHECK; a `docker save` archive can.
  const diffId = `sha256:${createHash("sha256").update(readFileSync(tarball)).digest("hex")}`;
  const config = {
    architecture: "amd64",
    config: { ...emptyConfig(), Cmd: ["/bin/sh"], Healthcheck: imageHealthcheck },
    created: "2026-01-01T00:00:00Z",
    history: [{ created: "2026-01-01T00:00:00Z" }],
    os: "linux",
    rootfs: { type: "layers", diff_ids: [diffId] },
  };
  writeFileSync(join(work, "config.json"), JSON.stringify(config));
  writeFileSync(join(work, "manifest.json"), JSON.stringify([{ Config: "config.json", RepoTags: ["healthy:latest"], Layers: ["layer.tar"] }]));
  execFileSync("tar", ["-cf", join(work, "healthy.tar"), "-C", work, "manifest.json", "config.json", "layer.tar"]);
  const loaded = await docker(started, ["load", "-i", join(work, "healthy.tar")]);
  assert.equal(loaded.code, 0, loaded.stderr);
});

after(() => {
  rmSync(work, { recursive: true, force: true });
});

function emptyConfig() {
  return {
    Hostname: "", Domainname: "", User: "", AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false, OpenStdin: false,
    StdinOnce: false, Env: null, Cmd: null, Image: "", Volumes: null, WorkingDir: "", Entrypoint: null, OnBuild: null, Labels: null,
  };
}

async function inspect(name: string): Promise<{ Config: Record<string, unknown>; State: Record<string, unknown>; HostConfig: Record<string, unknown> }> {
  const result = await docker(engine(), ["inspect", name]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout)[0];
}

test("docker run --health-cmd --health-interval: inspect shows the healthcheck as dockerd does, in nanoseconds", async () => {
  const ran = await docker(engine(), ["run", "--name", "checked", "--health-cmd", "true", "--health-interval", "5s", "busybox", "true"]);
  assert.equal(ran.code, 0, ran.stderr);
  const checked = await inspect("checked");
  assert.deepEqual(checked.Config.Healthcheck, { Test: ["CMD-SHELL", "true"], Interval: 5_000_000_000 });
  // The check ran while the container did; once it exited the monitor stopped, which dockerd reports as unhealthy.
  assert.equal((checked.State.Health as { Status: string }).Status, "unhealthy");
  assert.equal(
    (await docker(engine(), ["inspect", "--format", "{{json .Config.Healthcheck}}", "checked"])).stdout,
    '{"Test":["CMD-SHELL","true"],"Interval":5000000000}\n',
  );
  const flags = ["--health-cmd", "cat /etc/passwd", "--health-interval", "1m30s", "--health-timeout", "2s", "--health-start-period", "100ms", "--health-retries", "4"];
  await docker(engine(), ["create", "--name", "all-docker", ...flags, "busybox"]);
  await moor(engine(), ["create", "--name", "all-moor", ...flags, "busybox"]);
  const expected = { Test: ["CMD-SHELL", "cat /etc/passwd"], Interval: 90_000_000_000, Timeout: 2_000_000_000, StartPeriod: 100_000_000, Retries: 4 };
  assert.deepEqual((await inspect("all-docker")).Config.Healthcheck, expected);
  assert.deepEqual((await inspect("all-moor")).Config.Healthcheck, expected);
  await docker(engine(), ["rm", "checked", "all-docker", "all-moor"]);
});

test("a container without a healthcheck has no Healthcheck key, as with dockerd", async () => {
  await docker(engine(), ["create", "--name", "plain", "busybox"]);
  assert.equal("Healthcheck" in (await inspect("plain")).Config, false);
  const viaApi = await api(engine(), "POST", "/v1.45/containers/create?name=plain-api", { Image: "busybox", Healthcheck: null });
  assert.equal(viaApi.status, 201, viaApi.body);
  assert.equal("Healthcheck" in (await inspect("plain-api")).Config, false);
  await docker(engine(), ["rm", "plain", "plain-api"]);
});

test("a loaded image's HEALTHCHECK is the container's unless the request sets its own fields", async () => {
  assert.equal((await docker(engine(), ["image", "inspect", "--format", "{{json .Config.Healthcheck}}", "healthy"])).stdout, `${JSON.stringify(imageHealthcheck)}\n`);
  await docker(engine(), ["create", "--name", "inherits", "healthy"]);
  await docker(engine(), ["create", "--name", "overrides", "--health-interval", "5s", "--health-timeout", "1s", "healthy"]);
  await moor(engine(), ["create", "--name", "disables", "--no-healthcheck", "healthy"]);
  // What dockerd shows for the same three (moby daemon/commit.go merge fills each empty field from the image).
  assert.deepEqual((await inspect("inherits")).Config.Healthcheck, imageHealthcheck);
  assert.deepEqual((await inspect("overrides")).Config.Healthcheck, { Test: ["CMD-SHELL", "cat /etc/passwd"], Interval: 5_000_000_000, Timeout: 1_000_000_000, Retries: 3 });
  assert.deepEqual((await inspect("disables")).Config.Healthcheck, { Test: ["NONE"], Interval: 30_000_000_000, Retries: 3 });
  await docker(engine(), ["rm", "inherits", "overrides", "disables"]);
});

test("a healthcheck dockerd refuses: its 400s and messages", async () => {
  const tooShort = await docker(engine(), ["create", "--health-interval", "500us", "busybox"]);
  assert.deepEqual(tooShort, { code: 1, stdout: "", stderr: "Error response from daemon: Interval in Healthcheck cannot be less than 1ms\n" });
  const negative = await api(engine(), "POST", "/v1.45/containers/create", { Image: "busybox", Healthcheck: { Retries: -1 } });
  assert.deepEqual([negative.status, JSON.parse(negative.body).message], [400, "Retries in Healthcheck cannot be negative"]);
  assert.equal((await docker(engine(), ["ps", "-aq"])).stdout, "", "nothing was created");
});

test("published ports: dockerd's host-network warning, since the default network is the host's for now", async () => {
  const warning = "WARNING: Published ports are discarded when using host network mode\n";
  for (const network of [[], ["--network", "host"], ["--network", "bridge"]]) {
    const viaDocker = await docker(engine(), ["create", ...network, "-p", "8080:80", "busybox"]);
    assert.equal(viaDocker.code, 0, viaDocker.stderr);
    assert.equal(viaDocker.stderr, warning, network.join(" "));
    const viaMoor = await moor(engine(), ["create", ...network, "-p", "8080:80", "busybox"]);
    assert.deepEqual([viaMoor.code, viaMoor.stderr], [0, warning], network.join(" "));
    for (const id of [viaDocker.stdout.trim(), viaMoor.stdout.trim()]) {
      const created = await inspect(id);
      assert.deepEqual(created.HostConfig.PortBindings, { "80/tcp": [{ HostIp: "", HostPort: "8080" }] });
      assert.deepEqual(created.Config.ExposedPorts, { "80/tcp": {} });
    }
  }
  const response = await api(engine(), "POST", "/v1.45/containers/create", { Image: "busybox", HostConfig: { PortBindings: { "80/tcp": [{ HostPort: "8080" }] } } });
  assert.deepEqual(JSON.parse(response.body).Warnings, ["Published ports are discarded when using host network mode"]);
  const none = await api(engine(), "POST", "/v1.45/containers/create", { Image: "busybox", HostConfig: { NetworkMode: "none", PortBindings: { "80/tcp": [{ HostPort: "8080" }] } } });
  assert.deepEqual(JSON.parse(none.body).Warnings, []);
  const noPorts = await docker(engine(), ["create", "-P", "busybox"]);
  assert.deepEqual([noPorts.code, noPorts.stderr], [0, ""], "-P alone publishes no binding: no warning, as with dockerd");
  assert.deepEqual((await inspect(noPorts.stdout.trim())).HostConfig.PublishAllPorts, true);
  // docker run prints the warning before the container's output.
  for (const cli of [docker, moor]) {
    assert.deepEqual(await cli(engine(), ["run", "--rm", "-p", "8080:80", "busybox", "echo", "hi"]), { code: 0, stdout: "hi\n", stderr: warning });
  }
  const detached = await moor(engine(), ["run", "-d", "-p", "8080:80", "busybox", "true"]);
  assert.equal(detached.stderr, warning);
  assert.match(detached.stdout, /^[0-9a-f]{64}\n$/);
  for (const id of (await docker(engine(), ["ps", "-aq"])).stdout.split("\n").filter((line) => line !== "")) await docker(engine(), ["rm", "-f", id]);
});

test("moor -p errors read as docker's", async () => {
  for (const [args, message] of [
    [["create", "-p", "abc", "busybox"], "moor: invalid containerPort: abc\n\nRun 'moor create --help' for more information\n"],
    [["run", "-p", "80/xyz", "busybox"], "moor: invalid proto: xyz\n\nRun 'moor run --help' for more information\n"],
  ] as const) {
    assert.deepEqual(await moor(engine(), [...args]), { code: 125, stdout: "", stderr: message });
  }
});
