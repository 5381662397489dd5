import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { createHasher, reusableHasher, type HashName } from "./content-hash.ts";

const tools: Record<HashName, string> = { sha256: "sha256sum", blake3: "b3sum" };

test("each hash is what sha256sum and b3sum say", () => {
  for (const [name, tool] of Object.entries(tools) as Array<[HashName, string]>) {
    const data = Buffer.from("moor keeps data outside containers\n".repeat(1000));
    const hasher = createHasher(name);
    hasher.update(data.subarray(0, 1000));
    hasher.update(data.subarray(1000));
    assert.equal(hasher.digest("hex"), execFileSync(tool, ["-"], { input: data, encoding: "utf8" }).slice(0, 64), name);
  }
});

test("a reusable hasher starts afresh after each digest", () => {
  for (const name of Object.keys(tools) as HashName[]) {
    const reused = reusableHasher(name);
    for (const text of ["first file\n", "", "third, longer file ".repeat(5000)]) {
      reused.update(Buffer.from(text));
      const fresh = createHasher(name);
      fresh.update(Buffer.from(text));
      assert.equal(reused.digest("hex"), fresh.digest("hex"), `${name}: ${text.slice(0, 12)}`);
    }
  }
});
