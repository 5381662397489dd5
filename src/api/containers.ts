import { goQuote, MoorError } from "../errors.ts";
import type { MountRequest } from "../engine/mounts/parse.ts";
import { versionLessThan } from "../util/versions.ts";
import type { ExecService } from "../engine/containers/exec.ts";
import type { Container, ContainerMount, ContainerService, CreateContainerRequest, StopOptions, WaitCondition } from "../engine/containers/service.ts";
import { LogFollower, type LogEntry } from "../engine/runtime/conmon.ts";
import { attachContainer, frame, streamContentType } from "./attach.ts";
import { commandLine } from "../engine/containers/config.ts";
import { humanDuration } from "../util/units.ts";
import type { HealthMonitor, HealthState } from "../engine/containers/health.ts";
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
    ? { Type: "volume", Name: mount.volumeName, Source: mount.source, Destination: mount.destination, Driver: mount.driver, Mode: mount.mode, RW: mount.rw, Propagation: mount.propagation }
    : { Type: mount.type, Source: mount.source, Destination: mount.destination, Mode: mount.mode, RW: mount.rw, Propagation: mount.propagation };
}

const statusText: Record<string, string> = { created: "created", running: "running", paused: "paused", restarting: "restarting", removing: "removing", exited: "exited", dead: "dead" };

export function toContainerInspect(container: Container, runningExecIds: string[] = [], health?: HealthState): Record<string, unknown> {
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
      ...(health === undefined ? {} : { Health: health }),
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
    ExecIDs: runningExecIds.length > 0 ? runningExecIds : null,
    HostConfig: hostConfigWithDefaults(container.hostConfig),
    GraphDriver: { Data: { UpperDir: `${container.dir}/upper`, WorkDir: `${container.dir}/work`, MergedDir: `${container.dir}/rootfs` }, Name: "overlay" },
    Mounts: container.mounts.map(wireMount),
    Config: container.config,
    NetworkSettings: { Bridge: "", SandboxID: "", Ports: {}, SandboxKey: "", Networks: {} },
  };
}

/** dockerd's health suffix of a running container's Status: " (healthy)", " (health: starting)". */
function healthSuffix(health: HealthState | undefined): string {
  if (health === undefined) return "";
  return health.Status === "starting" ? " (health: starting)" : ` (${health.Status})`;
}

/** docker ps's "Up 2 minutes", "Up 5 seconds (Paused)", "Exited (0) 3 seconds ago", "Created". */
function statusLine(container: Container, health: HealthState | undefined): string {
  const { state } = container;
  if (state.status === "paused") return `Up ${since(state.startedAt)} (Paused)`;
  if (state.status === "created") return "Created";
  if (state.status === "exited") return `Exited (${state.exitCode}) ${since(state.finishedAt)} ago`;
  if (state.status === "running") return `Up ${since(state.startedAt)}${healthSuffix(health)}`;
  if (state.status === "restarting") return `Restarting (${state.exitCode}) ${since(state.finishedAt)} ago`;
  return state.status;
}

/** go-units HumanDuration since `time`, as dockerd's Status column says it. */
function since(time: string): string {
  return humanDuration(Math.max(0, Date.now() - Date.parse(time)));
}

/** dockerd's Command column: arguments with spaces in single quotes (moby daemon/list.go). */
function commandSummary(argv: string[]): string {
  return argv.map((arg, index) => (index > 0 && arg.includes(" ") ? `'${arg}'` : arg)).join(" ");
}

export function toContainerSummary(container: Container, health?: HealthState): Record<string, unknown> {
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
    Status: statusLine(container, health),
    HostConfig: { NetworkMode: container.hostConfig.NetworkMode || "default" },
    NetworkSettings: { Networks: {} },
    Mounts: container.mounts.map(wireMount),
  };
}

/**
 * The fields of a create's config that dockerd decodes into types a JSON body can miss, decoded
 * as it does: Cmd, Entrypoint and Shell are a list of strings or one string (a list of one);
 * Env is a list of strings, where null stands for "". Any other JSON is refused with Go's text.
 */
function decodeAsDockerd(config: Record<string, unknown>): void {
  const refuse = (value: unknown, field: string, type: string) =>
    new MoorError("invalid", `json: cannot unmarshal ${jsonKind(value)} into Go struct field ContainerConfigWrapper.${field} of type ${type}`);
  for (const field of ["Cmd", "Entrypoint", "Shell"]) {
    const value = config[field];
    if (typeof value === "string") config[field] = [value];
    // A list with anything but strings fails as a list, then as the one string it might have been.
    else if (value !== undefined && value !== null && !(Array.isArray(value) && value.every((item) => typeof item === "string"))) throw refuse(value, field, "string");
  }
  const env = config.Env;
  if (env === undefined || env === null) return;
  if (!Array.isArray(env)) throw refuse(env, "Env", "[]string");
  const bad = env.find((item) => item !== null && typeof item !== "string");
  if (bad !== undefined) throw refuse(bad, "Env", "string");
  config.Env = env.map((item) => item ?? "");
}

/** The kind of JSON value, as Go's decoder names it in its errors. */
function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (typeof value === "boolean") return "bool";
  return typeof value === "object" ? "object" : typeof value;
}

/**
 * The Mounts fields an API version knows, as dockerd's router enforces them: before 1.42
 * options of another mount type were ignored and CreateMountpoint did not exist; from 1.42 they
 * are refused; ReadOnlyForceRecursive needs 1.44, Subpath 1.45, image mounts 1.48.
 */
function adaptMountsToVersion(mounts: MountRequest[], apiVersion: string): void {
  for (const mount of mounts) {
    if (versionLessThan(apiVersion, "1.42")) {
      if (mount.BindOptions) mount.BindOptions.CreateMountpoint = false;
      if (mount.VolumeOptions && mount.Type !== "volume") mount.VolumeOptions = null;
      if (mount.TmpfsOptions && mount.Type !== "tmpfs") mount.TmpfsOptions = null;
    } else {
      for (const [field, type] of [["VolumeOptions", "volume"], ["BindOptions", "bind"], ["TmpfsOptions", "tmpfs"]] as const) {
        if (mount[field] && mount.Type !== type) throw new MoorError("invalid", `${field} must not be specified on mount type ${goQuote(mount.Type ?? "")}`);
      }
    }
    if (versionLessThan(apiVersion, "1.44") && mount.Type === "bind" && mount.BindOptions?.ReadOnlyForceRecursive) {
      throw new MoorError("invalid", "BindOptions.ReadOnlyForceRecursive needs API v1.44 or newer");
    }
    if (versionLessThan(apiVersion, "1.45") && mount.VolumeOptions?.Subpath) throw new MoorError("invalid", "VolumeOptions.Subpath needs API v1.45 or newer");
    if (versionLessThan(apiVersion, "1.48") && mount.Type === "image") throw new MoorError("invalid", 'Mount type "Image" needs API v1.48 or newer');
  }
}

export function addContainerRoutes(router: Router, containers: ContainerService, execs: ExecService, health: HealthMonitor): void {
  router.add("POST", "/containers/create", async ({ req, res, query, apiVersion }) => {
    const body = (await readJsonBody(req)) as Record<string, unknown> | null;
    if (body === null || typeof body !== "object") throw new MoorError("invalid", "config cannot be empty in order to create a container");
    const { HostConfig, NetworkingConfig: _networking, ...config } = body as { HostConfig?: CreateContainerRequest["hostConfig"]; NetworkingConfig?: unknown };
    // dockerd decodes the config only from its own fields: without any there is none.
    if (Object.keys(config).length === 0) throw new MoorError("invalid", "config cannot be empty in order to create a container");
    decodeAsDockerd(config);
    const hostConfig = HostConfig ?? {};
    // A null in the list decodes as an empty mount, which the mount's checks then refuse.
    if (Array.isArray(hostConfig.Mounts)) hostConfig.Mounts = hostConfig.Mounts.map((mount) => mount ?? {});
    adaptMountsToVersion(hostConfig.Mounts ?? [], apiVersion);
    const created = await containers.create({
      name: query.get("name") ?? undefined,
      config,
      hostConfig,
      // Before API 1.44 every read-only bind was read-only on its top mount only.
      readOnlyNonRecursive: versionLessThan(apiVersion, "1.44"),
    });
    sendJson(res, 201, { Id: created.id, Warnings: created.warnings });
  });

  router.add("GET", "/containers/json", ({ res, query }) => {
    const list = containers.list({
      all: queryBool(query, "all"),
      limit: Number.parseInt(query.get("limit") ?? "-1", 10) || -1,
      filters: parseFilters(query.get("filters")),
      health: (id) => health.state(id)?.Status ?? "none",
    });
    sendJson(res, 200, list.map((container) => toContainerSummary(container, health.state(container.id))));
  });

  router.add("GET", "/containers/:id/json", ({ res, params }) => {
    const container = containers.inspect(params.id);
    sendJson(res, 200, toContainerInspect(container, execs.runningIds(container.id), health.state(container.id)));
  });

  router.add("GET", "/containers/:id/changes", async ({ res, params }) => {
    const changes = await containers.changes(params.id);
    // dockerd answers null, not [], when nothing changed.
    // A name that is not UTF-8 reads as dockerd's JSON gives it: each byte it cannot encode as U+FFFD.
    sendJson(res, 200, changes.length > 0 ? changes.map((change) => ({ Path: change.path.replace(/\p{Cs}/gu, "\ufffd"), Kind: change.kind })) : null);
  });

  router.add("POST", "/containers/:id/rename", ({ res, params, query }) => {
    containers.rename(params.id, query.get("name") ?? "");
    sendNoContent(res);
  });

  router.add("POST", "/containers/prune", async ({ res, query }) => {
    const removed = await containers.prune(parseFilters(query.get("filters")));
    sendJson(res, 200, { ContainersDeleted: removed.length > 0 ? removed : null, SpaceReclaimed: 0 });
  });

  router.add("POST", "/containers/:id/start", async ({ res, params }) => {
    try {
      await containers.start(params.id);
    } catch (err) {
      if (err instanceof MoorError && err.kind === "not_modified") {
        res.writeHead(304);
        res.end();
        return;
      }
      throw err;
    }
    sendNoContent(res);
  });

  router.add("POST", "/containers/:id/stop", async ({ res, params, query }) => {
    const stopped = await containers.stop(params.id, stopOptions(query));
    if (!stopped) {
      res.writeHead(304);
      res.end();
      return;
    }
    sendNoContent(res);
  });

  router.add("POST", "/containers/:id/restart", async ({ res, params, query }) => {
    await containers.restart(params.id, stopOptions(query));
    sendNoContent(res);
  });

  router.add("POST", "/containers/:id/kill", async ({ res, params, query }) => {
    await containers.kill(params.id, query.get("signal") || "KILL");
    sendNoContent(res);
  });

  router.add("POST", "/containers/:id/pause", async ({ res, params }) => {
    await containers.pause(params.id);
    sendNoContent(res);
  });

  router.add("POST", "/containers/:id/unpause", async ({ res, params }) => {
    await containers.unpause(params.id);
    sendNoContent(res);
  });

  router.add("POST", "/containers/:id/wait", async ({ res, params, query }) => {
    const condition = (query.get("condition") || "not-running") as WaitCondition;
    if (!["not-running", "next-exit", "removed"].includes(condition)) throw new MoorError("invalid", `invalid condition: "${condition}"`);
    const waiting = containers.wait(params.id, condition);
    // Headers go out at once: clients wait on the body, which comes at the exit.
    res.writeHead(200, { "Content-Type": "application/json" });
    res.flushHeaders();
    const code = await waiting;
    res.end(`${JSON.stringify({ Error: null, StatusCode: code })}\n`);
  });

  // Without an Upgrade header (the upgraded form is in attach.ts): dockerode's default attach.
  router.add("POST", "/containers/:id/attach", async ({ req, params, query }) => {
    req.resume(); // the body repeats the query's options
    await attachContainer(containers, params.id, query, req.socket, { upgraded: false });
  });

  router.add("GET", "/containers/:id/logs", async ({ res, params, query, apiVersion }) => {
    const container = containers.inspect(params.id);
    const stdout = queryBool(query, "stdout");
    const stderr = queryBool(query, "stderr");
    if (!stdout && !stderr) throw new MoorError("invalid", "you must choose at least one stream");
    const tty = Boolean(container.config.Tty);
    const timestamps = queryBool(query, "timestamps");
    const tail = query.get("tail");
    const since = Number(query.get("since") ?? "0") || 0;
    res.writeHead(200, { "Content-Type": streamContentType(tty, apiVersion) });
    // Listened for before anything is read: a client may hang up at any point.
    let clientLeft = false;
    res.on("close", () => (clientLeft = true));
    const log = new LogFollower(`${container.dir}/container.log`);
    const joined = partialJoiner();
    const emit = async (first: boolean) => {
      let selected = joined(await log.next().catch(() => [])).filter((line) => (line.stream === "stdout" ? stdout : stderr) && Number(line.unixNano / 1_000_000_000n) >= since);
      if (first && tail !== null && tail !== "all") selected = selected.slice(-Math.max(0, Number.parseInt(tail, 10) || 0));
      for (const line of selected) {
        const text = Buffer.from(`${timestamps ? `${new Date(Number(line.unixNano / 1_000_000n)).toISOString()} ` : ""}${line.text}\n`);
        res.write(tty ? text : frame(line.stream, text));
      }
    };
    await emit(true);
    if (queryBool(query, "follow") && container.state.status === "running") {
      let exited = false;
      void containers.wait(container.id, "next-exit").then(() => (exited = true));
      while (!exited && !clientLeft) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        await emit(false);
      }
      if (!clientLeft) await emit(false);
    }
    res.end();
  });

  router.add("DELETE", "/containers/:id", async ({ res, params, query }) => {
    await containers.remove(params.id, { force: queryBool(query, "force"), volumes: queryBool(query, "v") });
    sendNoContent(res);
  });
}

/** stop and restart: `t` seconds before SIGKILL (`timeout` is its older name) and an optional `signal`. */
function stopOptions(query: URLSearchParams): StopOptions {
  const timeout = query.get("t") ?? query.get("timeout");
  return { timeoutSeconds: timeout === null ? undefined : Number.parseInt(timeout, 10), signal: query.get("signal") || undefined };
}

/**
 * conmon splits long lines into partial entries; logs shows them whole. The joiner takes the
 * entries as they are read and gives the lines they complete, keeping a line still open for later.
 */
function partialJoiner(): (entries: LogEntry[]) => LogEntry[] {
  const open = new Map<string, LogEntry>();
  return (entries) => {
    const lines: LogEntry[] = [];
    for (const entry of entries) {
      const pending = open.get(entry.stream);
      const joined = pending === undefined ? entry : { ...entry, time: pending.time, unixNano: pending.unixNano, text: pending.text + entry.text };
      if (entry.partial) open.set(entry.stream, joined);
      else {
        open.delete(entry.stream);
        lines.push(joined);
      }
    }
    return lines;
  };
}
