import assert from "node:assert/strict";
import { test } from "node:test";
import { BuildArgs } from "./build-args.ts";

test("a declared ARG takes --build-arg over its default; undeclared ones are not visible", () => {
  const args = new BuildArgs({ VERSION: "2", OTHER: "x" }).forStage();
  args.declare("VERSION", "1");
  args.declare("NAME", "moor");
  assert.deepEqual(args.allowed([]), [
    ["VERSION", "2"],
    ["NAME", "moor"],
  ]);
});

test("an ENV of the same name hides the ARG; proxy args need no ARG and stay out of the cache key", () => {
  const args = new BuildArgs({ HTTP_PROXY: "http://proxy:3128" }).forStage();
  args.declare("MODE", "fast");
  assert.deepEqual(args.allowed(["MODE=env"]), [["HTTP_PROXY", "http://proxy:3128"]]);
  assert.equal(args.isReferencedOrNotBuiltin("HTTP_PROXY"), false);
  assert.equal(args.isReferencedOrNotBuiltin("MODE"), true);
});

test("meta args are usable in FROM and, redeclared without a value, inside a stage", () => {
  const global = new BuildArgs({});
  global.declareMeta("BASE", "busybox");
  assert.deepEqual([...global.metaEnvironment()], [["BASE", "busybox"]]);
  const stage = global.forStage();
  assert.deepEqual(stage.allowed([]), [], "not declared in the stage: not visible");
  stage.declare("BASE", undefined);
  assert.deepEqual(stage.allowed([]), [["BASE", "busybox"]]);
});

test("unused build args are reported sorted, proxy args never", () => {
  const global = new BuildArgs({ B: "1", A: "2", USED: "3", no_proxy: "x" });
  const stage = global.forStage();
  stage.declare("USED", undefined);
  global.mergeReferenced(stage);
  assert.deepEqual(global.unused(), ["A", "B"]);
});
