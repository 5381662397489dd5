/**
 * The fields of tar's header blocks and pax records (POSIX ustar and pax, with GNU's base-256
 * numbers), for the archive reader and writer (tar.ts) and the backup scanner (tar-scan.ts).
 * Names and pax values are bytes; they read as text without loss (name-text.ts), so that a file
 * name that is not UTF-8, or an extended attribute's binary value, survives a read and a write.
 */
import { nameBytes, nameText } from "./name-text.ts";

export const blockSize = 512;

/** Zero bytes that pad `size` bytes of data to whole blocks: how many. */
export function paddingSize(size: number): number {
  return (blockSize - (size % blockSize)) % blockSize;
}

/**
 * The NUL-ended text field at `offset` (`length` bytes long) of a header block: numbers are
 * ASCII, names need not be UTF-8. Read in place: a header has a dozen fields, an archive may
 * have millions of headers.
 */
export function textAt(block: Buffer, offset: number, length: number): string {
  let end = offset;
  let ascii = true;
  for (const limit = offset + length; end < limit && block[end] !== 0; end++) if (block[end] >= 0x80) ascii = false;
  return ascii ? block.toString("latin1", offset, end) : nameText(block.subarray(offset, end));
}

/** The numeric field at `offset`: octal (spaces and NULs around it), or GNU's base-256 (high bit set) for large values. */
export function numberAt(block: Buffer, offset: number, length: number): number {
  const limit = offset + length;
  if (block[offset] & 0x80) {
    let value = 0;
    for (let i = offset + 1; i < limit; i++) value = value * 256 + block[i];
    return value;
  }
  let i = offset;
  while (i < limit && (block[i] === 0x20 || block[i] === 0)) i++;
  let value = 0;
  for (; i < limit && block[i] >= 0x30 && block[i] <= 0x37; i++) value = value * 8 + (block[i] - 0x30);
  return value;
}

/** Whether a block is all zeros: an end-of-archive block. */
export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** Whether a header block's checksum field holds the sum of its bytes (the field itself as spaces). */
export function checksumMatches(block: Buffer): boolean {
  return numberAt(block, 148, 8) === checksumOf(block);
}

export function checksumOf(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < blockSize; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
  return sum;
}

/** pax records, "<length> <key>=<value>\n" each; undefined when malformed. */
export function parsePaxRecords(bytes: Buffer): Record<string, string> | undefined {
  const records: Record<string, string> = {};
  let offset = 0;
  while (offset < bytes.length) {
    const space = bytes.indexOf(0x20, offset);
    const length = Number(bytes.subarray(offset, space).toString("latin1"));
    if (space === -1 || !Number.isInteger(length) || length <= space - offset + 1 || offset + length > bytes.length) return undefined;
    const record = bytes.subarray(space + 1, offset + length - 1);
    const equals = record.indexOf(0x3d);
    if (equals === -1 || bytes[offset + length - 1] !== 0x0a) return undefined;
    // GNU tar writes a path that is not UTF-8 as its bytes (hdrcharset=BINARY); xattr values are bytes.
    records[record.subarray(0, equals).toString("utf8")] = nameText(record.subarray(equals + 1));
    offset += length;
  }
  return records;
}

/** pax records as written: each value's bytes as nameBytes gives them. */
export function encodePaxRecords(records: ReadonlyArray<readonly [string, string]>): Buffer {
  return Buffer.concat(
    records.map(([key, value]) => {
      const body = Buffer.concat([Buffer.from(` ${key}=`), nameBytes(value), Buffer.from("\n")]);
      // The length counts its own digits.
      let length = body.length + String(body.length).length;
      if (String(length).length !== String(body.length).length) length = body.length + String(length).length;
      return Buffer.concat([Buffer.from(String(length)), body]);
    }),
  );
}
