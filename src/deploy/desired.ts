import type { Project, Service } from "./compose/model.ts";
import { composeServiceLabels } from "./compose/labels.ts";
import type { DesiredService } from "./plan.ts";

/** `POST /containers/create` for one service: its name and body, as docker compose creates it. */
export interface CreateRequest {
  name: string;
  body: { Image: string; Labels: Record<string, string>; HostConfig: Record<string, unknown>; [key: string]: unknown };
}

/** Compose v2's container name: `<project>-<service>-<number>`. */
export function containerName(project: Pick<Project, "name">, service: Pick<Service, "name">, number = 1): string {
  return `${project.name}-${service.name}-${number}`;
}

/**
 * The create request for a service's container, its image pinned by ID. Keys compose leaves
 * unset stay unset, so the image's own values (command, user, healthcheck...) apply.
 */
export function createRequest(project: Project, service: Service, imageId: string): CreateRequest {
  const config: Record<string, unknown> = {
    Env: Object.entries(service.environment).map(([key, value]) => (value === null ? key : `${key}=${value}`)),
  };
  if (service.command !== null) config.Cmd = service.command;
  if (service.entrypoint !== null) config.Entrypoint = service.entrypoint;
  if (service.user !== null) config.User = service.user;
  if (service.workingDir !== null) config.WorkingDir = service.workingDir;
  if (service.hostname !== null) config.Hostname = service.hostname;
  if (service.stopSignal !== null) config.StopSignal = service.stopSignal;
  if (service.stopGracePeriod !== null) config.StopTimeout = Math.floor(service.stopGracePeriod / 1e9);
  const healthcheck = healthcheckOf(service);
  if (healthcheck !== undefined) config.Healthcheck = healthcheck;
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const port of service.ports) {
    const key = `${port.target}/${port.protocol}`;
    exposed[key] = {};
    if (port.published !== null) (bindings[key] ??= []).push({ HostIp: port.hostIp ?? "", HostPort: port.published });
  }
  if (Object.keys(exposed).length > 0) config.ExposedPorts = exposed;

  const host: Record<string, unknown> = {
    Binds: [] as string[],
    Mounts: [] as Array<Record<string, unknown>>,
    ReadonlyRootfs: service.readOnly,
    RestartPolicy: restartPolicy(service.restart),
  };
  for (const volume of service.volumes) {
    const mounts = host.Mounts as Array<Record<string, unknown>>;
    if (volume.type === "volume") {
      const source = volume.source === null ? "" : (project.volumes[volume.source]?.name ?? volume.source);
      mounts.push({
        Type: "volume",
        Source: source,
        Target: volume.target,
        ReadOnly: volume.readOnly,
        ...(volume.nocopy || volume.subpath !== null ? { VolumeOptions: { NoCopy: volume.nocopy, ...(volume.subpath === null ? {} : { Subpath: volume.subpath }) } } : {}),
      });
    } else if (volume.type === "bind" && volume.createHostPath && volume.propagation === null) {
      // Binds create a missing host directory, as compose's short syntax does; Mounts refuse one.
      (host.Binds as string[]).push(`${volume.source}:${volume.target}${volume.readOnly ? ":ro" : ""}`);
    } else if (volume.type === "bind") {
      mounts.push({ Type: "bind", Source: volume.source, Target: volume.target, ReadOnly: volume.readOnly, ...(volume.propagation === null ? {} : { BindOptions: { Propagation: volume.propagation } }) });
    } else {
      const options = { ...(volume.size === null ? {} : { SizeBytes: volume.size }), ...(volume.mode === null ? {} : { Mode: volume.mode }) };
      mounts.push({ Type: "tmpfs", Target: volume.target, ReadOnly: volume.readOnly, ...(Object.keys(options).length > 0 ? { TmpfsOptions: options } : {}) });
    }
  }
  if (service.tmpfs.length > 0) host.Tmpfs = Object.fromEntries(service.tmpfs.map((entry) => splitTmpfs(entry)));
  if (service.volumesFrom.length > 0) host.VolumesFrom = service.volumesFrom.map((entry) => volumesFromEntry(project, entry));
  if (service.networkMode !== null) {
    const shared = sharedService(service.networkMode);
    host.NetworkMode = shared === undefined ? service.networkMode : `container:${containerName(project, { name: shared })}`;
  }
  if (Object.keys(bindings).length > 0) host.PortBindings = bindings;
  return { name: containerName(project, service), body: { ...config, Image: imageId, Labels: composeServiceLabels(project, service), HostConfig: host } };
}

/** What the plan compares: compose's config hash, the pinned image, the dependencies. */
export function desiredService(service: Service, imageId: string): DesiredService {
  return { name: service.name, configHash: service.configHash, imageId, dependsOn: serviceDependencies(service) };
}

/**
 * The services that must run first: depends_on, and as compose-go adds them implicitly, the
 * service whose network it shares and those it takes volumes from.
 */
export function serviceDependencies(service: Service): string[] {
  const implicit = [
    ...(service.networkMode === null ? [] : [sharedService(service.networkMode)]),
    ...service.volumesFrom.map((entry) => (entry.startsWith("container:") ? undefined : entry.split(":")[0])),
  ].filter((name): name is string => name !== undefined);
  return [...new Set([...Object.keys(service.dependsOn), ...implicit])];
}

/** `network_mode: service:db` names a service; undefined for other modes. */
function sharedService(networkMode: string): string | undefined {
  return networkMode.startsWith("service:") ? networkMode.slice("service:".length) : undefined;
}

/** compose's volumes_from entry as the engine's: a service becomes its container's name, `container:x` becomes `x`. */
function volumesFromEntry(project: Project, entry: string): string {
  if (entry.startsWith("container:")) return entry.slice("container:".length);
  const [name, mode] = entry.split(":");
  return `${containerName(project, { name })}${mode === undefined ? "" : `:${mode}`}`;
}

function healthcheckOf(service: Service): Record<string, unknown> | undefined {
  const check = service.healthcheck;
  if (check === null) return undefined;
  if (check.disable) return { Test: ["NONE"] };
  const health: Record<string, unknown> = {};
  if (check.test !== null) health.Test = check.test;
  for (const [field, value] of [["Interval", check.interval], ["Timeout", check.timeout], ["StartPeriod", check.startPeriod], ["StartInterval", check.startInterval], ["Retries", check.retries]] as const) {
    if (value !== null) health[field] = value;
  }
  return health;
}

/** compose's restart values as the engine's RestartPolicy: `on-failure:3` gives a maximum retry count. */
function restartPolicy(restart: string | null): { Name: string; MaximumRetryCount?: number } {
  if (restart === null) return { Name: "no" };
  const [name, count] = restart.split(":");
  return count === undefined ? { Name: name } : { Name: name, MaximumRetryCount: Number(count) };
}

/** `tmpfs: /run:size=64m` as HostConfig.Tmpfs takes it: the path, then its options. */
function splitTmpfs(entry: string): [string, string] {
  const colon = entry.indexOf(":");
  return colon === -1 ? [entry, ""] : [entry.slice(0, colon), entry.slice(colon + 1)];
}
