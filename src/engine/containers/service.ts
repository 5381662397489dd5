import { setMaxListeners } from "node:events";
import { closeSync, existsSync, mkdirSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MoorError, messages, wrap } from "../../errors.ts";
import { containerStatuses, type ContainerRecord, type ContainerStateRecord, type ContainerStatus, type ContainerStore, type MountRecord } from "../../store/container-store.ts";
import { randomId } from "../../util/ids.ts";
import { rfc3339Nano } from "../../util/time.ts";
import { currentMounts, directorySize, mkdirAll, mountsUnder, removeTree } from "../fs.ts";
import type { ImageService } from "../images/service.ts";
import type { VolumeService } from "../volumes/service.ts";
import { Filters } from "../filters.ts";
import { commandLine, createWarnings, mergeConfig, validateHealthcheck, type RequestedConfig } from "./config.ts";
import { containerChanges, type FilesystemChange } from "./diff.ts";
import { generateContainerName, normalizeContainerName } from "./names.ts";
import type { AttachSession, ConmonRuntime } from "../runtime/conmon.ts";
import { classifyRuntimeError } from "../runtime/conmon.ts";
import { buildSpec, type SpecMount } from "./oci-spec.ts";
import { isPlatformSignal, parseSignal, sigkill, sigterm } from "../signals.ts";
import { ensureInitLayer, mountRootfs, resolveUser, unmountRootfs, writeEtcFiles } from "./rootfs.ts";
import type { ContainerHostFacts } from "./host-runtime.ts";
import { KeyedMutex } from "../../util/keyed-mutex.ts";
import { envEntryProblem } from "../../util/env.ts";
import { nextRestartDelay, restartsWithEngine, shouldRestart } from "./restart-policy.ts";
import type { Logger } from "../logger.ts";
import { lookUpImagePath } from "../mounts/copy-up.ts";
import { copyDirectoryTree } from "../tree-copy.ts";
import { parseMountSpec, validateTmpfsDestination, type MountRequest } from "../mounts/parse.ts";
import { cleanPath } from "../../util/archive-copy.ts";
import { registerMountPoints, type RegisteredMount, type RegistrationContext } from "../mounts/register.ts";
import { specMounts, type MountPointAtStart } from "../mounts/setup.ts";
import { openSubpath } from "../mounts/subpath.ts";
import { bindMount, unmount } from "../runtime/syscalls.ts";

/** Bind sources as dockerd checks them: stat, so a symlink to something counts. */
const hostPaths = { pathExists: (path: string) => existsSync(path) };

export type { MountRecord as ContainerMount };

/** The HostConfig as the API carries it, with the fields moor reads typed. */
export type RequestedHostConfig = {
  Binds?: string[] | null;
  Mounts?: MountRequest[] | null;
  Tmpfs?: Record<string, string> | null;
  VolumesFrom?: string[] | null;
  VolumeDriver?: string;
  AutoRemove?: boolean;
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
  NetworkMode?: string;
  [key: string]: unknown;
};

export interface CreateContainerRequest {
  name?: string;
  config: RequestedConfig & { Image?: string };
  hostConfig: RequestedHostConfig;
  /** Read-only binds protect their top mount only (what clients before API 1.44 expect). */
  readOnlyNonRecursive?: boolean;
}

export interface Container {
  id: string;
  name: string;
  imageId: string;
  created: string;
  config: RequestedConfig;
  hostConfig: RequestedHostConfig;
  state: ContainerStateRecord;
  mounts: MountRecord[];
  /** `<root>/containers/<id>`: the writable layer and generated files. */
  dir: string;
}

const listFilterKeys = new Set(["id", "name", "label", "status", "ancestor", "volume", "exited", "health"]);
/** The states a status filter can name (moby's container.IsValidStateString): every state. */
const statusFilterValues = new Set<string>(containerStatuses);
const healthFilterValues = new Set(["starting", "healthy", "unhealthy", "none"]);
const restartPolicies = new Set(["", "no", "always", "on-failure", "unless-stopped"]);

/** How to stop: the signal (default: the container's StopSignal) and seconds before SIGKILL (default: its StopTimeout, else 10). */
export interface StopOptions {
  timeoutSeconds?: number;
  signal?: string;
}

export interface LifecycleEvent {
  type: "start" | "pause" | "unpause" | "exit" | "remove";
  id: string;
}

export type WaitCondition = "not-running" | "next-exit" | "removed";

/**
 * Containers: created once from an image and a request, never changed afterwards (the
 * immutable model: to change a container, replace it); only their small state moves.
 */
export class ContainerService {
  private readonly locks = new KeyedMutex();
  /** Callbacks waiting for a container's next exit (its exit code) or its removal. */
  private readonly exitWaiters = new Map<string, Set<(code: number) => void>>();
  private readonly removalWaiters = new Map<string, Set<() => void>>();
  /** Attach requests for containers not started yet: connected between create and start. */
  private readonly pendingAttach = new Map<string, Array<(session: AttachSession | undefined) => void>>();
  /**
   * Aborted when the engine stops: exits after that are the next engine's to record. Every
   * running container's watch listens to it, so it has no listener limit (node warns of a leak
   * past 10).
   */
  private readonly watching = unlimitedAbortController();
  /** Restarts a restart policy has scheduled, and the backoff delay each used last. */
  private readonly pendingRestarts = new Map<string, NodeJS.Timeout>();
  private readonly restartDelays = new Map<string, number>();
  /** Who hears that a container started (or was found running at engine start), exited or was removed. */
  private readonly lifecycleListeners = new Set<(event: LifecycleEvent) => void>();
  /** Removed containers whose files are still being deleted. */
  private readonly backgroundRemovals = new Set<Promise<void>>();
  /** Exits whose volumes are still being released: a removal waits for them, so its volumes are free once it answers. */
  private readonly volumeReleases = new Map<string, Promise<void>>();
  private readonly containersDir: string;
  private readonly initLayer: string;

  constructor(
    private readonly store: ContainerStore,
    private readonly images: ImageService,
    private readonly volumes: VolumeService,
    private readonly runtime: ConmonRuntime,
    /** The engine's data root; containers live in its `containers` directory. */
    private readonly root: string,
    private readonly hostFacts: ContainerHostFacts,
    private readonly log: Logger,
  ) {
    this.containersDir = join(root, "containers");
    mkdirSync(this.containersDir, { recursive: true, mode: 0o710 });
    this.initLayer = ensureInitLayer(join(root, "init-layer"));
  }

  async create(request: CreateContainerRequest): Promise<{ id: string; warnings: string[] }> {
    const imageName = request.config.Image ?? "";
    const host = request.hostConfig;
    // dockerd checks the request's settings before it looks up the image.
    const workingDir = request.config.WorkingDir ?? "";
    if (workingDir !== "" && !workingDir.startsWith("/")) throw new MoorError("invalid", `the working directory '${workingDir}' is invalid, it needs to be an absolute path`);
    const stopSignal = String(request.config.StopSignal ?? "");
    if (stopSignal !== "" && parseSignal(stopSignal) === undefined) throw new MoorError("invalid", `Invalid signal: ${stopSignal}`);
    for (const entry of request.config.Env ?? []) {
      const problem = envEntryProblem(entry);
      if (problem !== undefined) throw new MoorError("invalid", problem);
    }
    validateHealthcheck(request.config.Healthcheck);
    const policy = host.RestartPolicy?.Name ?? "";
    if (host.AutoRemove && policy !== "" && policy !== "no") {
      throw new MoorError("invalid", "can't create 'AutoRemove' container with restart policy");
    }
    for (const mount of host.Mounts ?? []) parseMountSpec(mount, hostPaths);
    for (const destination of Object.keys(host.Tmpfs ?? {})) validateTmpfsDestination(destination);
    if (!restartPolicies.has(policy)) throw new MoorError("invalid", `invalid restart policy '${policy}'`);
    if (imageName === "") throw new MoorError("invalid", "No command specified");
    const image = this.images.inspect(imageName);
    const id = randomId();
    const config = mergeConfig(request.config, image.config, imageName, id.slice(0, 12));
    if ((config.Entrypoint ?? []).length === 0 && (config.Cmd ?? []).length === 0) {
      throw new MoorError("invalid", "No command specified");
    }
    const name = request.name ? normalizeContainerName(request.name) : generateContainerName((n) => this.store.idByName(n) !== undefined);
    // Checked now so a doomed create makes no volumes, and again when the row is written.
    this.assertNameFree(name);
    const anonymous: string[] = [];
    const dir = join(this.containersDir, id);
    try {
      const mountPoints = await registerMountPoints(
        {
          binds: host.Binds ?? [],
          mounts: host.Mounts ?? [],
          tmpfs: host.Tmpfs ?? {},
          volumesFrom: host.VolumesFrom ?? [],
          volumeDriver: host.VolumeDriver ?? "",
          readOnlyNonRecursive: Boolean(request.readOnlyNonRecursive),
        },
        this.mountRegistration(id),
        anonymous,
      );
      mkdirSync(join(dir, "upper"), { recursive: true, mode: 0o755 });
      mkdirSync(join(dir, "work"), { recursive: true, mode: 0o700 });
      mkdirSync(join(dir, "rootfs"), { recursive: true, mode: 0o755 });
      await this.addImageVolumesAndCopyUp(id, image, config, host, mountPoints, anonymous);
      const record: ContainerRecord = {
        id,
        imageId: image.id,
        config: JSON.stringify(config),
        hostConfig: JSON.stringify(host),
        created: rfc3339Nano(new Date()),
      };
      this.store.transaction(() => {
        this.assertNameFree(name);
        this.store.insert(record, name, [...mountPoints.values()].map(({ copyData: _copyData, ...mount }) => mount));
      });
      // The mount rows hold the references from here on.
      this.volumes.releaseReservations(id);
      return { id, warnings: createWarnings(host) };
    } catch (err) {
      // A failed create leaves no anonymous volume and no directory; named volumes stay, as with dockerd.
      await unmountRootfs(dir).catch(() => undefined);
      this.volumes.releaseReservations(id);
      for (const volume of anonymous) await this.volumes.remove(volume, { force: true }).catch(() => undefined);
      await removeTree(dir).catch(() => undefined);
      throw err;
    }
  }

  /** What mount registration needs from the engine: volumes, other containers, the data root. */
  private mountRegistration(containerId: string): RegistrationContext {
    return {
      ...hostPaths,
      daemonRoot: this.root,
      mountsOf: (container) => this.store.mounts(this.resolve(container)),
      createVolume: async ({ name, driver, options, labels }) => {
        const volume = await this.volumes.create({ name: name || undefined, driver, driverOptions: options, labels, reservedBy: containerId });
        return { name: volume.name, driver: volume.driver, mountpoint: volume.mountpoint };
      },
      getVolume: (name) => {
        if (name === "") throw new MoorError("not_found", `get: ${messages.noSuchVolume()}`);
        const volume = this.volumes.inspect(name);
        return { name: volume.name, driver: volume.driver, mountpoint: volume.mountpoint };
      },
    };
  }

  /**
   * The image's and the request's VOLUMEs that nothing else covers get anonymous volumes
   * (moby createContainerVolumesOS), then every volume that asks for it and is still empty is
   * filled from the image (copy-up). Both look at the image's files, so the root filesystem is
   * mounted meanwhile, and only if there is something to do.
   */
  private async addImageVolumesAndCopyUp(
    id: string,
    image: ReturnType<ImageService["inspect"]>,
    config: RequestedConfig,
    host: RequestedHostConfig,
    mountPoints: Map<string, RegisteredMount>,
    anonymous: string[],
  ): Promise<void> {
    const declared = Object.keys(config.Volumes ?? {});
    if (declared.length === 0 && ![...mountPoints.values()].some((m) => m.copyData)) return;
    const dir = join(this.containersDir, id);
    const rootfs = await mountRootfs(dir, this.rootfsLayers(image));
    // Image directories already opened by the VOLUME check, kept for their copy-up.
    const opened = new Map<string, number>();
    try {
      for (const path of declared) {
        const destination = cleanPath(path);
        if (mountPoints.has(destination) || Object.hasOwn(host.Tmpfs ?? {}, destination)) continue;
        const found = await lookUpImagePath(rootfs, destination);
        if (found.kind === "directory") opened.set(destination, found.fd);
        if (found.kind === "other") throw new MoorError("internal", `cannot mount volume over existing file, file exists ${found.path}`);
        const volume = await this.volumes.create({ driver: host.VolumeDriver || undefined, reservedBy: id });
        anonymous.push(volume.name);
        mountPoints.set(destination, {
          destination,
          type: "volume",
          volumeName: volume.name,
          source: volume.mountpoint,
          mode: "",
          rw: true,
          propagation: "",
          driver: volume.driver,
          spec: JSON.stringify({ Type: "volume", Target: destination }),
          createSource: false,
          copyData: true,
        });
      }
      for (const mount of mountPoints.values()) {
        if (!mount.copyData || mount.type !== "volume" || mount.volumeName === null) continue;
        let fd = opened.get(mount.destination);
        if (fd === undefined) {
          const found = await lookUpImagePath(rootfs, mount.destination);
          if (found.kind !== "directory") continue;
          fd = found.fd;
          opened.set(mount.destination, fd);
        }
        const source = fd;
        await this.volumes.populate(mount.volumeName, (target) => copyDirectoryTree(source, target)).catch((err: unknown) => {
          throw wrap(err, "failed to populate volume");
        });
      }
    } finally {
      for (const fd of opened.values()) closeSync(fd);
      await unmountRootfs(dir);
    }
  }

  /** A container root's lower layers, bottom first: the image's, then the init layer. */
  private rootfsLayers(image: ReturnType<ImageService["inspect"]>): string[] {
    return [...this.images.layerPaths(image), this.initLayer];
  }

  /** Finds a container by full id, unique id prefix, or name (with or without "/"). */
  resolve(nameOrId: string): string {
    if (this.store.get(nameOrId) !== undefined) return nameOrId;
    const byName = this.store.idByName(nameOrId.startsWith("/") ? nameOrId : `/${nameOrId}`);
    if (byName !== undefined) return byName;
    if (/^[0-9a-f]+$/.test(nameOrId)) {
      const matches = this.store.idsByPrefix(nameOrId);
      if (matches.length === 1) return matches[0];
    }
    throw new MoorError("not_found", `No such container: ${nameOrId}`);
  }

  private assertNameFree(name: string): void {
    const taken = this.store.idByName(name);
    if (taken !== undefined) throw new MoorError("conflict", messages.containerNameInUse(name, taken));
  }

  inspect(nameOrId: string): Container {
    return this.load(this.store.get(this.resolve(nameOrId))!);
  }

  /** The container's filesystem changes against its image, as `docker diff` lists them. */
  async changes(nameOrId: string): Promise<FilesystemChange[]> {
    const container = this.inspect(nameOrId);
    return containerChanges(join(container.dir, "upper"), this.images.layerPaths(this.images.inspect(container.imageId)));
  }

  /**
   * Runs `work` with the container's root filesystem mounted (mounted for the duration when it
   * was not) and the container locked, so no start, exit cleanup or second copy unmounts it
   * meanwhile; dockerd holds the container's lock over a copy the same way.
   */
  async withFilesystem<T>(nameOrId: string, work: (container: Container, rootfs: string) => Promise<T>): Promise<T> {
    const id = this.resolve(nameOrId);
    return this.locks.run(id, async () => {
      const container = this.inspect(id);
      const rootfs = join(container.dir, "rootfs");
      const wasMounted = mountsUnder(rootfs).includes(rootfs);
      if (!wasMounted) await mountRootfs(container.dir, this.rootfsLayers(this.images.inspect(container.imageId)));
      try {
        return await work(container, rootfs);
      } finally {
        if (!wasMounted && this.store.get(id) !== undefined && this.store.state(id).status !== "running") {
          await unmountRootfs(container.dir).catch((err: unknown) => this.log.warn({ container: id, err: String(err) }, "could not unmount the root filesystem"));
        }
      }
    });
  }

  private load(record: ContainerRecord): Container {
    const id = record.id;
    return {
      id,
      name: this.store.nameOf(id),
      imageId: record.imageId,
      created: record.created,
      config: JSON.parse(record.config),
      hostConfig: JSON.parse(record.hostConfig),
      state: this.store.state(id),
      mounts: this.store.mounts(id),
      dir: join(this.containersDir, id),
    };
  }

  /** `health` tells a container's health status (starting, healthy, unhealthy or none), for the `health` filter. */
  list({ all = false, limit = -1, filters = new Filters(), health = () => "none" }: { all?: boolean; limit?: number; filters?: Filters; health?: (id: string) => string } = {}): Container[] {
    filters.validate(listFilterKeys);
    for (const value of filters.get("health")) {
      if (!healthFilterValues.has(value)) throw new MoorError("invalid", `Unrecognised filter value for health: ${value}`);
    }
    for (const value of filters.get("status")) {
      if (!statusFilterValues.has(value)) throw new MoorError("invalid", `Invalid filter 'status=${value}'`);
    }
    for (const value of filters.get("exited")) {
      if (!/^[+-]?\d+$/.test(value)) throw new MoorError("invalid", `strconv.Atoi: parsing ${JSON.stringify(value)}: invalid syntax`);
    }
    let ancestors: Set<string> | undefined;
    if (filters.contains("ancestor")) {
      ancestors = new Set(filters.get("ancestor").flatMap((name) => {
        try {
          return [this.images.resolve(name)];
        } catch {
          return [];
        }
      }));
    }
    const containers = this.store
      .all()
      .map((record) => this.load(record))
      .filter((container) => {
        const status = container.state.status;
        if (!all && !filters.contains("status") && !filters.contains("exited") && status !== "running" && status !== "paused" && status !== "restarting") return false;
        if (filters.contains("id") && !filters.get("id").some((prefix) => container.id.startsWith(prefix))) return false;
        if (!filters.match("name", container.name.slice(1)) && !filters.match("name", container.name)) return false;
        if (!filters.matchKVList("label", (container.config.Labels as Record<string, string> | null) ?? null)) return false;
        if (!filters.exactMatch("status", status)) return false;
        if (filters.contains("exited") && (status !== "exited" || !filters.exactMatch("exited", String(container.state.exitCode)))) return false;
        if (ancestors !== undefined && !ancestors.has(container.imageId)) return false;
        if (!filters.exactMatch("health", health(container.id))) return false;
        if (filters.contains("volume") && !container.mounts.some((m) => filters.get("volume").some((v) => v === m.volumeName || v === m.source || v === m.destination))) {
          return false;
        }
        return true;
      })
      .sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
    return limit > 0 ? containers.slice(0, limit) : containers;
  }

  /**
   * Starts a created or exited container: root filesystem, volumes, OCI spec, then conmon and
   * runc. Attach requests waiting for this start are connected before the process runs, so no
   * output is lost.
   */
  async start(nameOrId: string, { byRestartPolicy = false } = {}): Promise<void> {
    const id = this.resolve(nameOrId);
    this.cancelRestart(id);
    if (!byRestartPolicy) this.restartDelays.delete(id);
    let removeAfterFailure = false;
    await this.locks.run(id, async () => {
      const container = this.load(this.store.get(id)!);
      if (container.state.status === "running") throw new MoorError("not_modified", "container already started");
      if (container.state.status === "paused") throw new MoorError("conflict", "cannot start a paused container, try unpause instead");
      const mountedVolumes: string[] = [];
      let waiting: Array<(session: AttachSession | undefined) => void> = [];
      try {
        await this.runtime.delete(id, { force: true });
        const spec = await this.prepare(container, mountedVolumes);
        const bundle = join(this.runtime.execRoot, "bundles", id);
        await mkdir(bundle, { recursive: true, mode: 0o700 });
        await writeFile(join(bundle, "config.json"), JSON.stringify(spec));
        // Waiting attach requests connect while runc creates the container (their relays start
        // meanwhile), and before it runs.
        waiting = this.pendingAttach.get(id) ?? [];
        this.pendingAttach.delete(id);
        const createFailed = new AbortController();
        const sessions = waiting.map(() => this.runtime.attach(id, { stdin: Boolean(container.config.OpenStdin), awaitSocket: createFailed.signal }).catch(() => undefined));
        const created = await this.runtime
          .create({
            id,
            bundleDir: bundle,
            logPath: join(container.dir, "container.log"),
            terminal: Boolean(container.config.Tty),
            stdin: Boolean(container.config.OpenStdin),
            stdinOnce: Boolean(container.config.StdinOnce),
          })
          .catch((err: unknown) => {
            createFailed.abort();
            throw runtimeCreateError(err);
          })
          // runc has made the container's mounts: the subpaths' private sources can go.
          .finally(() => this.releaseSubpaths(container.dir));
        for (const [index, connect] of waiting.entries()) connect(await sessions[index]);
        await this.runtime.start(id);
        this.store.setState(id, {
          ...container.state,
          status: "running",
          pid: created.pid,
          exitCode: 0,
          error: "",
          startedAt: rfc3339Nano(new Date()),
          finishedAt: "0001-01-01T00:00:00Z",
          manuallyStopped: false,
          restartCount: byRestartPolicy ? container.state.restartCount + 1 : 0,
        });
        this.log.info({ container: id, pid: created.pid }, "container started");
        this.watchExit(id);
        this.emit({ type: "start", id });
      } catch (err) {
        const failure = err instanceof MoorError ? err : wrap(err, "start");
        const exitCode = classifyRuntimeError(failure.message).exitCode ?? 128;
        await this.cleanupAfterExit(container, mountedVolumes);
        this.store.setState(id, { ...container.state, status: container.state.status === "exited" ? "exited" : "created", exitCode, error: failure.message });
        // Attach requests still waiting end now (one already connected keeps its session).
        for (const connect of [...waiting, ...(this.pendingAttach.get(id) ?? [])]) connect(undefined);
        this.pendingAttach.delete(id);
        this.notifyExit(id, exitCode);
        removeAfterFailure = Boolean(container.hostConfig.AutoRemove);
        throw failure;
      }
    }).catch(async (err: unknown) => {
      // Outside the lock, which remove takes too.
      if (removeAfterFailure) await this.remove(id, { force: true, volumes: true }).catch(() => undefined);
      throw err;
    });
  }

  /** Everything a start needs before the runtime: rootfs, /etc files, user, volume mounts, spec. */
  private async prepare(container: Container, mountedVolumes: string[]) {
    const image = this.images.inspect(container.imageId);
    const host = container.hostConfig;
    const network = host.NetworkMode === "none" ? "none" : "host";
    const hostname = String(container.config.Hostname || container.id.slice(0, 12));
    const [rootfs, etcFiles] = await Promise.all([mountRootfs(container.dir, this.rootfsLayers(image)), writeEtcFiles(container.dir, hostname, network)]);
    const user = await resolveUser(rootfs, String(container.config.User ?? ""));
    const mounts = await this.mountsAtStart(container, mountedVolumes);
    const securityOpt = (host.SecurityOpt as string[] | undefined) ?? [];
    return buildSpec({
      id: container.id,
      rootfs,
      readonlyRootfs: Boolean(host.ReadonlyRootfs),
      hostname,
      args: commandLine(container.config),
      env: (container.config.Env as string[] | null) ?? [],
      cwd: String(container.config.WorkingDir || "/"),
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      tty: Boolean(container.config.Tty),
      openStdin: Boolean(container.config.OpenStdin),
      capAdd: (host.CapAdd as string[] | undefined) ?? [],
      capDrop: (host.CapDrop as string[] | undefined) ?? [],
      privileged: Boolean(host.Privileged),
      noNewPrivileges: securityOpt.some((opt) => /^no-new-privileges(:true|=true)?$/.test(opt)),
      seccompUnconfined: securityOpt.some((opt) => /^seccomp[:=]unconfined$/.test(opt)),
      network,
      memoryBytes: Number(host.Memory ?? 0) || undefined,
      nanoCpus: Number(host.NanoCpus ?? 0) || undefined,
      mounts,
      etcFiles,
      shmSize: Number(host.ShmSize ?? 0) || 64 * 1024 * 1024,
      cgroupnsMode: this.hostFacts.cgroupnsMode,
      host: this.hostFacts.spec,
    });
  }

  /**
   * The container's mounts for the runtime: volumes mounted (their devices, for volumes with
   * options), missing sources of binds from Binds created as dockerd does, and the whole checked
   * against the host's mount table for shared and slave propagation.
   */
  private async mountsAtStart(container: Container, mountedVolumes: string[]): Promise<SpecMount[]> {
    const points: MountPointAtStart[] = [];
    const tmpfs = container.hostConfig.Tmpfs ?? {};
    for (const mount of container.mounts) {
      if (mount.type === "volume" && mount.volumeName !== null && !Object.hasOwn(tmpfs, mount.destination)) {
        const volumePath = await this.volumes.mount(mount.volumeName, container.id).catch((err: unknown) => {
          throw wrap(err, `error while mounting volume '${mount.source}'`);
        });
        mountedVolumes.push(mount.volumeName);
        const subpath = (JSON.parse(mount.spec) as MountRequest).VolumeOptions?.Subpath;
        points.push({ ...mount, hostPath: subpath ? await this.mountSubpath(container.dir, volumePath, subpath) : volumePath });
      } else {
        if (mount.type === "bind" && mount.createSource) {
          // A file where the directory would go is fine (a file bind), as with dockerd.
          await mkdirAll(mount.source, 0o755).catch((err: unknown) => {
            if ((err as NodeJS.ErrnoException).code === "ENOTDIR") return;
            throw new MoorError("internal", `error while creating mount source path '${mount.source}': ${(err as Error).message}`);
          });
        }
        points.push({ ...mount, hostPath: mount.source });
      }
    }
    const needsMountInfo = points.some((p) => /^r?(shared|slave)$/.test(p.propagation));
    return specMounts(points, tmpfs, {
      recursiveReadOnly: this.hostFacts.recursiveReadOnly,
      daemonRoot: this.root,
      mountInfo: needsMountInfo ? currentMounts() : [],
    });
  }

  /**
   * Mounts a volume's subpath, opened without following symlinks, at a private path for runc to
   * bind from; releaseSubpaths() takes these away once runc has made the container's mounts.
   */
  private async mountSubpath(containerDir: string, volumePath: string, subpath: string): Promise<string> {
    const opened = openSubpath(volumePath, subpath);
    try {
      const dir = join(containerDir, "subpaths");
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const target = join(dir, randomId().slice(0, 12));
      if (opened.isDirectory) await mkdir(target, { mode: 0o700 });
      else await writeFile(target, "", { mode: 0o600 });
      bindMount(`/proc/self/fd/${opened.fd}`, target);
      return target;
    } finally {
      closeSync(opened.fd);
    }
  }

  private async releaseSubpaths(containerDir: string): Promise<void> {
    const dir = join(containerDir, "subpaths");
    for (const mount of mountsUnder(dir)) await unmount(mount);
    await removeTree(dir);
  }

  /** Follows a running container to its exit, then records it and cleans up. */
  private watchExit(id: string): void {
    void this.runtime
      .waitForExit(id, { signal: this.watching.signal })
      .then((code) => this.recordExit(id, code))
      .catch((err: unknown) => {
        if (!this.watching.signal.aborted) this.log.error({ container: id, err: String(err) }, "lost track of a container");
      });
  }

  /** Settles when the files of removed containers are gone (the engine waits for it at stop). */
  async settled(): Promise<void> {
    await Promise.all([...this.backgroundRemovals]);
  }

  /** Stops following containers; they keep running under conmon for the next engine. */
  stopWatching(): void {
    this.watching.abort();
    // A restart that was due is the next engine's to do: the container stays "restarting".
    for (const timer of this.pendingRestarts.values()) clearTimeout(timer);
    this.pendingRestarts.clear();
  }

  private async recordExit(id: string, exitCode: number): Promise<void> {
    const record = this.store.get(id);
    if (record === undefined) return;
    let container = this.load(record);
    let restart = false;
    let autoRemoval: Promise<void> | undefined;
    await this.locks.run(id, async () => {
      container = this.load(record);
      restart = shouldRestart(container.hostConfig.RestartPolicy, { exitCode, manuallyStopped: container.state.manuallyStopped, restartCount: container.state.restartCount });
      this.store.setState(id, { ...container.state, status: restart ? "restarting" : "exited", pid: 0, exitCode, finishedAt: rfc3339Nano(new Date()) });
      // Waiters learn of the exit now; what they do next (start, remove) waits for this lock.
      this.notifyExit(id, exitCode);
      this.emit({ type: "exit", id });
      // AutoRemove drops the row at once; the files go after this cleanup, under this lock.
      if (!restart && container.hostConfig.AutoRemove) {
        autoRemoval = this.remove(id, { volumes: true }).catch((err: unknown) => this.log.warn({ container: id, err: String(err) }, "auto-remove failed"));
      }
      // runc's state and the mounts are independent: both go at once. A removal waits for the
      // volumes alone; the runtime's state and the root filesystem go under this lock, which its
      // deletion of the files waits for.
      const volumesReleased = this.releaseVolumes(container, container.mounts.filter((m) => m.volumeName !== null).map((m) => m.volumeName!));
      const cleanup = Promise.all([
        this.runtime.delete(id).catch((err: unknown) => this.log.warn({ container: id, err: String(err) }, "runtime cleanup failed")),
        volumesReleased.then(() => this.unmountRootfsAfterExit(container)),
      ]);
      this.volumeReleases.set(id, volumesReleased);
      await cleanup.finally(() => this.volumeReleases.delete(id));
    });
    this.log.info({ container: id, exitCode }, "container exited");
    if (restart) this.scheduleRestart(id, Date.now() - Date.parse(container.state.startedAt));
    await autoRemoval;
  }

  /** The restart policy's next start, after dockerd's backoff. The container shows as restarting meanwhile. */
  private scheduleRestart(id: string, ranForMs: number): void {
    if (this.watching.signal.aborted) return;
    const delay = nextRestartDelay(this.restartDelays.get(id) ?? 0, ranForMs);
    this.restartDelays.set(id, delay);
    const timer = setTimeout(() => {
      this.pendingRestarts.delete(id);
      this.start(id, { byRestartPolicy: true }).catch((err: unknown) => {
        this.log.warn({ container: id, err: String(err) }, "restart policy could not start the container");
        if (this.store.get(id) !== undefined) this.patchState(id, { status: "exited" });
      });
    }, delay);
    this.pendingRestarts.set(id, timer);
  }

  /** Drops a scheduled restart; true if there was one. */
  private cancelRestart(id: string): boolean {
    const timer = this.pendingRestarts.get(id);
    if (timer === undefined) return false;
    clearTimeout(timer);
    this.pendingRestarts.delete(id);
    return true;
  }

  /** Changes some of a container's state fields, over its state as stored now. */
  private patchState(id: string, patch: Partial<ContainerStateRecord>): void {
    this.store.setState(id, { ...this.store.state(id), ...patch });
  }

  private async cleanupAfterExit(container: Container, volumeNames: string[]): Promise<void> {
    await this.releaseVolumes(container, volumeNames);
    await this.unmountRootfsAfterExit(container);
  }

  private async releaseVolumes(container: Container, volumeNames: string[]): Promise<void> {
    await this.releaseSubpaths(container.dir).catch((err: unknown) => this.log.warn({ container: container.id, err: String(err) }, "could not unmount volume subpaths"));
    for (const name of volumeNames) await this.volumes.unmount(name, container.id).catch(() => undefined);
  }

  private async unmountRootfsAfterExit(container: Container): Promise<void> {
    await unmountRootfs(container.dir).catch((err: unknown) => this.log.warn({ container: container.id, err: String(err) }, "could not unmount the root filesystem"));
  }

  /** Calls `listener` at each container's start (or adoption at engine start), exit and removal. */
  onLifecycle(listener: (event: LifecycleEvent) => void): void {
    this.lifecycleListeners.add(listener);
  }

  private emit(event: LifecycleEvent): void {
    for (const listener of this.lifecycleListeners) {
      try {
        listener(event);
      } catch (err) {
        this.log.warn({ container: event.id, err: String(err) }, "a lifecycle listener failed");
      }
    }
  }

  private notifyExit(id: string, code: number): void {
    const waiters = this.exitWaiters.get(id);
    this.exitWaiters.delete(id);
    for (const waiter of waiters ?? []) waiter(code);
  }

  /**
   * Resolves with the exit code when the condition holds: `not-running` at once for a container
   * that is not running, `next-exit` at its next exit, `removed` once it is gone.
   */
  async wait(nameOrId: string, condition: WaitCondition = "not-running"): Promise<number> {
    const container = this.inspect(nameOrId);
    if (condition === "not-running" && !isLive(container.state.status)) return container.state.exitCode;
    const exited = new Promise<number>((resolve) => {
      const set = this.exitWaiters.get(container.id) ?? new Set();
      set.add(resolve);
      this.exitWaiters.set(container.id, set);
    });
    if (condition !== "removed") return exited;
    let code = container.state.exitCode;
    void exited.then((c) => (code = c));
    await new Promise<void>((resolve) => {
      const set = this.removalWaiters.get(container.id) ?? new Set();
      set.add(resolve);
      this.removalWaiters.set(container.id, set);
    });
    return code;
  }

  /**
   * Attaches to a container's stdio. For a container not started yet the session is connected
   * when it starts (docker run attaches first); undefined when the container ends or fails first.
   */
  async attach(nameOrId: string, stdin: boolean): Promise<AttachSession | undefined> {
    const container = this.inspect(nameOrId);
    if (isLive(container.state.status)) return this.runtime.attach(container.id, { stdin: stdin && Boolean(container.config.OpenStdin) });
    return new Promise((resolve) => {
      const list = this.pendingAttach.get(container.id) ?? [];
      list.push(resolve);
      this.pendingAttach.set(container.id, list);
    });
  }

  /**
   * Sends a signal (a name such as KILL or SIGTERM, or a number) to a running container. A paused
   * one is thawed after a signal meant to end it, so that it can (moby's killWithSignal).
   */
  async kill(nameOrId: string, signal = "KILL"): Promise<void> {
    const number = signalNumber(signal);
    const container = this.inspect(nameOrId);
    if (!isPlatformSignal(number)) throw new MoorError("internal", `Cannot kill container: ${container.id}: The linux daemon does not support signal ${number}`);
    if (!isLive(container.state.status)) {
      throw new MoorError("conflict", `cannot kill container: ${nameOrId}: container ${container.id} is not running`);
    }
    this.patchState(container.id, { manuallyStopped: true });
    await this.signal(container, number);
  }

  private async signal(container: Container, signal: number): Promise<void> {
    await this.runtime.kill(container.id, signal);
    if (container.state.status !== "paused") return;
    const stopSignal = container.config.StopSignal ? parseSignal(String(container.config.StopSignal)) : undefined;
    if (stopSignal !== undefined && signal !== sigkill && signal !== stopSignal) return;
    await this.unpause(container.id);
  }

  /** docker pause: every process of the container frozen until unpause. */
  async pause(nameOrId: string): Promise<void> {
    const id = this.resolve(nameOrId);
    await this.locks.run(id, async () => {
      const { status } = this.store.state(id);
      if (status === "paused") throw new MoorError("conflict", `Container ${id} is already paused`);
      if (status === "restarting") throw new MoorError("conflict", `Container ${id} is restarting, wait until the container is running`);
      if (status !== "running") throw new MoorError("conflict", `Container ${id} is not running`);
      await this.runtime.pause(id).catch((err: unknown) => {
        throw new MoorError("internal", `Cannot pause container ${id}: ${(err as Error).message}`, { cause: err });
      });
      this.patchState(id, { status: "paused" });
    });
    this.emit({ type: "pause", id });
  }

  async unpause(nameOrId: string): Promise<void> {
    const id = this.resolve(nameOrId);
    await this.locks.run(id, async () => {
      // dockerd 20.10 answers this one as a server error (500), without a conflict type.
      if (this.store.state(id).status !== "paused") throw new MoorError("internal", `Container ${id} is not paused`);
      await this.runtime.resume(id).catch((err: unknown) => {
        throw new MoorError("internal", `Cannot unpause container ${id}: ${(err as Error).message}`, { cause: err });
      });
      if (this.store.state(id).status === "paused") this.patchState(id, { status: "running" });
    });
    this.emit({ type: "unpause", id });
  }

  /** The stop signal, then SIGKILL after the timeout; resolves when the container has exited. */
  async stop(nameOrId: string, { timeoutSeconds, signal: signalOverride }: StopOptions = {}): Promise<boolean> {
    const container = this.inspect(nameOrId);
    // A stored stop signal dockerd cannot read means SIGTERM (moby's container.StopSignal).
    const signal = signalOverride ? signalNumber(signalOverride) : (parseSignal(String(container.config.StopSignal ?? "")) ?? sigterm);
    if (container.state.status === "restarting" && this.cancelRestart(container.id)) {
      this.patchState(container.id, { status: "exited", manuallyStopped: true });
      return true;
    }
    if (!isLive(container.state.status)) return false;
    this.patchState(container.id, { manuallyStopped: true });
    const exited = this.wait(container.id, "next-exit");
    await this.signal(container, signal).catch(() => undefined);
    const timeout = timeoutSeconds ?? (typeof container.config.StopTimeout === "number" ? container.config.StopTimeout : 10);
    const timer = timeout >= 0 ? setTimeout(() => void this.runtime.kill(container.id, sigkill).catch(() => undefined), timeout * 1000) : undefined;
    await exited;
    clearTimeout(timer);
    return true;
  }

  /** docker restart: a stop (the stop signal, then SIGKILL after the timeout) if it runs, then a start. */
  async restart(nameOrId: string, options: StopOptions = {}): Promise<void> {
    const id = this.resolve(nameOrId);
    await this.stop(id, options);
    await this.start(id);
  }

  /** Bytes the container wrote to its own layer (dockerd's SizeRw). */
  async writableLayerSize(nameOrId: string): Promise<number> {
    return directorySize(join(this.inspect(nameOrId).dir, "upper"));
  }

  /** Renames a container: only its name row changes (the config stays as created). */
  rename(nameOrId: string, newName: string): void {
    if (newName === "") throw new MoorError("invalid", "Neither old nor new names may be empty");
    const container = this.inspect(nameOrId);
    const name = normalizeContainerName(newName);
    if (name === container.name) throw new MoorError("invalid", "Renaming a container with the same name as its current name");
    this.store.transaction(() => {
      this.assertNameFree(name);
      this.store.rename(container.id, name);
    });
  }

  /** Removes every container that is not running (created, exited, dead), with `label` filters. */
  async prune(filters: Filters = new Filters()): Promise<string[]> {
    filters.validate(new Set(["label", "label!", "until"]));
    const removed: string[] = [];
    for (const container of this.list({ all: true })) {
      if (container.state.status === "running" || container.state.status === "paused") continue;
      const labels = (container.config.Labels as Record<string, string> | null) ?? null;
      if (!filters.matchKVList("label", labels)) continue;
      if (filters.contains("label!") && filters.matchKVList("label!", labels)) continue;
      await this.remove(container.id);
      removed.push(container.id);
    }
    return removed;
  }

  /**
   * At engine start: containers that ran when the engine stopped are followed again (conmon kept
   * them running), and those that exited meanwhile get their exit recorded.
   */
  async recover(): Promise<void> {
    // A directory without a row is a create that died before it was recorded, or a remove that
    // died after its row went: nothing refers to it, so it goes, with any runtime state left.
    const known = new Set(this.store.all().map((record) => record.id));
    for (const entry of await readdir(this.containersDir)) {
      if (known.has(entry)) continue;
      await this.runtime.delete(entry, { force: true }).catch(() => undefined);
      await unmountRootfs(join(this.containersDir, entry)).catch(() => undefined);
      await this.releaseSubpaths(join(this.containersDir, entry)).catch(() => undefined);
      await removeTree(join(this.containersDir, entry));
      this.log.info({ container: entry }, "removed the leftovers of an interrupted create or remove");
    }
    for (const record of this.store.all()) {
      const state = this.store.state(record.id);
      if (!isLive(state.status)) {
        // An engine that stopped between a container's exit and its cleanup left these mounted.
        await unmountRootfs(join(this.containersDir, record.id)).catch(() => undefined);
        await this.releaseSubpaths(join(this.containersDir, record.id)).catch(() => undefined);
        continue;
      }
      const code = await this.runtime.exitCode(record.id);
      if (code !== undefined) await this.recordExit(record.id, code);
      else if ((await this.runtime.conmonPid(record.id)) !== undefined) {
        this.watchExit(record.id);
        this.emit({ type: "start", id: record.id });
        // Paused before the engine stopped: still frozen, so no health probes.
        if (state.status === "paused") this.emit({ type: "pause", id: record.id });
      }
      else await this.recordExit(record.id, 255);
    }
    // Restart policies, as dockerd applies them when it starts: restarts that were due when the
    // last engine stopped, and `always` / `unless-stopped` containers found exited. In the
    // background, so that the API answers meanwhile.
    for (const record of this.store.all()) {
      const state = this.store.state(record.id);
      const policy = (JSON.parse(record.hostConfig) as RequestedHostConfig).RestartPolicy;
      const due = state.status === "restarting" && !this.pendingRestarts.has(record.id);
      if (!due && !(state.status === "exited" && restartsWithEngine(policy, state.manuallyStopped))) continue;
      this.start(record.id, { byRestartPolicy: due }).catch((err: unknown) => {
        this.log.warn({ container: record.id, err: String(err) }, "restart policy could not start the container");
      });
    }
  }

  /**
   * Removes a container (a running one only with force, which kills it first) and, with
   * `volumes`, its anonymous volumes that no other container uses; named volumes always stay.
   */
  async remove(nameOrId: string, { force = false, volumes = false } = {}): Promise<void> {
    const container = this.inspect(nameOrId);
    if (container.state.status === "restarting" && !force) {
      throw new MoorError("conflict", `cannot remove container "${container.name}": container is restarting: stop the container before removing or force remove`);
    }
    this.cancelRestart(container.id);
    this.restartDelays.delete(container.id);
    if (isLive(container.state.status)) {
      if (!force && container.state.status === "paused") {
        throw new MoorError("conflict", `You cannot remove a paused container ${container.id}. Unpause and then stop the container before attempting removal or force remove`);
      }
      if (!force) {
        throw new MoorError(
          "conflict",
          `cannot remove container "${container.name}": container is running: stop the container before removing or force remove`,
        );
      }
      const exited = this.wait(container.id, "next-exit");
      await this.signal(container, sigkill).catch(() => undefined);
      await exited;
    }
    await this.volumeReleases.get(container.id);
    // The row goes first: from here on the container does not exist for anyone, and a crash
    // leaves only files without a row, which the next engine's recover() removes.
    this.store.transaction(() => this.store.delete(container.id));
    this.emit({ type: "remove", id: container.id });
    const notifyRemoved = () => {
      const removalWaiters = this.removalWaiters.get(container.id);
      this.removalWaiters.delete(container.id);
      for (const waiter of removalWaiters ?? []) waiter();
    };
    // Its files go under its lock, after the cleanup of its exit that may still be running.
    const removeFiles = this.locks.run(container.id, async () => {
      await this.runtime.delete(container.id, { force: true }).catch(() => undefined);
      await unmountRootfs(container.dir).catch(() => undefined);
      await this.releaseSubpaths(container.dir).catch(() => undefined);
      await removeTree(container.dir);
    });
    // Anonymous volumes are those asked for without a source (moby removeMountPoints).
    const anonymousVolumes = container.mounts.filter((mount) => mount.type === "volume" && mount.volumeName !== null && !(JSON.parse(mount.spec) as MountRequest).Source);
    if (!volumes || anonymousVolumes.length === 0) {
      notifyRemoved();
      // Nothing the caller sees depends on the files: they go in the background.
      const settled = removeFiles
        .catch((err: unknown) => this.log.warn({ container: container.id, err: String(err) }, "could not remove the container's files"))
        .finally(() => this.backgroundRemovals.delete(settled));
      this.backgroundRemovals.add(settled);
      return;
    }
    // Waiters for the removal hear of it once its anonymous volumes are gone too, as dockerd's do.
    try {
      await removeFiles.catch((err: unknown) => {
        throw wrap(err, `remove container ${container.id}`);
      });
      for (const mount of anonymousVolumes) await this.volumes.remove(mount.volumeName!).catch(() => undefined);
    } finally {
      notifyRemoved();
    }
  }
}

/**
 * A runtime create failure in dockerd's words: containerd's wrapping of runc's message, then
 * what dockerd adds for a directory run as a command or a mount of a file on a directory (moby
 * daemon/errors.go setExitCodeFromError), which the docker CLI reads for its exit code.
 */
function runtimeCreateError(err: unknown): MoorError {
  let text = `failed to create shim task: OCI runtime create failed: ${(err as Error).message}: unknown`;
  const lower = text.toLowerCase();
  if (!lower.includes("permission denied")) {
    if (lower.includes("is a directory")) text += ": permission denied";
    else if (lower.includes("not a directory")) text += ": Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type";
  }
  return new MoorError(classifyRuntimeError(text).kind, text, { cause: err });
}

function unlimitedAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/** A signal's number as dockerd reads it (name or number); one it does not know is refused as dockerd's API does. */
function signalNumber(signal: string): number {
  const number = parseSignal(signal);
  if (number === undefined) throw new MoorError("invalid", `Invalid signal: ${signal}`);
  return number;
}

/** Running or paused: the container's processes exist. */
function isLive(status: ContainerStatus): boolean {
  return status === "running" || status === "paused";
}
