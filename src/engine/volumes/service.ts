import { MoorError, messages, wrap } from "../../errors.ts";
import type { VolumeRecord, VolumeStore } from "../../store/volume-store.ts";
import { randomId } from "../../util/ids.ts";
import { parseGoBool } from "../../util/go-strconv.ts";
import { KeyedMutex } from "../../util/keyed-mutex.ts";
import { Filters } from "../filters.ts";
import type { DriverOptions, VolumeDriver } from "./driver.ts";
import { anonymousVolumeLabel } from "./names.ts";
import type { Logger } from "../logger.ts";

/** A volume as callers see it. Immutable: one object per volume for as long as it exists. */
export interface Volume {
  readonly name: string;
  readonly driver: string;
  readonly mountpoint: string;
  /** Unix seconds. */
  readonly createdAt: number;
  readonly labels: Readonly<Record<string, string>> | null;
  readonly options: Readonly<Record<string, string>> | null;
  readonly scope: "local" | "global";
}

export interface VolumeUsage {
  volume: Volume;
  /** Bytes, or -1 when the size could not be determined (dockerd's convention). */
  size: number;
  refCount: number;
}

export interface CreateVolumeRequest {
  name?: string;
  driver?: string;
  driverOptions?: DriverOptions | null;
  labels?: Record<string, string> | null;
  /** A container being created that will reference the volume: it counts as in use meanwhile. */
  reservedBy?: string;
}

export interface PruneReport {
  deleted: string[];
  spaceReclaimed: number;
}

const listFilterKeys = new Set(["dangling", "driver", "label", "name"]);
const pruneFilterKeys = new Set(["label", "label!", "all"]);
const defaultDriverName = "local";

/**
 * Volumes: metadata in the store, data in a driver. Create and remove are atomic across the
 * two: a row in state 'creating' or 'removing' marks work in flight, and recover() finishes
 * or undoes it at start, so a kill -9 at any point leaves a whole volume or none.
 * "In use" is always a query over container mounts, never a counter.
 *
 * A volume's metadata never changes after create, so ready volumes are also kept in memory
 * (`ready`, filled by recover() and kept in step by create and remove: this engine is the only
 * writer of its root). Lists and inspects read it instead of SQLite; SQLite stays the record.
 */
export class VolumeService {
  private readonly locks = new KeyedMutex();
  private readonly ready = new Map<string, Volume>();
  /** Volumes that containers being created will reference, before their mount rows exist. */
  private readonly reservations = new Map<string, Set<string>>();
  private pruneRunning = false;
  /**
   * Sizes measured while nothing used the volume. One stays valid until the volume is mounted
   * (a container or a copy may write to it) or moor changes its data; the generation of each
   * volume's data tells a measurement that raced with such a change.
   */
  private readonly measuredSizes = new Map<string, number>();
  private readonly dataGenerations = new Map<string, number>();

  constructor(
    private readonly store: VolumeStore,
    private readonly drivers: ReadonlyMap<string, VolumeDriver>,
    private readonly log: Logger,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  private driver(name: string): VolumeDriver {
    const driver = this.drivers.get(name);
    if (driver === undefined) throw new MoorError("not_found", messages.volumePluginNotFound(name));
    return driver;
  }

  private toVolume(record: VolumeRecord): Volume {
    const driver = this.drivers.get(record.driver);
    return Object.freeze({
      name: record.name,
      driver: record.driver,
      mountpoint: driver?.dataPath(record.name) ?? "",
      createdAt: record.createdAt,
      labels: record.labels,
      options: record.options,
      scope: driver?.scope ?? "local",
    });
  }

  private remember(record: VolumeRecord): Volume {
    const volume = this.toVolume(record);
    this.ready.set(volume.name, volume);
    return volume;
  }

  /**
   * Creates a volume, or returns the existing one of that name unchanged (labels and options
   * of the request are then ignored, as dockerd does). No name means an anonymous volume.
   */
  async create(request: CreateVolumeRequest): Promise<Volume> {
    const anonymous = !request.name;
    const name = request.name || randomId();
    const driverName = request.driver || defaultDriverName;
    const options = nonEmpty(request.driverOptions);
    const labels = anonymous ? { ...request.labels, [anonymousVolumeLabel]: "" } : nonEmpty(request.labels);
    try {
      const driver = this.driver(driverName);
      return await this.locks.run(name, async () => {
        const existing = this.ready.get(name);
        if (existing !== undefined) {
          this.reserve(name, request.reservedBy);
          return existing;
        }
        driver.validate(name, options ?? {});
        const record: VolumeRecord = { name, driver: driverName, labels, options, createdAt: this.now(), state: "creating" };
        this.store.insert(record);
        try {
          await driver.create(name, options ?? {});
        } catch (err) {
          this.store.delete(name);
          throw err;
        }
        this.store.setState(name, "ready");
        this.reserve(name, request.reservedBy);
        this.log.info({ volume: name, driver: driverName }, "volume created");
        return this.remember({ ...record, state: "ready" });
      });
    } catch (err) {
      throw wrap(err, `create ${name}`);
    }
  }

  /** Whether the volume's storage holds no data. */
  isEmpty(name: string): Promise<boolean> {
    const volume = this.inspect(name);
    return this.driver(volume.driver).isEmpty(name);
  }

  /** Where backups keep the checksums of the volume's files (see VolumeDriver.digestCachePath). */
  digestCachePath(name: string): string {
    return this.driver(this.inspect(name).driver).digestCachePath(name);
  }

  /** A new, empty staging directory for a restore (the local driver's, where volumes live). */
  stagingDir(): string {
    return this.driver(defaultDriverName).stagingDir();
  }

  /**
   * A restore into a new volume: the staged directory (holding `_data`) becomes its storage.
   * The row is written 'creating' first, so a crash leaves the volume whole (recover() keeps a
   * 'creating' volume that holds data) or absent.
   */
  async createFromStaged(request: { name: string; labels: Readonly<Record<string, string>> | null }, staged: string): Promise<Volume> {
    const driver = this.driver(defaultDriverName);
    return this.locks.run(request.name, async () => {
      if (this.ready.has(request.name) || this.store.get(request.name) !== undefined) throw new MoorError("conflict", `volume ${request.name} already exists`);
      driver.validate(request.name, {});
      const record: VolumeRecord = { name: request.name, driver: defaultDriverName, labels: nonEmpty(request.labels === null ? null : { ...request.labels }), options: null, createdAt: this.now(), state: "creating" };
      this.store.insert(record);
      try {
        await driver.adoptStaged(request.name, staged);
      } catch (err) {
        this.store.delete(request.name);
        throw wrap(err, `restore ${request.name}`);
      }
      this.store.setState(request.name, "ready");
      this.log.info({ volume: request.name }, "volume restored");
      return this.remember({ ...record, state: "ready" });
    });
  }

  /**
   * Swaps a volume's data for a staged `_data` directory. Refused while the volume is mounted
   * (a running container would keep the old data) or keeps its data on a device.
   */
  async replaceData(name: string, stagedData: string): Promise<void> {
    await this.locks.run(name, async () => {
      const volume = this.inspect(name);
      if (this.store.users(name).length > 0) throw new MoorError("conflict", `volume ${name} is mounted by a running container: stop it first`);
      if (volume.options !== null) throw new MoorError("invalid", `volume ${name} keeps its data on a device (driver options ${JSON.stringify(volume.options)}): restore into a volume without options`);
      this.dataChanging(name);
      await this.driver(volume.driver).replaceData(name, stagedData);
      this.log.info({ volume: name }, "volume data replaced by a restore");
    });
  }

  /**
   * Renames a volume: its row and its directory. Refused while any container references it
   * (listing them) or the new name is taken. The intent is recorded before the directory moves,
   * so recover() finishes or drops an interrupted rename: the volume has one of its two names.
   */
  async rename(oldName: string, newName: string): Promise<Volume> {
    if (oldName === newName) throw new MoorError("invalid", `volume ${oldName} is already named ${newName}`);
    const [first, second] = [oldName, newName].sort();
    return this.locks.run(first, () =>
      this.locks.run(second, async () => {
        const volume = this.inspect(oldName);
        const driver = this.driver(volume.driver);
        driver.validate(newName, {});
        if (this.ready.has(newName) || this.store.get(newName) !== undefined) throw new MoorError("conflict", `volume ${newName} already exists: choose another name`);
        const users = this.referencesTo(oldName);
        if (users.length > 0) {
          throw new MoorError("conflict", `volume ${oldName} is used by container(s) ${users.map((id) => id.slice(0, 12)).join(", ")}: a container refers to its volumes by name, so remove them (moor rm) or rename after they are gone`);
        }
        this.store.beginRename(oldName, newName);
        try {
          await driver.rename(oldName, newName);
        } catch (err) {
          this.store.dropRename(oldName);
          throw wrap(err, `rename ${oldName}`);
        }
        this.store.finishRename(oldName, newName);
        this.ready.delete(oldName);
        this.dataChanging(oldName);
        this.dataChanging(newName);
        this.log.info({ volume: newName, from: oldName }, "volume renamed");
        return this.remember({ ...this.store.get(newName)! });
      }),
    );
  }

  /** Containers that refer to the volume: created ones (their mount rows) and ones being created. */
  private referencesTo(name: string): string[] {
    return [...this.store.referencingContainers(name), ...(this.reservations.get(name) ?? [])];
  }

  private reserve(name: string, containerId: string | undefined): void {
    if (containerId === undefined) return;
    const holders = this.reservations.get(name) ?? new Set();
    holders.add(containerId);
    this.reservations.set(name, holders);
  }

  /** A container's create has ended (its mount rows now hold its references, or it failed). */
  releaseReservations(containerId: string): void {
    for (const [name, holders] of this.reservations) {
      holders.delete(containerId);
      if (holders.size === 0) this.reservations.delete(name);
    }
  }

  inspect(name: string): Volume {
    const volume = this.ready.get(name);
    if (volume === undefined) throw new MoorError("not_found", `get ${name}: ${messages.noSuchVolume()}`);
    return volume;
  }

  list(filters: Filters = new Filters()): Volume[] {
    filters.validate(listFilterKeys);
    const dangling = filters.boolean("dangling");
    const refCounts = dangling === undefined ? undefined : this.store.referenceCounts();
    return [...this.ready.values()].filter(
      (volume) =>
        filters.exactMatch("driver", volume.driver) &&
        filters.match("name", volume.name) &&
        filters.matchKVList("label", volume.labels) &&
        (refCounts === undefined || (refCounts.get(volume.name) ?? 0) === 0) === (dangling ?? true),
    );
  }

  /**
   * Removes a volume and its data. A volume referenced by any container is refused (409) even
   * with force; force only makes a missing volume a success.
   */
  async remove(name: string, { force = false } = {}): Promise<void> {
    await this.locks.run(name, async () => {
      const record = this.store.get(name);
      if (record === undefined || record.state !== "ready") {
        if (force) return;
        throw new MoorError("not_found", `get ${name}: ${messages.noSuchVolume()}`);
      }
      try {
        this.store.transaction(() => this.markRemoving(record.name));
        await this.finishRemoval(record);
      } catch (err) {
        throw wrap(err, `remove ${name}`);
      }
    });
  }

  /**
   * Called inside a transaction, so no container can start referencing the volume between the
   * check and the state change.
   */
  private markRemoving(name: string): void {
    const users = this.referencesTo(name);
    if (users.length > 0) throw new MoorError("conflict", messages.volumeInUse(users));
    if (this.store.users(name).length > 0) throw new MoorError("internal", messages.activeMounts());
    this.store.setState(name, "removing");
  }

  private async finishRemoval(record: VolumeRecord): Promise<void> {
    const driver = this.drivers.get(record.driver);
    if (driver !== undefined) await driver.remove(record.name);
    this.store.delete(record.name);
    this.ready.delete(record.name);
    this.dataChanging(record.name);
    this.log.info({ volume: record.name, driver: record.driver }, "volume removed");
  }

  /**
   * Removes unused local volumes without driver options. The caller applies the API-version
   * rule (below 1.42 every unused volume, from 1.42 anonymous ones unless `all`).
   */
  async prune(filters: Filters = new Filters()): Promise<PruneReport> {
    if (this.pruneRunning) throw new MoorError("conflict", messages.pruneRunning());
    this.pruneRunning = true;
    try {
      filters.validate(pruneFilterKeys);
      const effective = withPruneAll(filters);
      const refCounts = this.store.referenceCounts();
      const candidates = this.store
        .listReady()
        .filter(
          (record) =>
            record.driver === defaultDriverName &&
            record.options === null &&
            (refCounts.get(record.name) ?? 0) === 0 &&
            effective.matchKVList("label", record.labels) &&
            !(effective.contains("label!") && effective.matchKVList("label!", record.labels)),
        );
      const sizes = new Map<string, number>();
      await forEachLimited(candidates, 16, async (record) => {
        const size = await this.driver(record.driver).size(record.name).catch((err: unknown) => {
          this.log.warn({ volume: record.name, err: String(err) }, "could not determine size of volume");
          return 0;
        });
        sizes.set(record.name, size);
      });
      // One transaction marks every volume still unused and still there, so the whole batch is
      // decided at once; volumes that changed meanwhile are simply skipped, as dockerd skips
      // the ones whose removal fails.
      const marked = this.store.transaction(() =>
        candidates.filter((record) => {
          if (this.store.get(record.name)?.state !== "ready") return false;
          try {
            this.markRemoving(record.name);
            return true;
          } catch {
            return false;
          }
        }),
      );
      const removed: VolumeRecord[] = [];
      for (const record of marked) {
        try {
          await this.driver(record.driver).remove(record.name);
          removed.push(record);
        } catch (err) {
          this.log.warn({ volume: record.name, err: String(err) }, "could not remove volume during prune");
          this.store.setState(record.name, "ready");
        }
      }
      this.store.transaction(() => {
        for (const record of removed) this.store.delete(record.name);
      });
      for (const record of removed) this.ready.delete(record.name);
      const deleted = removed.map((record) => record.name).sort();
      this.log.info({ volumes: deleted.length }, "volumes pruned");
      return { deleted, spaceReclaimed: deleted.reduce((sum, name) => sum + (sizes.get(name) ?? 0), 0) };
    } finally {
      this.pruneRunning = false;
    }
  }

  /** Resolves when the data of removed volumes has been deleted. */
  async settled(): Promise<void> {
    await Promise.all([...this.drivers.values()].map((driver) => driver.settled()));
  }

  /** Volume usage for /system/df: local volumes without driver options, as dockerd counts. */
  async diskUsage(): Promise<VolumeUsage[]> {
    const refCounts = this.store.referenceCounts();
    const mounted = new Set(this.store.allUsers().map((user) => user.volumeName));
    const volumes = [...this.ready.values()].filter((v) => v.driver === defaultDriverName && v.options === null);
    const usages: VolumeUsage[] = new Array(volumes.length);
    await forEachLimited(volumes.map((volume, index) => ({ volume, index })), 8, async ({ volume, index }) => {
      usages[index] = { volume, size: await this.measure(volume, mounted.has(volume.name)), refCount: refCounts.get(volume.name) ?? 0 };
    });
    return usages;
  }

  /** One volume's size, as diskUsage gives it; undefined for a volume that keeps its data on a device. */
  async size(name: string): Promise<number | undefined> {
    const volume = this.inspect(name);
    if (volume.driver !== defaultDriverName || volume.options !== null) return undefined;
    const size = await this.measure(volume, this.store.users(name).length > 0);
    return size < 0 ? undefined : size;
  }

  /** The kept measurement of an unused volume, or a new one (kept if nothing used or changed the volume meanwhile); -1 if it fails. */
  private async measure(volume: Volume, inUse: boolean): Promise<number> {
    const kept = inUse ? undefined : this.measuredSizes.get(volume.name);
    if (kept !== undefined) return kept;
    const generation = this.dataGenerations.get(volume.name) ?? 0;
    const size = await this.driver(volume.driver).size(volume.name).catch(() => -1);
    // A mount or unmount meanwhile moved the generation on.
    if (size >= 0 && !inUse && (this.dataGenerations.get(volume.name) ?? 0) === generation) this.measuredSizes.set(volume.name, size);
    return size;
  }

  /** The volume's data may change (or has): its measured size no longer holds. */
  private dataChanging(name: string): void {
    this.measuredSizes.delete(name);
    this.dataGenerations.set(name, (this.dataGenerations.get(name) ?? 0) + 1);
  }

  /**
   * A user (a running container) starts using the volume: the first one mounts its device.
   * Returns the host path to mount into the container.
   */
  async mount(name: string, userId: string): Promise<string> {
    return this.locks.run(name, async () => {
      const volume = this.inspect(name);
      const driver = this.driver(volume.driver);
      const options = volume.options ?? {};
      if (driver.needsMount(options) && this.store.users(name).length === 0) await driver.mount(name, options);
      this.store.addUser(name, userId);
      this.dataChanging(name);
      return volume.mountpoint;
    });
  }

  /**
   * Copy-up: fills the volume through `fill` if it holds nothing yet, with its device mounted
   * for the duration if it has one. Other containers referencing it make the driver fill it
   * in place. Resolves whether it was filled.
   */
  async populate(name: string, fill: (target: string) => Promise<void>): Promise<boolean> {
    return this.locks.run(name, async () => {
      const volume = this.inspect(name);
      const driver = this.driver(volume.driver);
      const options = volume.options ?? {};
      const mountNow = driver.needsMount(options) && this.store.users(name).length === 0;
      if (mountNow) {
        await driver.mount(name, options).catch((err: unknown) => {
          throw wrap(err, `error while mounting volume '${volume.mountpoint}'`);
        });
      }
      this.dataChanging(name);
      try {
        return await driver.populate(name, options, this.store.referencingContainers(name).length > 0, fill);
      } finally {
        if (mountNow) await driver.unmount(name, options);
      }
    });
  }

  /** A user stops using the volume: after the last one its device is unmounted. */
  async unmount(name: string, userId: string): Promise<void> {
    await this.locks.run(name, async () => {
      const record = this.store.get(name);
      if (record === undefined) return;
      this.store.removeUser(name, userId);
      this.dataChanging(name);
      const driver = this.driver(record.driver);
      const options = record.options ?? {};
      if (driver.needsMount(options) && this.store.users(name).length === 0) await driver.unmount(name, options);
    });
  }

  /**
   * Run once at engine start, before serving: rolls back interrupted creates, rolls forward
   * interrupted removals, forgets users that are no longer alive (unmounting what they left
   * mounted), and adopts volume directories found without metadata, as dockerd does.
   */
  async recover(liveUserIds: ReadonlySet<string>): Promise<void> {
    for (const driver of this.drivers.values()) await driver.recover();
    for (const { oldName, newName } of this.store.pendingRenames()) {
      const driver = this.drivers.get(this.store.get(oldName)?.driver ?? "");
      // The directory moved: the rename happened. It did not: the volume keeps its old name.
      if (driver !== undefined && driver.hasStorage(newName) && !driver.hasStorage(oldName)) {
        this.store.finishRename(oldName, newName);
        this.log.info({ volume: newName, from: oldName }, "finished interrupted volume rename");
      } else {
        this.store.dropRename(oldName);
      }
    }
    for (const record of this.store.listInState("creating")) {
      const driver = this.drivers.get(record.driver);
      if (driver !== undefined && !(await driver.isEmpty(record.name))) {
        this.store.setState(record.name, "ready");
        this.log.warn({ volume: record.name }, "kept interrupted volume create: its directory holds data");
        continue;
      }
      await driver?.remove(record.name);
      this.store.delete(record.name);
      this.log.info({ volume: record.name }, "rolled back interrupted volume create");
    }
    for (const record of this.store.listInState("removing")) {
      await this.finishRemoval(record);
      this.log.info({ volume: record.name }, "finished interrupted volume removal");
    }
    for (const { volumeName, userId } of this.store.allUsers()) {
      if (!liveUserIds.has(userId)) this.store.removeUser(volumeName, userId);
    }
    for (const record of this.store.listReady()) {
      const driver = this.drivers.get(record.driver);
      const options = record.options ?? {};
      if (driver?.needsMount(options) && this.store.users(record.name).length === 0) {
        await driver.unmount(record.name, options).catch((err: unknown) => {
          this.log.warn({ volume: record.name, err: String(err) }, "could not unmount unused volume");
        });
      }
    }
    for (const driver of this.drivers.values()) {
      for (const found of await driver.discover()) {
        if (this.store.get(found.name) !== undefined) continue;
        this.store.insert({
          name: found.name,
          driver: driver.name,
          labels: null,
          options: null,
          createdAt: found.createdAt,
          state: "ready",
        });
        this.log.info({ volume: found.name }, "adopted volume directory found without metadata");
      }
    }
    this.ready.clear();
    for (const record of this.store.listReady()) this.remember(record);
  }
}

function nonEmpty(map: Record<string, string> | null | undefined): Record<string, string> | null {
  return map && Object.keys(map).length > 0 ? { ...map } : null;
}

/**
 * From API 1.42 prune takes only anonymous volumes unless `all` is true
 * (moby daemon/volume/service/convert.go withPrune).
 */
function withPruneAll(filters: Filters): Filters {
  const all = filters.get("all");
  if (all.length > 1) throw new MoorError("invalid", messages.filterAllOneValue(all));
  if (all.length === 0) return filters.add("label", anonymousVolumeLabel);
  const everyVolume = parseGoBool(all[0]);
  if (everyVolume === undefined) throw new MoorError("invalid", messages.filterAllParse(all[0]));
  return everyVolume ? filters : filters.add("label", anonymousVolumeLabel);
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
