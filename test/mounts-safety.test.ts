// Copy-up safety: a hostile image cannot make copy-up read or write host files, and a kill -9
// of the engine during a copy-up never leaves a partly filled volume behind.
// Needs root, runc and a built binary.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { api, docker, startEngine, useEngine, type TestEngine } from "./support/engine.ts";

const work = mkdtempSync(join(tmpdir(), "moor-mounts-safety-"));
const baseTar = join(work, "busybox.tar");
after(() => rmSync(work, { recursive: true, force: true }));

/** Imports busybox plus `extra` (called with the unpacked root) as an image with VOLUME /data. */
async function importImage(engine: TestEngine, name: string, extra: (root: string) => void): Promise<void> {
  const root = mkdtempSync(join(work, "root-"));
  execFileSync("tar", ["-xf", baseTar, "-C", root]);
  extra(root);
  const tarball = `${root}.tar`;
  execFileSync("tar", ["-cf", tarball, "-C", root, "."]);
  const imported = await docker(engine, ["import", "-c", 'VOLUME ["/data"]', tarball, name]);
  assert.equal(imported.code, 0, imported.stderr);
}

function volumeOf(inspect: string): string {
  const mounts = JSON.parse(inspect) as Array<{ Destination: string; Source: string }>;
  return mounts.find((m) => m.Destination === "/data")!.Source;
}

before(() => {
  execFileSync("bash", [join(import.meta.dirname, "..", "scripts", "make-test-image.sh"), baseTar]);
});

const engine = useEngine();

test("copy-up resolves the image path inside the container root, never on the host", async () => {
  const hostDir = mkdtempSync(join(work, "host-secret-"));
  writeFileSync(join(hostDir, "secret"), "host data");
  await importImage(engine(), "hostile-escape:test", (root) => {
    // /data leads, through .. and an absolute link, to the host directory's path: inside the
    // container root that path does not exist, so there is nothing to copy.
    symlinkSync(`../../../../../../..${hostDir}`, join(root, "data"));
  });
  const created = await docker(engine(), ["create", "hostile-escape:test", "true"]);
  assert.equal(created.code, 0, created.stderr);
  const source = volumeOf((await docker(engine(), ["inspect", "--format", "{{json .Mounts}}", created.stdout.trim()])).stdout);
  assert.deepEqual(readdirSync(source), [], "nothing from the host was copied into the volume");
  assert.deepEqual(readdirSync(hostDir), ["secret"], "the host directory is untouched");
});

test("symlinks in the image are copied as symlinks, not followed to host files", async () => {
  await importImage(engine(), "hostile-links:test", (root) => {
    mkdirSync(join(root, "data"));
    symlinkSync("/etc/shadow", join(root, "data", "absolute"));
    symlinkSync("../../../../etc/hostname", join(root, "data", "relative"));
    writeFileSync(join(root, "data", "plain"), "image data");
  });
  const created = await docker(engine(), ["create", "hostile-links:test", "true"]);
  assert.equal(created.code, 0, created.stderr);
  const source = volumeOf((await docker(engine(), ["inspect", "--format", "{{json .Mounts}}", created.stdout.trim()])).stdout);
  assert.deepEqual(readdirSync(source).sort(), ["absolute", "plain", "relative"]);
  assert.ok(lstatSync(join(source, "absolute")).isSymbolicLink());
  assert.equal(readlinkSync(join(source, "absolute")), "/etc/shadow");
  assert.equal(readlinkSync(join(source, "relative")), "../../../../etc/hostname");
});

test("kill -9 during copy-ups leaves every volume empty or whole, and no partial copy behind", async () => {
  const files = 2000;
  const first = await startEngine();
  let second: TestEngine | undefined;
  try {
    await importImage(first, "many-files:test", (root) => {
      for (let d = 0; d < 20; d++) {
        mkdirSync(join(root, "data", String(d)), { recursive: true });
        for (let f = 0; f < files / 20; f++) writeFileSync(join(root, "data", String(d), String(f)), "x".repeat(512));
      }
    });
    const creates = Array.from({ length: 4 }, () => api(first, "POST", "/containers/create", { Image: "many-files:test", Cmd: ["true"] }).catch(() => undefined));
    await new Promise((resolve) => setTimeout(resolve, 150));
    await first.kill();
    await Promise.all(creates);

    second = await startEngine({ root: first.root });
    const volumes = JSON.parse((await api(second, "GET", "/volumes")).body).Volumes as Array<{ Name: string; Mountpoint: string }>;
    for (const volume of volumes) {
      const count = execFileSync("find", [volume.Mountpoint, "-type", "f"], { encoding: "utf8" }).split("\n").filter(Boolean).length;
      assert.ok(count === 0 || count === files, `volume ${volume.Name} holds ${count} of ${files} files`);
    }
    const containers = JSON.parse((await api(second, "GET", "/containers/json?all=1")).body) as Array<{ Id: string; Mounts: Array<{ Source: string }> }>;
    for (const container of containers) {
      const count = execFileSync("find", [container.Mounts[0].Source, "-type", "f"], { encoding: "utf8" }).split("\n").filter(Boolean).length;
      assert.equal(count, files, "a container that exists has its volume filled");
    }
    // The partial copies are purged in the background after the restart.
    const deadline = Date.now() + 10_000;
    const leftovers = () => readdirSync(join(first.root, "volumes")).filter((name) => existsSync(join(first.root, "volumes", name, "_data.copy-up")));
    while (leftovers().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(leftovers(), []);
  } finally {
    await first.kill();
    if (second) {
      await api(second, "POST", "/containers/prune");
      await second.stop();
      second.cleanup();
    }
    first.cleanup();
  }
});
