// Copy-up (moby daemon/create_unix.go populateVolume): a new, empty volume is filled with what
// the image has at the volume's destination. The destination is looked up inside the container
// root as the container would see it, never following a symlink out of it, and the copy works
// from the directory descriptor found there, so a hostile image cannot point it at host files.
import { constants, openSync } from "node:fs";
import { O_PATH, ScopedTree, TreeError } from "../../util/scoped-tree.ts";

export type ImagePath =
  | { kind: "missing" }
  | { kind: "other"; path: string }
  /** An O_PATH descriptor of the directory; the caller closes it. */
  | { kind: "directory"; fd: number };

/** What the container root has at `destination`, symlinks resolved inside the root. */
export async function lookUpImagePath(rootfs: string, destination: string): Promise<ImagePath> {
  const tree = await ScopedTree.open(rootfs, { readOnly: true });
  try {
    const located = await tree.locate(destination, { followFinal: true }).catch((err: unknown) => {
      if (err instanceof TreeError && err.code === "ENOENT") return undefined;
      throw err;
    });
    if (located === undefined) return { kind: "missing" };
    try {
      if (located.kind === "open") return { kind: "directory", fd: openSync(located.handle.self, O_PATH) };
      const stats = await tree.lstat(located).catch((err: unknown) => {
        if (err instanceof TreeError && err.code === "ENOENT") return undefined;
        throw err;
      });
      if (stats === undefined) return { kind: "missing" };
      if (!stats.isDirectory()) return { kind: "other", path: `${rootfs}${located.path}` };
      return { kind: "directory", fd: openSync(located.parent.entry(located.name), O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW) };
    } finally {
      await tree.release(located);
    }
  } finally {
    await tree.close();
  }
}
