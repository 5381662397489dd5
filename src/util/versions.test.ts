import assert from "node:assert/strict";
import { test } from "node:test";
import { compareVersions, versionLessThan } from "./versions.ts";

test("versions compare numerically part by part, missing parts as 0", () => {
  assert.equal(compareVersions("1.41", "1.42"), -1);
  assert.equal(compareVersions("1.9", "1.10"), -1);
  assert.equal(compareVersions("1.45", "1.45.0"), 0);
  assert.equal(compareVersions("2", "1.99"), 1);
  assert.equal(versionLessThan("1.24", "1.42"), true);
});
