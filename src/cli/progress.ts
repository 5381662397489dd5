/**
 * Progress of long transfers on a terminal: bytes so far, the rate and, when the total is known,
 * the share done and the time left, redrawn in place on one line, erased at the end. Nothing at all when the stream is not a terminal, so scripts and
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

export interface ProgressOptions {
  /** Bytes the transfer will have moved when done, when known: then the share and time left are shown. */
  total?: number;
  now?: () => number;
  intervalMs?: number;
}

/**
 * `Restoring: 12.3MB of 45.6MB (27%), 4.1MB/s, 8s left` (without a total: bytes and rate),
 * cut to the terminal's width.
 */
export function transferProgress(stream: NodeJS.WritableStream, label: string, counter: { bytes: number }, { total, now = Date.now, intervalMs = 200 }: ProgressOptions = {}): { stop(): void } {
  if (!(stream as { isTTY?: boolean }).isTTY) return { stop() {} };
  const started = now();
  const draw = () => {
    const seconds = (now() - started) / 1000;
    const rate = seconds > 0 ? counter.bytes / seconds : 0;
    const parts = [total === undefined || total <= 0 ? humanSize(counter.bytes, 3) : `${humanSize(counter.bytes, 3)} of ${humanSize(total, 3)} (${Math.min(100, Math.floor((counter.bytes / total) * 100))}%)`];
    if (seconds > 0) parts.push(`${humanSize(rate, 3)}/s`);
    if (total !== undefined && total > 0 && rate > 0) parts.push(`${timeLeft(Math.max(0, total - counter.bytes) / rate)} left`);
    const width = (stream as { columns?: number }).columns ?? 80;
    stream.write(`\r\x1b[2K${`${label}: ${parts.join(", ")}`.slice(0, Math.max(1, width - 1))}`);
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

/** `8s`, `2m05s`, `1h02m`. */
export function timeLeft(seconds: number): string {
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, "0")}m`;
}
