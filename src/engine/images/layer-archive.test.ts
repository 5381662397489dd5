import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { upperDirArchive } from "./layer-archive.ts";

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const all: Buffer[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return Buffer.concat(all);
}

// A build step's `setcap` (Debian's iputils-ping sets one on install) leaves a binary
// security.capability xattr; user.* stands in for it here, as setting it needs no capability.
test("a layer keeps binary xattr values and names that are not UTF-8 as their bytes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "moor-layer-archive-"));
  try {
    const upper = join(dir, "upper");
    mkdirSync(join(upper, "bin"), { recursive: true });
    writeFileSync(join(upper, "bin", "ping"), "binary");
    const capability = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0xff, 0x80]);
    execFileSync("setfattr", ["-n", "user.capability", "-v", `0x${capability.toString("hex")}`, join(upper, "bin", "ping")]);
    const oddName = Buffer.from([0x6e, 0xe9]); // "n\xe9": latin-1, not UTF-8
    writeFileSync(Buffer.concat([Buffer.from(`${upper}/`), oddName]), "odd");

    const out = join(dir, "out");
    mkdirSync(out);
    execFileSync("tar", ["-C", out, "--xattrs", "--xattrs-include=user.*", "-xf", "-"], { input: await collect(upperDirArchive(upper)) });
    const dumped = execFileSync("getfattr", ["-e", "hex", "-n", "user.capability", join(out, "bin", "ping")]).toString();
    assert.match(dumped, new RegExp(`user.capability=0x${capability.toString("hex")}\n`));
    assert.ok(readdirSync(out, { encoding: "buffer" }).some((name) => name.equals(oddName)));
    assert.equal(readFileSync(Buffer.concat([Buffer.from(`${out}/`), oddName])).toString(), "odd");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
