import { chmodSync, lstatSync, mkdirSync, renameSync } from "node:fs";
import { readdir, lstat, stat } from "node:fs/promises";
import { join } from "node:path";
import { MoorError, messages } from "../../errors.ts";
import { randomId } from "../../util/ids.ts";
import { ramInBytes } from "../../util/units.ts";
import { runCommand } from "../runtime/command.ts";
import { mountFlags } from "../mounts/flags.ts";
import type { DiscoveredVolume, DriverOptions, VolumeDriver } from "./driver.ts";
import { directorySize, mountsUnder, removeTree } from "../fs.ts";
import { isValidLocalVolumeName, validateLocalVolumeName } from "./names.ts";
import type { Logger } from "../logger.ts";

const validOptions = new Set(["type", "o", "device", "size"]);

// Checked in this order (dockerd iterates a map, so its order varies from run to run).
const requiredOptions: ReadonlyArray<[string, string[]]> = [
  ["device", ["type"]],
  ["type", ["device"]],
  ["o", ["device", "type"]],
];

const dataDirName = "_data";
// A copy-up is made here beside `_data` and renamed over it when complete.
const copyUpDirName = "_data.copy-up";
// A restore's verified data, beside `_data` until it is swapped in; and the data it replaced.
const restoredDirName = "_data.restored";
const replacedDirName = "_data.replaced";
// The checksums of the files a backup read, for the next backup (see file-digests.ts).
const digestCacheName = "digests.json";
// Never valid volume names (those start with a letter or digit), so never listed or adopted.
const trashPrefix = ".trash-";
const stagingPrefix = ".restore-";

/**
 * The `local` driver: `<root>/volumes/<name>/_data`, the layout dockerd uses, so data moves
 * between the two engines as plain directories. With `type`/`device`/`o` options the device
 * is mounted onto `_data` while the volume is in use (moby daemon/volume/local).
 *
 * Directory creation is synchronous (a few fast syscalls, no thread-pool round trips); removal
 * renames the volume's directory to a trash name at once (atomic, so the name is free and no
 * half-deleted volume is ever visible) and deletes the data in the background.
 */
export class LocalDriver implements VolumeDriver {
  readonly name = "local";
  readonly scope = "local" as const;
  private readonly purges = new Set<Promise<void>>();

  /** @param volumesDir `<root>/volumes`, created by the caller */
  constructor(
    private readonly volumesDir: string,
    private readonly log: Logger,
  ) {}

  validate(name: string, options: DriverOptions): void {
    validateLocalVolumeName(name);
    for (const key of Object.keys(options)) {
      if (!validOptions.has(key)) throw new MoorError("invalid", messages.invalidOption(key));
    }
    if (options.type === "cifs" && options.device) {
      const port = /^[a-z]+:\/\/[^/]*:(\d+)/i.exec(options.device);
      if (port !== null) {
        throw new MoorError("invalid", "port not allowed in CIFS device URL, include 'port' in 'o='");
      }
    }
    if (Object.hasOwn(options, "size")) {
      let size: number;
      try {
        size = ramInBytes(options.size);
      } catch (err) {
        throw new MoorError("invalid", (err as Error).message);
      }
      // No project-quota support yet: dockerd answers the same on filesystems without it.
      if (size > 0) throw new MoorError("invalid", messages.quotaNotSupported());
    }
    for (const [key, required] of requiredOptions) {
      if (!Object.hasOwn(options, key)) continue;
      for (const other of required) {
        if (!Object.hasOwn(options, other)) throw new MoorError("invalid", messages.missingRequiredOption(other));
      }
    }
  }

  private volumeDir(name: string): string {
    return join(this.volumesDir, name);
  }

  dataPath(name: string): string {
    return join(this.volumesDir, name, dataDirName);
  }

  digestCachePath(name: string): string {
    return join(this.volumesDir, name, digestCacheName);
  }

  async create(name: string): Promise<void> {
    const dir = this.volumeDir(name);
    try {
      const existing = lstatOrUndefined(dir);
      if (existing !== undefined && !existing.isDirectory()) {
        // A symlink or file planted at the volume's path must never become the volume.
        throw new Error("not a directory");
      }
      if (existing === undefined) {
        mkdirSync(dir, { mode: 0o701 });
        chmodSync(dir, 0o701);
      }
      mkdirIfMissing(this.dataPath(name), 0o755);
    } catch (err) {
      throw new MoorError("internal", `error while creating volume root path '${dir}': ${(err as Error).message}`, { cause: err });
    }
  }

  needsMount(options: DriverOptions): boolean {
    return Boolean(options.type || options.device);
  }

  async mount(name: string, options: DriverOptions): Promise<void> {
    const target = this.dataPath(name);
    const args = ["-t", options.type || "none"];
    if (options.o) args.push("-o", options.o);
    args.push(options.device ?? "", target);
    try {
      await runCommand("mount", args);
    } catch (err) {
      const detail = maskPassword(mountErrorText(options.device ?? "", target, options.o ?? "", (err as Error).message), options.o);
      throw new MoorError("internal", messages.failedToMountLocalVolume(detail), { cause: err });
    }
  }

  async unmount(name: string): Promise<void> {
    const target = this.dataPath(name);
    if (mountsUnder(target).length === 0) return;
    await runCommand("umount", [target]);
  }

  async isEmpty(name: string): Promise<boolean> {
    const entries = await readdir(this.dataPath(name)).catch(() => []);
    return entries.length === 0;
  }

  async populate(name: string, options: DriverOptions, shared: boolean, fill: (target: string) => Promise<void>): Promise<boolean> {
    if (!(await this.isEmpty(name))) return false;
    const data = this.dataPath(name);
    // A mounted device cannot be swapped, and a directory other containers may have mounted must
    // stay the same directory: those are filled in place (a crash can leave them partly filled).
    if (this.needsMount(options) || shared) {
      await fill(data);
      return true;
    }
    const staging = join(this.volumeDir(name), copyUpDirName);
    await removeTree(staging);
    try {
      await fill(staging);
      // rename(2) replaces the empty _data in one step, so the volume is empty or whole.
      renameSync(staging, data);
    } catch (err) {
      await removeTree(staging).catch(() => undefined);
      if ((err as NodeJS.ErrnoException).code === "ENOTEMPTY" || (err as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw err;
    }
    return true;
  }

  /** A new directory, on the volumes' filesystem, to unpack a restore into: purged at start if left. */
  stagingDir(): string {
    const dir = join(this.volumesDir, `${stagingPrefix}${randomId().slice(0, 16)}`);
    mkdirSync(dir, { mode: 0o700 });
    return dir;
  }

  /** Makes a staged directory (holding `_data`) the storage of a new volume, in one rename. */
  async adoptStaged(name: string, staged: string): Promise<void> {
    validateLocalVolumeName(name);
    renameSync(staged, this.volumeDir(name));
    chmodSync(this.volumeDir(name), 0o701);
  }

  /**
   * Replaces a volume's data with `stagedData`: first set beside `_data` as `_data.restored`,
   * then swapped in by renames; recover() finishes a swap a crash interrupted, so the volume
   * holds the old data or the new, never a mix.
   */
  async replaceData(name: string, stagedData: string): Promise<void> {
    const data = this.dataPath(name);
    const restored = join(this.volumeDir(name), restoredDirName);
    const replaced = join(this.volumeDir(name), replacedDirName);
    renameSync(stagedData, restored);
    try {
      // rename(2) replaces an empty directory in one step.
      renameSync(restored, data);
      return;
    } catch (err) {
      if (!["ENOTEMPTY", "EEXIST"].includes((err as NodeJS.ErrnoException).code ?? "")) throw err;
    }
    renameSync(data, replaced);
    renameSync(restored, data);
    this.discard(replaced);
  }

  /** Moves `path` into the trash (one rename) and deletes it in the background. */
  private discard(path: string): void {
    const trash = join(this.volumesDir, `${trashPrefix}${randomId().slice(0, 16)}`);
    renameSync(path, trash);
    this.purge(trash);
  }

  async rename(oldName: string, newName: string): Promise<void> {
    validateLocalVolumeName(newName);
    if (this.hasStorage(newName)) throw new MoorError("conflict", `a directory for volume ${newName} already exists in the volumes directory`);
    renameSync(this.volumeDir(oldName), this.volumeDir(newName));
  }

  hasStorage(name: string): boolean {
    return lstatOrUndefined(this.volumeDir(name)) !== undefined;
  }

  async remove(name: string): Promise<void> {
    try {
      this.discard(this.volumeDir(name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw new MoorError("internal", `error removing volume path '${this.volumeDir(name)}': ${(err as Error).message}`, { cause: err });
    }
  }

  /** Deletes a trash directory in the background; a failure is logged and retried at next start. */
  private purge(trash: string): void {
    const purge = removeTree(trash)
      .catch((err: unknown) => this.log.error({ path: trash, err: String(err) }, "could not delete the data of a removed volume"))
      .finally(() => this.purges.delete(purge));
    this.purges.add(purge);
  }

  async settled(): Promise<void> {
    while (this.purges.size > 0) await Promise.all(this.purges);
  }

  async recover(): Promise<void> {
    for (const entry of await readdir(this.volumesDir)) {
      // Restores that were not verified or not adopted: the volume they were for is unchanged.
      if (entry.startsWith(trashPrefix) || entry.startsWith(stagingPrefix)) {
        this.purge(join(this.volumesDir, entry));
        continue;
      }
      // A copy-up the engine did not finish: the volume stayed empty, the partial copy goes.
      if (lstatOrUndefined(join(this.volumesDir, entry, copyUpDirName)) !== undefined) this.purge(join(this.volumesDir, entry, copyUpDirName));
      this.recoverRestore(entry);
    }
  }

  /** A restore's swap a crash interrupted: finished once `_data` was moved away, undone before. */
  private recoverRestore(name: string): void {
    const data = this.dataPath(name);
    const restored = join(this.volumeDir(name), restoredDirName);
    const replaced = join(this.volumeDir(name), replacedDirName);
    if (lstatOrUndefined(restored) !== undefined) {
      if (lstatOrUndefined(data) === undefined) renameSync(restored, data);
      else this.purge(restored);
    }
    if (lstatOrUndefined(replaced) !== undefined) this.discard(replaced);
  }

  async discover(): Promise<DiscoveredVolume[]> {
    const found: DiscoveredVolume[] = [];
    for (const entry of await readdir(this.volumesDir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !isValidLocalVolumeName(entry.name)) continue;
      const data = await lstat(this.dataPath(entry.name)).catch(() => undefined);
      if (data === undefined || !data.isDirectory()) continue;
      const dirStat = await stat(this.volumeDir(entry.name));
      found.push({ name: entry.name, createdAt: Math.floor(dirStat.ctimeMs / 1000) });
    }
    return found;
  }

  size(name: string): Promise<number> {
    return directorySize(this.dataPath(name));
  }
}

function mkdirIfMissing(path: string, mode: number): void {
  try {
    mkdirSync(path, { mode });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function maskPassword(text: string, mountOptions: string | undefined): string {
  const password = mountOptions?.split(",").find((opt) => opt.startsWith("password="))?.slice("password=".length);
  return password ? text.replace(`password=${password}`, "password=********") : text;
}

// What mount(8) says, as the errno the mount system call returned (dockerd makes the call itself).
const mountErrnoTexts: Array<[RegExp, string]> = [
  [/does not exist|no such file/i, "no such file or directory"],
  [/not a directory/i, "not a directory"],
  [/unknown filesystem type/i, "no such device"],
  [/permission denied/i, "permission denied"],
  [/already mounted|busy/i, "device or resource busy"],
  [/wrong fs type|bad option|bad superblock/i, "invalid argument"],
];

/** A failed mount as moby/sys/mount words it: `mount <device>:<target>, flags: 0x..., data: ...: <errno>`. */
export function mountErrorText(device: string, target: string, options: string, toolMessage: string): string {
  let flags = 0;
  const data: string[] = [];
  for (const option of options === "" ? [] : options.split(",")) {
    const flag = mountFlags[option];
    if (flag === undefined) data.push(option);
    else if (flag.clear) flags &= ~flag.bits;
    else flags |= flag.bits;
  }
  let text = `mount ${device === "" ? target : `${device}:${target}`}`;
  if (flags !== 0) text += `, flags: 0x${flags.toString(16)}`;
  if (data.length > 0) text += `, data: ${data.join(",")}`;
  const errno = mountErrnoTexts.find(([pattern]) => pattern.test(toolMessage))?.[1] ?? toolMessage;
  return `${text}: ${errno}`;
}
