/**
 * The thread unpackArchive() starts: it reads the decompressed archive from one pipe into one
 * buffer, over and over, has the reader check each piece before anything else sees it, and
 * writes the piece on into tar's pipe; at the end it posts the reader's verdict. If tar stops
 * reading, the rest is still read and checked (tar's exit status says why it stopped).
 */
import { readSync, writeSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { MoorError } from "../../errors.ts";
import { ArchiveReader, PlainArchiveReader } from "./backup-reader.ts";
import type { UnpackJob, UnpackVerdict } from "./unpack.ts";

const { reader: kind, input, output } = workerData as UnpackJob;
const reader = kind === "backup" ? new ArchiveReader() : new PlainArchiveReader();
const buffer = Buffer.allocUnsafe(1024 * 1024);
let tarInput = output;
let verdict: UnpackVerdict;
try {
  for (;;) {
    const read = readSync(input, buffer, 0, buffer.length, null);
    if (read === 0) break;
    reader.push(buffer.subarray(0, read));
    tarInput = writeOn(tarInput, read);
  }
  verdict = { summary: reader.finish(), labels: reader instanceof ArchiveReader ? (reader.header?.volume.labels ?? null) : null };
} catch (err) {
  verdict = { failure: err instanceof MoorError ? { kind: err.kind, message: err.message } : { kind: "internal", message: `reading the archive: ${(err as Error).message}` } };
}
parentPort!.postMessage(verdict);

/** Writes the buffer's first `length` bytes into tar's pipe; the pipe, or null once tar has closed it. */
function writeOn(fd: number | null, length: number): number | null {
  if (fd === null) return null;
  try {
    for (let written = 0; written < length; ) written += writeSync(fd, buffer, written, length - written);
    return fd;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EPIPE") return null;
    throw err;
  }
}
