import type { Writable } from "node:stream";

/**
 * Resolves once `stream` takes writes again ("drain"), or at once if it is closed or broken: a
 * stream that failed (a full disk, a reader gone) never drains, and a writer waiting for it would
 * wait for ever. The listener that did not fire is removed too (a long copy waits thousands of
 * times, and Node warns past ten listeners).
 */
export function drainedOrClosed(stream: Writable): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
