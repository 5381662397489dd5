import assert from "node:assert/strict";
import { test } from "node:test";
import { peekHead } from "./stream-head.ts";

async function* chunks(...parts: string[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield Buffer.from(part);
}

async function collect(stream: AsyncIterable<Buffer>): Promise<string> {
  const read: Buffer[] = [];
  for await (const chunk of stream) read.push(chunk);
  return Buffer.concat(read).toString();
}

test("the head is gathered across chunks of any size, and the whole stream follows from its start", async () => {
  for (const parts of [["abcdefgh"], ["a", "b", "c", "d", "efgh"], ["ab", "cdefgh"], ["abcd", "", "efgh"]]) {
    const { head, whole } = await peekHead(chunks(...parts), 4);
    assert.equal(head.toString(), "abcd", parts.join("|"));
    assert.equal(await collect(whole), "abcdefgh", parts.join("|"));
  }
});

test("a stream shorter than the head gives what there is; an empty one gives nothing", async () => {
  const short = await peekHead(chunks("a", "b"), 4);
  assert.equal(short.head.toString(), "ab");
  assert.equal(await collect(short.whole), "ab");
  const empty = await peekHead(chunks(), 4);
  assert.equal(empty.head.length, 0);
  assert.equal(await collect(empty.whole), "");
});
