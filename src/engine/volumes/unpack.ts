/**
 * Unpacking an archive: its decompressor (chosen by its first bytes) | a thread of the engine
 * that runs a reader over every byte (unpack-worker.ts) | tar, or no tar to only check it. The
 * reader sees each piece before tar does, so a member that would land outside the volume stops
 * the stream before tar gets it. The thread reads and writes the two pipes with plain blocking
 * calls into one buffer: through Node's streams on the engine's thread, a gigabyte cost about as
 * much again in allocations, garbage collections and callbacks as tar's own work, and held up
 * the engine's other requests meanwhile.
 */
import { closeSync, readSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { MoorError, type ErrorKind } from "../../errors.ts";
import { feedInput, startCommand } from "../runtime/command.ts";
import { pipe } from "../runtime/syscalls.ts";
import { peekHead } from "../../util/stream-head.ts";
import type { ArchiveSummary } from "./backup-reader.ts";

/** An archive in a file the engine has open (read from its start), or streamed to it. */
export type ArchiveSource = { fd: number } | { stream: AsyncIterable<Buffer> };

/** What the unpacking thread is given: which reader, and the two pipes' ends it reads and writes (no output: only checked). */
export interface UnpackJob {
  reader: "backup" | "plain";
  input: number;
  output: number | null;
}

/** The reader's verdict, the thread's one message. */
export type UnpackVerdict = { summary: ArchiveSummary; labels: Record<string, string> | null } | { failure: { kind: ErrorKind; message: string } };

const pipeCapacity = 1024 * 1024;

/**
 * Reads `source` through its decompressor and `reader` into `tar` (its arguments; null: checked
 * only). Resolves to the reader's summary once all three succeeded. A failure says what went
 * wrong first: the reader's complaint, else tar's, else the decompressor's. `started` gets the
 * decompressor's pid, to follow how much it has read.
 */
export async function unpackArchive(source: ArchiveSource, reader: UnpackJob["reader"], tar: string[] | null, { started }: { started?: (pid: number | undefined) => void } = {}): Promise<{ summary: ArchiveSummary; labels: Record<string, string> | null }> {
  const { head, whole } = "fd" in source ? { head: readHead(source.fd), whole: undefined } : await peekHead(source.stream, 4);
  const [fromDecompressor, decompressorOutput] = pipe(pipeCapacity);
  let tarEnds: [number, number] | undefined;
  try {
    if (tar !== null) tarEnds = pipe(pipeCapacity);
  } catch (err) {
    closeSync(fromDecompressor);
    closeSync(decompressorOutput);
    throw err;
  }
  const [decompressor, args] = decompressorFor(head);
  const decompressing = startCommand(decompressor, args, ["fd" in source ? source.fd : "pipe", decompressorOutput, "pipe"]);
  const unpacking = tarEnds === undefined ? undefined : startCommand("tar", tar!, [tarEnds[0], "ignore", "pipe"]);
  // The children hold these ends now; the thread holds the other two until it is done.
  closeSync(decompressorOutput);
  if (tarEnds !== undefined) closeSync(tarEnds[0]);
  started?.(decompressing.child.pid);
  const toTar = tarEnds?.[1] ?? null;
  const closeThreadEnds = () => {
    // Closing the pipe into tar ends tar's input; closing the other stops a decompressor still writing.
    closeSync(fromDecompressor);
    if (toTar !== null) closeSync(toTar);
  };
  const verdict = new Promise<UnpackVerdict>((resolve, reject) => {
    const job: UnpackJob = { reader, input: fromDecompressor, output: toTar };
    let worker: Worker;
    try {
      // The engine runs built (scripts/build.mjs): unpack-worker.js is beside this module's chunk.
      worker = new Worker(new URL("./unpack-worker.js", import.meta.url), { workerData: job });
    } catch (err) {
      closeThreadEnds();
      reject(err);
      return;
    }
    let message: UnpackVerdict | undefined;
    worker.on("message", (posted: UnpackVerdict) => (message = posted));
    worker.on("error", reject);
    worker.on("exit", () => {
      closeThreadEnds();
      if (message === undefined) reject(new MoorError("internal", "the thread reading the archive stopped without a verdict"));
      else resolve(message);
    });
  });
  // A failure to read the stream stops the decompressor, and the reader finds the archive truncated.
  if (whole !== undefined) feedInput(decompressing.child.stdin!, whole, () => decompressing.child.kill("SIGKILL"));
  const [checked, decompressed, unpacked] = await Promise.allSettled([verdict, decompressing.done, unpacking?.done]);
  if (checked.status === "rejected") throw checked.reason;
  if ("failure" in checked.value) throw new MoorError(checked.value.failure.kind, checked.value.failure.message);
  if (unpacked.status === "rejected") throw unpacked.reason;
  if (decompressed.status === "rejected") throw decompressed.reason;
  return checked.value;
}

/** The first bytes of an archive file, without moving its offset. */
function readHead(fd: number): Buffer {
  const head = Buffer.alloc(4);
  return head.subarray(0, readSync(fd, head, 0, head.length, 0));
}

/** What turns the archive into tar, by what its first bytes say it is: zstd, gzip, or (cat) plain tar already. */
function decompressorFor(head: Buffer): [string, string[]] {
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return ["zstd", ["-d", "-c", "-q"]];
  if (head[0] === 0x1f && head[1] === 0x8b) return ["gzip", ["-d", "-c"]];
  return ["cat", []];
}
