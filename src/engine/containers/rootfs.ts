import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { lstat, readFile, readlink, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { MoorError } from "../../errors.ts";
import { mountOverlay, unmount } from "../runtime/syscalls.ts";
import { mountsUnder } from "../fs.ts";

/**
 * A container's root filesystem: the image's layers and the init layer as overlayfs lowerdirs
 * (topmost first) under the container's own upper directory, mounted at `<dir>/rootfs`.
 */
export async function mountRootfs(dir: string, layerDirsBottomFirst: string[]): Promise<string> {
  const rootfs = join(dir, "rootfs");
  if (mountsUnder(rootfs).includes(rootfs)) return rootfs;
  mountOverlay([...layerDirsBottomFirst].reverse(), join(dir, "upper"), join(dir, "work"), rootfs);
  return rootfs;
}

// What dockerd's init layer holds (moby daemon/initlayer): mount points runc binds over, and
// the files containers expect to find (/.dockerenv tells a process it runs in a container).
const initLayerEntries: ReadonlyArray<[string, "dir" | "file" | { symlink: string }]> = [
  ["dev/pts", "dir"],
  ["dev/shm", "dir"],
  ["proc", "dir"],
  ["sys", "dir"],
  [".dockerenv", "file"],
  ["etc/resolv.conf", "file"],
  ["etc/hosts", "file"],
  ["etc/hostname", "file"],
  ["dev/console", "file"],
  ["etc/mtab", { symlink: "/proc/mounts" }],
];

/**
 * The init layer at `path`, made once and shared read-only by every container as the lowerdir
 * above its image's layers. Built beside its place and renamed in, so a crash never leaves half
 * of one.
 */
export function ensureInitLayer(path: string): string {
  if (existsSync(path)) return path;
  const building = `${path}.building`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { mode: 0o755 });
  for (const [entry, kind] of initLayerEntries) {
    const target = join(building, entry);
    mkdirSync(posix.dirname(target), { recursive: true, mode: 0o755 });
    if (kind === "dir") mkdirSync(target, { recursive: true, mode: 0o755 });
    else if (kind === "file") closeSync(openSync(target, "w", 0o755));
    else symlinkSync(kind.symlink, target);
  }
  renameSync(building, path);
  return path;
}

export async function unmountRootfs(dir: string): Promise<void> {
  const rootfs = join(dir, "rootfs");
  for (const mount of mountsUnder(rootfs)) await unmountRetrying(mount);
}

/**
 * A process that is still leaving the container (an exec being torn down) keeps its root busy
 * for a moment: like moby's mount.Unmount, try again on EBUSY for up to 2.5 s. Still busy then
 * (a loaded machine), the mount is detached (lazy unmount): it leaves the tree at once, so the
 * container's directory can go, and the kernel frees it when its last user exits.
 */
async function unmountRetrying(target: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await unmount(target);
      return;
    } catch (err) {
      if (!/busy/i.test((err as Error).message)) throw err;
      if (attempt >= 50) {
        await unmount(target, { detach: true });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * Resolves `path` inside `root` the way the container will see it: symlinks are followed
 * relative to the root and can never lead outside it (an image's /etc/passwd may be a symlink
 * to anywhere).
 */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  let resolved = "/";
  const pending = path.split("/").filter((part) => part !== "" && part !== ".");
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === "..") {
      resolved = posix.dirname(resolved);
      continue;
    }
    const candidate = posix.join(resolved, part);
    const stats = await lstat(join(root, candidate)).catch(() => undefined);
    if (stats?.isSymbolicLink()) {
      if (++hops > 40) throw new MoorError("invalid", `too many levels of symbolic links resolving ${path}`);
      const target = await readlink(join(root, candidate));
      if (target.startsWith("/")) resolved = "/";
      pending.unshift(...target.split("/").filter((p) => p !== "" && p !== "."));
      continue;
    }
    resolved = candidate;
  }
  return join(root, resolved);
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

/**
 * `User` as docker takes it (`name`, `uid`, `name:group`, `uid:gid`), looked up in the image's
 * /etc/passwd and /etc/group; numeric ids need no entry. Errors read as dockerd's.
 */
export async function resolveUser(rootfs: string, spec: string): Promise<ResolvedUser> {
  const [userPart = "", groupPart] = spec.split(":");
  const passwd = await readDatabase(rootfs, "/etc/passwd");
  const group = await readDatabase(rootfs, "/etc/group");
  let uid = 0;
  let gid = 0;
  let home = "/";
  let userName: string | undefined;
  if (userPart === "" || /^\d+$/.test(userPart)) {
    uid = Number(userPart || "0");
    const entry = passwd.find((fields) => Number(fields[2]) === uid);
    if (entry) {
      gid = Number(entry[3]);
      home = entry[5] || "/";
      userName = entry[0];
    }
  } else {
    const entry = passwd.find((fields) => fields[0] === userPart);
    if (entry === undefined) throw new MoorError("invalid", `unable to find user ${userPart}: no matching entries in passwd file`);
    uid = Number(entry[2]);
    gid = Number(entry[3]);
    home = entry[5] || "/";
    userName = entry[0];
  }
  if (groupPart !== undefined && groupPart !== "") {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const entry = group.find((fields) => fields[0] === groupPart);
      if (entry === undefined) throw new MoorError("invalid", `unable to find group ${groupPart}: no matching entries in group file`);
      gid = Number(entry[2]);
    }
  }
  const additionalGids = userName === undefined ? [] : group.filter((fields) => (fields[3] ?? "").split(",").includes(userName)).map((fields) => Number(fields[2]));
  return { uid, gid, additionalGids: [...new Set(additionalGids)].filter((g) => g !== gid), home };
}

async function readDatabase(rootfs: string, path: string): Promise<string[][]> {
  const text = await readFile(await resolveInRoot(rootfs, path), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => line.split(":"));
}

/** /etc/hosts, /etc/hostname and /etc/resolv.conf for the container, as dockerd writes them. */
export async function writeEtcFiles(dir: string, hostname: string, network: "host" | "none"): Promise<{ hosts: string; hostname: string; resolvConf: string }> {
  const paths = { hosts: join(dir, "hosts"), hostname: join(dir, "hostname"), resolvConf: join(dir, "resolv.conf") };
  const hosts =
    network === "host"
      ? withOwnHostname(await readFile("/etc/hosts", "utf8").catch(() => "127.0.0.1\tlocalhost\n"), hostname)
      : `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n127.0.0.1\t${hostname}\n`;
  await writeFile(paths.hosts, hosts);
  await writeFile(paths.hostname, `${hostname}\n`);
  // dockerd's rule: the host's resolv.conf, without loopback name servers (they would not be
  // reachable from another network namespace).
  const hostResolv = await readFile("/etc/resolv.conf", "utf8").catch(() => "");
  const resolv = network === "host" ? hostResolv : hostResolv.split("\n").filter((line) => !/^\s*nameserver\s+(127\.|::1)/.test(line)).join("\n");
  await writeFile(paths.resolvConf, resolv);
  return paths;
}

/**
 * The host's /etc/hosts, plus the container's hostname on the loopback address when the host's
 * file does not name it. dockerd copies the file verbatim in host mode, but there the hostname
 * is the host's own; here it is the container's ID (as on dockerd's default bridge, whose
 * /etc/hosts maps it), and programs that resolve their own name (mariadb-install-db, Java's
 * InetAddress.getLocalHost, sudo) fail or warn without it.
 */
function withOwnHostname(hostHosts: string, hostname: string): string {
  const named = hostHosts.split("\n").some((line) => line.replace(/#.*/, "").trim().split(/\s+/).slice(1).includes(hostname));
  if (named) return hostHosts;
  return `${hostHosts}${hostHosts === "" || hostHosts.endsWith("\n") ? "" : "\n"}127.0.0.1\t${hostname}\n`;
}
