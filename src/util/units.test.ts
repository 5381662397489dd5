import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesSize, humanSize, ramInBytes } from "./units.ts";

test("humanSize prints decimal units with 4 significant digits, as go-units", () => {
  assert.equal(humanSize(0), "0B");
  assert.equal(humanSize(13), "13B");
  assert.equal(humanSize(1500), "1.5kB");
  assert.equal(humanSize(2_000_000), "2MB");
  assert.equal(humanSize(1_234_567), "1.235MB");
  assert.equal(humanSize(999_999), "1000kB");
});

test("bytesSize prints binary units", () => {
  assert.equal(bytesSize(1024), "1KiB");
  assert.equal(bytesSize(25276514304), "23.54GiB");
});

test("ramInBytes parses binary sizes and refuses nonsense with go-units' text", () => {
  assert.equal(ramInBytes("10"), 10);
  assert.equal(ramInBytes("64m"), 64 * 1024 * 1024);
  assert.equal(ramInBytes("1.5g"), 1.5 * 1024 ** 3);
  assert.equal(ramInBytes("10 KiB"), 10240);
  assert.throws(() => ramInBytes("abc"), { message: "invalid size: 'abc'" });
});

test("go-units RAMInBytes", () => {
  const cases: Array<[string, number | undefined]> = [
    ["1", 1],
    ["1b", 1],
    ["1B", 1],
    ["1k", 1024],
    ["1kb", 1024],
    ["1KiB", 1024],
    ["1kiB", 1024],
    ["2G", 2 * 1024 ** 3],
    ["1 k", 1024],
    ["1 ", 1],
    [".5k", 512],
    ["1.", 1],
    ["+2b", 2],
    ["1e3", 1000],
    ["0x1p4", 16],
    ["1.9", 1],
    ["1  k", undefined],
    ["1kx", undefined],
    ["1bb", undefined],
    ["1mbb", undefined],
    ["1e400", undefined],
    [".", undefined],
    ["0x10", undefined],
    ["-1", undefined],
    ["abc", undefined],
    ["", undefined],
  ];
  for (const [text, bytes] of cases) {
    if (bytes === undefined) assert.throws(() => ramInBytes(text), { message: `invalid size: '${text}'` }, JSON.stringify(text));
    else assert.equal(ramInBytes(text), bytes, JSON.stringify(text));
  }
});
