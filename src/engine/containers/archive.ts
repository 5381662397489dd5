import { access } from "node:fs/promises";
import { join } from "node:path";
import { MoorError } from "../../errors.ts";
import { ScopedTree, type TreeMount } from "../../util/scoped-tree.ts";
import { archiveTreePath, extractToTree, statTreePath, type PathStat } from "../tree-archive.ts";
import { rootfsArchive } from "../images/layer-archive.ts";
import { resolveUser } from "./rootfs.ts";
import type { Container, ContainerService } from "./service.ts";

/**
 * docker cp's engine side for containers. The container is seen as a process chrooted into it
 * sees it: its root filesystem with its volumes and binds where they are mounted (dockerd mounts
 * them for the copy), symlinks resolved inside it, nothing of the host reachable, whether the
 * container runs or not. The container stays locked while a copy runs.
 */

export interface ExtractOptions {
  /** Refuse to replace a directory with a non-directory and the reverse. */
  noOverwriteDirNonDir: boolean;
  /** Give every extracted entry the container user's uid and gid (docker cp -a). */
  copyUIDGID: boolean;
}

/** `docker export`: the container's root filesystem as a tar stream (see rootfsArchive), for `send` to pass on while the container stays locked. */
export async function exportContainer(containers: ContainerService, nameOrId: string, send: (tar: AsyncIterable<Buffer>) => Promise<void>): Promise<void> {
  await containers.withFilesystem(nameOrId, (_container, rootfs) => send(rootfsArchive(rootfs)));
}

/** Stats `path` in the container, as `HEAD /containers/{id}/archive` answers. */
export async function statContainerPath(containers: ContainerService, nameOrId: string, path: string): Promise<PathStat> {
  return containers.withFilesystem(nameOrId, (container, rootfs) => withTree(container, rootfs, (tree) => statTreePath(tree, path, () => fileNotFound(path, nameOrId))));
}

/** Archives `path` in the container (see archiveTreePath). */
export async function archiveContainerPath(
  containers: ContainerService,
  nameOrId: string,
  path: string,
  send: (stat: PathStat, tar: AsyncIterable<Buffer>) => Promise<void>,
): Promise<void> {
  await containers.withFilesystem(nameOrId, (container, rootfs) => withTree(container, rootfs, (tree) => archiveTreePath(tree, path, () => fileNotFound(path, nameOrId), send)));
}

/**
 * Extracts a tar stream into the directory `path` of the container, which must be writable: not
 * in a read-only volume, nor in a read-only root filesystem.
 */
export async function extractToContainer(containers: ContainerService, nameOrId: string, path: string, input: AsyncIterable<Buffer>, options: ExtractOptions): Promise<void> {
  await containers.withFilesystem(nameOrId, (container, rootfs) =>
    withTree(container, rootfs, (tree) =>
      extractToTree(tree, path, input, {
        noOverwriteDirNonDir: options.noOverwriteDirNonDir,
        notFound: () => fileNotFound(path, nameOrId),
        async ownerAt(destination) {
          // moby's checkIfPathIsInAVolume and ReadonlyRootfs check, on the resolved destination.
          const mount = tree.mountHolding(destination);
          if (mount !== undefined && mount.readOnly) throw new MoorError("invalid", "mounted volume is marked read-only");
          if (mount === undefined && container.hostConfig.ReadonlyRootfs) throw new MoorError("invalid", "container rootfs is marked read-only");
          const user = String(container.config.User ?? "");
          const owner = options.copyUIDGID && user !== "" ? await resolveUser(rootfs, user) : undefined;
          return owner === undefined ? "archive" : { uid: owner.uid, gid: owner.gid };
        },
      }),
    ),
  );
}

/** The tree of a mounted container: volumes, binds and its /etc files where the container sees them. */
async function withTree<T>(container: Container, rootfs: string, work: (tree: ScopedTree) => Promise<T>): Promise<T> {
  const mounts: TreeMount[] = [];
  for (const mount of container.mounts) {
    if ((mount.type === "volume" || mount.type === "bind") && mount.source !== "") {
      mounts.push({ path: mount.destination, source: mount.source, readOnly: !mount.rw });
    }
  }
  // Written at the first start and bind-mounted by the runtime, as dockerd's copy also shows them.
  for (const [file, path] of [["hostname", "/etc/hostname"], ["hosts", "/etc/hosts"], ["resolv.conf", "/etc/resolv.conf"]]) {
    const source = join(container.dir, file);
    if (await access(source).then(() => true, () => false)) mounts.push({ path, source, readOnly: false });
  }
  const tree = await ScopedTree.open(rootfs, { mounts, readOnly: Boolean(container.hostConfig.ReadonlyRootfs) });
  try {
    return await work(tree);
  } finally {
    await tree.close();
  }
}

function fileNotFound(path: string, nameOrId: string): string {
  return `Could not find the file ${path} in container ${nameOrId}`;
}
