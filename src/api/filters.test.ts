import assert from "node:assert/strict";
import { test } from "node:test";
import { parseFilters } from "./filters.ts";

test("both encodings clients send give the same filters", () => {
  const list = parseFilters('{"label":["a=b","c"],"dangling":["true"]}');
  const map = parseFilters('{"label":{"a=b":true,"c":true},"dangling":{"true":true}}');
  for (const filters of [list, map]) {
    assert.deepEqual(filters.get("label").sort(), ["a=b", "c"]);
    assert.deepEqual(filters.get("dangling"), ["true"]);
  }
});

test("empty and null filters are no filters", () => {
  assert.deepEqual(parseFilters(null).get("label"), []);
  assert.deepEqual(parseFilters("").get("label"), []);
  assert.equal(parseFilters("null").contains("label"), false);
});

test("bad JSON is refused with Go's encoding/json text", () => {
  assert.throws(() => parseFilters("notjson"), { message: "invalid character 'o' in literal null (expecting 'u')" });
  assert.throws(() => parseFilters('{"label":'), { message: "unexpected end of JSON input" });
});
