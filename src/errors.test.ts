import assert from "node:assert/strict";
import { test } from "node:test";
import { MoorError, undefinedIfNotFound } from "./errors.ts";

test("undefinedIfNotFound: the value, undefined for not found, any other failure as it is", async () => {
  assert.equal(await undefinedIfNotFound(Promise.resolve(7)), 7);
  assert.equal(await undefinedIfNotFound(Promise.reject(new MoorError("not_found", "no such volume: v"))), undefined);
  await assert.rejects(undefinedIfNotFound(Promise.reject(new MoorError("conflict", "in use"))), { message: "in use" });
  await assert.rejects(undefinedIfNotFound(Promise.reject(new Error("socket hang up"))), { message: "socket hang up" });
});
