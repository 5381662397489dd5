/**
 * Archives the engine streams (exports, backups) written where the user asked: a file that
 * appears only once complete, or stdout, which must not be a terminal.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { MoorError } from "../errors.ts";
import { CommandError, type CommandContext } from "./command.ts";

/** `fill` writes the archive under a partial name beside `output`, which it gets once complete; a failure leaves nothing behind. */
export async function writeArchiveFile(output: string, what: string, fill: (partial: string) => Promise<void>): Promise<void> {
  const partial = resolve(`${output}.partial-${process.pid}`);
  try {
    await fill(partial);
    await rename(partial, output);
  } catch (err) {
    await rm(partial, { force: true });
    // The engine's own refusals (no such volume, writers running) read as they are.
    if (err instanceof MoorError) throw err;
    throw new CommandError(`${what} failed: ${(err as Error).message}; no archive was written`);
  }
}

/**
 * The chunks written to a new file as they come. The writes are synchronous: each lands in the
 * page cache in microseconds, and a write stream's hand-off of every chunk to libuv's thread
 * pool cost the CLI about a third of its CPU for a large backup.
 */
export async function writeNewFile(path: string, chunks: AsyncIterable<Buffer>): Promise<void> {
  const fd = openSync(path, "wx");
  try {
    for await (const chunk of chunks) {
      for (let written = 0; written < chunk.length; ) written += writeSync(fd, chunk, written);
    }
  } finally {
    closeSync(fd);
  }
}

/** An archive streamed to stdout; `refusal` is the message when stdout is a terminal. */
export async function writeToStdout(ctx: CommandContext, what: string, stream: () => Promise<AsyncIterable<Buffer>>, refusal: string): Promise<void> {
  if ((ctx.stdout as NodeJS.WriteStream).isTTY) throw new CommandError(refusal);
  const archive = await stream();
  try {
    await pipeline(archive, ctx.stdout, { end: false });
  } catch (err) {
    throw new CommandError(`${what} failed: ${(err as Error).message}`);
  }
}
