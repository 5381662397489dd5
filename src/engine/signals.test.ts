import { test } from "node:test";
import assert from "node:assert/strict";
import { isPlatformSignal, parseSignal } from "./signals.ts";

test("parseSignal reads names with and without SIG, in any case, real-time names and numbers, as moby's ParseSignal", () => {
  const cases: Array<[string, number | undefined]> = [
    ["KILL", 9], ["SIGTERM", 15], ["sigusr1", 10], ["hup", 1], ["CLD", 17], ["IOT", 6],
    ["RTMIN", 34], ["RTMIN+3", 37], ["SIGRTMIN+15", 49], ["RTMAX", 64], ["RTMAX-14", 50], ["RTMAX-1", 63],
    ["9", 9], ["99", 99], ["0", undefined], ["FOO", undefined], ["RTMIN+16", undefined], ["RTMAX+1", undefined], ["RTMIN-1", undefined], ["-1", undefined], ["", undefined],
  ];
  for (const [raw, expected] of cases) assert.equal(parseSignal(raw), expected, raw);
});

test("isPlatformSignal is true for 1-31 and 34-64 only (32 and 33 belong to the C library)", () => {
  assert.deepEqual([0, 1, 31, 32, 33, 34, 64, 65, 99].map(isPlatformSignal), [false, true, true, false, false, true, true, false, false]);
});
