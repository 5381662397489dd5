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
  const raw = streamOutput("tar", ["-c", "-f", "-", "-C", upperDir, "--numeric-owner", "--xattrs", "--xattrs-include=*", "--sort=name", "."]);
  return writeTar(dockerLayerEntries(readTar(raw)));
}

async function* dockerLayerEntries(entries: AsyncIterable<{ header: TarEntryToWrite["header"]; body: AsyncIterable<Buffer> }>): AsyncGenerator<TarEntryToWrite> {
  for await (const { header, body } of entries) {
    const name = header.name.replace(/^\.\//, "");
    if (name === "" || name === ".") continue;
    const pax = Object.fromEntries(Object.entries(header.pax).filter(([key]) => !key.startsWith(overlayXattrPrefix)));
    if (header.type === TarType.charDevice && header.devmajor === 0 && header.devminor === 0) {
      const slash = name.lastIndexOf("/");
      yield { header: { ...header, name: `${name.slice(0, slash + 1)}.wh.${name.slice(slash + 1)}`, type: TarType.file, mode: 0o600, size: 0, pax } };
      continue;
    }
    const renamed = { ...header, name, linkname: header.type === TarType.hardLink ? header.linkname.replace(/^\.\//, "") : header.linkname, pax };
    yield { header: renamed, body };
    if (header.type === TarType.directory && header.pax[opaqueXattr] === "y") {
      yield { header: { ...header, name: `${name.replace(/\/?$/, "/")}.wh..wh..opq`, type: TarType.file, mode: header.mode & 0o777, size: 0, pax: {} } };
    }
  }
}
