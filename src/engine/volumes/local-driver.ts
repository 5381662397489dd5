import { mkdir, readdir, lstat, stat, chmod } from "node:fs/promises";
import { join } from "node:path";
import { MoorError, messages } from "../../errors.ts";
import { ramInBytes } from "../../util/units.ts";
import { runCommand } from "../runtime/command.ts";
import type { DiscoveredVolume, DriverOptions, VolumeDriver } from "./driver.ts";
import { directorySize, mountsUnder, removeTree } from "./fs.ts";
import { validateLocalVolumeName, isValidLocalVolumeName } from "./names.ts";

const validOptions = new Set(["type", "o", "device", "size"]);

// Checked in this order (dockerd iterates a map, so its order varies from run to run).
const requiredOptions: ReadonlyArray<[string, string[]]> = [
  ["device", ["type"]],
  ["type", ["device"]],
  ["o", ["device", "type"]],
];

const dataDirName = "_data";

/**
 * The `local` driver: `<root>/volumes/<name>/_data`, the layout dockerd uses, so data moves
 * between the two engines as plain directories. With `type`/`device`/`o` options the device
 * is mounted onto `_data` while the volume is in use (moby daemon/volume/local).
 */
export class LocalDriver implements VolumeDriver {
  readonly name = "local";
  readonly scope = "local" as const;

  /** @param volumesDir `<root>/volumes`, created by the caller */
  constructor(private readonly volumesDir: string) {}

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

  async create(name: string): Promise<void> {
    const dir = this.volumeDir(name);
    const existing = await lstat(dir).catch(() => undefined);
    if (existing !== undefined && !existing.isDirectory()) {
      // A symlink or file planted at the volume's path must never become the volume.
      throw new MoorError("internal", `error while creating volume root path '${dir}': not a directory`);
    }
    try {
      await mkdir(dir, { mode: 0o701, recursive: true });
      await chmod(dir, 0o701);
      await mkdir(this.dataPath(name), { mode: 0o755, recursive: true });
    } catch (err) {
      throw new MoorError("internal", `error while creating volume path '${dir}': ${(err as Error).message}`, { cause: err });
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
      const detail = maskPassword((err as Error).message, options.o);
      throw new MoorError("internal", `error while mounting volume '${target}': ${messages.failedToMountLocalVolume(detail)}`, { cause: err });
    }
  }

  async unmount(name: string): Promise<void> {
    const target = this.dataPath(name);
    if ((await mountsUnder(target)).length === 0) return;
    await runCommand("umount", [target]);
  }

  async isEmpty(name: string): Promise<boolean> {
    const entries = await readdir(this.dataPath(name)).catch(() => []);
    return entries.length === 0;
  }

  async remove(name: string): Promise<void> {
    const dir = this.volumeDir(name);
    const data = this.dataPath(name);
    if ((await mountsUnder(data)).length > 0) await runCommand("umount", [data]);
    await removeTree(dir);
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

function maskPassword(text: string, mountOptions: string | undefined): string {
  const password = mountOptions?.split(",").find((opt) => opt.startsWith("password="))?.slice("password=".length);
  return password ? text.replace(`password=${password}`, "password=********") : text;
}
