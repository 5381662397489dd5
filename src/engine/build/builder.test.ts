import assert from "node:assert/strict";
import { test } from "node:test";
import { emptyContainerConfig, orderedContainerConfig } from "../images/image-config.ts";
import { stepCacheKey } from "./builder.ts";

test("the cache key does not depend on key order: a config read back from an image matches one built step by step", () => {
  const built = { ...emptyContainerConfig(), Volumes: { "/b": {}, "/a": {} }, Labels: { z: "1", a: "2" }, ExposedPorts: { "80/tcp": {} }, Cmd: ["/bin/sh", "-c", "#(nop) ", "VOLUME [/a]"] };
  const readBack = JSON.parse(JSON.stringify(orderedContainerConfig({ ...built, Volumes: { "/a": {}, "/b": {} }, Labels: { a: "2", z: "1" } })));
  assert.equal(stepCacheKey(readBack, ""), stepCacheKey(built, ""));
});

test("the cache key changes with the step's command, its config and the content it copies", () => {
  const config = { ...emptyContainerConfig(), Cmd: ["/bin/sh", "-c", "echo hi"] };
  const key = stepCacheKey(config, "");
  assert.notEqual(stepCacheKey({ ...config, Cmd: ["/bin/sh", "-c", "echo ho"] }, ""), key);
  assert.notEqual(stepCacheKey({ ...config, Env: ["A=1"] }, ""), key);
  assert.notEqual(stepCacheKey({ ...config, User: "1000" }, ""), key);
  assert.notEqual(stepCacheKey(config, "file:abc"), key);
});
