// The build swaps the run-time schema compilation for Ajv's standalone code: both must judge alike.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
// @ts-expect-error: a plain .mjs build script without type declarations.
import { composeSpecValidatorSource } from "../../../scripts/compose-spec-plugin.mjs";
import { compileComposeSpecValidator, type ComposeSpecValidator } from "./compose-spec-validator.ts";

test("the precompiled validator of the build reports what the run-time one reports", async () => {
  const dir = mkdtempSync(join(tmpdir(), "moor-compose-spec-"));
  try {
    const file = join(dir, "validator.mjs");
    const source = (composeSpecValidatorSource as (schemaFile: string) => string)(new URL("./compose-spec.json", import.meta.url).pathname);
    // Outside the bundle, the generated require() of Ajv's runtime helper needs a require function.
    writeFileSync(file, `import { createRequire } from "node:module"; const require = createRequire(${JSON.stringify(import.meta.url)});\n${source}`);
    const { compileComposeSpecValidator: compilePrecompiled } = (await import(pathToFileURL(file).href)) as { compileComposeSpecValidator: () => ComposeSpecValidator };
    const precompiled = compilePrecompiled();
    const runtime = compileComposeSpecValidator();
    const documents = [
      { services: { web: { image: "nginx", ports: ["80:80"], healthcheck: { test: ["CMD", "true"] } } }, volumes: { data: {} } },
      { services: { web: { image: 1, foo: 2, depends_on: { db: {} } } } },
      { helicopters: {} },
    ];
    for (const document of documents) {
      assert.equal(precompiled(document), runtime(document));
      assert.deepEqual(precompiled.errors ?? null, runtime.errors ?? null);
    }
    assert.equal(precompiled(documents[0]), true);
    assert.equal(precompiled(documents[1]), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
