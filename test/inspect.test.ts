// `moor inspect` beside `docker inspect`: any object by name (container, then image, then
// volume), --type, --format, and docker's errors. Needs root, busybox-static and a built binary.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";
import { docker, moor, removeAllContainers, useEngine } from "./support/engine.ts";

let work: string;
const engine = useEngine(async (started) => {
  work = mkdtempSync(join(tmpdir(), "moor-inspect-"));
  const tarball = join(work, "busybox.tar");
  execFileSync(resolve(import.meta.dirname, "../scripts/make-test-image.sh"), [tarball]);
  assert.equal((await docker(started, ["import", tarball, "busybox"])).code, 0);
  assert.equal((await docker(started, ["create", "--name", "box", "-v", "data:/data", "busybox", "true"])).code, 0);
});

after(async () => {
  await removeAllContainers(engine());
  rmSync(work, { recursive: true, force: true });
});

test("moor inspect prints what docker inspect prints, for every kind of object and error", async () => {
  const cases = [
    ["inspect", "box", "busybox", "data"],
    ["inspect", "-f", "{{.Name}}", "box", "data"],
    ["inspect", "--format", "json", "data"],
    ["inspect", "box", "nosuch", "data"],
    ["inspect", "--type", "volume", "-f", "{{.Driver}}", "data"],
    ["inspect", "--type", "container", "nosuch"],
    ["inspect", "--type", "image", "nosuch"],
    ["inspect", "--type", "network", "nosuch"],
    ["inspect", "--type", "bogus", "x"],
  ];
  for (const args of cases) {
    const want = await docker(engine(), args);
    const got = await moor(engine(), args);
    assert.deepEqual(got, want, args.join(" "));
  }
  const found = JSON.parse((await moor(engine(), ["inspect", "box", "busybox", "data"])).stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(found.map((o) => Object.hasOwn(o, "State") ? "container" : Object.hasOwn(o, "RepoTags") ? "image" : "volume"), ["container", "image", "volume"]);
});
