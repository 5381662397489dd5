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

function blake3Binding(): Blake3Binding {
  return (blake3 ??= createRequire(import.meta.url)("@napi-rs/blake-hash") as Blake3Binding);
}

export function createHasher(name: HashName): Hasher {
  return name === "sha256" ? createHash("sha256") : new (blake3Binding().Blake3Hasher)();
}

/**
 * A hasher for many digests one after the other (files of a tree): after each digest it starts
 * afresh. BLAKE3's state is reset rather than made anew, which spares a native allocation per
 * digest: 3 µs, a tenth of the whole cost of a small file's digest.
 */
export function reusableHasher(name: HashName): Hasher {
  if (name === "sha256") {
    let hash = createHash("sha256");
    return {
      update: (data) => hash.update(data),
      digest: (encoding) => {
        const hex = hash.digest(encoding);
        hash = createHash("sha256");
        return hex;
      },
    };
  }
  const hasher = new (blake3Binding().Blake3Hasher)();
  return {
    update: (data) => hasher.update(data),
    digest: (encoding) => {
      const hex = hasher.digest(encoding);
      hasher.reset();
      return hex;
    },
  };
}
