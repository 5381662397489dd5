import assert from "node:assert/strict";
import { test } from "node:test";
import { isValidLocalVolumeName, validateLocalVolumeName } from "./names.ts";

test("valid local volume names", () => {
  for (const name of ["ab", "a_b.c-d", "A1", "x".repeat(255), "0abc"]) {
    assert.doesNotThrow(() => validateLocalVolumeName(name), name);
  }
});

test("one character is too short", () => {
  assert.throws(() => validateLocalVolumeName("a"), {
    message: "volume name is too short, names should be at least two alphanumeric characters",
  });
});

test("names that could leave the volumes directory are refused with dockerd's text", () => {
  for (const name of ["..", ".ab", "-ab", "a/b", "a b", "../etc", "ab/..", "a\nb", "é1"]) {
    assert.equal(isValidLocalVolumeName(name), false, name);
    assert.throws(() => validateLocalVolumeName(name), (err: Error) =>
      err.message.endsWith(
        'includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path',
      ),
    );
  }
  assert.throws(() => validateLocalVolumeName("a/b"), { message: /^"a\/b" includes/ });
  assert.throws(() => validateLocalVolumeName("a\nb"), { message: /^"a\\nb" includes/ });
});
