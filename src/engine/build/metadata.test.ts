import assert from "node:assert/strict";
import { test } from "node:test";
import { parseExposedPorts, validateStopSignal } from "./metadata.ts";

test("EXPOSE specs become ExposedPorts keys; ranges expand; bad ones read as dockerd's", () => {
  assert.deepEqual(parseExposedPorts(["80", "53/UDP", "8000-8002/tcp"]), { "80/tcp": {}, "53/udp": {}, "8000/tcp": {}, "8001/tcp": {}, "8002/tcp": {} });
  assert.throws(() => parseExposedPorts(["abc"]), { message: "invalid containerPort: abc" });
  assert.throws(() => parseExposedPorts(["80/xyz"]), { message: "invalid proto: xyz" });
});

test("STOPSIGNAL takes names with or without SIG, real-time signals and numbers", () => {
  for (const signal of ["SIGTERM", "quit", "RTMIN+3", "9"]) validateStopSignal(signal);
  assert.throws(() => validateStopSignal("FOO"), { message: "Invalid signal: FOO" });
  assert.throws(() => validateStopSignal("0"), { message: "Invalid signal: 0" });
});
