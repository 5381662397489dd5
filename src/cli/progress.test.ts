import assert from "node:assert/strict";
import { test } from "node:test";
import { counted, timeLeft, transferProgress } from "./progress.ts";

function terminal(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => written.push(text) } as unknown as NodeJS.WritableStream & { written: string[] };
}

test("on a terminal: bytes and rate redrawn on one line, erased at the end", async () => {
  const stream = terminal(true);
  const counter = { bytes: 0 };
  let clock = 1000;
  const progress = transferProgress(stream, "Backing up volume pgdata", counter, { now: () => clock, intervalMs: 10 });
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

test("with a total: the share done and the time left, cut to the terminal's width", async () => {
  const stream = Object.assign(terminal(true), { columns: 60 });
  const counter = { bytes: 0 };
  let clock = 0;
  const progress = transferProgress(stream, "Restoring", counter, { total: 10_000_000, now: () => clock, intervalMs: 10 });
  counter.bytes = 2_500_000;
  clock = 5000;
  await new Promise((resolve) => setTimeout(resolve, 30));
  progress.stop();
  assert.ok(stream.written.includes("\r\x1b[2KRestoring: 2.5MB of 10MB (25%), 500kB/s, 15s left"), stream.written.join("|"));
  const narrow = Object.assign(terminal(true), { columns: 20 });
  transferProgress(narrow, "Restoring", counter, { total: 10_000_000 }).stop();
  assert.equal(narrow.written[0], "\r\x1b[2KRestoring: 2.5MB of");
});

test("time left reads as seconds, minutes or hours", () => {
  assert.deepEqual([timeLeft(7.2), timeLeft(125), timeLeft(3725)], ["8s", "2m05s", "1h02m"]);
});
