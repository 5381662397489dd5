import assert from "node:assert/strict";
import { test } from "node:test";
import { compareVersions, splitVersionPrefix, versionLessThan } from "./version.ts";

test("versions compare numerically part by part, missing parts as 0", () => {
  assert.equal(compareVersions("1.41", "1.42"), -1);
  assert.equal(compareVersions("1.9", "1.10"), -1);
  assert.equal(compareVersions("1.45", "1.45.0"), 0);
  assert.equal(compareVersions("2", "1.99"), 1);
  assert.equal(versionLessThan("1.24", "1.42"), true);
});

test("the /vN.N prefix is split off; paths without one keep their shape", () => {
  assert.deepEqual(splitVersionPrefix("/v1.41/volumes/x"), { version: "1.41", path: "/volumes/x" });
  assert.deepEqual(splitVersionPrefix("/v1/volumes"), { version: "1", path: "/volumes" });
  assert.deepEqual(splitVersionPrefix("/volumes"), { version: undefined, path: "/volumes" });
  assert.deepEqual(splitVersionPrefix("/vabc/volumes"), { version: undefined, path: "/vabc/volumes" });
});
