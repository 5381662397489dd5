import { streamOutput } from "../runtime/command.ts";
import { TarType, writeTar, readTar, type TarEntryToWrite } from "../../util/tar.ts";

const opaqueXattr = "SCHILY.xattr.trusted.overlay.opaque";
const overlayXattrPrefix = "SCHILY.xattr.trusted.overlay.";

/**
 * A container's overlayfs upper directory as a Docker image layer (moby's overlay diff):
 * whiteout devices (0/0 character devices) become `.wh.<name>` files, an opaque directory gets
 * a `.wh..wh..opq` entry after it, and overlayfs's own xattrs stay out. Owners, modes, times,
 * hard links and other xattrs are kept by GNU tar.
 */
export function upperDirArchive(upperDir: string): AsyncGenerator<Buffer> {
  return writeTar(dockerLayerEntries(directoryEntries(upperDir)));
}

/**
 * A container's root filesystem as `docker export` gives it: everything in it, its volumes and
 * binds aside (mounted elsewhere, which the walk does not enter), with owners, modes, times, hard
 * links and xattrs.
 */
export function rootfsArchive(rootfs: string): AsyncGenerator<Buffer> {
  return writeTar(directoryEntries(rootfs, ["--one-file-system"]));
}

/** The entries of a directory's content, by GNU tar, named as docker names them: "bin/sh", no "./" entry for the directory itself. */
async function* directoryEntries(dir: string, options: string[] = []): AsyncGenerator<TarEntryToWrite & { body: AsyncIterable<Buffer> }> {
  const raw = streamOutput("tar", ["-c", "-f", "-", "-C", dir, "--numeric-owner", "--xattrs", "--xattrs-include=*", "--sort=name", ...options, "."]);
  for await (const { header, body } of readTar(raw)) {
    const name = header.name.replace(/^\.\//, "");
    if (name === "" || name === ".") continue;
    yield { header: { ...header, name, linkname: header.type === TarType.hardLink ? header.linkname.replace(/^\.\//, "") : header.linkname }, body };
  }
}

async function* dockerLayerEntries(entries: AsyncIterable<TarEntryToWrite & { body: AsyncIterable<Buffer> }>): AsyncGenerator<TarEntryToWrite> {
  for await (const { header, body } of entries) {
    const { name } = header;
    const pax = Object.fromEntries(Object.entries(header.pax).filter(([key]) => !key.startsWith(overlayXattrPrefix)));
    if (header.type === TarType.charDevice && header.devmajor === 0 && header.devminor === 0) {
      const slash = name.lastIndexOf("/");
      yield { header: { ...header, name: `${name.slice(0, slash + 1)}.wh.${name.slice(slash + 1)}`, type: TarType.file, mode: 0o600, size: 0, pax } };
      continue;
    }
    yield { header: { ...header, pax }, body };
    if (header.type === TarType.directory && header.pax[opaqueXattr] === "y") {
      yield { header: { ...header, name: `${name.replace(/\/?$/, "/")}.wh..wh..opq`, type: TarType.file, mode: header.mode & 0o777, size: 0, pax: {} } };
    }
  }
}
