/**
 * A service's deploy settings, from its `x-moor` extension in the app file:
 *
 *   x-moor:
 *     order: stop-first | start-first   # how a replacement runs (default stop-first)
 *     snapshot: true                    # copy its named volumes before replacing it
 *     settle: 5s                        # without a healthcheck, how long it must stay up
 *     health_timeout: 2m                # with one, how long to wait for "healthy"
 */
import { resolve } from "node:path";
import { DeployError } from "./deploy-error.ts";
import { parseComposeDuration } from "./compose/duration.ts";
import type { Service, Volume } from "./compose/model.ts";

export interface DeploySettings {
  order: "stop-first" | "start-first";
  snapshot: boolean;
  /** Milliseconds. */
  settle: number;
  healthTimeout: number;
}

export const defaultSettle = 3000;
export const defaultHealthTimeout = 300_000;

const keys = new Set(["order", "snapshot", "settle", "health_timeout"]);

export function deploySettings(service: Service): DeploySettings {
  const settings: DeploySettings = { order: "stop-first", snapshot: false, settle: defaultSettle, healthTimeout: defaultHealthTimeout };
  const raw = service.xMoor;
  if (raw === undefined || raw === null) return settings;
  const where = `services.${service.name}.x-moor`;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new DeployError(`${where} must be a mapping`);
  for (const [key, value] of Object.entries(raw)) {
    if (!keys.has(key)) throw new DeployError(`${where}: unknown key "${key}" (known: ${[...keys].join(", ")})`);
    if (key === "order") {
      if (value !== "stop-first" && value !== "start-first") throw new DeployError(`${where}.order must be "stop-first" or "start-first", not ${JSON.stringify(value)}`);
      settings.order = value;
    } else if (key === "snapshot") {
      if (typeof value !== "boolean") throw new DeployError(`${where}.snapshot must be true or false`);
      settings.snapshot = value;
    } else {
      const text = typeof value === "number" ? `${value}s` : String(value);
      let nanoseconds: number;
      try {
        nanoseconds = parseComposeDuration(text);
      } catch (err) {
        throw new DeployError(`${where}.${key}: ${(err as Error).message}`);
      }
      if (key === "settle") settings.settle = nanoseconds / 1e6;
      else settings.healthTimeout = nanoseconds / 1e6;
    }
  }
  if (settings.order === "start-first" && writableDataPaths(service).length > 0) {
    throw new DeployError(
      `${where}.order: start-first would run two containers on the data of ${writableDataPaths(service).join(", ")} at once; keep stop-first, or mount the data read-only`,
    );
  }
  return settings;
}

/** Where the service writes data that outlives it: its writable volumes and bind mounts. */
export function writableDataPaths(service: Service): string[] {
  const paths = service.volumes.filter((volume) => volume.type !== "tmpfs" && !volume.readOnly).map((volume) => volume.target);
  return service.volumesFrom.length > 0 ? [...paths, ...service.volumesFrom.map((source) => `volumes_from ${source}`)] : paths;
}

/**
 * A volume's scheduled backups, from its `x-moor` extension in the app file (the engine runs
 * them; `moor volume backups VOL` shows each run):
 *
 *   volumes:
 *     data:
 *       x-moor:
 *         backup:
 *           schedule: "0 3 * * *"   # cron, in the engine's local time; 6 fields: seconds first
 *           keep: 7                 # successful backups kept, older ones deleted (default 7)
 *           target: ./backups       # host directory, relative to the project directory (default ./backups)
 *           writers: stop           # running containers writing to it: stop | pause | refuse (default stop)
 */
export interface VolumeBackupSettings {
  schedule: string;
  keep: number;
  /** Absolute. */
  target: string;
  writers: "stop" | "pause" | "refuse";
}

const volumeKeys = new Set(["backup"]);
const backupKeys = new Set(["schedule", "keep", "target", "writers"]);

export function volumeBackupSettings(key: string, volume: Volume, workingDir: string): VolumeBackupSettings | undefined {
  const raw = volume.xMoor;
  if (raw === undefined || raw === null) return undefined;
  const where = `volumes.${key}.x-moor`;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new DeployError(`${where} must be a mapping`);
  for (const name of Object.keys(raw)) if (!volumeKeys.has(name)) throw new DeployError(`${where}: unknown key "${name}" (known: ${[...volumeKeys].join(", ")})`);
  const backup = (raw as Record<string, unknown>).backup;
  if (backup === undefined || backup === null) return undefined;
  if (typeof backup !== "object" || Array.isArray(backup)) throw new DeployError(`${where}.backup must be a mapping`);
  const settings = backup as Record<string, unknown>;
  for (const name of Object.keys(settings)) if (!backupKeys.has(name)) throw new DeployError(`${where}.backup: unknown key "${name}" (known: ${[...backupKeys].join(", ")})`);
  if (typeof settings.schedule !== "string" || settings.schedule.trim() === "") throw new DeployError(`${where}.backup.schedule is required: a cron expression such as "0 3 * * *"`);
  const keep = settings.keep ?? 7;
  if (typeof keep !== "number" || !Number.isInteger(keep) || keep < 1) throw new DeployError(`${where}.backup.keep must be a whole number of at least 1`);
  const target = settings.target ?? "./backups";
  if (typeof target !== "string" || target === "") throw new DeployError(`${where}.backup.target must be a directory path`);
  const writers = settings.writers ?? "stop";
  if (writers !== "stop" && writers !== "pause" && writers !== "refuse") throw new DeployError(`${where}.backup.writers must be stop, pause or refuse, not ${JSON.stringify(writers)}`);
  return { schedule: settings.schedule.trim(), keep, target: resolve(workingDir, target), writers };
}
