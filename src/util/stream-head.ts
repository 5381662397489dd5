/**
 * The first `length` bytes of a stream (fewer if it ends first), and the whole stream again from
 * its start: to tell what a stream is (gzip, zstd, tar) by its first bytes before it is read.
 * The head is gathered from as many chunks as it takes.
 */
export async function peekHead(stream: AsyncIterable<Buffer>, length: number): Promise<{ head: Buffer; whole: AsyncIterable<Buffer> }> {
  const iterator = stream[Symbol.asyncIterator]();
  const read: Buffer[] = [];
  let bytes = 0;
  while (bytes < length) {
    const next = await iterator.next();
    if (next.done) break;
    read.push(next.value);
    bytes += next.value.length;
  }
  const whole = (async function* () {
    yield* read;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  })();
  return { head: Buffer.concat(read).subarray(0, length), whole };
}
