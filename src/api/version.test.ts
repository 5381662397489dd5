import assert from "node:assert/strict";
import { test } from "node:test";
import { splitVersionPrefix } from "./version.ts";

test("the /vN.N prefix is split off; paths without one keep their shape", () => {
  assert.deepEqual(splitVersionPrefix("/v1.41/volumes/x"), { version: "1.41", path: "/volumes/x" });
  assert.deepEqual(splitVersionPrefix("/v1/volumes"), { version: "1", path: "/volumes" });
  assert.deepEqual(splitVersionPrefix("/volumes"), { version: undefined, path: "/volumes" });
  assert.deepEqual(splitVersionPrefix("/vabc/volumes"), { version: undefined, path: "/vabc/volumes" });
});
