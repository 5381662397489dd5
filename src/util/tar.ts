import { blockSize, checksumMatches, checksumOf, encodePaxRecords, isZeroBlock, numberAt, paddingSize, parsePaxRecords, textAt } from "./tar-fields.ts";

/**
 * Tar streams as docker's archive endpoints carry them, with docker's view of an entry (Go's
 * archive/tar type flags and fields, its rule that link, directory, device and FIFO entries
 * carry no data, its error texts). Reads ustar, GNU and PAX archives (GNU long names, base-256
 * numbers, global records); writes ustar, with a PAX extended header for what does not fit.
 * Names and PAX values are bytes, read as text without loss (name-text.ts) and written back as
 * the same bytes: tar-stream, used before, decoded and encoded them as UTF-8, which renamed files
 * whose names are not UTF-8 and mangled binary xattr values (file capabilities) in layers.
 * Streams are AsyncIterables of Buffers with backpressure both ways; entry bodies stream too, so
 * a large file is never held whole.
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
  /** One of TarType's flags ("0" also for old "\0" and contiguous "7" files), or the archive's own for another type (GNU's sparse "S", ...). */
  type: string;
  /** Permission bits (with set-id and sticky bits). Type bits, as Go writes them, are accepted and not written. */
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
  /** The entry's data (header.size bytes). readTar skips what is not read before the next entry. */
  body: AsyncIterable<Buffer>;
}

export class TarFormatError extends Error {}

export function tarHeader(fields: Partial<TarHeader> & { name: string; type: string }): TarHeader {
  return { mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, linkname: "", uname: "", gname: "", devmajor: 0, devminor: 0, pax: {}, ...fields };
}

/** Type flags with no data, whatever their size field says (Go's isHeaderOnlyType). */
const headerOnlyTypes = new Set<string>([TarType.hardLink, TarType.symlink, TarType.charDevice, TarType.blockDevice, TarType.directory, TarType.fifo]);

/** PAX records that readTar maps to header fields (or, for times other than mtime, drops). */
const mappedPaxKeys = new Set(["path", "linkpath", "size", "uid", "gid", "mtime", "uname", "gname", "atime", "ctime"]);

const posixMagic = Buffer.from("ustar\0", "latin1");

/** The largest PAX or GNU long-name header read (Go's maxSpecialFileSize). */
const maxMetadataSize = 1 << 20;

/**
 * The entries of a tar stream. An entry's body is skipped when the next entry is asked for
 * before it was read to its end. Errors of `input` itself are thrown as they are; a malformed
 * archive is a TarFormatError, in Go's words ("unexpected EOF", "invalid tar header"). The
 * archive ends at its first zero block (what follows, tar's padding, is read and dropped) or
 * with the input.
 */
export async function* readTar(input: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const iterator = input[Symbol.asyncIterator]();
  const source = new ByteSource(iterator);
  try {
    let globalRecords: Record<string, string> = {};
    let records: Record<string, string> = {};
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      const block = await source.take(blockSize);
      if (block.length === 0) return;
      if (block.length < blockSize) throw new TarFormatError("unexpected EOF");
      if (isZeroBlock(block)) {
        await source.drain();
        return;
      }
      if (!checksumMatches(block)) throw new TarFormatError("invalid tar header");
      const flag = block[156] === 0 ? TarType.file : String.fromCharCode(block[156]);
      const storedSize = numberAt(block, 124, 12);
      if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
        // Held whole: as Go does, at most 1 MiB.
        if (storedSize > maxMetadataSize) throw new TarFormatError("invalid tar header");
        const data = await source.take(storedSize);
        if (data.length < storedSize) throw new TarFormatError("unexpected EOF");
        await source.skip(paddingSize(storedSize));
        if (flag === "L") longName = textAt(data, 0, data.length);
        else if (flag === "K") longLink = textAt(data, 0, data.length);
        else {
          const parsed = parsePaxRecords(data);
          if (parsed === undefined) throw new TarFormatError("invalid tar header");
          if (flag === "g") globalRecords = { ...globalRecords, ...parsed };
          else Object.assign(records, parsed);
        }
        continue;
      }
      const pax = hasRecords(globalRecords) || hasRecords(records) ? { ...globalRecords, ...records } : noRecords;
      const prefix = block.compare(posixMagic, 0, 6, 257, 263) === 0 ? textAt(block, 345, 155) : "";
      const ustarName = textAt(block, 0, 100);
      const name = pax.path ?? longName ?? (prefix === "" ? ustarName : `${prefix}/${ustarName}`);
      if (hasRecords(records)) records = {};
      longName = undefined;
      const linkname = pax.linkpath ?? longLink ?? textAt(block, 157, 100);
      longLink = undefined;
      // Old archives mark a directory by a regular file's trailing slash.
      const type = flag === TarType.file && name.endsWith("/") ? TarType.directory : flag === "7" ? TarType.file : flag;
      const dataSize = headerOnlyTypes.has(flag) ? 0 : pax.size !== undefined ? Number(pax.size) : storedSize;
      if (!Number.isSafeInteger(dataSize) || dataSize < 0) throw new TarFormatError("invalid tar header");
      const header: TarHeader = {
        name,
        type,
        mode: numberAt(block, 100, 8),
        uid: pax.uid !== undefined ? Number(pax.uid) : numberAt(block, 108, 8),
        gid: pax.gid !== undefined ? Number(pax.gid) : numberAt(block, 116, 8),
        size: type === TarType.file ? dataSize : 0,
        mtime: pax.mtime !== undefined ? Number(pax.mtime) : numberAt(block, 136, 12),
        linkname,
        uname: pax.uname ?? textAt(block, 265, 32),
        gname: pax.gname ?? textAt(block, 297, 32),
        devmajor: numberAt(block, 329, 8),
        devminor: numberAt(block, 337, 8),
        pax: pax === noRecords ? {} : Object.fromEntries(Object.entries(pax).filter(([key]) => !mappedPaxKeys.has(key))),
      };
      let remaining = dataSize;
      const body = async function* () {
        while (remaining > 0) {
          const piece = await source.some(remaining);
          if (piece === undefined) throw new TarFormatError("unexpected EOF");
          remaining -= piece.length;
          yield piece;
        }
      };
      yield { header, body: header.size === 0 ? noData : body() };
      // What the caller left unread comes before the next header.
      await source.skip(remaining + paddingSize(dataSize));
    }
  } finally {
    await iterator.return?.();
  }
}

const noRecords: Record<string, string> = Object.freeze({});

function hasRecords(records: Record<string, string>): boolean {
  for (const _ in records) return true;
  return false;
}

/** The body of an entry with no data. */
const noData: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }) };

/** An input's bytes, taken as the archive's structure asks for them; data pieces are passed on uncopied. */
class ByteSource {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private ended = false;

  constructor(private readonly input: AsyncIterator<Buffer>) {}

  /** Up to `max` bytes (at least one), or undefined at the end of the input. */
  async some(max: number): Promise<Buffer | undefined> {
    if (this.queue.length === 0 && !(await this.fill())) return undefined;
    const first = this.queue[0];
    if (first.length <= max) {
      this.queue.shift();
      this.queued -= first.length;
      return first;
    }
    this.queue[0] = first.subarray(max);
    this.queued -= max;
    return first.subarray(0, max);
  }

  /** `size` bytes, or fewer when the input ends first. */
  async take(size: number): Promise<Buffer> {
    while (this.queued < size && (await this.fill()));
    if (this.queue.length === 1 && this.queue[0].length === size) return (await this.some(size))!;
    const parts: Buffer[] = [];
    for (let left = Math.min(size, this.queued); left > 0; ) {
      const piece = (await this.some(left))!;
      parts.push(piece);
      left -= piece.length;
    }
    return Buffer.concat(parts);
  }

  async skip(size: number): Promise<void> {
    for (let left = size; left > 0; ) {
      const piece = await this.some(left);
      if (piece === undefined) throw new TarFormatError("unexpected EOF");
      left -= piece.length;
    }
  }

  async drain(): Promise<void> {
    while (await this.fill()) this.queue.length = this.queued = 0;
  }

  private async fill(): Promise<boolean> {
    for (;;) {
      if (this.ended) return false;
      const next = await this.input.next();
      if (next.done) {
        this.ended = true;
        return false;
      }
      if (next.value.length === 0) continue;
      this.queue.push(next.value);
      this.queued += next.value.length;
      return true;
    }
  }
}

export interface TarEntryToWrite {
  header: TarHeader;
  /** Exactly header.size bytes for a file; other types have no data and their body is not read. */
  body?: AsyncIterable<Buffer> | Iterable<Buffer>;
}

/**
 * A tar stream of `entries`, ended by two zero blocks. Entries are asked for, and each body
 * read, only as fast as the archive is consumed; when the consumer stops early, the body being
 * written and `entries` are closed.
 */
export async function* writeTar(entries: AsyncIterable<TarEntryToWrite> | Iterable<TarEntryToWrite>): AsyncGenerator<Buffer> {
  for await (const { header, body } of entries) {
    yield encodeTarHeader(header);
    if (header.type !== TarType.file) continue;
    let written = 0;
    for await (const piece of body ?? []) {
      written += piece.length;
      if (written > header.size) break;
      yield piece;
    }
    if (written !== header.size) throw new Error(`Size mismatch: ${JSON.stringify(header.name)} has ${written > header.size ? "more" : written} bytes of data, its header says ${header.size}`);
    if (paddingSize(header.size) > 0) yield tarPadding(header.size);
  }
  yield tarEnd;
}

/** The type flags writeTar writes. */
const writableTypes = new Set<string>(Object.values(TarType));

/** Largest values of ustar's fields as written: 6 octal digits for ids and devices, a 32-bit time. */
const maxUstarId = 0o777777;
const maxUstarTime = 2 ** 31 - 1;

function fitsUstarText(text: string, size: number): boolean {
  return text.length <= size && /^[\x01-\x7f]*$/.test(text);
}

/**
 * A name as ustar's name and prefix fields hold it (ASCII, split at a slash into at most 155 and
 * 100 bytes), or undefined when it does not fit.
 */
function ustarName(name: string): { prefix: string; name: string } | undefined {
  if (!fitsUstarText(name, 256)) return undefined;
  if (name.length <= 100) return { prefix: "", name };
  for (let slash = name.indexOf("/"); slash !== -1 && slash <= 155; slash = name.indexOf("/", slash + 1)) {
    if (slash > 0 && name.length - slash - 1 <= 100) return { prefix: name.slice(0, slash), name: name.slice(slash + 1) };
  }
  return undefined;
}

/**
 * The header blocks of one entry: ustar, preceded by a PAX extended header when a value does not
 * fit ustar's fields (a long or non-ASCII name or link, a big id, a time past 2038, a long user
 * name) or when the entry has records of its own (xattrs), as Go writes them. Names and record
 * values are written as nameBytes gives them, so names that are not UTF-8 and binary xattr
 * values pass through unchanged.
 */
export function encodeTarHeader(header: TarHeader): Buffer {
  if (!writableTypes.has(header.type)) throw new TarFormatError(`cannot write tar header type ${JSON.stringify(header.type)}`);
  const size = header.type === TarType.file ? header.size : 0;
  const records: Array<[string, string]> = [];
  const split = ustarName(header.name);
  const linkFits = fitsUstarText(header.linkname, 100);
  const mtimeFits = Number.isInteger(header.mtime) && header.mtime >= 0 && header.mtime <= maxUstarTime;
  const extra: Array<[string, string]> = Object.entries(header.pax);
  if (header.uid > maxUstarId) extra.push(["uid", String(header.uid)]);
  if (header.gid > maxUstarId) extra.push(["gid", String(header.gid)]);
  if (!mtimeFits) extra.push(["mtime", String(header.mtime)]);
  if (!fitsUstarText(header.uname, 32)) extra.push(["uname", header.uname]);
  if (!fitsUstarText(header.gname, 32)) extra.push(["gname", header.gname]);
  const fields: UstarFields = {
    name: split?.name ?? "",
    prefix: split?.prefix ?? "",
    mode: header.mode & 0o7777,
    uid: Math.min(header.uid, maxUstarId),
    gid: Math.min(header.gid, maxUstarId),
    size,
    mtime: mtimeFits ? header.mtime : 0,
    flag: header.type,
    linkname: linkFits ? header.linkname : "",
    uname: fitsUstarText(header.uname, 32) ? header.uname : "",
    gname: fitsUstarText(header.gname, 32) ? header.gname : "",
    devmajor: header.devmajor,
    devminor: header.devminor,
  };
  if (split !== undefined && linkFits && extra.length === 0) return ustarBlock(fields);
  if (split === undefined) records.push(["path", header.name]);
  if (!linkFits) records.push(["linkpath", header.linkname]);
  const paxData = encodePaxRecords([...records, ...extra]);
  // The ustar fields keep what fits, for readers that ignore PAX.
  const shown = { ...fields, name: split === undefined ? "PaxHeader" : fields.name, linkname: linkFits ? fields.linkname : "PaxHeader" };
  return Buffer.concat([ustarBlock({ ...shown, size: paxData.length, flag: "x" }), paxData, tarPadding(paxData.length), ustarBlock(shown)]);
}

interface UstarFields {
  name: string;
  prefix: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  flag: string;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

/** One ustar header block ("ustar\0" "00"); the size in GNU's base-256 past 11 octal digits. */
function ustarBlock(fields: UstarFields): Buffer {
  const block = Buffer.alloc(blockSize);
  const octal = (value: number, offset: number, digits: number) => block.write(`${value.toString(8).padStart(digits, "0")} `, offset, "latin1");
  block.write(fields.name, 0, 100, "latin1");
  octal(fields.mode, 100, 6);
  octal(fields.uid, 108, 6);
  octal(fields.gid, 116, 6);
  if (fields.size.toString(8).length > 11) {
    block[124] = 0x80;
    for (let i = 11, rest = fields.size; i > 0; i--, rest = Math.floor(rest / 256)) block[124 + i] = rest % 256;
  } else {
    octal(fields.size, 124, 11);
  }
  octal(fields.mtime, 136, 11);
  block.write(fields.flag, 156, 1, "latin1");
  block.write(fields.linkname, 157, 100, "latin1");
  posixMagic.copy(block, 257);
  block.write("00", 263, 2, "latin1");
  block.write(fields.uname, 265, 32, "latin1");
  block.write(fields.gname, 297, 32, "latin1");
  octal(Math.min(fields.devmajor, maxUstarId), 329, 6);
  octal(Math.min(fields.devminor, maxUstarId), 337, 6);
  block.write(fields.prefix, 345, 155, "latin1");
  octal(checksumOf(block), 148, 6);
  return block;
}

/**
 * moby's RebaseArchiveEntries: the first occurrence of `oldBase` in each entry's name (and in
 * a hard link's target) becomes `newBase`; "/" as oldBase means the empty string, so the
 * leading slash stays.
 */
export function rebaseTar(input: AsyncIterable<Buffer>, oldBase: string, newBase: string): AsyncGenerator<Buffer> {
  const from = oldBase === "/" ? "" : oldBase;
  return writeTar(
    (async function* () {
      for await (const { header, body } of readTar(input)) {
        const renamed = { ...header, name: header.name.replace(from, () => newBase) };
        if (header.type === TarType.hardLink) renamed.linkname = header.linkname.replace(from, () => newBase);
        yield { header: renamed, body };
      }
    })(),
  );
}

/** Zero bytes padding `size` bytes of data to whole 512-byte blocks. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc(paddingSize(size));
}

/** The two zero blocks that end an archive. */
export const tarEnd = Buffer.alloc(1024);

