/** Everything a stream or iterable yields, as one buffer. */
export async function readAll(input: AsyncIterable<Buffer | string> | Iterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
