import assert from "node:assert/strict";
import { test } from "node:test";
import { counted, transferProgress } from "./progress.ts";

function terminal(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => written.push(text) } as unknown as NodeJS.WritableStream & { written: string[] };
}

test("on a terminal: bytes and rate redrawn on one line, erased at the end", async () => {
  const stream = terminal(true);
  const counter = { bytes: 0 };
  let clock = 1000;
  const progress = transferProgress(stream, "Backing up volume pgdata", counter, () => clock, 10);
  const chunks = (async function* () {
    yield Buffer.alloc(1500);
    yield Buffer.alloc(500);
  })();
  for await (const _ of counted(chunks, counter));
  clock = 2000;
  await new Promise((resolve) => setTimeout(resolve, 30));
  progress.stop();
  assert.equal(stream.written[0], "\r\x1b[2KBacking up volume pgdata: 0B");
  assert.ok(stream.written.includes("\r\x1b[2KBacking up volume pgdata: 2kB, 2kB/s"), stream.written.join("|"));
  assert.equal(stream.written.at(-1), "\r\x1b[2K");
});

test("elsewhere: nothing", () => {
  const stream = terminal(false);
  transferProgress(stream, "Restoring", { bytes: 1 }).stop();
  assert.deepEqual(stream.written, []);
});
