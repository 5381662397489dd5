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
