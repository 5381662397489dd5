import { createHash } from "node:crypto";
import { readSync } from "node:fs";

/**
 * How a client shows the engine which file it means when the engine is to read the file itself
 * (a restore from a file on the engine's machine): its size, and the sha256 of its first
 * headBytes bytes (all of it if shorter), which only a reader of the file can tell and another
 * file at that path on another machine would not match.
 */
export const headBytes = 64 * 1024;

/** The sha256 of the first headBytes bytes of the open file `fd` of `size` bytes, hex; read without moving its offset. */
export function headSha256(fd: number, size: number): string {
  const head = Buffer.alloc(Math.min(size, headBytes));
  let read = 0;
  while (read < head.length) {
    const got = readSync(fd, head, read, head.length - read, read);
    if (got === 0) break;
    read += got;
  }
  return createHash("sha256").update(head.subarray(0, read)).digest("hex");
}
