import assert from "node:assert/strict";
import { test } from "node:test";
import { Filters } from "./filters.ts";

test("validate refuses keys outside the accepted set with dockerd's text", () => {
  const filters = new Filters([["bogus", ["1"]]]);
  assert.throws(() => filters.validate(new Set(["name"])), { message: "Invalid filter 'bogus'" });
  new Filters([["name", ["x"]]]).validate(new Set(["name"]));
});

test("match is an unanchored regular expression, values OR-ed", () => {
  const filters = new Filters([["name", ["^ab", "z$"]]]);
  assert.equal(filters.match("name", "abc"), true);
  assert.equal(filters.match("name", "xyz"), true);
  assert.equal(filters.match("name", "xab"), false);
  assert.equal(new Filters().match("name", "anything"), true);
});

test("a bad regular expression never matches instead of failing", () => {
  assert.equal(new Filters([["name", ["(["]]]).match("name", "(["), true, "an exact string still matches");
  assert.equal(new Filters([["name", ["(["]]]).match("name", "x"), false);
});

test("matchKVList: every value must hold; unlabelled objects never match a set key", () => {
  const filters = new Filters([["label", ["a", "b=2"]]]);
  assert.equal(filters.matchKVList("label", { a: "", b: "2" }), true);
  assert.equal(filters.matchKVList("label", { a: "x", b: "3" }), false);
  assert.equal(filters.matchKVList("label", { b: "2" }), false);
  assert.equal(filters.matchKVList("label", null), false);
  assert.equal(new Filters().matchKVList("label", null), true);
});

test("boolean accepts true/1/false/0 and refuses anything else", () => {
  assert.equal(new Filters([["dangling", ["true"]]]).boolean("dangling"), true);
  assert.equal(new Filters([["dangling", ["1"]]]).boolean("dangling"), true);
  assert.equal(new Filters([["dangling", ["0"]]]).boolean("dangling"), false);
  assert.equal(new Filters().boolean("dangling"), undefined);
  assert.throws(() => new Filters([["dangling", ["maybe"]]]).boolean("dangling"), { message: "Invalid filter 'dangling=[maybe]'" });
});

test("add returns a new set of filters and leaves the original alone", () => {
  const original = new Filters([["label", ["a"]]]);
  const added = original.add("label", "b");
  assert.deepEqual(original.get("label"), ["a"]);
  assert.deepEqual(added.get("label").sort(), ["a", "b"]);
});
