import type { Socket } from "node:net";
import type { CommandContext } from "../command.ts";
import { Demultiplexer } from "../../util/multiplexed-stream.ts";

/**
 * Connects a hijacked connection to the terminal: its output to stdout and stderr (demultiplexed
 * unless TTY) and, when interactive, stdin to it, closing its write side at stdin's end. Resolves
 * when the engine closes the connection.
 */
export function connectStreams(ctx: CommandContext, socket: Socket, { tty, interactive }: { tty: boolean; interactive: boolean }): Promise<void> {
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const demux = new Demultiplexer((stream, data) => (stream === "stderr" ? ctx.stderr : ctx.stdout).write(data));
  socket.on("data", (chunk: Buffer) => (tty ? ctx.stdout.write(chunk) : demux.push(chunk)));
  // The client hands the connection over paused (see upgrade()).
  socket.resume();
  if (interactive) {
    ctx.stdin.on("data", (chunk: Buffer) => socket.write(chunk));
    ctx.stdin.once("end", () => socket.end());
  }
  return closed.finally(() => {
    if (interactive) ctx.stdin.pause();
  });
}
