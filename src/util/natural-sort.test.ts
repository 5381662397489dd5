import assert from "node:assert/strict";
import { test } from "node:test";
import { naturalCompare } from "./natural-sort.ts";

test("names sort as docker volume ls prints them", () => {
  // The order recorded from the docker CLI against dockerd.
  assert.deepEqual(["vB", "v10", "va", "v2", "v1a", "v1"].sort(naturalCompare), ["v1", "v1a", "v2", "v10", "vB", "va"]);
  assert.deepEqual(["a01", "a1", "a001"].sort(naturalCompare), ["a1", "a01", "a001"]);
});
