// Images through the real docker CLI and moor: import of the busybox test image, list,
// inspect, tag and remove, with dockerd's shapes and rules. Needs root, busybox-static and a
// built binary.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { gzipSync } from "node:zlib";
import { api, docker, moor, onSmallDisk, useEngine } from "./support/engine.ts";

const engine = useEngine();
let work: string;
let tarball: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), "moor-images-"));
  tarball = join(work, "busybox.tar");
  execFileSync(resolve(import.meta.dirname, "../scripts/make-test-image.sh"), [tarball]);
});

after(() => {
  rmSync(work, { recursive: true, force: true });
});

async function removeAllImages(): Promise<void> {
  const images = JSON.parse((await api(engine(), "GET", "/images/json")).body) as Array<{ Id: string }>;
  for (const image of images) await api(engine(), "DELETE", `/images/${image.Id}?force=1`);
}

test("docker import gives an image whose layer is the tarball and whose config has the changes", async () => {
  await removeAllImages();
  const imported = await docker(engine(), ["import", "-c", 'CMD ["/bin/sh"]', "-c", "VOLUME /data", "-c", "ENV A=1 B=2", "-c", "WORKDIR /srv", tarball, "busybox:test"]);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const inspect = JSON.parse((await docker(engine(), ["image", "inspect", "busybox:test"])).stdout)[0];
  assert.equal(inspect.Id, imported.stdout.trim());
  assert.deepEqual(inspect.RepoTags, ["busybox:test"]);
  assert.deepEqual(inspect.Config.Cmd, ["/bin/sh"]);
  assert.deepEqual(inspect.Config.Env, ["A=1", "B=2"]);
  assert.deepEqual(inspect.Config.Volumes, { "/data": {} });
  assert.equal(inspect.Config.WorkingDir, "/srv");
  assert.equal(inspect.Comment, "Imported from -");
  const diffId = `sha256:${createHash("sha256").update(readFileSync(tarball)).digest("hex")}`;
  assert.deepEqual(inspect.RootFS, { Type: "layers", Layers: [diffId] });
  const layerDir = join(engine().root, "image", "layers", diffId.slice(7), "diff");
  assert.equal(existsSync(join(layerDir, "bin", "busybox")), true, "the layer is unpacked");
  assert.equal(inspect.Size > 1_000_000, true);
});

test("images list, tag and remove as with dockerd", async () => {
  await removeAllImages();
  const id = (await moor(engine(), ["image", "import", tarball, "busybox"])).stdout.trim();
  assert.equal((await docker(engine(), ["tag", "busybox", "team/app:v1"])).code, 0);
  // The docker CLI prints an image's tags in map order, so the lines are compared as a set.
  const listed = await docker(engine(), ["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]);
  assert.deepEqual(listed.stdout.split("\n").sort(), ["", `busybox:latest ${id.slice(7, 19)}`, `team/app:v1 ${id.slice(7, 19)}`]);
  assert.equal((await moor(engine(), ["images", "team/app", "--format", "{{.Repository}}"])).stdout, "team/app\n");

  const byId = await docker(engine(), ["rmi", id.slice(7, 19)]);
  assert.equal(byId.code, 1);
  assert.equal(byId.stderr, `Error response from daemon: conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories\n`);
  assert.deepEqual(await moor(engine(), ["rmi", "busybox"]), { code: 0, stdout: "Untagged: busybox:latest\n", stderr: "" });
  assert.deepEqual(await moor(engine(), ["rmi", "team/app:v1"]), { code: 0, stdout: `Untagged: team/app:v1\nDeleted: ${id}\n`, stderr: "" });
  assert.deepEqual(await moor(engine(), ["rmi", "busybox"]), { code: 1, stdout: "", stderr: "Error response from daemon: No such image: busybox:latest\n" });
  assert.equal(existsSync(join(engine().root, "image", "layers")) && execFileSync("ls", [join(engine().root, "image", "layers")]).toString(), "", "unused layers are deleted");
});

test("moor and docker print the same image list and inspect output", async () => {
  await removeAllImages();
  await moor(engine(), ["import", "-c", "LABEL team=infra", tarball, "labelled:1"]);
  for (const args of [
    ["images", "--format", "table {{.Repository}}\t{{.Tag}}\t{{.Size}}"],
    ["image", "ls", "--filter", "label=team=infra", "-q"],
    ["image", "inspect", "--format", "{{json .Config.Labels}} {{.Os}} {{.Architecture}}", "labelled:1"],
    ["image", "inspect", "nosuch"],
  ]) {
    const viaDocker = await docker(engine(), args);
    const viaMoor = await moor(engine(), args);
    assert.deepEqual(viaMoor, viaDocker, args.join(" "));
  }
});

test("an image name that is not a reference is refused with docker's text", async () => {
  const bad = await api(engine(), "POST", "/images/create?fromSrc=-&repo=Bad%20Name", readFileSync(tarball).subarray(0, 10240).toString("latin1"), { "Content-Type": "application/x-tar" });
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.body).message, "invalid reference format");
});

test("pulling answers that moor has no registry, naming the ways to get an image", async () => {
  const pull = await api(engine(), "POST", "/images/create?fromImage=alpine&tag=latest");
  assert.equal(pull.status, 404);
  assert.match(JSON.parse(pull.body).message, /moor cannot reach a registry; load the image with 'moor image load' or import a root filesystem with 'moor image import'/);
});

test("save and load round-trip an image with its id, tags and layer", async () => {
  await removeAllImages();
  const id = (await moor(engine(), ["import", "-c", "CMD [\"/bin/sh\"]", tarball, "roundtrip:1"])).stdout.trim();
  await moor(engine(), ["tag", "roundtrip:1", "roundtrip:2"]);
  const archive = join(work, "saved.tar");
  assert.deepEqual(await moor(engine(), ["save", "-o", archive, "roundtrip:1", "roundtrip:2"]), { code: 0, stdout: "", stderr: "" });
  const listing = execFileSync("tar", ["-tf", archive]).toString();
  assert.match(listing, /manifest\.json/);
  assert.match(listing, new RegExp(`${id.slice(7)}\\.json`));
  await moor(engine(), ["rmi", "roundtrip:1", "roundtrip:2"]);
  const loaded = await docker(engine(), ["load", "-i", archive]);
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.deepEqual(loaded.stdout.split("\n").filter((l) => l !== "").sort(), ["Loaded image: roundtrip:1", "Loaded image: roundtrip:2"]);
  const inspect = JSON.parse((await moor(engine(), ["image", "inspect", "roundtrip:2"])).stdout)[0];
  assert.equal(inspect.Id, id);
  assert.deepEqual(inspect.Config.Cmd, ["/bin/sh"]);
});

test("an OCI image layout tarball loads, gzip layer and all", async () => {
  await removeAllImages();
  const layout = join(work, "oci");
  const blobs = join(layout, "blobs", "sha256");
  execFileSync("mkdir", ["-p", blobs]);
  const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");
  const writeBlob = (data: Buffer) => {
    const digest = sha(data);
    writeFileSync(join(blobs, digest), data);
    return { digest: `sha256:${digest}`, size: data.length };
  };
  const layerTar = readFileSync(tarball);
  const layer = writeBlob(gzipSync(layerTar));
  const config = writeBlob(
    Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", created: "2026-01-02T03:04:05Z", config: { Cmd: ["/bin/sh"] }, rootfs: { type: "layers", diff_ids: [`sha256:${sha(layerTar)}`] } })),
  );
  const manifest = writeBlob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
      }),
    ),
  );
  writeFileSync(join(layout, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(layout, "index.json"),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest, annotations: { "io.containerd.image.name": "docker.io/library/ocibox:1", "org.opencontainers.image.ref.name": "1" } }] }),
  );
  const archive = join(work, "oci.tar");
  execFileSync("tar", ["-C", layout, "-cf", archive, "."]);
  const loaded = await moor(engine(), ["load", "-i", archive]);
  assert.deepEqual(loaded, { code: 0, stdout: "Loaded image: ocibox:1\n", stderr: "" });
  const inspect = JSON.parse((await docker(engine(), ["image", "inspect", "ocibox:1"])).stdout)[0];
  assert.equal(inspect.Id, config.digest);
  assert.deepEqual(inspect.RootFS.Layers, [`sha256:${sha(layerTar)}`]);
});

test("a broken archive is refused and leaves nothing behind", async () => {
  const archive = join(work, "broken.tar");
  execFileSync("tar", ["-C", work, "-cf", archive, "busybox.tar"]);
  const loaded = await moor(engine(), ["load", "-i", archive]);
  assert.equal(loaded.code, 1);
  assert.equal(loaded.stderr, "Error response from daemon: invalid archive: neither manifest.json (docker save) nor index.json (OCI layout) found\n");
  assert.deepEqual(execFileSync("ls", [join(engine().root, "image", "tmp")]).toString(), "");
});

test("image prune removes untagged images, and with --all every unused one", async () => {
  await removeAllImages();
  const untagged = (await moor(engine(), ["import", tarball])).stdout.trim();
  const tagged = (await moor(engine(), ["import", "-c", "CMD [\"true\"]", tarball, "kept:1"])).stdout.trim();
  const dangling = await docker(engine(), ["image", "prune", "-f"]);
  assert.equal(dangling.code, 0, dangling.stderr);
  assert.match(dangling.stdout, new RegExp(`^Deleted Images:\\ndeleted: ${untagged}\\n\\nTotal reclaimed space: 1\\.\\d+MB\\n$`));
  const all = await moor(engine(), ["image", "prune", "-a", "-f"]);
  assert.match(all.stdout, new RegExp(`^Deleted Images:\\nuntagged: kept:1\\ndeleted: ${tagged}\\n\\nTotal reclaimed space: 1\\.\\d+MB\\n$`));
  assert.equal((await moor(engine(), ["images", "-q"])).stdout, "");
});

test("an import or a load that fills the disk fails saying so, the engine runs on, and the space is free again", async () => {
  await onSmallDisk(24, async (full, root, work) => {
    const rootfs = join(work, "rootfs");
    mkdirSync(rootfs);
    writeFileSync(join(rootfs, "blob"), randomBytes(40 << 20));
    const big = join(work, "big.tar");
    execFileSync("tar", ["-cf", big, "-C", rootfs, "."]);
    const free = () => statfsSync(root).bavail;
    const freeBefore = free();

    const imported = await docker(full, ["import", big, "big"]);
    assert.equal(imported.code, 1);
    assert.equal(imported.stderr, "Error response from daemon: the disk holding the images is full: there is no room for the image's layers (No space left on device). Nothing was changed; free some space and try again\n");
    // The same image saved by an engine with room, loaded into the full one.
    assert.equal((await docker(engine(), ["import", big, "big"])).code, 0);
    const saved = join(work, "big-saved.tar");
    assert.equal((await docker(engine(), ["save", "-o", saved, "big"])).code, 0);
    assert.equal((await docker(engine(), ["rmi", "big"])).code, 0);
    const loaded = await docker(full, ["load", "-i", saved]);
    assert.equal(loaded.code, 1);
    assert.match(loaded.stderr, /^Error response from daemon: the disk holding the images is full: there is no room for the image (archive|'s layers) \(No space left on device\)\. Nothing was changed; free some space and try again\n$/);

    const images = await docker(full, ["images", "-q"]);
    assert.deepEqual([images.code, images.stdout], [0, ""], "the engine runs on, and no image was made");
    assert.equal(free(), freeBefore, "the space is free again");
  });
});
