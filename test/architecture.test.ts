// The dependency direction of docs/architecture.md, checked by scanning imports:
//   cli → deploy → client → wire ← api → engine/* → store;  errors.ts and util/ import nothing internal.
// daemon.ts is the composition root and may import anything; main.ts only starts the CLI.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";

const srcDir = resolve(import.meta.dirname, "../src");

/** Which top-level parts of src/ each part may import (besides itself). */
const allowed: Record<string, string[]> = {
  "errors.ts": [],
  "version.ts": [],
  util: [],
  wire: [],
  store: ["errors.ts", "util"],
  engine: ["errors.ts", "util", "store"],
  api: ["errors.ts", "util", "wire", "engine", "version.ts"],
  client: ["errors.ts", "util", "wire"],
  deploy: ["errors.ts", "util", "wire", "client"],
  // The engine command starts the daemon in-process; that one dynamic import is the exception.
  cli: ["errors.ts", "util", "wire", "client", "deploy", "version.ts", "daemon.ts"],
  "daemon.ts": ["errors.ts", "util", "wire", "store", "engine", "api", "version.ts"],
  "main.ts": ["cli"],
};

function partOf(file: string): string {
  return relative(srcDir, file).split("/")[0];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

test("every module imports only what its layer may", () => {
  const violations: string[] = [];
  for (const file of sourceFiles(srcDir)) {
    const from = partOf(file);
    assert.ok(from in allowed, `${relative(srcDir, file)} is in no known layer: add it to docs/architecture.md and this test`);
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.[^"']+)["']/g)) {
      const target = resolve(dirname(file), match[1]);
      if (!target.startsWith(srcDir)) continue;
      const to = partOf(target);
      if (to !== from && !allowed[from].includes(to)) violations.push(`${relative(srcDir, file)} imports ${relative(srcDir, target)}`);
    }
  }
  assert.deepEqual(violations, []);
});

test("the daemon's only CLI entry is the engine command", () => {
  const users = sourceFiles(join(srcDir, "cli")).filter((file) => /["']\.\.\/\.\.\/daemon\.ts["']|["']\.\.\/daemon\.ts["']/.test(readFileSync(file, "utf8")));
  assert.deepEqual(users.map((file) => relative(srcDir, file)), ["cli/commands/engine.ts"]);
});

test("binaries are spawned in the engine's runtime and in the CLI's run-program only", () => {
  const spawners = sourceFiles(srcDir).filter((file) => /["']node:child_process["']/.test(readFileSync(file, "utf8")));
  assert.deepEqual(spawners.map((file) => relative(srcDir, file)).sort(), ["cli/run-program.ts", "engine/runtime/command.ts", "engine/runtime/conmon.ts"]);
});
