import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { gunzip } from "./gunzip.ts";

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const read: Buffer[] = [];
  for await (const chunk of stream) read.push(chunk);
  return Buffer.concat(read);
}

test("gzip's content, from input in chunks of any size", async () => {
  const content = Buffer.from("moor ".repeat(100_000));
  const compressed = gzipSync(content);
  async function* inPieces(size: number): AsyncGenerator<Buffer> {
    for (let offset = 0; offset < compressed.length; offset += size) yield compressed.subarray(offset, offset + size);
  }
  for (const size of [1, 1000, compressed.length]) assert.deepEqual(await collect(gunzip(inPieces(size))), content, String(size));
});

test("an error reading the input, or input that is not gzip, ends the content with an error", async () => {
  async function* failing(): AsyncGenerator<Buffer> {
    yield gzipSync(Buffer.from("start")).subarray(0, 10);
    throw new Error("disk read failed");
  }
  await assert.rejects(collect(gunzip(failing())), /disk read failed/);
  async function* notGzip(): AsyncGenerator<Buffer> {
    yield Buffer.from("plain text, not gzip");
  }
  await assert.rejects(collect(gunzip(notGzip())), /incorrect header check/);
});
