/**
 * The tar format as docker's archive endpoints carry it (Go's archive/tar): ustar headers, PAX
 * extended headers when a field does not fit, GNU long names on reading. Streams are
 * AsyncIterables of Buffers; entry bodies stream too, so a large file is never held whole.
 */

export const TarType = {
  file: "0",
  hardLink: "1",
  symlink: "2",
  charDevice: "3",
  blockDevice: "4",
  directory: "5",
  fifo: "6",
} as const;

export interface TarHeader {
  name: string;
  /** One of TarType's flags; "0" for regular files (old "\0" and contiguous "7" read as "0"). */
  type: string;
  /** st_mode as Go writes it: permission bits with the file-type bits (0o040755 for a directory). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** PAX records other than the ones mapped to fields above (xattrs: `SCHILY.xattr.<name>`). */
  pax: Record<string, string>;
}

export interface TarEntry {
  header: TarHeader;
  /** The entry's data (header.size bytes); skipped when not read before the next entry. */
  body: AsyncIterable<Buffer>;
}

const block = 512;
const headerOnly = new Set<string>([TarType.hardLink, TarType.symlink, TarType.charDevice, TarType.blockDevice, TarType.directory, TarType.fifo]);
/** Two zero blocks end an archive (Go writes no further record padding). */
export const tarEnd = Buffer.alloc(2 * block);

export class TarFormatError extends Error {}

/** Zero bytes that pad an entry's data of `size` bytes to a whole block. */
export function tarPadding(size: number): Buffer {
  const rest = size % block;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(block - rest);
}

export function tarHeader(fields: Partial<TarHeader> & { name: string; type: string }): TarHeader {
  return { mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, linkname: "", uname: "", gname: "", devmajor: 0, devminor: 0, pax: {}, ...fields };
}

/** Reads exactly the bytes asked for from a stream of chunks. */
class ByteReader {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly iterator: AsyncIterator<Buffer>;
  private ended = false;

  constructor(input: AsyncIterable<Buffer>) {
    this.iterator = input[Symbol.asyncIterator]();
  }

  /** `length` bytes, or fewer when the stream ends first. */
  async read(length: number): Promise<Buffer> {
    while (this.buffered.length < length && !this.ended) {
      const next = await this.iterator.next();
      if (next.done) this.ended = true;
      else this.buffered = this.buffered.length === 0 ? next.value : Buffer.concat([this.buffered, next.value]);
    }
    const taken = this.buffered.subarray(0, length);
    this.buffered = this.buffered.subarray(taken.length);
    return taken;
  }

  /** The next `length` bytes in the pieces they arrive in. */
  async *pieces(length: number): AsyncGenerator<Buffer> {
    let left = length;
    while (left > 0) {
      if (this.buffered.length === 0) {
        if (this.ended) throw new TarFormatError("unexpected EOF");
        const next = await this.iterator.next();
        if (next.done) {
          this.ended = true;
          continue;
        }
        this.buffered = next.value;
      }
      const piece = this.buffered.subarray(0, left);
      this.buffered = this.buffered.subarray(piece.length);
      left -= piece.length;
      yield piece;
    }
  }

  async skip(length: number): Promise<void> {
    for await (const _ of this.pieces(length));
  }
}

/**
 * The entries of a tar stream. An entry's body must be read (or is skipped) before the next
 * entry is asked for. The end is two zero blocks or the end of the stream at a header.
 */
export async function* readTar(input: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(input);
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  let globalPax: Record<string, string> = {};
  for (;;) {
    const raw = await reader.read(block);
    if (raw.length === 0) return;
    if (raw.length < block) throw new TarFormatError("unexpected EOF");
    if (raw.every((byte) => byte === 0)) return;
    if (!checksumMatches(raw)) throw new TarFormatError("invalid tar header");
    const type = raw.toString("latin1", 156, 157);
    const size = parseNumber(raw.subarray(124, 136));
    if (type === "x" || type === "g" || type === "L" || type === "K") {
      const data = Buffer.concat(await collect(reader.pieces(size)));
      await reader.skip(tarPadding(size).length);
      if (type === "x") pax = { ...pax, ...parsePax(data) };
      else if (type === "g") globalPax = { ...globalPax, ...parsePax(data) };
      else if (type === "L") longName = cString(data);
      else longLink = cString(data);
      continue;
    }
    const records = { ...globalPax, ...pax };
    const header = decodeHeader(raw, type);
    if (longName !== undefined) header.name = longName;
    if (longLink !== undefined) header.linkname = longLink;
    applyPax(header, records);
    longName = longLink = undefined;
    pax = {};
    // Go's reader gives header-only types no data, whatever their size field says.
    const dataSize = headerOnly.has(header.type) ? 0 : header.size;
    header.size = dataSize;
    let remaining = dataSize;
    const body = (async function* () {
      for await (const piece of reader.pieces(remaining)) {
        remaining -= piece.length;
        yield piece;
      }
    })();
    yield { header, body };
    await reader.skip(remaining);
    await reader.skip(tarPadding(dataSize).length);
  }
}

async function collect(pieces: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const all: Buffer[] = [];
  for await (const piece of pieces) all.push(Buffer.from(piece));
  return all;
}

function decodeHeader(raw: Buffer, type: string): TarHeader {
  const magic = raw.toString("latin1", 257, 263);
  let name = cString(raw.subarray(0, 100));
  const ustar = magic === "ustar\0";
  if (ustar) {
    const prefix = cString(raw.subarray(345, 500));
    if (prefix !== "") name = `${prefix}/${name}`;
  }
  return {
    name,
    type: type === "\0" || type === "7" ? TarType.file : type,
    mode: parseNumber(raw.subarray(100, 108)),
    uid: parseNumber(raw.subarray(108, 116)),
    gid: parseNumber(raw.subarray(116, 124)),
    size: parseNumber(raw.subarray(124, 136)),
    mtime: parseNumber(raw.subarray(136, 148)),
    linkname: cString(raw.subarray(157, 257)),
    uname: ustar || magic === "ustar " ? cString(raw.subarray(265, 297)) : "",
    gname: ustar || magic === "ustar " ? cString(raw.subarray(297, 329)) : "",
    devmajor: parseNumber(raw.subarray(329, 337)),
    devminor: parseNumber(raw.subarray(337, 345)),
    pax: {},
  };
}

function applyPax(header: TarHeader, records: Record<string, string>): void {
  for (const [key, value] of Object.entries(records)) {
    switch (key) {
      case "path":
        header.name = value;
        break;
      case "linkpath":
        header.linkname = value;
        break;
      case "size":
        header.size = Number(value);
        break;
      case "uid":
        header.uid = Number(value);
        break;
      case "gid":
        header.gid = Number(value);
        break;
      case "mtime":
        header.mtime = Number(value);
        break;
      case "uname":
        header.uname = value;
        break;
      case "gname":
        header.gname = value;
        break;
      case "atime":
      case "ctime":
        break;
      default:
        header.pax[key] = value;
    }
  }
}

/** PAX records: `<length> <key>=<value>\n`, the length counting the whole record. */
function parsePax(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) break;
    const length = Number.parseInt(data.toString("latin1", offset, space), 10);
    if (!Number.isFinite(length) || length <= 0 || offset + length > data.length) throw new TarFormatError("invalid PAX record");
    const record = data.subarray(space + 1, offset + length - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (eq > 0) records[record.slice(0, eq)] = record.slice(eq + 1);
    offset += length;
  }
  return records;
}

function cString(bytes: Buffer): string {
  const nul = bytes.indexOf(0);
  return bytes.subarray(0, nul === -1 ? bytes.length : nul).toString("utf8");
}

/** Octal text, or GNU's base-256 (high bit of the first byte set) for big values. */
function parseNumber(field: Buffer): number {
  if (field.length > 0 && (field[0] & 0x80) !== 0) {
    let value = field[0] & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return value;
  }
  const text = field.toString("latin1").replace(/\0.*$/s, "").trim();
  return text === "" ? 0 : Number.parseInt(text, 8);
}

function checksumMatches(raw: Buffer): boolean {
  const stored = parseNumber(raw.subarray(148, 156));
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < block; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : raw[i];
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

const maxOctal7 = 0o7777777;
const maxOctal11 = 0o77777777777;

/**
 * A header block as Go's tar.Writer writes one: ustar when every field fits (long names split
 * at a slash into the prefix field), preceded by a PAX extended header for what does not.
 */
export function encodeTarHeader(header: TarHeader): Buffer {
  const records: Array<[string, string]> = [];
  let name = header.name;
  let prefix = "";
  if (!fitsUstar(name, 100)) {
    const split = splitUstarPath(name);
    if (split === undefined) records.push(["path", name]);
    else [prefix, name] = split;
  }
  if (!fitsUstar(header.linkname, 100)) records.push(["linkpath", header.linkname]);
  if (header.size > maxOctal11) records.push(["size", String(header.size)]);
  if (header.uid > maxOctal7) records.push(["uid", String(header.uid)]);
  if (header.gid > maxOctal7) records.push(["gid", String(header.gid)]);
  if (header.mtime < 0 || header.mtime > maxOctal11 || !Number.isInteger(header.mtime)) records.push(["mtime", String(header.mtime)]);
  if (!fitsUstar(header.uname, 32)) records.push(["uname", header.uname]);
  if (!fitsUstar(header.gname, 32)) records.push(["gname", header.gname]);
  for (const [key, value] of Object.entries(header.pax).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) records.push([key, value]);

  const main = ustarBlock(
    {
      ...header,
      name: records.some(([key]) => key === "path") ? asciiFallback(name, 100) : name,
      linkname: fitsUstar(header.linkname, 100) ? header.linkname : asciiFallback(header.linkname, 100),
      uname: fitsUstar(header.uname, 32) ? header.uname : "",
      gname: fitsUstar(header.gname, 32) ? header.gname : "",
      size: Math.min(header.size, maxOctal11),
      uid: Math.min(header.uid, maxOctal7),
      gid: Math.min(header.gid, maxOctal7),
      mtime: Math.max(0, Math.min(Math.floor(header.mtime), maxOctal11)),
    },
    prefix,
  );
  if (records.length === 0) return main;
  const paxData = Buffer.from(records.map(([key, value]) => paxRecord(key, value)).join(""), "utf8");
  // Go names the extended header after the entry: PaxHeaders.0/<base name>.
  const base = header.name.replace(/\/+$/, "").split("/").pop() ?? "";
  const paxHeader = ustarBlock(tarHeader({ name: asciiFallback(`PaxHeaders.0/${base}`, 100), type: "x", size: paxData.length, mode: 0 }), "");
  return Buffer.concat([paxHeader, paxData, tarPadding(paxData.length), main]);
}

/** `<length> <key>=<value>\n`, where the length counts its own digits. */
function paxRecord(key: string, value: string): string {
  const bodyLength = Buffer.byteLength(` ${key}=${value}\n`);
  let length = bodyLength + String(bodyLength).length;
  while (String(length).length + bodyLength !== length) length = String(length).length + bodyLength;
  return `${length} ${key}=${value}\n`;
}

function fitsUstar(text: string, size: number): boolean {
  return Buffer.byteLength(text) <= size && /^[\x01-\x7f]*$/.test(text);
}

/** Go's splitUSTARPath: a prefix of at most 155 bytes and a name of at most 100, split at a slash. */
function splitUstarPath(path: string): [string, string] | undefined {
  if (!/^[\x01-\x7f]*$/.test(path)) return undefined;
  let length = path.length;
  if (length > 156) length = 156;
  else if (path[length - 1] === "/") length--;
  const index = path.lastIndexOf("/", length - 1);
  const name = path.slice(index + 1);
  if (index <= 0 || name === "" || name.length > 100 || index > 155) return undefined;
  return [path.slice(0, index), name];
}

function asciiFallback(text: string, size: number): string {
  return text.replace(/[^\x01-\x7f]/g, "_").slice(0, size);
}

function ustarBlock(header: TarHeader, prefix: string): Buffer {
  const raw = Buffer.alloc(block);
  raw.write(header.name, 0, 100, "utf8");
  writeOctal(raw, 100, 8, header.mode & 0o7777777);
  writeOctal(raw, 108, 8, header.uid);
  writeOctal(raw, 116, 8, header.gid);
  writeOctal(raw, 124, 12, header.size);
  writeOctal(raw, 136, 12, header.mtime);
  raw.write(header.type, 156, 1, "latin1");
  raw.write(header.linkname, 157, 100, "utf8");
  raw.write("ustar\x0000", 257, 8, "latin1");
  raw.write(header.uname, 265, 32, "utf8");
  raw.write(header.gname, 297, 32, "utf8");
  writeOctal(raw, 329, 8, header.devmajor);
  writeOctal(raw, 337, 8, header.devminor);
  raw.write(prefix, 345, 155, "utf8");
  raw.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of raw) sum += byte;
  raw.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
  return raw;
}

function writeOctal(raw: Buffer, offset: number, size: number, value: number): void {
  raw.write(`${Math.trunc(value).toString(8).padStart(size - 1, "0")}\0`, offset, size, "latin1");
}

/**
 * moby's RebaseArchiveEntries: the first occurrence of `oldBase` in each entry's name (and in
 * a hard link's target) becomes `newBase`; "/" as oldBase means the empty string, so the
 * leading slash stays.
 */
export async function* rebaseTar(input: AsyncIterable<Buffer>, oldBase: string, newBase: string): AsyncGenerator<Buffer> {
  const from = oldBase === "/" ? "" : oldBase;
  for await (const { header, body } of readTar(input)) {
    const renamed = { ...header, name: header.name.replace(from, () => newBase) };
    if (header.type === TarType.hardLink) renamed.linkname = header.linkname.replace(from, () => newBase);
    yield encodeTarHeader(renamed);
    yield* body;
    yield tarPadding(header.size);
  }
  yield tarEnd;
}
