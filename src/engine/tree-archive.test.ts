import assert from "node:assert/strict";
import { test } from "node:test";
import { goFileMode, rfc3339NanoOf } from "./tree-archive.ts";

test("st_mode becomes Go's os.FileMode, as dockerd's path stat carries it", () => {
  // Values seen in a real dockerd's X-Docker-Container-Path-Stat.
  assert.equal(goFileMode(0o40755), 2147484141, "directory");
  assert.equal(goFileMode(0o41777), 2148532735, "sticky directory (/tmp)");
  assert.equal(goFileMode(0o100644), 420, "file");
  assert.equal(goFileMode(0o120777), 134218239, "symlink");
  assert.equal(goFileMode(0o104755), 2 ** 23 + 0o755, "setuid file");
  assert.equal(goFileMode(0o20666), 2 ** 26 + 2 ** 21 + 0o666, "character device");
  assert.equal(goFileMode(0o60660), 2 ** 26 + 0o660, "block device");
  assert.equal(goFileMode(0o10644), 2 ** 25 + 0o644, "FIFO");
});

test("times are RFC 3339 with nanoseconds, trailing zeros dropped, as Go marshals them", () => {
  assert.equal(rfc3339NanoOf(1_795_754_337_936_822_318n), "2026-11-27T04:38:57.936822318Z");
  assert.equal(rfc3339NanoOf(1_795_754_337_500_000_000n), "2026-11-27T04:38:57.5Z");
  assert.equal(rfc3339NanoOf(0n), "1970-01-01T00:00:00Z");
});
