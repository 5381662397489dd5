/**
 * The hashes that backups checksum files with: sha256 (backup formats 1 and 2) and BLAKE3
 * (format 3). BLAKE3 is a cryptographic hash as well, and takes a third of sha256's CPU on the
 * development machine (SHA-NI and all): a first backup reads and hashes every file beside tar
 * and the compressor, on the same cores.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";

export type HashName = "sha256" | "blake3";

export interface Hasher {
  update(data: Buffer): unknown;
  /** The digest in lowercase hex; the hasher is done after it. */
  digest(encoding: "hex"): string;
}

type Blake3Binding = typeof import("@napi-rs/blake-hash");

// Loaded on first use: the native binding costs a process 3 MiB and some 10 ms to load, which an
// engine that makes no backup (and the CLI) need not pay.
let blake3: Blake3Binding | undefined;

export function createHasher(name: HashName): Hasher {
  if (name === "sha256") return createHash("sha256");
  blake3 ??= createRequire(import.meta.url)("@napi-rs/blake-hash") as Blake3Binding;
  return new blake3.Blake3Hasher();
}
