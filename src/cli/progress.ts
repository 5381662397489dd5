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
  now?: () => number;
  intervalMs?: number;
}

/** Bytes done so far and, when known, how many there will be in all. */
export interface ProgressSample {
  bytes: number;
  total?: number;
}

/** Progress of bytes counted as they pass (`counted`), of `total` when it is known. */
export function transferProgress(stream: NodeJS.WritableStream, label: string, counter: { bytes: number }, { total, ...options }: ProgressOptions & { total?: number } = {}): { stop(): void } {
  return progressLine(stream, label, () => ({ bytes: counter.bytes, total }), options);
}

/**
 * `Restoring: 12.3MB of 45.6MB (27%), 4.1MB/s, 8s left` (without a total: bytes and rate),
 * redrawn from `sample`, cut to the terminal's width.
 */
export function progressLine(stream: NodeJS.WritableStream, label: string, sample: () => ProgressSample, { now = Date.now, intervalMs = 200 }: ProgressOptions = {}): { stop(): void } {
  if (!(stream as { isTTY?: boolean }).isTTY) return { stop() {} };
  const started = now();
  const draw = () => {
    const { bytes, total } = sample();
    const seconds = (now() - started) / 1000;
    const rate = seconds > 0 ? bytes / seconds : 0;
    const known = total !== undefined && total > 0;
    const parts = [known ? `${humanSize(bytes, 3)} of ${humanSize(total, 3)} (${Math.min(100, Math.floor((bytes / total) * 100))}%)` : humanSize(bytes, 3)];
    if (seconds > 0) parts.push(`${humanSize(rate, 3)}/s`);
    if (known && rate > 0) parts.push(`${timeLeft(Math.max(0, total - bytes) / rate)} left`);
    // A terminal that does not say its width (0) is taken as 80 columns.
    const width = (stream as { columns?: number }).columns || 80;
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
