/**
 * The hashes that backups checksum files with: sha256 (backup formats 1 and 2) and BLAKE3
 * (format 3). BLAKE3 is a cryptographic hash as well, and takes a third of sha256's CPU on the
 * development machine (SHA-NI and all): a first backup reads and hashes every file beside tar
 * and the compressor, on the same cores.
 */
import { createHash } from "node:crypto";
import { Blake3Hasher } from "@napi-rs/blake-hash";

export type HashName = "sha256" | "blake3";

export interface Hasher {
  update(data: Buffer): unknown;
  /** The digest in lowercase hex; the hasher is done after it. */
  digest(encoding: "hex"): string;
}

export function createHasher(name: HashName): Hasher {
  return name === "sha256" ? createHash("sha256") : new Blake3Hasher();
}
