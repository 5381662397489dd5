/**
 * A service's deploy settings, from its `x-moor` extension in the app file:
 *
 *   x-moor:
 *     order: stop-first | start-first   # how a replacement runs (default stop-first)
 *     snapshot: true                    # copy its named volumes before replacing it
 *     settle: 5s                        # without a healthcheck, how long it must stay up
 *     health_timeout: 2m                # with one, how long to wait for "healthy"
 */
import { DeployError } from "./deploy-error.ts";
import { parseComposeDuration } from "./compose/duration.ts";
import type { Service } from "./compose/model.ts";

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
