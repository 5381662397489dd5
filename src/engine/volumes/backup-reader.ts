/**
 * Reading archives as they are unpacked: a backup's members checked against its header and
 * manifest (ArchiveReader), or a plain tar's (PlainArchiveReader), each member's name refused
 * before any of its data is used if it would land outside the volume. Free of the engine's
 * services, so that the thread that unpacks (unpack-worker.ts) runs it.
 */
import { MoorError } from "../../errors.ts";
import { TarScanner, type ScannedMember, type TarMember } from "../../util/tar-scan.ts";
import { TarFormatError } from "../../util/tar.ts";
import type { HashName } from "../../util/content-hash.ts";
import { listingChecksum } from "./file-digests.ts";

/** The format backups are written in; every format here is read. */
export const backupFormat = "moor-volume-backup/3";
export const backupFormatV2 = "moor-volume-backup/2";
export const backupFormatV1 = "moor-volume-backup/1";

/** What each format's checksums are taken with: format 3 differs from 2 only in its hash. */
export const formatHashes: Readonly<Record<string, HashName>> = { [backupFormat]: "blake3", [backupFormatV2]: "sha256", [backupFormatV1]: "sha256" };
export const headerMember = "moor-volume.json";
export const manifestMember = "moor-manifest.json";
export const dataRoot = "_data";

export interface BackupHeader {
  format: string;
  created: string;
  volume: { name: string; driver: string; options: Record<string, string> | null; labels: Record<string, string> | null; createdAt: number };
}

/** Formats 2 and 3's manifest: the checksums under their hash's name. */
export type BackupManifest = {
  /** Regular files, each hard-linked file counted once. */
  files: number;
  bytes: number;
  /** listingChecksum() of the checksums. */
  checksum: string;
} & {
  /** Path of each regular file (hard links too) → its content's checksum. */
  [hash in HashName]?: Record<string, string>;
};

/** Format 1's manifest. */
export interface BackupManifestV1 {
  files: number;
  bytes: number;
  /** Member name → sha256 of its stored data. */
  members: Record<string, string>;
  /** sha256 of every byte of the archive before the manifest member. */
  checksum: string;
}

/** What a verified archive holds. */
export interface ArchiveSummary {
  volume: string;
  files: number;
  bytes: number;
  /** The checksum of them all, as `<hash>:<hex>` ("" when the archive has none). */
  checksum: string;
  created: string;
}

/** Follows an archive's members, refusing what does not belong, and checks its checksums at the end. */
export class ArchiveReader {
  header: BackupHeader | undefined;
  private manifest: { member: ScannedMember; content: Buffer } | undefined;
  private readonly members: ScannedMember[] = [];
  private failure: Error | undefined;
  // Zero blocks are skipped as `tar --ignore-zeros` skips them, which a restore's tar is given
  // (a backup is two archives in a row): every member that tar extracts is seen here first.
  private readonly scanner = new TarScanner(
    (member) => this.onMember(member),
    (member) => this.onHeader(member),
    (member) => member.name === headerMember || member.name === manifestMember,
    { ignoreZeros: true },
  );

  push(chunk: Buffer): void {
    try {
      this.scanner.push(chunk);
    } catch (err) {
      this.failure ??= err as Error;
      throw this.asError(err);
    }
  }

  private asError(err: unknown): Error {
    return err instanceof MoorError ? err : new MoorError("invalid", `the archive is not a valid moor volume backup: ${(err as Error).message}; nothing was changed`);
  }

  private onHeader(member: TarMember): void {
    const seen = this.members.length + (this.header === undefined ? 0 : 1);
    if (this.manifest !== undefined) throw new TarFormatError(`member ${JSON.stringify(member.name)} comes after the manifest`);
    if (seen === 0 && member.name !== headerMember) {
      throw new TarFormatError(`its first member is ${JSON.stringify(member.name)}, not ${headerMember} (a plain tar of a volume is imported with moor volume import)`);
    }
    if (member.name === headerMember || member.name === manifestMember) return;
    checkDataPath(member.name, "member");
    if (member.type === "1") checkDataPath(member.linkName, "hard link target");
  }

  private onMember(member: ScannedMember): void {
    if (member.name === headerMember) {
      const header = parseJson<BackupHeader>(member.content!, headerMember);
      const hash = Object.hasOwn(formatHashes, header.format) ? formatHashes[header.format] : undefined;
      if (hash === undefined) throw new TarFormatError(`its format is ${JSON.stringify(header.format)}, this moor reads ${Object.keys(formatHashes).join(", ")}`);
      // Only format 1 checksums the stream's bytes.
      this.scanner.trackPreceding = header.format === backupFormatV1;
      this.scanner.hash = hash;
      this.header = header;
    } else if (member.name === manifestMember) {
      this.manifest = { member, content: member.content! };
    } else {
      this.members.push(member);
    }
  }

  /** The archive's summary once every checksum matched. */
  finish(): ArchiveSummary {
    if (this.failure !== undefined) throw this.asError(this.failure);
    try {
      this.scanner.finish();
      if (this.header === undefined) throw new TarFormatError("it is empty");
      if (this.manifest === undefined) throw new TarFormatError(`${manifestMember} is missing: the archive is truncated`);
      const hash = formatHashes[this.header.format];
      const summary = (manifest: { files: number; bytes: number; checksum: string }) => ({ volume: this.header!.volume.name, files: manifest.files, bytes: manifest.bytes, checksum: `${hash}:${manifest.checksum}`, created: this.header!.created });
      if (this.header.format === backupFormatV1) return summary(this.checkV1(this.manifest.member, parseJson<BackupManifestV1>(this.manifest.content, manifestMember)));
      return summary(this.check(parseJson<BackupManifest>(this.manifest.content, manifestMember), hash));
    } catch (err) {
      throw this.asError(err);
    }
  }

  /** Every regular file's content (a hard link's is its target's) against the manifest's checksums. */
  private check(manifest: BackupManifest, hash: HashName): BackupManifest {
    const expected = manifest[hash] ?? {};
    const contents = new Map<string, string>();
    for (const scanned of this.members) {
      const regular = scanned.type === "0" || scanned.type === "7";
      const content = regular ? scanned.contentDigest : scanned.type === "1" ? contents.get(scanned.linkName) : undefined;
      if (regular && content === undefined) throw new TarFormatError(`${JSON.stringify(scanned.name)} is stored in a sparse format this moor does not read`);
      if (content === undefined) continue;
      contents.set(scanned.name, content);
      if (expected[scanned.name] === undefined) throw new TarFormatError(`file ${JSON.stringify(scanned.name)} is not in the manifest`);
      if (expected[scanned.name] !== content) throw new TarFormatError(`the checksum of ${JSON.stringify(scanned.name)} does not match: its data is corrupt`);
    }
    const missing = Object.keys(expected).filter((path) => !contents.has(path)).length;
    if (missing > 0) throw new TarFormatError(`${missing} file(s) of the manifest are missing`);
    if (listingChecksum(Object.entries(expected), hash) !== manifest.checksum) throw new TarFormatError("the manifest's checksum does not match: it was changed or is corrupt");
    return manifest;
  }

  /** Format 1: each member's stored data, and every byte before the manifest, against the manifest's checksums. */
  private checkV1(member: ScannedMember, manifest: BackupManifestV1): BackupManifestV1 {
    const expected = manifest.members ?? {};
    for (const scanned of this.members) {
      const name = scanned.storedName ?? scanned.name;
      if (expected[name] === undefined) throw new TarFormatError(`member ${JSON.stringify(name)} is not in the manifest`);
      if (expected[name] !== scanned.digest) throw new TarFormatError(`the checksum of ${JSON.stringify(name)} does not match: its data is corrupt`);
    }
    if (Object.keys(expected).length !== this.members.length) throw new TarFormatError(`${Object.keys(expected).length - this.members.length} member(s) of the manifest are missing`);
    if (member.precedingSha256 !== manifest.checksum) throw new TarFormatError("the archive's checksum does not match: it was changed or is corrupt");
    return manifest;
  }
}

/** Members must stay under `_data`: no absolute path, no `..`. */
export function checkDataPath(path: string, what: string): void {
  checkInside(path, what);
  if (path.replace(/^\.\//, "").split("/")[0] !== dataRoot) throw new TarFormatError(`${what} ${JSON.stringify(path)} would be written outside the volume`);
}

/** No absolute path, no `..`: the member stays inside the directory it is unpacked into. */
export function checkInside(path: string, what: string): void {
  if (path.startsWith("/") || path.split("/").includes("..")) throw new TarFormatError(`${what} ${JSON.stringify(path)} would be written outside the volume`);
}

export function parseJson<T>(content: Buffer, name: string): T {
  try {
    return JSON.parse(content.toString("utf8")) as T;
  } catch {
    throw new TarFormatError(`${name} is not valid JSON`);
  }
}

/** Follows a plain tar (what `volume export` and podman's `volume export` write), refusing members that would land outside the volume, and counts its regular files and their bytes. */
export class PlainArchiveReader {
  private files = 0;
  private bytes = 0;
  private failure: Error | undefined;
  private readonly scanner = new TarScanner(
    (member) => {
      if (member.type !== "0") return;
      this.files += 1;
      this.bytes += member.size;
    },
    (member) => {
      checkInside(member.name, "member");
      if (member.type === "1") checkInside(member.linkName, "hard link target");
    },
    undefined,
    // A plain tar carries no checksums to check.
    { trackPreceding: false, hash: null },
  );

  push(chunk: Buffer): void {
    try {
      this.scanner.push(chunk);
    } catch (err) {
      this.failure = new MoorError("invalid", `the archive cannot be imported: ${(err as Error).message}; nothing was changed`);
      throw this.failure;
    }
  }

  /** Its summary; the volume's name is the importer's to say. */
  finish(): ArchiveSummary {
    if (this.failure !== undefined) throw this.failure;
    try {
      this.scanner.finish();
    } catch (err) {
      throw new MoorError("invalid", `the archive cannot be imported: ${(err as Error).message}; nothing was changed`);
    }
    return { volume: "", files: this.files, bytes: this.bytes, checksum: "", created: "" };
  }
}
