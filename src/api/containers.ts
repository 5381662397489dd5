import { MoorError } from "../errors.ts";
import type { Container, ContainerMount, ContainerService, CreateContainerRequest } from "../engine/containers/service.ts";
import { commandLine } from "../engine/containers/config.ts";
import { parseFilters } from "./filters.ts";
import { queryBool, readJsonBody, sendJson, sendNoContent } from "./http.ts";
import type { Router } from "./router.ts";

/** HostConfig as dockerd reports it: what was sent, over dockerd's defaults. */
function hostConfigWithDefaults(sent: Container["hostConfig"]): Record<string, unknown> {
  return {
    Binds: null,
    ContainerIDFile: "",
    LogConfig: { Type: "k8s-file", Config: {} },
    NetworkMode: "default",
    PortBindings: {},
    RestartPolicy: { Name: "no", MaximumRetryCount: 0 },
    AutoRemove: false,
    VolumeDriver: "",
    VolumesFrom: null,
    CapAdd: null,
    CapDrop: null,
    CgroupnsMode: "private",
    Dns: [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: null,
    GroupAdd: null,
    IpcMode: "private",
    Cgroup: "",
    Links: null,
    OomScoreAdj: 0,
    PidMode: "",
    Privileged: false,
    PublishAllPorts: false,
    ReadonlyRootfs: false,
    SecurityOpt: null,
    UTSMode: "",
    UsernsMode: "",
    ShmSize: 67108864,
    Runtime: "runc",
    Isolation: "",
    CpuShares: 0,
    Memory: 0,
    NanoCpus: 0,
    CgroupParent: "",
    PidsLimit: null,
    ...sent,
    ...(sent.RestartPolicy ? { RestartPolicy: { Name: sent.RestartPolicy.Name || "no", MaximumRetryCount: sent.RestartPolicy.MaximumRetryCount ?? 0 } } : {}),
  };
}

function wireMount(mount: ContainerMount): Record<string, unknown> {
  return mount.type === "volume"
    ? { Type: "volume", Name: mount.volumeName, Source: mount.source, Destination: mount.destination, Driver: "local", Mode: mount.mode, RW: mount.rw, Propagation: mount.propagation }
    : { Type: mount.type, Source: mount.source, Destination: mount.destination, Mode: mount.mode, RW: mount.rw, Propagation: mount.propagation };
}

const statusText: Record<string, string> = { created: "created", running: "running", paused: "paused", restarting: "restarting", removing: "removing", exited: "exited", dead: "dead" };

export function toContainerInspect(container: Container): Record<string, unknown> {
  const argv = commandLine(container.config);
  const { state } = container;
  return {
    Id: container.id,
    Created: container.created,
    Path: argv[0] ?? "",
    Args: argv.slice(1),
    State: {
      Status: statusText[state.status],
      Running: state.status === "running" || state.status === "paused",
      Paused: state.status === "paused",
      Restarting: state.status === "restarting",
      OOMKilled: false,
      Dead: state.status === "dead",
      Pid: state.pid,
      ExitCode: state.exitCode,
      Error: state.error,
      StartedAt: state.startedAt,
      FinishedAt: state.finishedAt,
    },
    Image: container.imageId,
    ResolvConfPath: `${container.dir}/resolv.conf`,
    HostnamePath: `${container.dir}/hostname`,
    HostsPath: `${container.dir}/hosts`,
    LogPath: `${container.dir}/container.log`,
    Name: container.name,
    RestartCount: state.restartCount,
    Driver: "overlay",
    Platform: "linux",
    MountLabel: "",
    ProcessLabel: "",
    AppArmorProfile: "",
    ExecIDs: null,
    HostConfig: hostConfigWithDefaults(container.hostConfig),
    GraphDriver: { Data: { UpperDir: `${container.dir}/upper`, WorkDir: `${container.dir}/work`, MergedDir: `${container.dir}/rootfs` }, Name: "overlay" },
    Mounts: container.mounts.filter((m) => m.type !== "tmpfs" || m.spec !== "{}").map(wireMount),
    Config: container.config,
    NetworkSettings: { Bridge: "", SandboxID: "", Ports: {}, SandboxKey: "", Networks: {} },
  };
}

/** docker ps's "Up 2 minutes", "Exited (0) 3 seconds ago", "Created". */
function statusLine(container: Container): string {
  const { state } = container;
  if (state.status === "created") return "Created";
  if (state.status === "exited") return `Exited (${state.exitCode}) ${ago(state.finishedAt)}`;
  if (state.status === "running") return `Up ${ago(state.startedAt).replace(/ ago$/, "")}`;
  return state.status;
}

function ago(time: string): string {
  const seconds = Math.max(0, (Date.now() - Date.parse(time)) / 1000);
  if (seconds < 1) return "Less than a second ago";
  if (seconds < 60) return `${Math.floor(seconds)} seconds ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} minutes ago`;
  return `${Math.floor(seconds / 3600)} hours ago`;
}

/** dockerd's Command column: arguments with spaces in single quotes (moby daemon/list.go). */
function commandSummary(argv: string[]): string {
  return argv.map((arg, index) => (index > 0 && arg.includes(" ") ? `'${arg}'` : arg)).join(" ");
}

export function toContainerSummary(container: Container): Record<string, unknown> {
  const argv = commandLine(container.config);
  return {
    Id: container.id,
    Names: [container.name],
    Image: container.config.Image,
    ImageID: container.imageId,
    Command: commandSummary(argv),
    Created: Math.floor(Date.parse(container.created) / 1000),
    Ports: [],
    Labels: container.config.Labels ?? {},
    State: statusText[container.state.status],
    Status: statusLine(container),
    HostConfig: { NetworkMode: container.hostConfig.NetworkMode || "default" },
    NetworkSettings: { Networks: {} },
    Mounts: container.mounts.map(wireMount),
  };
}

export function addContainerRoutes(router: Router, containers: ContainerService): void {
  router.add("POST", "/containers/create", async ({ req, res, query }) => {
    const body = (await readJsonBody(req)) as Record<string, unknown> | null;
    if (body === null || typeof body !== "object") throw new MoorError("invalid", "config cannot be empty in order to create a container");
    const { HostConfig, NetworkingConfig: _networking, ...config } = body as { HostConfig?: CreateContainerRequest["hostConfig"]; NetworkingConfig?: unknown };
    const created = await containers.create({ name: query.get("name") ?? undefined, config, hostConfig: HostConfig ?? {} });
    sendJson(res, 201, { Id: created.id, Warnings: created.warnings });
  });

  router.add("GET", "/containers/json", ({ res, query }) => {
    const list = containers.list({
      all: queryBool(query, "all"),
      limit: Number.parseInt(query.get("limit") ?? "-1", 10) || -1,
      filters: parseFilters(query.get("filters")),
    });
    sendJson(res, 200, list.map(toContainerSummary));
  });

  router.add("GET", "/containers/:id/json", ({ res, params }) => {
    sendJson(res, 200, toContainerInspect(containers.inspect(params.id)));
  });

  router.add("DELETE", "/containers/:id", async ({ res, params, query }) => {
    await containers.remove(params.id, { force: queryBool(query, "force"), volumes: queryBool(query, "v") });
    sendNoContent(res);
  });
}
