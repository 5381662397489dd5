import { Readable, pipeline } from "node:stream";
import { createGunzip } from "node:zlib";

/** The content of a gzip stream, as it comes; an error reading `input` ends it with that error. */
export function gunzip(input: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  const decompressor = createGunzip();
  // pipeline passes the input's errors on to the decompressor, and so to whoever reads it.
  pipeline(Readable.from(input), decompressor, () => undefined);
  return decompressor;
}
