/**
 * Reads a tar stream as it passes, without changing or re-encoding it (readTar in tar.ts decodes
 * entries for the archive endpoints; this only watches the raw bytes that GNU tar writes and
 * reads, so every pax record, sparse map and xattr passes through untouched): each member's
 * name, type and link target (ustar fields, overridden by pax extended headers) and a digest
 * of its stored data and of its content (for sparse files the two differ), so that restores
 * can check a backup's checksums, and refuse members that would land outside the volume,
 * before extraction.
 */
import { createHash, type Hash } from "node:crypto";
import { createHasher, reusableHasher, type Hasher, type HashName } from "./content-hash.ts";
import { TarFormatError } from "./tar.ts";
import { blockSize, checksumMatches, isZeroBlock, numberAt, paddingSize, parsePaxRecords, textAt } from "./tar-fields.ts";

export interface TarMember {
  /** Where tar extracts it: pax `path`, else ustar prefix + name; for a sparse file GNU's `GNU.sparse.name`. */
  name: string;
  /** For a sparse file, the name its header holds (GNU tar's `GNUSparseFile.PID/...` in format 1.0). */
  storedName?: string;
  /** ustar typeflag: "0" file, "1" hard link, "2" symlink, "5" directory, ... */
  type: string;
  linkName: string;
  /** Bytes of data stored in the archive for this member (for sparse files, the stored map and data). */
  size: number;
}

export interface ScannedMember extends TarMember {
  /** The digest of the stored data (in the scanner's `hash`), hex ("" when the scanner has no hash). */
  digest: string;
  /**
   * The digest of the file's content, hex: the stored data's, except for a sparse file, whose
   * holes count as the zeros they read as (undefined for GNU's sparse formats before 1.0).
   */
  contentDigest: string | undefined;
  /** The data itself, for members the scanner was asked to keep (small metadata files). */
  content?: Buffer;
  /** sha256 of every byte of the stream before this member's first header block, hex ("" when not tracked). */
  precedingSha256: string;
}

type State =
  | { kind: "header" }
  | { kind: "data"; member: TarMember; remaining: number; padding: number; hash: Hasher | undefined; sparse: SparseContentDigest | "unread" | undefined; pax: boolean; kept: Buffer[] | undefined }
  | { kind: "padding"; remaining: number }
  | { kind: "end" };

/**
 * Feed it chunks in order; it calls `onMember` when a member's data has been read (pax and
 * global headers are folded into the member they describe). The archive ends at its
 * end-of-archive blocks, and bytes after them are ignored, as tar does; with `ignoreZeros`
 * (tar's `--ignore-zeros`) zero blocks are skipped wherever they are, and the archive ends
 * with the stream, after at least two of them.
 */
export class TarScanner {
  private state: State = { kind: "header" };
  private pending: Buffer = Buffer.alloc(0);
  private pax: Record<string, string> = {};
  private globalPax: Record<string, string> = {};
  private zeroBlocks = 0;
  /** The running digest of the bytes consumed so far. */
  private readonly whole = createHash("sha256");
  /** The digest before the current member's first header block (a pax header's, if it has one). */
  private memberStart: Hash | undefined;

  /**
   * @param onMember called once a member's data has been read
   * @param onHeader called when a member's header has been read, before its data: throwing
   *   there stops the stream before any of the member's data is used
   * @param keep which members' data to keep in `content`
   * @param options.trackPreceding whether to digest the whole stream for `precedingSha256`
   *   (one more sha256 pass over every byte): a reader that learns from a first member that it
   *   will not check it may turn `trackPreceding` off
   * @param options.hash what members are digested with (null: nothing, for a reader that checks
   *   no digest); a reader that learns from a first member which hash the rest is checked with
   *   may change `hash`
   */
  constructor(
    private readonly onMember: (member: ScannedMember) => void,
    private readonly onHeader: (member: TarMember) => void = () => undefined,
    private readonly keep: (member: TarMember) => boolean = () => false,
    { trackPreceding = true, ignoreZeros = false, hash = "sha256" }: { trackPreceding?: boolean; ignoreZeros?: boolean; hash?: HashName | null } = {},
  ) {
    this.trackPreceding = trackPreceding;
    this.ignoreZeros = ignoreZeros;
    this.hash = hash;
  }

  trackPreceding: boolean;
  hash: HashName | null;
  /** What members' stored data is digested with, one member after the other: made again when `hash` changes. */
  private memberHasher: { name: HashName; hasher: Hasher } | undefined;
  private readonly ignoreZeros: boolean;

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
        if (!state.pax) {
          state.hash?.update(part);
          if (state.sparse instanceof SparseContentDigest) state.sparse.update(part);
        }
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
    const ended = this.ignoreZeros ? this.state.kind === "header" && this.zeroBlocks >= 2 : this.state.kind === "end";
    if (!ended) throw new TarFormatError("the archive is truncated: it ends in the middle of a member, or without tar's end-of-archive blocks");
  }

  private consumed(bytes: Buffer): void {
    if (this.trackPreceding) this.whole.update(bytes);
  }

  private header(block: Buffer): void {
    if (isZeroBlock(block)) {
      this.zeroBlocks += 1;
      if (this.zeroBlocks === 2 && !this.ignoreZeros) this.state = { kind: "end" };
      return;
    }
    this.memberStart ??= this.trackPreceding ? this.whole.copy() : undefined;
    if (this.zeroBlocks > 0 && !this.ignoreZeros) throw new TarFormatError("a zero block in the middle of the archive");
    this.zeroBlocks = 0;
    if (!checksumMatches(block)) throw new TarFormatError("a member header's checksum does not match: the archive is corrupt");
    const type = block[156] === 0 ? "0" : String.fromCharCode(block[156]);
    const ustarName = textAt(block, 0, 100);
    const prefix = block.subarray(257, 263).toString("latin1").startsWith("ustar") ? textAt(block, 345, 155) : "";
    const headerSize = numberAt(block, 124, 12);
    const isPax = type === "x" || type === "g";
    const attributes = { ...this.globalPax, ...this.pax };
    const name = attributes.path ?? (prefix === "" ? ustarName : `${prefix}/${ustarName}`);
    const sparseName = isPax ? undefined : attributes["GNU.sparse.name"];
    const member: TarMember = {
      name: sparseName ?? name,
      ...(sparseName === undefined ? {} : { storedName: name }),
      type,
      linkName: attributes.linkpath ?? textAt(block, 157, 100),
      size: !isPax && attributes.size !== undefined ? Number(attributes.size) : headerSize,
    };
    const sparse = isPax || this.hash === null || !Object.keys(attributes).some((key) => key.startsWith("GNU.sparse.")) ? undefined : sparseDigest(attributes, this.hash);
    if (!isPax) {
      this.pax = {};
      this.onHeader(member);
    }
    const kept = isPax || this.keep(member) ? [] : undefined;
    this.state = { kind: "data", member, remaining: member.size, padding: paddingSize(member.size), hash: this.hash === null ? undefined : this.hasherFor(this.hash), sparse, pax: isPax, kept };
    if (member.size === 0) this.finishMember(this.state);
  }

  private hasherFor(name: HashName): Hasher {
    if (this.memberHasher?.name !== name) this.memberHasher = { name, hasher: reusableHasher(name) };
    return this.memberHasher.hasher;
  }

  private finishMember(state: Extract<State, { kind: "data" }>): void {
    if (state.pax) {
      const records = parsePaxRecords(Buffer.concat(state.kept!));
      if (records === undefined) throw new TarFormatError("a pax header is malformed: the archive is corrupt");
      if (state.member.type === "g") Object.assign(this.globalPax, records);
      else Object.assign(this.pax, records);
    } else {
      const preceding = this.memberStart?.digest("hex") ?? "";
      this.memberStart = undefined;
      const digest = state.hash?.digest("hex") ?? "";
      const contentDigest = state.sparse === undefined ? digest : state.sparse === "unread" ? undefined : state.sparse.digest();
      this.onMember({ ...state.member, digest, contentDigest, precedingSha256: preceding, ...(state.kept === undefined ? {} : { content: Buffer.concat(state.kept) }) });
    }
    this.state = state.padding === 0 ? { kind: "header" } : { kind: "padding", remaining: state.padding };
  }
}

/** A digest of a sparse member's content if it is in GNU's sparse format 1.0 (what GNU tar writes in pax archives), else "unread". */
function sparseDigest(attributes: Record<string, string>, hash: HashName): SparseContentDigest | "unread" {
  const realSize = Number(attributes["GNU.sparse.realsize"]);
  if (attributes["GNU.sparse.major"] !== "1" || attributes["GNU.sparse.minor"] !== "0" || !Number.isSafeInteger(realSize) || realSize < 0) return "unread";
  return new SparseContentDigest(realSize, createHasher(hash));
}

const zeros = Buffer.alloc(1024 * 1024);

/**
 * The digest of a sparse file's content from its stored data in GNU's sparse format 1.0: a map
 * (decimal lines: the number of data regions, then each one's offset and size) padded to a
 * whole block, then the regions' data; the holes between regions read as zeros.
 */
class SparseContentDigest {
  private mapBytes: Buffer | undefined = Buffer.alloc(0);
  private regions: Array<{ offset: number; size: number }> = [];
  /** Bytes of content digested so far. */
  private position = 0;
  /** Whether the first of `regions` has begun (the zeros before it digested). */
  private inRegion = false;

  constructor(
    private readonly realSize: number,
    private readonly hash: Hasher,
  ) {}

  update(part: Buffer): void {
    if (this.mapBytes !== undefined) {
      this.mapBytes = Buffer.concat([this.mapBytes, part]);
      const mapLength = this.parseMap();
      if (mapLength === undefined) return;
      part = this.mapBytes.subarray(mapLength);
      this.mapBytes = undefined;
    }
    while (part.length > 0) {
      const region = this.regions[0];
      if (region === undefined) throw new TarFormatError("a sparse member holds more data than its map describes: the archive is corrupt");
      if (!this.inRegion) this.zerosTo(region.offset);
      this.inRegion = true;
      const take = Math.min(part.length, region.offset + region.size - this.position);
      this.hash.update(part.subarray(0, take));
      this.position += take;
      part = part.subarray(take);
      if (this.position === region.offset + region.size) {
        this.regions.shift();
        this.inRegion = false;
      }
    }
  }

  digest(): string {
    if (this.mapBytes !== undefined) throw new TarFormatError("a sparse member's map is incomplete: the archive is corrupt");
    for (const region of this.regions) {
      if (region.size > 0 || this.inRegion) throw new TarFormatError("a sparse member holds less data than its map describes: the archive is corrupt");
      this.zerosTo(region.offset);
    }
    this.zerosTo(this.realSize);
    return this.hash.digest("hex");
  }

  private zerosTo(offset: number): void {
    if (offset < this.position || offset > this.realSize) throw new TarFormatError("a sparse member's map is out of order: the archive is corrupt");
    for (let left = offset - this.position; left > 0; left -= zeros.length) this.hash.update(zeros.subarray(0, Math.min(left, zeros.length)));
    this.position = offset;
  }

  /** The map's length with its padding once all of it has arrived (undefined: not yet). */
  private parseMap(): number | undefined {
    const numbers: number[] = [];
    let start = 0;
    for (;;) {
      const newline = this.mapBytes!.indexOf(0x0a, start);
      if (newline === -1) return undefined;
      const line = this.mapBytes!.subarray(start, newline).toString("latin1");
      const value = Number(line);
      if (!/^[0-9]+$/.test(line) || !Number.isSafeInteger(value)) throw new TarFormatError("a sparse member's map is malformed: the archive is corrupt");
      numbers.push(value);
      start = newline + 1;
      if (numbers.length === 1 + 2 * numbers[0]) break;
    }
    const mapLength = start + paddingSize(start);
    if (this.mapBytes!.length < mapLength) return undefined;
    for (let i = 1; i < numbers.length; i += 2) this.regions.push({ offset: numbers[i], size: numbers[i + 1] });
    return mapLength;
  }
}
