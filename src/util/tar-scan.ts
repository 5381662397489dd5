/**
 * Reads a tar stream as it passes, without changing or re-encoding it (readTar in tar.ts decodes
 * entries for the archive endpoints; this only watches the raw bytes that GNU tar writes and
 * reads, so every pax record, sparse map and xattr passes through untouched): each member's
 * name, type and link target (ustar fields, overridden by pax extended headers) and a digest
 * of its stored data, so that backups can checksum members on the way out and restores can
 * check them, and refuse members that would land outside the volume, before extraction.
 */
import { createHash, type Hash } from "node:crypto";
import { TarFormatError } from "./tar.ts";

const blockSize = 512;

export interface TarMember {
  /** As stored: pax `path`, else ustar prefix + name. */
  name: string;
  /** ustar typeflag: "0" file, "1" hard link, "2" symlink, "5" directory, ... */
  type: string;
  linkName: string;
  /** Bytes of data stored in the archive for this member (for sparse files, the stored map and data). */
  size: number;
}

export interface ScannedMember extends TarMember {
  /** sha256 of the stored data, hex. */
  sha256: string;
  /** The data itself, for members the scanner was asked to keep (small metadata files). */
  content?: Buffer;
  /** sha256 of every byte of the stream before this member's first header block, hex ("" when not tracked). */
  precedingSha256: string;
}

type State =
  | { kind: "header" }
  | { kind: "data"; member: TarMember; remaining: number; padding: number; hash: Hash; pax: boolean; kept: Buffer[] | undefined }
  | { kind: "padding"; remaining: number }
  | { kind: "end" };

/**
 * Feed it chunks in order; it calls `onMember` when a member's data has been read (pax and
 * global headers are folded into the member they describe), and `onEnd` at the end-of-archive
 * blocks. Bytes after the end marker are ignored, as tar does.
 */
export class TarScanner {
  private state: State = { kind: "header" };
  private pending: Buffer = Buffer.alloc(0);
  private pax: Record<string, string> = {};
  private globalPax: Record<string, string> = {};
  private zeroBlocks = 0;
  /** Bytes consumed so far, and their running digest. */
  private position = 0;
  private readonly whole = createHash("sha256");
  /** The digest before the current member's first header block (a pax header's, if it has one). */
  private memberStart: Hash | undefined;
  private endOffset: number | undefined;

  /**
   * @param onMember called once a member's data has been read
   * @param onHeader called when a member's header has been read, before its data: throwing
   *   there stops the stream before any of the member's data is used
   * @param keep which members' data to keep in `content`
   * @param trackPreceding whether to digest the whole stream for `precedingSha256` (one more
   *   sha256 pass over every byte: readers that do not check it skip it)
   */
  constructor(
    private readonly onMember: (member: ScannedMember) => void,
    private readonly onHeader: (member: TarMember) => void = () => undefined,
    private readonly keep: (member: TarMember) => boolean = () => false,
    private readonly trackPreceding = true,
  ) {}

  get ended(): boolean {
    return this.state.kind === "end";
  }

  /** Where the end-of-archive blocks start: the length of the archive's members. */
  get membersLength(): number | undefined {
    return this.endOffset;
  }

  push(chunk: Buffer): void {
    let data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = Buffer.alloc(0);
    while (data.length > 0 && this.state.kind !== "end") {
      const state = this.state;
      if (state.kind === "header") {
        if (data.length < blockSize) {
          this.pending = Buffer.from(data);
          return;
        }
        const block = data.subarray(0, blockSize);
        this.header(block);
        this.consumed(block);
        data = data.subarray(blockSize);
      } else if (state.kind === "data") {
        const take = Math.min(state.remaining, data.length);
        const part = data.subarray(0, take);
        if (state.kept !== undefined) state.kept.push(Buffer.from(part));
        if (!state.pax) state.hash.update(part);
        this.consumed(part);
        state.remaining -= take;
        data = data.subarray(take);
        if (state.remaining === 0) this.finishMember(state);
      } else if (state.kind === "padding") {
        const take = Math.min(state.remaining, data.length);
        this.consumed(data.subarray(0, take));
        state.remaining -= take;
        data = data.subarray(take);
        if (state.remaining === 0) this.state = { kind: "header" };
      }
    }
  }

  /** At the end of input: a stream cut short is an error. */
  finish(): void {
    if (this.state.kind !== "end") throw new TarFormatError("the archive is truncated: it ends in the middle of a member, or without tar's end-of-archive blocks");
  }

  private consumed(bytes: Buffer): void {
    if (this.trackPreceding && this.endOffset === undefined) this.whole.update(bytes);
    this.position += bytes.length;
  }

  private header(block: Buffer): void {
    if (block.every((byte) => byte === 0)) {
      if (this.zeroBlocks === 0) this.endOffset = this.position;
      this.zeroBlocks += 1;
      if (this.zeroBlocks === 2) this.state = { kind: "end" };
      return;
    }
    this.memberStart ??= this.whole.copy();
    if (this.zeroBlocks > 0) throw new TarFormatError("a zero block in the middle of the archive");
    if (!checksumMatches(block)) throw new TarFormatError("a member header's checksum does not match: the archive is corrupt");
    const type = block[156] === 0 ? "0" : String.fromCharCode(block[156]);
    const ustarName = cString(block.subarray(0, 100));
    const prefix = block.subarray(257, 263).toString("latin1").startsWith("ustar") ? cString(block.subarray(345, 500)) : "";
    const headerSize = numeric(block.subarray(124, 136));
    const isPax = type === "x" || type === "g";
    const attributes = { ...this.globalPax, ...this.pax };
    const member: TarMember = {
      name: attributes.path ?? (prefix === "" ? ustarName : `${prefix}/${ustarName}`),
      type,
      linkName: attributes.linkpath ?? cString(block.subarray(157, 257)),
      size: !isPax && attributes.size !== undefined ? Number(attributes.size) : headerSize,
    };
    if (!isPax) {
      this.pax = {};
      this.onHeader(member);
    }
    const kept = isPax || this.keep(member) ? [] : undefined;
    this.state = { kind: "data", member, remaining: member.size, padding: padding(member.size), hash: createHash("sha256"), pax: isPax, kept };
    if (member.size === 0) this.finishMember(this.state);
  }

  private finishMember(state: Extract<State, { kind: "data" }>): void {
    if (state.pax) {
      const records = parsePax(Buffer.concat(state.kept!));
      if (state.member.type === "g") Object.assign(this.globalPax, records);
      else Object.assign(this.pax, records);
    } else {
      const preceding = this.trackPreceding ? this.memberStart!.digest("hex") : "";
      this.memberStart = undefined;
      this.onMember({ ...state.member, sha256: state.hash.digest("hex"), precedingSha256: preceding, ...(state.kept === undefined ? {} : { content: Buffer.concat(state.kept) }) });
    }
    this.state = state.padding === 0 ? { kind: "header" } : { kind: "padding", remaining: state.padding };
  }
}

function padding(size: number): number {
  return (blockSize - (size % blockSize)) % blockSize;
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString("utf8");
}

/** An octal field, or GNU's base-256 (high bit set) for large values. */
function numeric(field: Buffer): number {
  if (field[0] & 0x80) {
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
    return value;
  }
  const text = cString(field).trim();
  return text === "" ? 0 : Number.parseInt(text, 8);
}

function checksumMatches(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < blockSize; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
  return numeric(block.subarray(148, 156)) === sum;
}

/** pax records: "<length> <key>=<value>\n". */
function parsePax(bytes: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let offset = 0;
  while (offset < bytes.length) {
    const space = bytes.indexOf(0x20, offset);
    const length = Number(bytes.subarray(offset, space).toString("latin1"));
    if (space === -1 || !Number.isInteger(length) || length <= 0) throw new TarFormatError("a pax header is malformed: the archive is corrupt");
    const record = bytes.subarray(space + 1, offset + length - 1).toString("utf8");
    const equals = record.indexOf("=");
    records[record.slice(0, equals)] = record.slice(equals + 1);
    offset += length;
  }
  return records;
}
