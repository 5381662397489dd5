import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync, renameSync, type WriteStream } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { MoorError } from "../../errors.ts";
import { drainedOrClosed } from "../../util/drain.ts";
import { randomId } from "../../util/ids.ts";
import { runWithInput } from "../runtime/command.ts";
import { makeWhiteout, setExtendedAttribute } from "../runtime/syscalls.ts";
import { childPath, directorySize, diskFull, entryName, removeTree, walkTree, type TreePath } from "../fs.ts";
import { namePath } from "../../util/name-text.ts";
import { gunzip } from "../../util/gunzip.ts";
import { peekHead } from "../../util/stream-head.ts";

export interface UnpackedLayer {
  /** "sha256:<hex>" of the uncompressed tar stream. */
  diffId: string;
  /** Bytes of the unpacked content, as dockerd counts image sizes. */
  size: number;
  /** Whether this layer was new (false: the same content was already unpacked). */
  created: boolean;
}

/**
 * Unpacked image layers: `<dir>/<hex>/diff` (an overlayfs lowerdir) and `<dir>/<hex>/layer.tar`
 * (the layer as received, for `save`). A layer is unpacked once, into a temporary directory that
 * is renamed into place when complete, so a crash never leaves a half-unpacked layer in use.
 * Whiteouts are converted to overlayfs's form: `.wh.<name>` becomes a 0/0 character device
 * and `.wh..wh..opq` an opaque directory (trusted.overlay.opaque=y).
 */
export class LayerStore {
  private readonly tmpDir: string;

  constructor(private readonly dir: string) {
    this.tmpDir = join(dir, "..", "tmp");
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
  }

  diffPath(diffId: string): string {
    return join(this.dir, hexOf(diffId), "diff");
  }

  tarPath(diffId: string): string {
    return join(this.dir, hexOf(diffId), "layer.tar");
  }

  /**
   * Unpacks a layer tarball (plain or gzip). `storedSize` gives the size of a layer with the
   * resulting diff ID that is already stored (undefined when there is none); then the new copy
   * is dropped and that size reported, without walking the stored tree again.
   */
  async unpack(input: AsyncIterable<Buffer>, storedSize: (diffId: string) => number | undefined): Promise<UnpackedLayer> {
    const work = join(this.tmpDir, randomId().slice(0, 16));
    const diff = join(work, "diff");
    mkdirSync(diff, { recursive: true, mode: 0o755 });
    try {
      const hash = createHash("sha256");
      const tarFile = layerTarFile(join(work, "layer.tar"));
      const tee = async function* (): AsyncGenerator<Buffer> {
        for await (const chunk of decompressed(input)) {
          hash.update(chunk);
          if (!tarFile.write(chunk)) await drainedOrClosed(tarFile);
          yield chunk;
        }
      };
      // GNU tar as root keeps owners, modes, times, hard links, devices and xattrs; it refuses
      // members that would land outside the target (absolute paths, "..", writes through
      // symlinks it extracted).
      await runWithInput("tar", ["-x", "-f", "-", "-C", diff, "--numeric-owner", "--same-owner", "-p", "--xattrs", "--xattrs-include=*", "--no-overwrite-dir"], tee()).catch(
        (err: unknown) => {
          throw new MoorError("invalid", `error unpacking layer: ${(err as Error).message}`, { cause: err });
        },
      );
      await new Promise<void>((resolve, reject) => tarFile.end((err?: Error | null) => (err ? reject(err) : resolve())));
      await convertWhiteouts(diff);
      const diffId = `sha256:${hash.digest("hex")}`;
      const existingSize = storedSize(diffId);
      if (existingSize !== undefined) {
        await removeTree(work);
        return { diffId, size: existingSize, created: false };
      }
      const size = await directorySize(diff);
      renameSync(work, join(this.dir, hexOf(diffId)));
      return { diffId, size, created: true };
    } catch (err) {
      await removeTree(work).catch(() => undefined);
      throw diskFull(err, "the images", "the image's layers");
    }
  }

  /**
   * Takes `directory` (a layer already in overlayfs's form: a build step's unmounted upper
   * directory) as a layer, with `archive` (made from it) as its tarball. The directory is
   * moved, not unpacked again: a copy of a big context is written once less. Directories on
   * another filesystem are unpacked from the archive instead.
   */
  async adopt(directory: string, archive: AsyncIterable<Buffer>, storedSize: (diffId: string) => number | undefined): Promise<UnpackedLayer> {
    const work = join(this.tmpDir, randomId().slice(0, 16));
    mkdirSync(work, { mode: 0o700 });
    try {
      const hash = createHash("sha256");
      const tarFile = layerTarFile(join(work, "layer.tar"));
      for await (const chunk of archive) {
        hash.update(chunk);
        if (!tarFile.write(chunk)) await drainedOrClosed(tarFile);
      }
      await new Promise<void>((resolve, reject) => tarFile.end((err?: Error | null) => (err ? reject(err) : resolve())));
      const diffId = `sha256:${hash.digest("hex")}`;
      const existingSize = storedSize(diffId);
      if (existingSize !== undefined) {
        await removeTree(work);
        return { diffId, size: existingSize, created: false };
      }
      try {
        renameSync(directory, join(work, "diff"));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
        const unpacked = await this.unpack(createReadStream(join(work, "layer.tar")), storedSize);
        await removeTree(work);
        return unpacked;
      }
      const size = await directorySize(join(work, "diff"));
      renameSync(work, join(this.dir, hexOf(diffId)));
      return { diffId, size, created: true };
    } catch (err) {
      await removeTree(work).catch(() => undefined);
      throw diskFull(err, "the images", "the image's layers");
    }
  }

  /** Runs `work` with a fresh scratch directory that is deleted afterwards, whatever happens. */
  async withScratchDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
    const dir = join(this.tmpDir, randomId().slice(0, 16));
    mkdirSync(dir, { mode: 0o700 });
    try {
      return await work(dir);
    } finally {
      await removeTree(dir);
    }
  }

  async remove(diffId: string): Promise<void> {
    await removeTree(join(this.dir, hexOf(diffId)));
  }

  /** At start: drops unfinished unpacks and layer directories no record knows. */
  async recover(known: ReadonlySet<string>): Promise<void> {
    for (const entry of await readdir(this.tmpDir)) await removeTree(join(this.tmpDir, entry));
    for (const entry of await readdir(this.dir)) {
      if (!known.has(`sha256:${entry}`)) await rm(join(this.dir, entry), { recursive: true, force: true });
    }
  }
}

/**
 * A new file for a layer's tarball, written as the layer streams in. A failed write (a full
 * disk) is reported by its end() (see unpack and adopt); without a listener, the stream's error
 * event would end the engine's process.
 */
function layerTarFile(path: string): WriteStream {
  const file = createWriteStream(path);
  file.on("error", () => {});
  return file;
}

function hexOf(diffId: string): string {
  return diffId.replace(/^sha256:/, "");
}

/** gzip is detected by its magic bytes; anything else is taken as a plain tar. */
async function* decompressed(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const { head, whole } = await peekHead(input, 6);
  if (head.length === 0) return;
  if (head[0] === 0x1f && head[1] === 0x8b) {
    yield* gunzip(whole);
    return;
  }
  const magic = head.subarray(0, 6).toString("latin1");
  if (magic.startsWith("BZh") || magic === "\xfd7zXZ\x00" || (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd)) {
    throw new MoorError("invalid", "unsupported layer compression (bzip2, xz, zstd): decompress the tarball, or use gzip");
  }
  yield* whole;
}

/**
 * Turns AUFS-style whiteout markers (which tar extracted as plain files) into overlayfs's: a
 * marker hides the sibling it names behind a 0/0 character device, the opaque marker makes its
 * directory opaque, and AUFS's metadata directories go. The markers are found by a walk, not by
 * a listing parsed by line: a name may hold a newline. A marker that names no sibling (".wh.",
 * ".wh..", ".wh...") refuses the layer.
 */
async function convertWhiteouts(root: string): Promise<void> {
  const markers: Array<{ parent: TreePath; name: string; path: TreePath }> = [];
  await walkTree(root, (dir, entries) => {
    for (const entry of entries) {
      const name = entryName(entry);
      if (name.startsWith(whiteoutPrefix)) markers.push({ parent: dir, name, path: childPath(dir, entry.name) });
    }
  });
  // Deepest first: a marker inside a directory that another marker hides is handled before it goes.
  markers.sort((a, b) => b.parent.length - a.parent.length);
  for (const { parent, name, path } of markers) {
    await rm(path, { recursive: true, force: true });
    if (name === opaqueMarker) {
      setExtendedAttribute(parent, "trusted.overlay.opaque", "y");
      continue;
    }
    // AUFS's own bookkeeping (.wh..wh.plnk, .wh..wh.aufs, .wh..wh.orph) hides nothing: moby drops it too.
    if (name.startsWith(aufsMetadataPrefix)) continue;
    const hiddenName = name.slice(whiteoutPrefix.length);
    if (hiddenName === "" || hiddenName === "." || hiddenName === "..") throw new MoorError("invalid", `invalid whiteout ${JSON.stringify(name)} in the layer: it names no file`);
    const hidden = childPath(parent, namePath(hiddenName));
    await rm(hidden, { recursive: true, force: true });
    makeWhiteout(hidden);
  }
}

const whiteoutPrefix = ".wh.";
const opaqueMarker = ".wh..wh..opq";
const aufsMetadataPrefix = ".wh..wh.";
