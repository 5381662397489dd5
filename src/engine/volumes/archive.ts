import { randomId } from "../../util/ids.ts";
import { ScopedTree } from "../../util/scoped-tree.ts";
import { archiveTreePath, extractToTree, statTreePath, type PathStat } from "../tree-archive.ts";
import type { VolumeService } from "./service.ts";

/**
 * `moor volume cp`'s engine side: docker cp's stat, archive and extract, on a volume's data
 * seen as a container that mounts it at / would see it (symlinks resolved inside the volume,
 * nothing outside it reachable). A volume with a device is mounted for the copy.
 */

/** Stats `path` in the volume. */
export async function statVolumePath(volumes: VolumeService, name: string, path: string): Promise<PathStat> {
  return withVolumeTree(volumes, name, (tree) => statTreePath(tree, path, () => fileNotFound(path, name)));
}

/** Archives `path` in the volume (see archiveTreePath). */
export async function archiveVolumePath(volumes: VolumeService, name: string, path: string, send: (stat: PathStat, tar: AsyncIterable<Buffer>) => Promise<void>): Promise<void> {
  await withVolumeTree(volumes, name, (tree) => archiveTreePath(tree, path, () => fileNotFound(path, name), send));
}

/** Extracts a tar stream into the directory `path` of the volume; entries keep the archive's owners. */
export async function extractToVolume(volumes: VolumeService, name: string, path: string, input: AsyncIterable<Buffer>, options: { noOverwriteDirNonDir: boolean }): Promise<void> {
  await withVolumeTree(volumes, name, (tree) =>
    extractToTree(tree, path, input, { noOverwriteDirNonDir: options.noOverwriteDirNonDir, notFound: () => fileNotFound(path, name), ownerAt: async () => "archive" }),
  );
}

async function withVolumeTree<T>(volumes: VolumeService, name: string, work: (tree: ScopedTree) => Promise<T>): Promise<T> {
  const user = `copy-${randomId().slice(0, 12)}`;
  const data = await volumes.mount(name, user);
  try {
    const tree = await ScopedTree.open(data);
    try {
      return await work(tree);
    } finally {
      await tree.close();
    }
  } finally {
    await volumes.unmount(name, user);
  }
}

function fileNotFound(path: string, name: string): string {
  return `Could not find the file ${path} in volume ${name}`;
}
