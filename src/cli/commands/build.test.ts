import assert from "node:assert/strict";
import { test } from "node:test";
import { invalidTagReason, withUploadProgress } from "./build.ts";

test("-t values are checked as the docker CLI checks them (reference.ParseNormalizedNamed)", () => {
  // Expectations observed with docker 28's `docker build -t`.
  const cases: Array<[string, string | undefined]> = [
    ["app", undefined],
    ["app:1.0", undefined],
    ["team/app:v2", undefined],
    ["localhost:5000/app", undefined],
    ["Registry.example.com/app", undefined],
    // An uppercase first part is taken for a registry host.
    ["Foo/bar", undefined],
    ["sha256:abc", undefined],
    ["app@sha256:0123456789012345678901234567890123456789012345678901234567890123", undefined],
    ["UPPER", "invalid reference format: repository name (library/UPPER) must be lowercase"],
    ["a/B:1", "invalid reference format: repository name (a/B) must be lowercase"],
    ["localhost/Bar", "invalid reference format: repository name (Bar) must be lowercase"],
    ["a b", "invalid reference format"],
    ["x:", "invalid reference format"],
    [":tag", "invalid reference format"],
    ["a/", "invalid reference format"],
    ["", "invalid reference format"],
    ["foo@sha256:abc", "invalid reference format"],
    ["app@sha256:" + "0".repeat(40), "invalid checksum digest length"],
    ["app@md5:" + "0".repeat(32), "unsupported digest algorithm"],
    ["app@sha256:" + "A".repeat(64), "invalid checksum digest format"],
    ["0".repeat(64), `invalid repository name (${"0".repeat(64)}), cannot specify 64-byte hexadecimal strings`],
    ["a".repeat(240), undefined],
    ["a".repeat(260), "repository name must not be more than 255 characters"],
  ];
  for (const [tag, reason] of cases) assert.equal(invalidTagReason(tag), reason, tag);
});

async function progressOf(chunks: Buffer[], terminal: boolean, now: () => number = () => 0): Promise<{ output: string; sent: number }> {
  let output = "";
  let sent = 0;
  const body = (async function* () {
    yield* chunks;
  })();
  for await (const chunk of withUploadProgress(body, (text) => (output += text), terminal, now)) sent += chunk.length;
  return { output, sent };
}

test("the upload progress: the final size only when not on a terminal; on a terminal also an update per 512kB read, at most one per 100ms", async () => {
  const chunks = Array.from({ length: 48 }, () => Buffer.alloc(64 * 1024));
  const plain = await progressOf(chunks, false);
  assert.equal(plain.sent, 48 * 64 * 1024, "the body passes through whole");
  assert.equal(plain.output, "Sending build context to Docker daemon  3.146MB\r\r\n");
  // A clock that stands still: the rate limiter lets only the first intermediate update through.
  const terminal = await progressOf(chunks, true);
  assert.equal(terminal.output, "Sending build context to Docker daemon  589.8kB\rSending build context to Docker daemon  3.146MB\r\r\n");
  // A clock 100ms further on at each look: every 512kB gets its update.
  let clock = 0;
  const slow = await progressOf(chunks, true, () => (clock += 100));
  assert.equal(
    slow.output,
    ["589.8kB", "1.18MB", "1.769MB", "2.359MB", "2.949MB"].map((size) => `Sending build context to Docker daemon ${size.padStart(8)}\r`).join("") +
      "Sending build context to Docker daemon  3.146MB\r\r\n",
  );
  assert.equal((await progressOf([Buffer.alloc(2048)], true)).output, "Sending build context to Docker daemon  2.048kB\r\r\n");
  assert.equal((await progressOf([], false)).output, "Sending build context to Docker daemon \r\n\r\n", "rawProgressString is empty for nothing sent");
});
