/** Driver options as given at create (`-o type=tmpfs`), stored and reported verbatim. */
export type DriverOptions = Record<string, string>;

export interface DiscoveredVolume {
  name: string;
  /** Unix seconds. */
  createdAt: number;
}

/**
 * A volume driver keeps the data of volumes; the VolumeService keeps their metadata and decides
 * when to call the driver. Per volume the calls come in this order:
 *
 *   validate → create → (mount → unmount)* → remove
 *
 * - validate(name, options) checks a new volume's name and options, without side effects;
 *   it throws MoorError "invalid" with dockerd's text.
 * - create(name, options) makes the storage. It is idempotent: storage that already exists is
 *   kept as it is (dockerd adopts it too).
 * - mount(name, options) is called when the first user of a volume that needs a mount appears,
 *   unmount(name, options) when the last one leaves; the service derives "first" and "last"
 *   from its records, so a driver never counts.
 * - remove(name) takes the storage away from the volume's name at once and deletes its data,
 *   possibly after returning (settled() waits for that). It is idempotent (a volume whose
 *   storage is already gone is fine), so an interrupted removal can simply be run again.
 * - recover() runs at engine start, before anything else: it finishes the driver's own work
 *   that a crash interrupted (deleting data of removed volumes).
 * - discover() lists storage that exists without metadata, for adoption at engine start.
 *
 * Storage errors are MoorError "internal"; none of these methods touches the metadata store.
 */
export interface VolumeDriver {
  readonly name: string;
  readonly scope: "local" | "global";
  validate(name: string, options: DriverOptions): void;
  create(name: string, options: DriverOptions): Promise<void>;
  /** The host path a volume's data is found at (the Mountpoint users see). */
  dataPath(name: string): string;
  /** Whether the volume's data comes from a mount made on first use (type/device options). */
  needsMount(options: DriverOptions): boolean;
  mount(name: string, options: DriverOptions): Promise<void>;
  unmount(name: string, options: DriverOptions): Promise<void>;
  /** Whether the storage holds any data (a half-made volume holds none). */
  isEmpty(name: string): Promise<boolean>;
  /**
   * Fills an empty volume (copy-up): `fill(target)` writes the content to `target`, a missing
   * path or an empty directory. A crash or failure meanwhile must never leave a partly filled
   * volume that looks filled. Called with the volume mounted if it needs a mount, and with
   * `shared` true when other containers reference the volume (they may have its directory
   * mounted, so it must be filled in place). Resolves false when the volume was not empty.
   */
  populate(name: string, options: DriverOptions, shared: boolean, fill: (target: string) => Promise<void>): Promise<boolean>;
  /** A new, empty directory on the volumes' filesystem to unpack a restore into; recover() removes one left behind. */
  stagingDir(): string;
  /** Makes a staged directory (holding `_data`) the storage of a new volume, atomically. */
  adoptStaged(name: string, staged: string): Promise<void>;
  /** Replaces a volume's data with a staged `_data` directory; a crash leaves the old data or the new. */
  replaceData(name: string, stagedData: string): Promise<void>;
  /** Moves a volume's storage to a new name in one step; refused if storage of that name exists. */
  rename(oldName: string, newName: string): Promise<void>;
  /** Whether storage of that name exists. */
  hasStorage(name: string): boolean;
  remove(name: string): Promise<void>;
  /** Resolves when data deletions that remove() started have finished. */
  settled(): Promise<void>;
  recover(): Promise<void>;
  discover(): Promise<DiscoveredVolume[]>;
  /** Bytes used by the volume's data, as dockerd counts them. */
  size(name: string): Promise<number>;
  /**
   * Where backups keep the checksums of the volume's files (see digest caches in
   * file-digests.ts): beside its data, out of containers' reach, renamed and removed with it.
   */
  digestCachePath(name: string): string;
}
