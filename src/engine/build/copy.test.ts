import assert from "node:assert/strict";
import { test } from "node:test";
import { globRegExp } from "./copy.ts";

test("COPY globs match one path component as Go's filepath.Match does", () => {
  const cases: Array<[string, string, boolean]> = [
    ["*.txt", "a.txt", true],
    ["*.txt", "a.txt.bak", false],
    ["?.txt", "ab.txt", false],
    ["[ab]*", "beta", true],
    ["[^ab]*", "beta", false],
    ["[!ab]*", "gamma", true],
    ["a\\*b", "a*b", true],
    ["a\\*b", "axb", false],
    ["file.(1)", "file.(1)", true],
  ];
  for (const [pattern, name, expected] of cases) assert.equal(globRegExp(pattern).test(name), expected, `${pattern} ~ ${name}`);
});
