import assert from "node:assert/strict";
import { test } from "node:test";
import { parseReference, taggedName } from "./reference.ts";

test("references are kept in docker's familiar form with the default tag", () => {
  const cases: Array<[string, string]> = [
    ["busybox", "busybox:latest"],
    ["busybox:1.36", "busybox:1.36"],
    ["library/busybox", "busybox:latest"],
    ["docker.io/library/busybox:1", "busybox:1"],
    ["docker.io/team/app", "team/app:latest"],
    ["team/app:v1", "team/app:v1"],
    ["example.com:5000/team/app:v2", "example.com:5000/team/app:v2"],
    ["localhost/app", "localhost/app:latest"],
  ];
  for (const [input, expected] of cases) assert.equal(taggedName(parseReference(input)), expected, input);
});

test("digests are parsed; bad references get docker's texts", () => {
  const digest = `sha256:${"a".repeat(64)}`;
  assert.deepEqual(parseReference(`app@${digest}`), { repository: "app", tag: undefined, digest });
  assert.throws(() => parseReference("Bad"), { message: "invalid reference format: repository name (Bad) must be lowercase" });
  for (const bad of ["", "a b", "app:", "app:-x", ":tag", "app@sha256:short", "-app"]) {
    assert.throws(() => parseReference(bad), { message: /^invalid reference format/ }, bad);
  }
});
