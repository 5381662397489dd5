import assert from "node:assert/strict";
import { test } from "node:test";
import { parseGoDuration } from "./go-duration.ts";

test("durations as Go's time.ParseDuration reads them, with its errors", () => {
  assert.equal(parseGoDuration("5s"), 5e9);
  assert.equal(parseGoDuration("1m30s"), 90e9);
  assert.equal(parseGoDuration("1.5h30m"), 7200e9);
  assert.equal(parseGoDuration("100ms"), 1e8);
  assert.equal(parseGoDuration("250us"), 250_000);
  assert.equal(parseGoDuration("-1s"), -1e9);
  assert.equal(parseGoDuration("0"), 0);
  assert.throws(() => parseGoDuration("abc"), { message: 'time: invalid duration "abc"' });
  assert.throws(() => parseGoDuration("5"), { message: 'time: missing unit in duration "5"' });
  assert.throws(() => parseGoDuration("5x"), { message: 'time: unknown unit "x" in duration "5x"' });
  assert.throws(() => parseGoDuration(""), { message: 'time: invalid duration ""' });
});
