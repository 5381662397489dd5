import assert from "node:assert/strict";
import { test } from "node:test";
import { goDurationString } from "../../util/go-duration.ts";
import { goQuoteSlice, healthcheckComment } from "./go-format.ts";

test("history comments format values as Go's %q and Duration.String do", () => {
  assert.equal(goQuoteSlice(["/bin/sh", "-c", 'echo "hi"']), '["/bin/sh" "-c" "echo \\"hi\\""]');
  assert.equal(goDurationString(0), "0s");
  assert.equal(goDurationString(5e9), "5s");
  assert.equal(goDurationString(90e9), "1m30s");
  assert.equal(goDurationString(3723.5e9), "1h2m3.5s");
  assert.equal(goDurationString(1.5e6), "1.5ms");
  assert.equal(healthcheckComment({ Test: ["CMD-SHELL", "true"], Interval: 5e9, Retries: 3 }), '&{["CMD-SHELL" "true"] "5s" "0s" "0s" "0s" \'\\x03\'}');
});
