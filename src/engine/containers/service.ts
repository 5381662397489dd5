import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { MoorError, wrap } from "../../errors.ts";
import type { ContainerRecord, ContainerStateRecord, ContainerStore, MountRecord } from "../../store/container-store.ts";
import { randomId } from "../../util/ids.ts";
import { rfc3339Nano } from "../../util/time.ts";
import { removeTree } from "../fs.ts";
import type { ImageService } from "../images/service.ts";
import type { VolumeService } from "../volumes/service.ts";
import { Filters } from "../filters.ts";
import { mergeConfig, type RequestedConfig } from "./config.ts";
import { generateContainerName, normalizeContainerName } from "./names.ts";

export type { MountRecord as ContainerMount };

/** The HostConfig as the API carries it, with the fields moor reads typed. */
export type RequestedHostConfig = {
  Binds?: string[] | null;
  Mounts?: Array<{ Type?: string; Source?: string; Target?: string; ReadOnly?: boolean; VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> }; BindOptions?: { Propagation?: string } }> | null;
  Tmpfs?: Record<string, string> | null;
  AutoRemove?: boolean;
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
  NetworkMode?: string;
  [key: string]: unknown;
};

export interface CreateContainerRequest {
  name?: string;
  config: RequestedConfig & { Image?: string };
  hostConfig: RequestedHostConfig;
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

const listFilterKeys = new Set(["id", "name", "label", "status", "ancestor", "volume", "exited"]);
const restartPolicies = new Set(["", "no", "always", "on-failure", "unless-stopped"]);

/**
 * Containers: created once from an image and a request, never changed afterwards (the
 * immutable model: to change a container, replace it); only their small state moves.
 */
export class ContainerService {
  constructor(
    private readonly store: ContainerStore,
    private readonly images: ImageService,
    private readonly volumes: VolumeService,
    private readonly containersDir: string,
  ) {
    mkdirSync(containersDir, { recursive: true, mode: 0o710 });
  }

  async create(request: CreateContainerRequest): Promise<{ id: string; warnings: string[] }> {
    const imageName = request.config.Image ?? "";
    if (imageName === "") throw new MoorError("invalid", "No command specified");
    const image = this.images.inspect(imageName);
    const host = request.hostConfig;
    const policy = host.RestartPolicy?.Name ?? "";
    if (!restartPolicies.has(policy)) throw new MoorError("invalid", `invalid restart policy '${policy}'`);
    if (host.AutoRemove && policy !== "" && policy !== "no") {
      throw new MoorError("invalid", "can't create 'AutoRemove' container with restart policy");
    }
    const id = randomId();
    const config = mergeConfig(request.config, image.config, imageName, id.slice(0, 12));
    if ((config.Entrypoint ?? []).length === 0 && (config.Cmd ?? []).length === 0) {
      throw new MoorError("invalid", "No command specified");
    }
    const name = request.name ? normalizeContainerName(request.name) : generateContainerName((n) => this.store.idByName(n) !== undefined);
    const taken = this.store.idByName(name);
    if (taken !== undefined) {
      throw new MoorError(
        "conflict",
        `Conflict. The container name "${name}" is already in use by container "${taken}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    const anonymous: string[] = [];
    try {
      const mounts = await this.registerMounts(config, host, anonymous);
      const dir = join(this.containersDir, id);
      mkdirSync(join(dir, "upper"), { recursive: true, mode: 0o755 });
      mkdirSync(join(dir, "work"), { recursive: true, mode: 0o700 });
      mkdirSync(join(dir, "rootfs"), { recursive: true, mode: 0o755 });
      const record: ContainerRecord = {
        id,
        imageId: image.id,
        config: JSON.stringify(config),
        hostConfig: JSON.stringify(host),
        created: rfc3339Nano(new Date()),
      };
      this.store.transaction(() => {
        if (this.store.idByName(name) !== undefined) {
          throw new MoorError("conflict", `Conflict. The container name "${name}" is already in use by container "${this.store.idByName(name)}". You have to remove (or rename) that container to be able to reuse that name.`);
        }
        this.store.insert(record, name, mounts);
      });
      return { id, warnings: [] };
    } catch (err) {
      // A failed create leaves no anonymous volume and no directory; named volumes stay, as with dockerd.
      for (const volume of anonymous) await this.volumes.remove(volume, { force: true }).catch(() => undefined);
      await removeTree(join(this.containersDir, id)).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Mount points in dockerd's precedence: Binds, then Mounts, then the image's and request's
   * VOLUMEs not covered by either (anonymous volumes). Binds or Mounts on one path twice is
   * dockerd's "Duplicate mount point".
   */
  private async registerMounts(config: RequestedConfig, host: RequestedHostConfig, anonymous: string[]): Promise<MountRecord[]> {
    const mounts = new Map<string, MountRecord>();
    const claim = (mount: MountRecord, as: string) => {
      if (mounts.has(mount.destination) || (host.Tmpfs && Object.hasOwn(host.Tmpfs, mount.destination))) {
        throw new MoorError("invalid", `Duplicate mount point: ${as}`);
      }
      mounts.set(mount.destination, mount);
    };
    for (const bind of host.Binds ?? []) {
      const parts = bind.split(":");
      if (parts.length < 2 || parts.length > 3 || parts[0] === "") throw new MoorError("invalid", `invalid volume specification: '${bind}'`);
      const [source, target, mode = ""] = parts;
      const destination = cleanPath(target);
      const rw = !mode.split(",").includes("ro");
      if (source.startsWith("/")) {
        claim({ destination, type: "bind", volumeName: null, source, mode, rw, propagation: "rprivate", spec: JSON.stringify({ bind }) }, destination);
      } else {
        const volume = await this.volumes.create({ name: source });
        claim({ destination, type: "volume", volumeName: volume.name, source: volume.mountpoint, mode: mode || "z", rw, propagation: "", spec: JSON.stringify({ bind }) }, destination);
      }
    }
    for (const mount of host.Mounts ?? []) {
      const destination = cleanPath(mount.Target ?? "");
      const rw = !mount.ReadOnly;
      if (mount.Type === "bind") {
        claim({ destination, type: "bind", volumeName: null, source: mount.Source ?? "", mode: "", rw, propagation: mount.BindOptions?.Propagation || "rprivate", spec: JSON.stringify(mount) }, mount.Target ?? "");
      } else if (mount.Type === "tmpfs") {
        claim({ destination, type: "tmpfs", volumeName: null, source: "", mode: "", rw, propagation: "", spec: JSON.stringify(mount) }, mount.Target ?? "");
      } else {
        const volume = await this.volumes.create({ name: mount.Source || undefined, labels: mount.VolumeOptions?.Labels });
        if (!mount.Source) anonymous.push(volume.name);
        claim({ destination, type: "volume", volumeName: volume.name, source: volume.mountpoint, mode: "z", rw, propagation: "", spec: JSON.stringify(mount) }, mount.Target ?? "");
      }
    }
    for (const path of Object.keys(config.Volumes ?? {})) {
      const destination = cleanPath(path);
      if (mounts.has(destination) || (host.Tmpfs && Object.hasOwn(host.Tmpfs, destination))) continue;
      const volume = await this.volumes.create({});
      anonymous.push(volume.name);
      mounts.set(destination, { destination, type: "volume", volumeName: volume.name, source: volume.mountpoint, mode: "", rw: true, propagation: "", spec: "{}" });
    }
    return [...mounts.values()];
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

  inspect(nameOrId: string): Container {
    return this.load(this.resolve(nameOrId));
  }

  private load(id: string): Container {
    const record = this.store.get(id)!;
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

  list({ all = false, limit = -1, filters = new Filters() }: { all?: boolean; limit?: number; filters?: Filters } = {}): Container[] {
    filters.validate(listFilterKeys);
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
      .map((record) => this.load(record.id))
      .filter((container) => {
        const status = container.state.status;
        if (!all && !filters.contains("status") && !filters.contains("exited") && status !== "running" && status !== "paused" && status !== "restarting") return false;
        if (filters.contains("id") && !filters.get("id").some((prefix) => container.id.startsWith(prefix))) return false;
        if (!filters.match("name", container.name.slice(1)) && !filters.match("name", container.name)) return false;
        if (!filters.matchKVList("label", (container.config.Labels as Record<string, string> | null) ?? null)) return false;
        if (!filters.exactMatch("status", status)) return false;
        if (filters.contains("exited") && (status !== "exited" || !filters.exactMatch("exited", String(container.state.exitCode)))) return false;
        if (ancestors !== undefined && !ancestors.has(container.imageId)) return false;
        if (filters.contains("volume") && !container.mounts.some((m) => filters.get("volume").some((v) => v === m.volumeName || v === m.source || v === m.destination))) {
          return false;
        }
        return true;
      })
      .sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
    return limit > 0 ? containers.slice(0, limit) : containers;
  }

  /**
   * Removes a container (a running one only with force, which kills it first) and, with
   * `volumes`, its anonymous volumes that no other container uses; named volumes always stay.
   */
  async remove(nameOrId: string, { force = false, volumes = false } = {}): Promise<void> {
    const container = this.inspect(nameOrId);
    if (container.state.status === "running" || container.state.status === "paused") {
      if (!force) {
        throw new MoorError(
          "conflict",
          `cannot remove container "${container.name}": container is running: stop the container before removing or force remove`,
        );
      }
      throw new MoorError("not_implemented", "removing a running container is not implemented by moor yet");
    }
    this.store.transaction(() => this.store.delete(container.id));
    await removeTree(container.dir).catch((err: unknown) => {
      throw wrap(err, `remove container ${container.id}`);
    });
    if (volumes) {
      for (const mount of container.mounts) {
        const anonymousVolume = mount.type === "volume" && mount.volumeName !== null && !JSON.parse(mount.spec).bind && !JSON.parse(mount.spec).Source;
        if (anonymousVolume) await this.volumes.remove(mount.volumeName!).catch(() => undefined);
      }
    }
  }
}

/** path.Clean for container paths: `/data/` and `/data` are one destination. */
function cleanPath(path: string): string {
  if (!path.startsWith("/")) throw new MoorError("invalid", `invalid mount path: '${path}' mount path must be absolute`);
  if (path === "/" || path.replace(/\/+$/, "") === "") throw new MoorError("invalid", "invalid specification: destination can't be '/'");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}
