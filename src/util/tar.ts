import { Readable, pipelinePromise } from "streamx";
import { extract, pack, type Extract, type Header } from "tar-stream";

/** An entry's data stream in tar-stream's extractor (its type is not exported). */
type Source = Extract extends AsyncIterable<infer S> ? S : never;

/**
 * Tar streams as docker's archive endpoints carry them, over tar-stream (which reads ustar,
 * GNU and PAX archives, GNU long names included, and writes ustar with a PAX extended header
 * when a name does not fit). This module keeps docker's view of an entry (Go's archive/tar
 * type flags and fields) and what tar-stream leaves to its caller: the PAX records it does not
 * apply or write (owners, times, user names), Go's rule that link, directory, device and FIFO
 * entries carry no data, and Go's error texts. Streams are AsyncIterables of Buffers with
 * backpressure both ways; entry bodies stream too, so a large file is never held whole.
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
  /** One of TarType's flags ("0" also for old "\0" and contiguous "7" files); "" for a type flag tar-stream does not know. */
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

type StreamType = Header["type"];

const streamTypes: Record<string, StreamType> = {
  [TarType.file]: "file",
  [TarType.hardLink]: "link",
  [TarType.symlink]: "symlink",
  [TarType.charDevice]: "character-device",
  [TarType.blockDevice]: "block-device",
  [TarType.directory]: "directory",
  [TarType.fifo]: "fifo",
};

const typeFlags: Record<string, string> = { ...Object.fromEntries(Object.entries(streamTypes).map(([flag, type]) => [type, flag])), "contiguous-file": TarType.file };

/** st_mode's file-type bits of each type: tar-stream replaces a mode of 0 with 0644 or 0755, but not one with type bits. */
const typeModeBits: Record<string, number> = {
  [TarType.file]: 0o100000,
  [TarType.hardLink]: 0o100000,
  [TarType.symlink]: 0o120000,
  [TarType.charDevice]: 0o020000,
  [TarType.blockDevice]: 0o060000,
  [TarType.directory]: 0o040000,
  [TarType.fifo]: 0o010000,
};

/** Go's archive/tar gives these types no data, whatever their size field says. */
function isHeaderOnly(type: string): boolean {
  return type !== TarType.file;
}

/** PAX records tar-stream's reader applies itself, or that readTar maps to header fields. */
const mappedPaxKeys = new Set(["path", "linkpath", "size", "uid", "gid", "mtime", "uname", "gname", "atime", "ctime"]);

function fromStreamHeader(header: Header): TarHeader {
  const records = (header.pax ?? {}) as Record<string, string>;
  const type = typeFlags[header.type] ?? "";
  return {
    name: header.name,
    type,
    mode: header.mode,
    uid: records.uid !== undefined ? Number(records.uid) : header.uid,
    gid: records.gid !== undefined ? Number(records.gid) : header.gid,
    size: isHeaderOnly(type) ? 0 : header.size,
    mtime: records.mtime !== undefined ? Number(records.mtime) : header.mtime.getTime() / 1000,
    linkname: header.linkname ?? "",
    uname: records.uname ?? header.uname,
    gname: records.gname ?? header.gname,
    devmajor: header.devmajor,
    devminor: header.devminor,
    pax: Object.fromEntries(Object.entries(records).filter(([key]) => !mappedPaxKeys.has(key))),
  };
}

/** Largest values tar-stream writes in ustar fields: 6 octal digits for ids, a 32-bit time. */
const maxUstarId = 0o777777;
const maxUstarTime = 2 ** 31 - 1;

function fitsUstarText(text: string, size: number): boolean {
  return Buffer.byteLength(text) <= size && /^[\x01-\x7f]*$/.test(text);
}

/**
 * A header for tar-stream's packer. What its ustar fields cannot hold goes into PAX records,
 * as Go writes it (tar-stream itself would write 777777 for a big uid, overflow a long user
 * name into the next field and wrap a time past 2038).
 */
function toStreamHeader(header: TarHeader): Header {
  const type = streamTypes[header.type];
  if (type === undefined) throw new TarFormatError(`cannot write tar header type ${JSON.stringify(header.type)}`);
  const pax: Record<string, string> = { ...header.pax };
  if (header.uid > maxUstarId) pax.uid = String(header.uid);
  if (header.gid > maxUstarId) pax.gid = String(header.gid);
  const mtimeFits = Number.isInteger(header.mtime) && header.mtime >= 0 && header.mtime <= maxUstarTime;
  if (!mtimeFits) pax.mtime = String(header.mtime);
  if (!fitsUstarText(header.uname, 32)) pax.uname = header.uname;
  if (!fitsUstarText(header.gname, 32)) pax.gname = header.gname;
  return {
    name: header.name,
    type,
    mode: (header.mode & 0o7777) | typeModeBits[header.type],
    uid: Math.min(header.uid, maxUstarId),
    gid: Math.min(header.gid, maxUstarId),
    size: isHeaderOnly(header.type) ? 0 : header.size,
    mtime: new Date((mtimeFits ? header.mtime : 0) * 1000),
    linkname: header.linkname,
    uname: pax.uname === undefined ? header.uname : "",
    gname: pax.gname === undefined ? header.gname : "",
    devmajor: header.devmajor,
    devminor: header.devminor,
    pax: Object.keys(pax).length > 0 ? pax : null,
  };
}

/** tar-stream's errors in Go's words, as dockerd reports them ("Error processing tar file: unexpected EOF"). */
function asFormatError(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof TarFormatError) return err;
  if (err.message === "Unexpected end of data") return new TarFormatError("unexpected EOF", { cause: err });
  if (err.message.startsWith("Invalid tar header")) return new TarFormatError("invalid tar header", { cause: err });
  return new TarFormatError(err.message, { cause: err });
}

/**
 * The entries of a tar stream. An entry's body is skipped when the next entry is asked for
 * before it was read to its end. Errors of `input` itself are thrown as they are; a malformed
 * archive is a TarFormatError.
 */
export async function* readTar(input: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  let inputError: unknown;
  const watchedInput = (async function* () {
    try {
      yield* input;
    } catch (err) {
      inputError = err;
      throw err;
    }
  })();
  // Go reads V7 headers (no magic) too; tar-stream's types omit the option.
  const extractor = extract({ allowUnknownFormat: true } as Parameters<typeof extract>[0]);
  Readable.from(watchedInput).pipe(extractor, () => undefined);
  const translate = (err: unknown) => (err === inputError ? err : asFormatError(err));
  const entries = extractor[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Source>;
      try {
        next = await entries.next();
      } catch (err) {
        throw translate(err);
      }
      if (next.done) return;
      const source = next.value;
      const header = fromStreamHeader(source.header);
      if (header.size === 0) source.resume();
      yield { header, body: header.size === 0 ? (async function* () {})() : bodyOf(source, translate) };
      // Drains what the caller left unread: the next header follows it.
      source.resume();
    }
  } finally {
    await entries.return?.();
  }
}

/**
 * An entry's data. Iterated by hand, not with for-await: leaving a for-await loop destroys the
 * source, and tar-stream destroys the whole archive with it, while readTar only skips the rest.
 */
async function* bodyOf(source: Source, translate: (err: unknown) => unknown): AsyncGenerator<Buffer> {
  const pieces = source[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<unknown>;
    try {
      next = await pieces.next();
    } catch (err) {
      throw translate(err);
    }
    if (next.done) return;
    yield next.value as Buffer;
  }
}

export interface TarEntryToWrite {
  header: TarHeader;
  /** Exactly header.size bytes for a file; other types have no data and their body is not read. */
  body?: AsyncIterable<Buffer> | Iterable<Buffer>;
}

/**
 * A tar stream of `entries`, ended by two zero blocks. Entries are asked for, and each body
 * read, only as fast as the archive is consumed. When the consumer stops early, the body
 * being written and `entries` are closed.
 */
export async function* writeTar(entries: AsyncIterable<TarEntryToWrite> | Iterable<TarEntryToWrite>): AsyncGenerator<Buffer> {
  const packer = pack();
  let wakeFeeder: (() => void) | undefined;
  const consumed = () => new Promise<void>((resolve) => (wakeFeeder = resolve));
  const feeding = (async () => {
    for await (const { header, body } of entries) {
      const streamHeader = toStreamHeader(header);
      const entry = packer.entry(streamHeader);
      if (streamHeader.type === "file") await pipelinePromise(Readable.from(body ?? []), entry);
      else entry.end(null);
      // tar-stream pushes a header without waiting for the consumer (only bodies wait), so a
      // tree of a million directories would pile up in memory: wait here as a body would.
      while (Readable.isBackpressured(packer)) {
        if (packer.destroying) return;
        await consumed();
      }
    }
    packer.finalize();
  })().catch((err: unknown) => packer.destroy(err instanceof Error ? err : new Error(String(err))));
  const chunks = packer[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await chunks.next();
      wakeFeeder?.();
      if (next.done) return;
      yield next.value as Buffer;
    }
  } finally {
    packer.destroy(null);
    wakeFeeder?.();
    await feeding;
  }
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
  return Buffer.alloc((512 - (size % 512)) % 512);
}

/** The two zero blocks that end an archive. */
export const tarEnd = Buffer.alloc(1024);

/**
 * The header blocks writeTar writes for one entry (a PAX extended header included), for
 * composing small archives piece by piece in tests: header, data, tarPadding, ..., tarEnd.
 */
export async function encodeTarHeader(header: TarHeader): Promise<Buffer> {
  const data = isHeaderOnly(header.type) ? 0 : header.size;
  const chunks: Buffer[] = [];
  for await (const chunk of writeTar([{ header, body: [Buffer.alloc(data)] }])) chunks.push(chunk);
  const archive = Buffer.concat(chunks);
  return archive.subarray(0, archive.length - data - tarPadding(data).length - tarEnd.length);
}
