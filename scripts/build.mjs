// Bundles the CLI and the engine into dist/ so `moor` starts fast: the CLI commands load one
// small chunk; the engine (SQLite, logging, HTTP server) is a separate chunk loaded only by
// `moor engine`. Native and worker-using packages stay in node_modules.
import { rmSync } from "node:fs";
import { build } from "esbuild";
import { composeSpecValidatorPlugin } from "./compose-spec-plugin.mjs";

rmSync("dist", { recursive: true, force: true });

await build({
  // The worker thread that digests a volume's files for a backup is loaded by its own file name.
  entryPoints: { main: "src/main.ts", "digest-worker": "src/engine/volumes/digest-worker.ts", "unpack-worker": "src/engine/volumes/unpack-worker.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["@napi-rs/blake-hash", "better-sqlite3", "koffi", "pino"],
  plugins: [composeSpecValidatorPlugin],
  banner: {
    // Bundled CommonJS dependencies call require() for Node's built-in modules.
    js: "import { createRequire as __moorCreateRequire } from 'node:module'; const require = __moorCreateRequire(import.meta.url);",
  },
  logLevel: "warning",
});
