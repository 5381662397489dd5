import { readFileSync, statSync } from "node:fs";
import { CommandError, UsageError, type CommandContext, type CommandSpec, type FlagSpec, type FlagValues } from "../command.ts";
import { EngineClient } from "../../client/client.ts";
import { MoorError } from "../../errors.ts";
import { withClient } from "../program.ts";
import { keyValueMap } from "./filters.ts";
import { ramInBytes } from "../../util/units.ts";
import { compareGoStrings } from "../../util/go-strings.ts";
import { mountFlagProblem, storageRequest, type StorageRequest } from "./mount-options.ts";
import { healthcheckOf, OptionError, parsePublish } from "./run-options.ts";
import { connectStreams } from "./streams.ts";

/** The flags `create` and `run` share, as docker's (a subset: what moor runs). */
export const containerFlags: FlagSpec[] = [
  { long: "cap-add", type: "list", usage: "Add Linux capabilities" },
  { long: "cap-drop", type: "list", usage: "Drop Linux capabilities" },
  { long: "cpus", type: "string", valueName: "decimal", usage: "Number of CPUs" },
  { long: "entrypoint", type: "string", usage: "Overwrite the default ENTRYPOINT of the image" },
  { long: "env", short: "e", type: "list", usage: "Set environment variables" },
  { long: "env-file", type: "list", usage: "Read in a file of environment variables" },
  { long: "health-cmd", type: "string", usage: "Command to run to check health" },
  { long: "health-interval", type: "string", valueName: "duration", usage: "Time between running the check (ms|s|m|h) (default 0s)" },
  { long: "health-retries", type: "string", valueName: "int", usage: "Consecutive failures needed to report unhealthy" },
  { long: "health-start-interval", type: "string", valueName: "duration", usage: "Time between running the check during the start period (ms|s|m|h)\n(default 0s)" },
  { long: "health-start-period", type: "string", valueName: "duration", usage: "Start period for the container to initialize before starting\nhealth-retries countdown (ms|s|m|h) (default 0s)" },
  { long: "health-timeout", type: "string", valueName: "duration", usage: "Maximum time to allow one check to run (ms|s|m|h) (default 0s)" },
  { long: "hostname", short: "h", type: "string", usage: "Container host name" },
  { long: "interactive", short: "i", type: "bool", usage: "Keep STDIN open even if not attached" },
  { long: "label", short: "l", type: "list", usage: "Set meta data on a container" },
  { long: "memory", short: "m", type: "string", valueName: "bytes", usage: "Memory limit" },
  { long: "mount", type: "list", valueName: "mount", usage: "Attach a filesystem mount to the container", check: mountFlagProblem },
  { long: "name", type: "string", usage: "Assign a name to the container" },
  { long: "network", type: "string", valueName: "network", usage: 'Connect a container to a network ("host" or "none")' },
  { long: "no-healthcheck", type: "bool", usage: "Disable any container-specified HEALTHCHECK" },
  { long: "privileged", type: "bool", usage: "Give extended privileges to this container" },
  // Published ports are discarded for now: the default network is the host's until bridge networking.
  { long: "publish", short: "p", type: "list", usage: "Publish a container's port(s) to the host" },
  { long: "publish-all", short: "P", type: "bool", usage: "Publish all exposed ports to random ports" },
  { long: "read-only", type: "bool", usage: "Mount the container's root filesystem as read only" },
  { long: "restart", type: "string", usage: "Restart policy to apply when a container exits", defaultValue: '"no"' },
  { long: "rm", type: "bool", usage: "Automatically remove the container and its associated anonymous volumes\nwhen it exits" },
  { long: "security-opt", type: "list", usage: "Security Options" },
  { long: "stop-signal", type: "string", usage: "Signal to stop the container" },
  { long: "stop-timeout", type: "string", valueName: "int", usage: "Timeout (in seconds) to stop a container" },
  { long: "tmpfs", type: "list", usage: "Mount a tmpfs directory" },
  { long: "tty", short: "t", type: "bool", usage: "Allocate a pseudo-TTY" },
  { long: "user", short: "u", type: "string", usage: "Username or UID (format: <name|uid>[:<group|gid>])" },
  { long: "volume", short: "v", type: "list", usage: "Bind mount a volume" },
  { long: "volume-driver", type: "string", usage: "Optional volume driver for the container" },
  { long: "volumes-from", type: "list", usage: "Mount volumes from the specified container(s)" },
  { long: "workdir", short: "w", type: "string", usage: "Working directory inside the container" },
];

function memoryBytes(text: string): number {
  try {
    return ramInBytes(text);
  } catch (err) {
    throw new UsageError(`invalid argument "${text}" for "-m, --memory" flag: ${(err as Error).message}`, 125);
  }
}

/** `-e KEY=VALUE`, or `-e KEY` taking KEY from this environment (dropped when unset). */
export function environment(ctx: CommandContext, flags: FlagValues): string[] | null {
  const entries: string[] = [];
  for (const file of (flags["env-file"] as string[] | undefined) ?? []) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      throw new CommandError(`open ${file}: no such file or directory`, 125);
    }
    for (const line of text.split("\n")) {
      const trimmed = line.trim();
      if (trimmed !== "" && !trimmed.startsWith("#")) entries.push(trimmed);
    }
  }
  entries.push(...((flags.env as string[] | undefined) ?? []));
  const resolved = entries.flatMap((entry) => {
    if (entry.includes("=")) return [entry];
    const value = ctx.env[entry];
    return value === undefined ? [] : [`${entry}=${value}`];
  });
  return resolved.length > 0 ? resolved : null;
}

/**
 * Go's os.Getwd, which docker's filepath.Abs uses for relative sources: $PWD when it names the
 * current directory (so a path through a symlink stays as the user sees it), else the real path.
 */
function goWorkingDirectory(env: NodeJS.ProcessEnv): string {
  const pwd = env.PWD;
  if (pwd?.startsWith("/")) {
    try {
      const [dot, named] = [statSync("."), statSync(pwd)];
      if (dot.dev === named.dev && dot.ino === named.ino) return pwd;
    } catch {
      // An unreadable $PWD is not the working directory.
    }
  }
  return process.cwd();
}

/**
 * The body `docker create` sends for these flags and arguments (docker/cli
 * cli/command/container/opts.go parse), so moor and docker create identical containers.
 */
export function createRequest(
  ctx: CommandContext,
  args: string[],
  flags: FlagValues,
  { detach = false, commandName = "create" } = {},
): { name?: string; body: Record<string, unknown> } {
  const [image, ...command] = args;
  let storage: StorageRequest;
  let publish: ReturnType<typeof parsePublish>;
  let healthcheck: ReturnType<typeof healthcheckOf>;
  try {
    // First, as docker fails on --mount while reading flags and on -v first in parse().
    storage = storageRequest(
      {
        volume: flags.volume as string[] | undefined,
        mount: flags.mount as string[] | undefined,
        tmpfs: flags.tmpfs as string[] | undefined,
        volumesFrom: flags["volumes-from"] as string[] | undefined,
        readOnly: Boolean(flags["read-only"]),
      },
      goWorkingDirectory(ctx.env),
    );
    publish = parsePublish((flags.publish as string[] | undefined) ?? []);
    healthcheck = healthcheckOf(flags);
  } catch (err) {
    if (err instanceof OptionError) throw new CommandError(`moor: ${err.message}\n\nRun 'moor ${commandName} --help' for more information`, 125);
    throw err;
  }
  const restart = (flags.restart as string | undefined) ?? "no";
  if (flags.rm && restart !== "no" && restart !== "") {
    throw new CommandError(`moor: conflicting options: cannot specify both --restart and --rm\n\nRun 'moor ${commandName} --help' for more information`, 125);
  }
  const [policyName, retries] = restart.split(":");
  const interactive = Boolean(flags.interactive);
  const entrypoint = flags.entrypoint as string | undefined;
  const config: Record<string, unknown> = {
    Hostname: (flags.hostname as string | undefined) ?? "",
    Domainname: "",
    User: (flags.user as string | undefined) ?? "",
    AttachStdin: !detach && interactive,
    AttachStdout: !detach,
    AttachStderr: !detach,
    ...(Object.keys(publish.exposedPorts).length > 0 ? { ExposedPorts: publish.exposedPorts } : {}),
    Tty: Boolean(flags.tty),
    OpenStdin: interactive,
    StdinOnce: !detach && interactive,
    Env: environment(ctx, flags),
    Cmd: command.length > 0 ? command : null,
    ...(healthcheck === undefined ? {} : { Healthcheck: healthcheck }),
    Image: image,
    Volumes: storage.volumes,
    WorkingDir: (flags.workdir as string | undefined) ?? "",
    Entrypoint: entrypoint === undefined ? null : [entrypoint],
    OnBuild: null,
    Labels: keyValueMap(flags.label as string[] | undefined),
  };
  if (flags["stop-signal"] !== undefined) config.StopSignal = flags["stop-signal"];
  if (flags["stop-timeout"] !== undefined) config.StopTimeout = Number.parseInt(flags["stop-timeout"] as string, 10);
  const hostConfig: Record<string, unknown> = {
    Binds: storage.binds,
    VolumeDriver: (flags["volume-driver"] as string | undefined) ?? "",
    LogConfig: { Type: "", Config: {} },
    NetworkMode: (flags.network as string | undefined) ?? "default",
    PortBindings: publish.portBindings,
    RestartPolicy: { Name: policyName || "no", MaximumRetryCount: retries === undefined ? 0 : Number.parseInt(retries, 10) },
    AutoRemove: Boolean(flags.rm),
    ReadonlyRootfs: storage.readonlyRootfs,
    Privileged: Boolean(flags.privileged),
    PublishAllPorts: Boolean(flags["publish-all"]),
    ConsoleSize: [0, 0],
    MemorySwappiness: -1,
  };
  if (storage.tmpfs) hostConfig.Tmpfs = storage.tmpfs;
  if (storage.mounts) hostConfig.Mounts = storage.mounts;
  hostConfig.VolumesFrom = storage.volumesFrom;
  if (flags["cap-add"]) hostConfig.CapAdd = flags["cap-add"];
  if (flags["cap-drop"]) hostConfig.CapDrop = flags["cap-drop"];
  if (flags["security-opt"]) hostConfig.SecurityOpt = flags["security-opt"];
  if (flags.memory !== undefined) hostConfig.Memory = memoryBytes(flags.memory as string);
  if (flags.cpus !== undefined) hostConfig.NanoCpus = Math.round(Number(flags.cpus) * 1e9);
  return { name: flags.name as string | undefined, body: { ...config, HostConfig: hostConfig, NetworkingConfig: { EndpointsConfig: {} } } };
}

const create: CommandSpec = {
  path: ["create"],
  aliases: [["container", "create"]],
  usage: "[OPTIONS] IMAGE [COMMAND] [ARG...]",
  description: "Create a new container",
  examples: `moor create --name db -v pgdata:/var/lib/postgresql/data postgres
moor create --name tool --read-only --tmpfs /tmp busybox sh -c 'date > /tmp/now'`,
  args: { min: 1 },
  interspersed: false,
  flags: containerFlags,
  async run(ctx, args, flags) {
    const request = createRequest(ctx, args, flags);
    const created = await withClient(ctx, (client) => client.containerCreate(request.body, request.name));
    for (const warning of created.Warnings ?? []) ctx.stderr.write(`WARNING: ${warning}\n`);
    ctx.stdout.write(`${created.Id}\n`);
    return 0;
  },
};

/** docker run's exit code for a container that could not start (docker/cli runContainer). */
function startFailureCode(message: string): number {
  if (/executable file not found|no such file or directory|not found/.test(message)) return 127;
  if (/permission denied/.test(message)) return 126;
  return 125;
}

const run: CommandSpec = {
  path: ["run"],
  aliases: [["container", "run"]],
  usage: "[OPTIONS] IMAGE [COMMAND] [ARG...]",
  description: "Create and run a new container from an image",
  examples: `moor run --rm busybox echo hi
moor run -d --name web -v site:/srv busybox httpd -f -p 8080 -h /srv
moor run --rm -it -v pgdata:/data busybox sh`,
  args: { min: 1 },
  interspersed: false,
  flags: [...containerFlags, { long: "detach", short: "d", type: "bool" as const, usage: "Run container in background and print container ID" }].sort((a, b) =>
    compareGoStrings(a.long, b.long),
  ),
  async run(ctx, args, flags) {
    const detach = Boolean(flags.detach);
    const request = createRequest(ctx, args, flags, { detach, commandName: "run" });
    return withClient(ctx, async (client) => {
      const runError = (err: unknown, code: number) => {
        if (!(err instanceof MoorError)) throw err;
        ctx.stderr.write(`moor: Error response from daemon: ${err.message}\n\nRun 'moor run --help' for more information\n`);
        return code;
      };
      let id: string;
      try {
        const created = await client.containerCreate(request.body, request.name);
        for (const warning of created.Warnings ?? []) ctx.stderr.write(`WARNING: ${warning}\n`);
        id = created.Id;
      } catch (err) {
        return runError(err, 125);
      }
      if (detach) {
        try {
          await client.containerStart(id);
        } catch (err) {
          return runError(err, startFailureCode((err as Error).message));
        }
        ctx.stdout.write(`${id}\n`);
        return 0;
      }
      const tty = Boolean(flags.tty);
      const interactive = Boolean(flags.interactive);
      const socket = await client.containerAttach(id, { stdin: interactive });
      const output = connectStreams(ctx, socket, { tty, interactive });
      // The wait needs a connection of its own: it answers only at the exit.
      const waiter = new EngineClient(client.host);
      try {
        const exited = waiter.containerWait(id, flags.rm ? "removed" : "next-exit");
        try {
          await client.containerStart(id);
        } catch (err) {
          socket.destroy();
          return runError(err, startFailureCode((err as Error).message));
        }
        const { StatusCode } = await exited;
        await output;
        return StatusCode;
      } finally {
        waiter.close();
      }
    });
  },
};

export const runCommands: CommandSpec[] = [create, run];
