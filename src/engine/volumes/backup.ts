/**
 * Backups of volumes (format moor-volume-backup/3): two tar archives one after the other,
 * compressed together (zstd or gzip):
 *
 *   1. what GNU tar writes of the volume, keeping owners, modes, times, symlinks, hard links,
 *      sparse files, extended attributes and ACLs:
 *        moor-volume.json    first: the format, and the volume's name, driver, options, labels, creation
 *        _data/...           the volume's data
 *   2. moor-manifest.json   the BLAKE3 of each regular file's content (under "blake3"), the file
 *                           count and bytes, and the BLAKE3 of all of them listed as `b3sum`
 *                           prints them
 *
 * tar writes into the compressor directly; meanwhile the engine reads the volume's files itself
 * for their checksums, and once tar is done checks that none changed since it read them (so
 * that the manifest describes exactly what tar archived) and writes the manifest's archive into
 * the compressor after tar's. (`tar -x` of a backup stops after the first
 * archive; `tar -x --ignore-zeros` reads the manifest too.) Older formats are still read: format
 * 2 is format 3 with sha256 (under "sha256"), and format 1 was a single archive that passed
 * through the engine on its way to the compressor, its manifest holding the sha256 of each
 * member's stored data and of every byte before it.
 *
 * A restore checks each member's name before any of its data is used (nothing may land outside
 * `_data`), unpacks into a staging directory, compares every checksum, and only then makes the
 * result the volume's data, in one rename; a failed or interrupted restore changes nothing.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { MoorError } from "../../errors.ts";
import { TarListingFollower } from "../../util/tar-listing.ts";
import { encodeTarHeader, tarEnd, tarHeader, tarPadding } from "../../util/tar.ts";
import { randomId } from "../../util/ids.ts";
import { pipeCommands, runIntoFile, streamOutput, streamPipeline } from "../runtime/command.ts";
import { directorySize, diskFull, removeTree } from "../fs.ts";
import { copyDirectoryTree, tarFidelity } from "../tree-copy.ts";
import { O_PATH } from "../../util/scoped-tree.ts";
import { backupFormat, dataRoot, formatHashes, headerMember, manifestMember, type ArchiveSummary, type BackupHeader, type BackupManifest } from "./backup-reader.ts";
import { changeMark, digestInBackground, type BackgroundDigest } from "./file-digests.ts";
import { unpackArchive, type ArchiveSource } from "./unpack.ts";
import type { ContainerService } from "../containers/service.ts";
import type { Logger } from "../logger.ts";
import type { Volume, VolumeService } from "./service.ts";
import { headBytes, headSha256 } from "../../util/file-head.ts";

export type Compression = "zstd" | "gzip";

/** How far a long operation is: bytes of the volume's data handled, of its size (undefined: not known). */
export interface OperationProgress {
  done: number;
  total: number | undefined;
}

/** What to do with running containers that write to a volume being copied: refuse, stop them, or pause them. */
export type WritersPolicy = "refuse" | "stop" | "pause";

export interface BackupOptions {
  compression: Compression;
  writers: WritersPolicy;
  /** An id under which a client follows the backup's progress. */
  operation?: string;
}

/**
 * Records of 64 KiB (128 blocks), the size of a pipe's buffer, instead of GNU tar's 10 KiB: tar
 * writes into the compressor in half as many writes.
 */
const tarRecordBlocks = 128;

/**
 * The compressor's arguments. zstd gets up to four threads, where `tar --zstd` runs it with one:
 * it is the slowest stage of a backup, and a first backup's checksums compete with it for the
 * cores (on two cores, the medians of nine first backups of 1 GiB: 2,706 ms with two threads,
 * 2,748 with one). Beyond four threads (some 1.5 GB/s) the disk sets the pace, and each thread
 * costs memory.
 */
function compressorArgs(compression: Compression): string[] {
  return compression === "zstd" ? ["-c", "-q", `-T${Math.min(availableParallelism(), 4)}`] : ["-c", "-q"];
}

export class VolumeBackups {
  constructor(
    private readonly volumes: VolumeService,
    private readonly containers: ContainerService,
    private readonly log: Logger,
  ) {}

  /** Long operations under way that their client named, with how far they are. */
  private readonly operations = new Map<string, OperationProgress>();

  /** How far the named operation is: bytes of the volume's data handled so far, of its size. */
  progress(operation: string): OperationProgress {
    const progress = this.operations.get(operation);
    if (progress === undefined) throw new MoorError("not_found", `no operation ${operation} is under way`);
    return progress;
  }

  /**
   * The start of a copy of volume `name` (a backup, export or clone): its writers quiesced (see
   * quiesce), and the operation a client named (if any) followed, the volume's size as its
   * total. `end` lets go of both; it is called however the copy ends.
   */
  private async begin(name: string, operation: string, verb: string, options: { writers: WritersPolicy; operation?: string }): Promise<{ progress: OperationProgress | undefined; end: () => Promise<void> }> {
    const { progress, forget } = this.follow(options.operation, options.operation === undefined ? undefined : await this.volumes.size(name));
    const resume = await this.quiesce(name, operation, verb, options.writers).catch((err: unknown) => {
      forget();
      throw err;
    });
    return {
      progress,
      end: async () => {
        forget();
        await resume();
      },
    };
  }

  /** Follows the operation a client named (if any), of `total` bytes; `forget` ends that. */
  private follow(id: string | undefined, total: number | undefined): { progress: OperationProgress | undefined; forget: () => void } {
    if (id === undefined) return { progress: undefined, forget: () => undefined };
    if (!/^[0-9a-f]{16,64}$/.test(id)) throw new MoorError("invalid", `invalid operation id ${JSON.stringify(id)}: 16 to 64 lowercase hex digits`);
    if (this.operations.has(id)) throw new MoorError("conflict", `operation ${id} is already under way`);
    const progress: OperationProgress = { done: 0, total };
    this.operations.set(id, progress);
    return { progress, forget: () => this.operations.delete(id) };
  }

  /** Running containers that use the volume (`writing`: those that mount it writable). */
  private runningUsers(name: string, { writing }: { writing: boolean }): Array<{ id: string; name: string }> {
    return this.containers
      .list({ all: false })
      .filter((container) => container.mounts.some((mount) => mount.volumeName === name && (mount.rw || !writing)))
      .map((container) => ({ id: container.id, name: container.name.replace(/^\//, "") }));
  }

  /**
   * Makes the volume consistent for a copy: refused while running containers write to it,
   * unless `writers` says to stop them or to pause them (freeze their processes; one paused
   * already stays so). Resolves to what starts or unpauses them again afterwards.
   */
  private async quiesce(name: string, operation: string, verb: string, writers: WritersPolicy): Promise<() => Promise<void>> {
    // Running containers that write to the volume: a copy of it now would not be consistent.
    const found = this.runningUsers(name, { writing: true });
    if (found.length > 0 && writers === "refuse") {
      throw new MoorError(
        "conflict",
        `volume ${name} is in use by running container(s) ${found.map((w) => w.name).join(", ")}, which write to it: ${operation} now would not be consistent. Stop them, or ${verb} with --stop (stops them meanwhile and starts them again) or --pause (freezes them meanwhile)`,
      );
    }
    const quiesced: typeof found = [];
    const resume = async () => {
      for (const writer of quiesced) {
        const again = writers === "pause" ? this.containers.unpause(writer.id) : this.containers.start(writer.id);
        await again.catch((err: unknown) => this.log.error({ container: writer.id, err: String(err) }, `could not ${writers === "pause" ? "unpause" : "start"} a container again after ${operation}`));
      }
    };
    try {
      for (const writer of found) {
        if (writers === "pause" && this.containers.inspect(writer.id).state.status === "paused") continue;
        if (writers === "pause") await this.containers.pause(writer.id);
        else await this.containers.stop(writer.id);
        quiesced.push(writer);
      }
    } catch (err) {
      await resume();
      throw err;
    }
    return resume;
  }

  /**
   * The volume's backup as a stream. Refused while running containers write to the volume,
   * unless `writers` stops or pauses them for the backup; they run again after it, even if it fails.
   */
  async backup(name: string, options: BackupOptions): Promise<AsyncGenerator<Buffer>> {
    const { volume, progress, finish } = await this.openBackup(name, options);
    const archive = this.archive(volume, progress, options.compression);
    return (async function* () {
      try {
        yield* archive;
      } finally {
        await finish();
      }
    })();
  }

  /**
   * The volume's backup written into the open file `fd` (from its start), with the same rules
   * as backup(): tar and the compressor write it there themselves, so the archive never passes
   * through the engine. Resolves to the archive's size.
   */
  async backupToFile(name: string, fd: number, options: BackupOptions): Promise<number> {
    const { volume, progress, finish } = await this.openBackup(name, options);
    try {
      // Written into the file: nothing comes out.
      for await (const _ of this.archive(volume, progress, options.compression, fd));
    } finally {
      await finish();
    }
    return fstatSync(fd).size;
  }

  /**
   * backupToFile() into a file a client made: `path` on this machine, holding only `nonce`,
   * which proves that the client could write it and that it sees the same file as the engine
   * (a client on another machine gets not_found, and streams the backup instead).
   */
  async backupToClientFile(name: string, path: string, nonce: string, options: BackupOptions): Promise<number> {
    return intoClientFile(path, nonce, (fd) => this.backupToFile(name, fd, options));
  }

  /** The start of a backup: writers quiesced and the volume mounted if it needs it; `finish` undoes both. */
  private async openBackup(name: string, options: BackupOptions): Promise<{ volume: Volume; progress: OperationProgress | undefined; finish: () => Promise<void> }> {
    const volume = this.volumes.inspect(name);
    const { progress, end } = await this.begin(name, "a backup", "back up", options);
    const user = `backup-${randomId().slice(0, 12)}`;
    const mounted = volume.options !== null;
    if (mounted) {
      await this.volumes.mount(name, user).catch(async (err: unknown) => {
        await end();
        throw err;
      });
    }
    return {
      volume,
      progress,
      finish: async () => {
        if (mounted) await this.volumes.unmount(name, user).catch(() => undefined);
        await end();
      },
    };
  }

  /**
   * The volume's backup, compressed: yielded, or with `into` written into that open file (and
   * nothing yielded). Progress counts the bytes tar has read.
   */
  private async *archive(volume: Volume, progress: OperationProgress | undefined, compression: Compression, into?: number): AsyncGenerator<Buffer> {
    const header: BackupHeader = {
      format: backupFormat,
      created: new Date().toISOString(),
      volume: { name: volume.name, driver: volume.driver, options: volume.options, labels: volume.labels, createdAt: volume.createdAt },
    };
    // tar takes the header member from a file of its own, so that one tar writes the first archive whole.
    const headerDir = this.volumes.stagingDir();
    let digest: BackgroundDigest | undefined;
    let listing: TarListingFollower | undefined;
    // tar says nothing while it works: what it has read so far is how far it is.
    let tarPid: number | undefined;
    const measure = setInterval(() => {
      if (progress !== undefined && tarPid !== undefined) progress.done = bytesReadBy(tarPid) ?? progress.done;
      try {
        listing?.read();
      } catch {
        // read again, and its failure reported, once tar is done
      }
    }, 100);
    const started = (pid: number | undefined) => (tarPid = pid);
    try {
      await writeFile(join(headerDir, headerMember), `${JSON.stringify(header, null, 2)}\n`, { mode: 0o644 });
      const began = await changeMark(join(headerDir, headerMember));
      digest = digestInBackground(volume.mountpoint, dataRoot, began, formatHashes[backupFormat], { path: this.volumes.digestCachePath(volume.name), stagingDir: headerDir });
      const digesting = digest.digests;
      // A failure is awaited below, once tar is done; until then it must not count as unhandled.
      digesting.catch(() => undefined);
      // tar lists each member into a file as it opens it: read now and then, it tells the digest's
      // thread what tar is done with, to check for changes meanwhile, so little is left to check
      // once tar ends. (A file, because tar opens the path it is given: a pipe from the engine
      // is a socket, which cannot be opened by path.)
      const listingPath = join(headerDir, "listing");
      const tar: [string, string[]] = ["tar", ["--create", ...tarFidelity, "--sparse", `--blocking-factor=${tarRecordBlocks}`, "--verbose", `--index-file=${listingPath}`, "-C", headerDir, headerMember, "-C", dirname(volume.mountpoint), dataRoot]];
      listing = new TarListingFollower(listingPath, (paths) => digest!.passed(paths));
      const changedMeanwhile = (path: string) =>
        new MoorError("conflict", `${path} in volume ${volume.name} changed while it was being backed up, so the archive would not match its checksums: stop what writes to the volume (outside moor's containers too) and back it up again`);
      // The manifest's archive is made as soon as the digest is done (usually well before tar),
      // and follows tar's into the same compressor once no file changed since it was digested.
      const manifestArchive = digesting.then(async (digests) => {
        const manifest: BackupManifest = { files: digests.files, bytes: digests.bytes, [digests.hash]: Object.fromEntries(digests.checksums), checksum: digests.checksum };
        return Buffer.concat([await smallMember(manifestMember, Buffer.from(`${JSON.stringify(manifest)}\n`)), tarEnd]);
      });
      manifestArchive.catch(() => undefined);
      const trailer = async () => {
        listing!.readToEnd();
        const changed = await digest!.firstChange();
        if (changed !== undefined) throw changedMeanwhile(changed);
        return manifestArchive;
      };
      try {
        const compressor: [string, string[]] = [compression, compressorArgs(compression)];
        if (into === undefined) yield* streamPipeline(tar, compressor, { started, trailer });
        else await pipeCommands(tar, compressor, { stdout: into, started, trailer });
      } catch (err) {
        const changed = /tar: (.+): (file changed as we read it|File removed before we read it)/.exec((err as Error).message);
        throw changed === null ? err : changedMeanwhile(changed[1]);
      }
    } finally {
      clearInterval(measure);
      listing?.close();
      digest?.stop(new Error("the backup ended"));
      await removeTree(headerDir);
    }
  }

  /**
   * A full copy of a volume under a new name, with its labels: copyDirectoryTree (cp, with
   * reflinks or copy_file_range where the filesystem allows) into a staging directory, which becomes the
   * new volume in one rename, so an interrupted clone leaves no half-made volume. The same
   * consistency rule as backups: refused while running containers write to the source, unless
   * `stop`.
   */
  async clone(source: string, target: string, options: { writers: WritersPolicy; operation?: string }): Promise<Volume> {
    const volume = this.volumes.inspect(source);
    if (volume.options !== null) throw new MoorError("invalid", `volume ${source} keeps its data on a device (driver options ${JSON.stringify(volume.options)}): clone a volume without options, or back it up and restore it`);
    if (this.exists(target)) throw new MoorError("conflict", `volume ${target} already exists: choose another name, or remove it first`);
    const staging = this.volumes.stagingDir();
    let measure: NodeJS.Timeout | undefined;
    let end: (() => Promise<void>) | undefined;
    try {
      const begun = await this.begin(source, "a clone", "clone", options);
      end = begun.end;
      const progress = begun.progress;
      // cp says nothing while it works: what it has copied so far is measured now and then.
      let measuring = false;
      measure = setInterval(() => {
        if (progress === undefined || measuring) return;
        measuring = true;
        directorySize(join(staging, dataRoot))
          .then((done) => (progress.done = done))
          .catch(() => undefined)
          .finally(() => (measuring = false));
      }, 1000);
      const sourceFd = openSync(volume.mountpoint, O_PATH | fsConstants.O_DIRECTORY);
      try {
        await copyDirectoryTree(sourceFd, join(staging, dataRoot));
      } finally {
        closeSync(sourceFd);
      }
      return await this.volumes.createFromStaged({ name: target, labels: volume.labels === null ? null : { ...volume.labels } }, staging);
    } catch (err) {
      await removeTree(staging).catch(() => undefined);
      throw diskFull(err, "the volumes", `a copy of volume ${source}`);
    } finally {
      clearInterval(measure);
      await end?.();
    }
  }

  /** Checks an archive without restoring it. */
  async verify(source: ArchiveSource, { started }: { started?: (pid: number | undefined) => void } = {}): Promise<ArchiveSummary> {
    return (await unpackArchive(source, "backup", null, { started })).summary;
  }

  /** verify() of an archive in a file a client names on this machine (see fromClientFile). */
  async verifyClientFile(file: ClientArchive, options: { operation?: string }): Promise<ArchiveSummary> {
    return this.fromClientFile(file, options.operation, (source, started) => this.verify(source, { started }));
  }

  /** import() of an archive in a file a client names on this machine (see fromClientFile). */
  async importClientFile(file: ClientArchive, name: string, options: { force: boolean; operation?: string }): Promise<ArchiveSummary> {
    return this.fromClientFile(file, options.operation, (source, started) => this.import(source, name, options, { started }));
  }

  /** restore() of an archive in a file a client names on this machine (see fromClientFile). */
  async restoreClientFile(file: ClientArchive, options: { name?: string; force: boolean; operation?: string }): Promise<ArchiveSummary> {
    return this.fromClientFile(file, options.operation, (source, started) => this.restore(source, options, { started }));
  }

  /**
   * Runs `work` on an archive in a file a client names (see openClientArchive), which its
   * decompressor reads itself: the archive never passes through the socket. The operation a
   * client named (if any) follows how much of the file the decompressor has read.
   */
  private async fromClientFile<T>(file: ClientArchive, operation: string | undefined, work: (source: ArchiveSource, started: (pid: number | undefined) => void) => Promise<T>): Promise<T> {
    const fd = openClientArchive(file);
    let followed: ReturnType<VolumeBackups["follow"]> | undefined;
    let decompressor: number | undefined;
    const measure = setInterval(() => {
      if (followed?.progress !== undefined && decompressor !== undefined) followed.progress.done = bytesReadBy(decompressor) ?? followed.progress.done;
    }, 250);
    try {
      followed = this.follow(operation, file.size);
      return await work({ fd }, (pid) => (decompressor = pid));
    } finally {
      clearInterval(measure);
      followed?.forget();
      closeSync(fd);
    }
  }

  /**
   * Restores an archive into the volume `name` (default: the archived volume's name): a new
   * volume, an empty one, or with `force` one whose data it replaces. Refused while a running
   * container uses the volume.
   */
  async restore(source: ArchiveSource, options: { name?: string; force: boolean }, { started }: { started?: (pid: number | undefined) => void } = {}): Promise<ArchiveSummary> {
    if (options.name !== undefined) await this.checkTarget(options.name, options.force);
    return this.unpack(source, "backup", { root: ".", ignoreZeros: true, started }, async (staging, { summary, labels }) => {
      const name = options.name ?? summary.volume;
      await rm(join(staging, headerMember), { force: true });
      await rm(join(staging, manifestMember), { force: true });
      await this.install(staging, name, labels, options.force);
      return { ...summary, volume: name };
    });
  }

  /** A plain tar stream of the volume's content (podman's `volume export` format), for piping between hosts. */
  async export(name: string, options: { writers: WritersPolicy; operation?: string }): Promise<AsyncGenerator<Buffer>> {
    const volume = this.volumes.inspect(name);
    const { progress, end } = await this.begin(name, "an export", "export", options);
    const archive = streamOutput("tar", exportArgs(volume));
    return (async function* () {
      try {
        for await (const chunk of archive) {
          if (progress !== undefined) progress.done += chunk.length;
          yield chunk;
        }
      } finally {
        await end();
      }
    })();
  }

  /**
   * export() written by tar itself into a file a client made (see backupToClientFile): its bytes
   * never pass through the engine. Resolves to the archive's size.
   */
  async exportToClientFile(name: string, path: string, nonce: string, options: { writers: WritersPolicy; operation?: string }): Promise<number> {
    return intoClientFile(path, nonce, async (fd) => {
      const volume = this.volumes.inspect(name);
      const { progress, end } = await this.begin(name, "an export", "export", options);
      // tar says nothing while it works: the file's size is how far it is.
      const measure = setInterval(() => {
        if (progress !== undefined) progress.done = fstatSync(fd).size;
      }, 250);
      try {
        await runIntoFile("tar", exportArgs(volume), fd);
      } finally {
        clearInterval(measure);
        await end();
      }
      return fstatSync(fd).size;
    });
  }

  /**
   * Imports a plain tar stream (what `export` and podman's `volume export` write) as the
   * volume's content: into a new or empty volume, or with `force` replacing its data. Members
   * that would land outside the volume are refused before anything is written.
   */
  async import(source: ArchiveSource, name: string, options: { force: boolean }, { started }: { started?: (pid: number | undefined) => void } = {}): Promise<ArchiveSummary> {
    await this.checkTarget(name, options.force);
    return this.unpack(source, "plain", { root: dataRoot, ignoreZeros: false, started }, async (staging, { summary }) => {
      await this.install(staging, name, null, options.force);
      return { ...summary, volume: name };
    });
  }

  /**
   * Unpacks an archive into a new staging directory (at `root` in it), each piece seen by
   * `reader` before tar gets it (see unpackArchive), then hands the staging directory and the
   * reader's summary to `finish`; on any failure the staging directory goes and nothing else
   * changed. `ignoreZeros` (only for a reader that skips zero blocks too) reads on past an
   * archive's end, into the one after it.
   */
  private async unpack<T>(source: ArchiveSource, reader: "backup" | "plain", { root, ignoreZeros, started }: { root: string; ignoreZeros: boolean; started?: (pid: number | undefined) => void }, finish: (staging: string, read: { summary: ArchiveSummary; labels: Record<string, string> | null }) => Promise<T>): Promise<T> {
    const staging = this.volumes.stagingDir();
    try {
      await mkdir(join(staging, root), { recursive: true });
      const read = await unpackArchive(source, reader, ["--extract", ...tarFidelity, "--same-permissions", "--same-owner", ...(ignoreZeros ? ["--ignore-zeros"] : []), "-C", join(staging, root)], { started });
      return await finish(staging, read);
    } catch (err) {
      await removeTree(staging).catch(() => undefined);
      throw diskFull(err, "the volumes", "the archive's content");
    }
  }

  /** A verified staging directory (holding `_data`) becomes the volume's data: a new volume, or an existing one's, swapped. */
  private async install(staging: string, name: string, labels: Record<string, string> | null, force: boolean): Promise<void> {
    await this.checkTarget(name, force);
    if (this.exists(name)) {
      await this.volumes.replaceData(name, join(staging, dataRoot));
      await removeTree(staging);
    } else {
      await this.volumes.createFromStaged({ name, labels }, staging);
    }
  }

  private exists(name: string): boolean {
    try {
      this.volumes.inspect(name);
      return true;
    } catch {
      return false;
    }
  }

  private async checkTarget(name: string, force: boolean): Promise<void> {
    if (!this.exists(name)) return;
    const users = this.runningUsers(name, { writing: false });
    if (users.length > 0) throw new MoorError("conflict", `volume ${name} is in use by running container(s) ${users.map((user) => user.name).join(", ")}: stop them before restoring into it`);
    if (!force && !(await this.volumes.isEmpty(name))) {
      throw new MoorError("conflict", `volume ${name} is not empty: replace its data with --force (all at once), or use another volume name`);
    }
  }
}

async function smallMember(name: string, content: Buffer): Promise<Buffer> {
  const header = await encodeTarHeader(tarHeader({ name, type: "0", size: content.length, mode: 0o644, mtime: Math.floor(Date.now() / 1000) }));
  return Buffer.concat([header, content, tarPadding(content.length)]);
}

/** Bytes the process `pid` has read (its `rchar` in /proc; undefined once it is gone). */
function bytesReadBy(pid: number): number | undefined {
  try {
    const match = /^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, "latin1"));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** GNU tar's arguments for a volume's export: its content, with everything its files carry. */
function exportArgs(volume: Volume): string[] {
  return ["--create", ...tarFidelity, "--sparse", "-C", volume.mountpoint, "."];
}

/** Runs `write` on the open file a client made (see openClientFile), closed afterwards. */
async function intoClientFile(path: string, nonce: string, write: (fd: number) => Promise<number>): Promise<number> {
  const fd = openClientFile(path, nonce);
  try {
    return await write(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens, for writing, a regular file a client made at `path` (no symlink followed) that holds
 * exactly `nonce`; anything else reads as the file not being there.
 */
function openClientFile(path: string, nonce: string): number {
  if (!isAbsolute(path)) throw new MoorError("invalid", `the file to write the backup to must be an absolute path, not ${JSON.stringify(path)}`);
  if (!/^[0-9a-f]{32,128}$/.test(nonce)) throw new MoorError("invalid", "nonce: 32 to 128 lowercase hex digits");
  // The archive overwrites the nonce (any archive is longer). Not truncated first: on ext4 a
  // file truncated to nothing is flushed to disk when closed (auto_da_alloc), which costs a
  // large backup a tenth of a second or more.
  return openSeenFile(path, fsConstants.O_RDWR, (fd, size) => {
    const content = Buffer.alloc(nonce.length);
    return size === nonce.length && readSync(fd, content, 0, content.length, 0) === nonce.length && content.toString("latin1") === nonce;
  });
}

/**
 * Opens, for reading, a regular file a client names at `path` (no symlink followed) whose size
 * and first bytes' sha256 are what the client says: that shows the client could read it and
 * sees the same file as the engine. Anything else reads as the file not being there.
 */
function openClientArchive({ path, size, head }: ClientArchive): number {
  if (!isAbsolute(path)) throw new MoorError("invalid", `the archive's file must be an absolute path, not ${JSON.stringify(path)}`);
  if (!Number.isSafeInteger(size) || size < 0) throw new MoorError("invalid", `size: the archive's size in bytes, not ${JSON.stringify(size)}`);
  if (!/^[0-9a-f]{64}$/.test(head)) throw new MoorError("invalid", `head: the sha256 of the archive's first ${headBytes} bytes, 64 lowercase hex digits`);
  return openSeenFile(path, fsConstants.O_RDONLY, (fd, actualSize) => actualSize === size && headSha256(fd, size) === head);
}

/**
 * Opens a client's file at `path` (`access`: O_RDONLY or O_RDWR; no symlink followed) if it is
 * a regular file that `matches` (given the open file and its size) says is the client's; any
 * other file, or none, is not_found: the engine does not see the client's file.
 */
function openSeenFile(path: string, access: number, matches: (fd: number, size: number) => boolean): number {
  const unseen = () => new MoorError("not_found", `the engine does not see the client's file ${path} (is the client on another machine?)`);
  let fd: number;
  try {
    // Non-blocking: a FIFO put there must not hold the engine up (it is refused below).
    fd = openSync(path, access | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch {
    throw unseen();
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || !matches(fd, stats.size)) throw unseen();
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** A file a client names for the engine to read: its absolute path, its size, and headSha256() of it. */
export interface ClientArchive {
  path: string;
  size: number;
  head: string;
}

