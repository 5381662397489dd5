// `moor inspect` beside `docker inspect`: any object by name (container, then image, then
// volume), --type, --format, and docker's errors. Needs root, busybox-static and a built binary.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { docker, importBusybox, moor, removeAllContainers, useEngine } from "./support/engine.ts";

const engine = useEngine(async (started) => {
  await importBusybox(started);
  assert.equal((await docker(started, ["create", "--name", "box", "-v", "data:/data", "busybox", "true"])).code, 0);
});

after(async () => {
  await removeAllContainers(engine());
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
