import type { Socket } from "node:net";
import type { CommandContext } from "../command.ts";

/** Parses Docker's multiplexed stream as it arrives, frame by frame, across chunk borders. */
export class Demultiplexer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly write: (stream: "stdout" | "stderr", data: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) return;
      this.write(this.pending[0] === 2 ? "stderr" : "stdout", this.pending.subarray(8, 8 + size));
      this.pending = this.pending.subarray(8 + size);
    }
  }
}

/**
 * Connects a hijacked connection to the terminal: its output to stdout and stderr (demultiplexed
 * unless TTY) and, when interactive, stdin to it, closing its write side at stdin's end. Resolves
 * when the engine closes the connection.
 */
export function connectStreams(ctx: CommandContext, socket: Socket, { tty, interactive }: { tty: boolean; interactive: boolean }): Promise<void> {
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const demux = new Demultiplexer((stream, data) => (stream === "stderr" ? ctx.stderr : ctx.stdout).write(data));
  socket.on("data", (chunk: Buffer) => (tty ? ctx.stdout.write(chunk) : demux.push(chunk)));
  if (interactive) {
    ctx.stdin.on("data", (chunk: Buffer) => socket.write(chunk));
    ctx.stdin.once("end", () => socket.end());
  }
  return closed.finally(() => {
    if (interactive) ctx.stdin.pause();
  });
}
