import assert from "node:assert/strict";
import { test } from "node:test";
import { envEntryProblem } from "./env.ts";

test("an environment entry needs a name before its '='", () => {
  for (const entry of ["A=1", "A=", "A", "A=b=c"]) assert.equal(envEntryProblem(entry), undefined, entry);
  for (const entry of ["", "=x", "="]) assert.equal(envEntryProblem(entry), `invalid environment variable: ${entry}`, entry);
});
