/**
 * Progress of long transfers on a terminal: bytes so far and the rate, redrawn in place on one
 * line, erased at the end. Nothing at all when the stream is not a terminal, so scripts and
 * pipes see only the command's output.
 */
import { humanSize } from "../util/units.ts";

/** The chunks as they pass, counted into `counter.bytes`. */
export async function* counted(chunks: AsyncIterable<Buffer>, counter: { bytes: number }): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    counter.bytes += chunk.length;
    yield chunk;
  }
}

export function transferProgress(stream: NodeJS.WritableStream, label: string, counter: { bytes: number }, now: () => number = Date.now, intervalMs = 200): { stop(): void } {
  if (!(stream as { isTTY?: boolean }).isTTY) return { stop() {} };
  const started = now();
  const draw = () => {
    const seconds = (now() - started) / 1000;
    const rate = seconds > 0 ? `, ${humanSize(counter.bytes / seconds, 3)}/s` : "";
    stream.write(`\r\x1b[2K${label}: ${humanSize(counter.bytes, 3)}${rate}`);
  };
  draw();
  const timer = setInterval(draw, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      stream.write("\r\x1b[2K");
    },
  };
}
