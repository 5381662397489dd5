/**
 * File names as text, without loss. A Linux file name is bytes; most are UTF-8 and read as
 * themselves. In one that is not, each byte outside a valid UTF-8 sequence reads as a lone
 * surrogate, U+DC80 to U+DCFF (Python's "surrogateescape"), which no decoded UTF-8 holds: two
 * names differ as text exactly when they differ as bytes, JSON keeps them (as \udcXX escapes),
 * and nameBytes gives the bytes back. Decoding as UTF-8 instead would turn every such byte into
 * U+FFFD: names that differ would read the same, and none could be opened again.
 */
import { isUtf8 } from "node:buffer";

/** The text of a file name's bytes. */
export function nameText(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString("utf8");
  let text = "";
  for (let i = 0; i < bytes.length; ) {
    const length = sequenceLength(bytes, i);
    if (length === 0) {
      text += String.fromCharCode(0xdc00 + bytes[i]);
      i += 1;
    } else {
      text += bytes.toString("utf8", i, i + length);
      i += length;
    }
  }
  return text;
}

/** The bytes of a name's text (see nameText). */
export function nameBytes(text: string): Buffer {
  if (!hasEscapedBytes(text)) return Buffer.from(text);
  const parts: Buffer[] = [];
  for (const character of text) {
    const unit = character.charCodeAt(0);
    parts.push(character.length === 1 && unit >= 0xdc80 && unit <= 0xdcff ? Buffer.of(unit - 0xdc00) : Buffer.from(character));
  }
  return Buffer.concat(parts);
}

/** Whether a name's text holds bytes that are not UTF-8 (a lone U+DC80 to U+DCFF). */
export function hasEscapedBytes(text: string): boolean {
  return escapedByte.test(text);
}

/**
 * A name in quotes for a message: as JSON writes it, but each byte that is not UTF-8 as \xNN
 * (JSON would write the lone surrogate that stands for it).
 */
export function quotedName(text: string): string {
  return JSON.stringify(text).replace(/(?<!\\)((?:\\\\)*)\\udc([89a-f][0-9a-f])/g, "$1\\x$2");
}

/** A path for fs calls from a name's text: itself, or its bytes when it holds some that are not UTF-8. */
export function namePath(text: string): string | Buffer {
  return hasEscapedBytes(text) ? nameBytes(text) : text;
}

/** A U+DC80 to U+DCFF that is not the second half of a pair. */
const escapedByte = /(?<![\ud800-\udbff])[\udc80-\udcff]/;

/** The length of the well-formed UTF-8 sequence at `i` (Unicode's table 3-7), or 0 if none starts there. */
function sequenceLength(bytes: Buffer, i: number): number {
  const first = bytes[i];
  if (first < 0x80) return 1;
  const continuation = (at: number, low = 0x80, high = 0xbf) => at < bytes.length && bytes[at] >= low && bytes[at] <= high;
  if (first >= 0xc2 && first <= 0xdf) return continuation(i + 1) ? 2 : 0;
  if (first >= 0xe0 && first <= 0xef) {
    const low = first === 0xe0 ? 0xa0 : 0x80;
    const high = first === 0xed ? 0x9f : 0xbf;
    return continuation(i + 1, low, high) && continuation(i + 2) ? 3 : 0;
  }
  if (first >= 0xf0 && first <= 0xf4) {
    const low = first === 0xf0 ? 0x90 : 0x80;
    const high = first === 0xf4 ? 0x8f : 0xbf;
    return continuation(i + 1, low, high) && continuation(i + 2) && continuation(i + 3) ? 4 : 0;
  }
  return 0;
}
