import { goType } from "../../util/go-template.ts";
import { humanDuration, humanSize } from "../../util/units.ts";
import { confirm } from "../prompt.ts";
import { CommandError, type CommandContext, type CommandSpec } from "../command.ts";
import { EngineClient } from "../../client/client.ts";
import { formatList, formatObjects, objectFormatUsage, tableFormatUsage } from "../format.ts";
import { daemonErrorLine, forEachName, withClient } from "../program.ts";
import { MoorError } from "../../errors.ts";
import { filterMap } from "./filters.ts";
import { writeArchiveFile, writeNewFile, writeToStdout } from "../archive-output.ts";
import { connectStreams } from "./streams.ts";
import { Demultiplexer } from "../../util/multiplexed-stream.ts";

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID?: string;
  /** Bytes written to its own layer; only where asked for (system df). */
  SizeRw?: number;
  Command: string;
  Created: number;
  State: string;
  Status: string;
  Labels: Record<string, string> | null;
  Mounts: Array<{ Name?: string; Source: string }>;
}

export const containerHeaders = {
  ID: "CONTAINER ID",
  Image: "IMAGE",
  Command: "COMMAND",
  CreatedAt: "CREATED AT",
  RunningFor: "CREATED",
  Ports: "PORTS",
  State: "STATE",
  Status: "STATUS",
  Size: "SIZE",
  Names: "NAMES",
  Labels: "LABELS",
  Mounts: "MOUNTS",
  Networks: "NETWORKS",
  LocalVolumes: "LOCAL VOLUMES",
  Label: (name: string) => name,
};

/** docker/cli's container formatter: short ids, quoted commands cut at 20 characters. */
export function containerRow(container: ContainerSummary, noTrunc: boolean) {
  const labels = container.Labels ?? {};
  const command = noTrunc || [...container.Command].length <= 20 ? container.Command : `${[...container.Command].slice(0, 19).join("")}…`;
  return {
    [goType]: "*formatter.ContainerContext",
    ID: noTrunc ? container.Id : container.Id.slice(0, 12),
    // An image named by its id shows as a short id.
    Image: !noTrunc && container.ImageID !== undefined && container.Image === container.ImageID ? container.ImageID.replace(/^sha256:/, "").slice(0, 12) : container.Image,
    Command: `"${command}"`,
    CreatedAt: new Date(container.Created * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " +0000 UTC"),
    RunningFor: `${humanDuration(Date.now() - container.Created * 1000)} ago`,
    Ports: "",
    State: container.State,
    Status: container.Status,
    Size: humanSize(container.SizeRw ?? 0, 3),
    Names: container.Names.map((name) => name.slice(1)).join(","),
    Labels: Object.keys(labels).sort().map((key) => `${key}=${labels[key]}`).join(","),
    Label: (name: string) => labels[name] ?? "",
    Mounts: container.Mounts.map((m) => m.Name ?? m.Source).join(","),
    Networks: "",
    LocalVolumes: String(container.Mounts.filter((m) => m.Name !== undefined).length),
  };
}

const ps: CommandSpec = {
  path: ["ps"],
  aliases: [["container", "ls"], ["container", "list"], ["container", "ps"]],
  usage: "[OPTIONS]",
  description: "List containers",
  examples: `moor ps -a
moor ps --filter volume=pgdata --format '{{.Names}} {{.Status}}'`,
  args: { max: 0 },
  flags: [
    { long: "all", short: "a", type: "bool", usage: "Show all containers (default shows just running)" },
    { long: "filter", short: "f", type: "filter", usage: "Filter output based on conditions provided" },
    { long: "format", type: "string", usage: tableFormatUsage },
    { long: "last", short: "n", type: "string", valueName: "int", usage: "Show n last created containers (includes all\nstates)", defaultValue: "-1" },
    { long: "latest", short: "l", type: "bool", usage: "Show the latest created container (includes all\nstates)" },
    { long: "no-trunc", type: "bool", usage: "Don't truncate output" },
    { long: "quiet", short: "q", type: "bool", usage: "Only display container IDs" },
    { long: "size", short: "s", type: "bool", usage: "Display total file sizes" },
  ],
  async run(ctx, _args, flags) {
    const last = flags.latest ? 1 : Number.parseInt((flags.last as string | undefined) ?? "-1", 10);
    const containers = await withClient(ctx, (client) =>
      client.containerList({ all: Boolean(flags.all) || last > 0, limit: last, filters: filterMap(flags.filter as string[] | undefined) }),
    ) as ContainerSummary[];
    const rows = containers.map((container) => containerRow(container, Boolean(flags["no-trunc"])));
    const format = (flags.format as string | undefined) ?? "";
    if (flags.quiet && (format === "" || format === "table")) {
      ctx.stdout.write(rows.map((row) => `${row.ID}\n`).join(""));
      return 0;
    }
    ctx.stdout.write(formatList(rows, format, containerHeaders, "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"));
    return 0;
  },
};

const rm: CommandSpec = {
  path: ["rm"],
  aliases: [["container", "rm"], ["container", "remove"]],
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  description: "Remove one or more containers",
  examples: `moor rm web
moor rm -v web        # also its anonymous volumes; named volumes always stay`,
  args: { min: 1 },
  flags: [
    { long: "force", short: "f", type: "bool", usage: "Force the removal of a running container (uses SIGKILL)" },
    { long: "link", short: "l", type: "bool", usage: "Remove the specified link" },
    { long: "volumes", short: "v", type: "bool", usage: "Remove anonymous volumes associated with the container" },
  ],
  async run(ctx, args, flags) {
    const { finish } = await forEachName(ctx, args, async (client, name) => {
      try {
        await client.containerRemove(name, { force: Boolean(flags.force), volumes: Boolean(flags.volumes) });
      } catch (err) {
        // With --force a container that is not there is reported but is no failure (docker/cli rm).
        if (!(flags.force && err instanceof MoorError && err.kind === "not_found")) throw err;
        ctx.stderr.write(daemonErrorLine(err));
        return;
      }
      ctx.stdout.write(`${name}\n`);
    });
    return finish();
  },
};

const inspect: CommandSpec = {
  path: ["container", "inspect"],
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  description: "Display detailed information on one or more containers",
  examples: `moor container inspect web --format '{{.State.Status}} {{json .Mounts}}'`,
  args: { min: 1 },
  flags: [
    { long: "format", short: "f", type: "string", usage: objectFormatUsage },
    { long: "size", short: "s", type: "bool", usage: "Display total file sizes" },
  ],
  async run(ctx, args, flags) {
    const { results, finish } = await forEachName(ctx, args, async (client, name) => ({
      ...(await client.containerInspect(name)),
      [goType]: "container.InspectResponse",
    }));
    ctx.stdout.write(formatObjects(results, (flags.format as string | undefined) ?? ""));
    return finish();
  },
};

const start: CommandSpec = {
  path: ["start"],
  aliases: [["container", "start"]],
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  description: "Start one or more stopped containers",
  examples: `moor start web
moor start -a job       # follow its output and exit with its exit code`,
  args: { min: 1 },
  flags: [
    { long: "attach", short: "a", type: "bool", usage: "Attach STDOUT/STDERR and forward signals" },
    { long: "interactive", short: "i", type: "bool", usage: "Attach container's STDIN" },
  ],
  async run(ctx, args, flags) {
    if (flags.attach || flags.interactive) {
      if (args.length > 1) throw new CommandError("you cannot start and attach multiple containers at once", 1);
      return startAttached(ctx, args[0], Boolean(flags.interactive));
    }
    const { finish } = await forEachName(ctx, args, async (client, name) => {
      await client.containerStart(name);
      ctx.stdout.write(`${name}\n`);
    });
    const code = finish();
    if (code !== 0) ctx.stderr.write(`Error: failed to start containers: ${args.join(", ")}\n`);
    return code;
  },
};

/** docker start -a: output (and stdin with -i) connected before the start; the container's exit code. */
async function startAttached(ctx: CommandContext, name: string, interactive: boolean): Promise<number> {
  return withClient(ctx, async (client) => {
    try {
      const container = (await client.containerInspect(name)) as { Config: { Tty?: boolean } };
      const socket = await client.containerAttach(name, { stdin: interactive });
      const output = connectStreams(ctx, socket, { tty: Boolean(container.Config.Tty), interactive });
      // The wait needs a connection of its own: it answers only at the exit.
      const waiter = new EngineClient(client.host);
      try {
        const exited = waiter.containerWait(name, "next-exit");
        await client.containerStart(name).catch((err: unknown) => {
          socket.destroy();
          throw err;
        });
        const { StatusCode } = await exited;
        await output;
        return StatusCode;
      } finally {
        waiter.close();
      }
    } catch (err) {
      if (!(err instanceof MoorError)) throw err;
      ctx.stderr.write(daemonErrorLine(err));
      return 1;
    }
  });
}

const stop: CommandSpec = {
  path: ["stop"],
  aliases: [["container", "stop"]],
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  description: "Stop one or more running containers",
  examples: `moor stop -t 30 db       # the stop signal, then SIGKILL after 30 seconds`,
  args: { min: 1 },
  flags: [
    { long: "signal", short: "s", type: "string", usage: "Signal to send to the container" },
    { long: "timeout", short: "t", type: "string", valueName: "int", usage: "Seconds to wait before killing the container" },
  ],
  async run(ctx, args, flags) {
    const timeout = flags.timeout === undefined ? undefined : Number.parseInt(flags.timeout as string, 10);
    const signal = flags.signal as string | undefined;
    const { finish } = await forEachName(ctx, args, async (client, name) => {
      await client.containerStop(name, { timeout, signal });
      ctx.stdout.write(`${name}\n`);
    });
    return finish();
  },
};

const restart: CommandSpec = {
  path: ["restart"],
  aliases: [["container", "restart"]],
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  description: "Restart one or more containers",
  examples: `moor restart web          # the stop signal, SIGKILL after 10 seconds, then a start`,
  args: { min: 1 },
  flags: [
    { long: "signal", short: "s", type: "string", usage: "Signal to send to the container" },
    { long: "timeout", short: "t", type: "string", valueName: "int", usage: "Seconds to wait before killing the container" },
  ],
  async run(ctx, args, flags) {
    const timeout = flags.timeout === undefined ? undefined : Number.parseInt(flags.timeout as string, 10);
    const signal = flags.signal as string | undefined;
    const { finish } = await forEachName(ctx, args, async (client, name) => {
      await client.containerRestart(name, { timeout, signal });
      ctx.stdout.write(`${name}\n`);
    });
    return finish();
  },
};

const kill: CommandSpec = {
  path: ["kill"],
  aliases: [["container", "kill"]],
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  description: "Kill one or more running containers",
  examples: `moor kill -s HUP web`,
  args: { min: 1 },
  flags: [{ long: "signal", short: "s", type: "string", usage: "Signal to send to the container" }],
  async run(ctx, args, flags) {
    const { finish } = await forEachName(ctx, args, async (client, name) => {
      await client.containerKill(name, flags.signal as string | undefined);
      ctx.stdout.write(`${name}\n`);
    });
    return finish();
  },
};

const pause: CommandSpec = {
  path: ["pause"],
  aliases: [["container", "pause"]],
  usage: "CONTAINER [CONTAINER...]",
  description: "Pause all processes within one or more containers",
  examples: `moor pause db && moor volume backup db-data -o db.tar.zst; moor unpause db`,
  args: { min: 1 },
  async run(ctx, args) {
    const { finish } = await forEachName(ctx, args, async (client, name) => {
      await client.containerPause(name);
      ctx.stdout.write(`${name}\n`);
    });
    return finish();
  },
};

const unpause: CommandSpec = {
  path: ["unpause"],
  aliases: [["container", "unpause"]],
  usage: "CONTAINER [CONTAINER...]",
  description: "Unpause all processes within one or more containers",
  examples: `moor unpause db`,
  args: { min: 1 },
  async run(ctx, args) {
    const { finish } = await forEachName(ctx, args, async (client, name) => {
      await client.containerUnpause(name);
      ctx.stdout.write(`${name}\n`);
    });
    return finish();
  },
};

const wait: CommandSpec = {
  path: ["wait"],
  aliases: [["container", "wait"]],
  usage: "CONTAINER [CONTAINER...]",
  description: "Block until one or more containers stop, then print their exit codes",
  examples: `moor wait job && echo "job finished"`,
  args: { min: 1 },
  async run(ctx, args) {
    const { finish } = await forEachName(ctx, args, async (client, name) => {
      ctx.stdout.write(`${(await client.containerWait(name)).StatusCode}\n`);
    });
    return finish();
  },
};

const logs: CommandSpec = {
  path: ["logs"],
  aliases: [["container", "logs"]],
  usage: "[OPTIONS] CONTAINER",
  description: "Fetch the logs of a container",
  examples: `moor logs --tail 20 web
moor logs -t web 2>/dev/null   # stdout only, with timestamps`,
  args: { min: 1, max: 1 },
  flags: [
    { long: "follow", short: "f", type: "bool", usage: "Follow log output" },
    { long: "since", type: "string", usage: "Show logs since timestamp (Unix seconds)" },
    { long: "tail", short: "n", type: "string", usage: 'Number of lines to show from the end of the logs', defaultValue: '"all"' },
    { long: "timestamps", short: "t", type: "bool", usage: "Show timestamps" },
  ],
  async run(ctx, args, flags) {
    const options = { tail: flags.tail as string | undefined, timestamps: Boolean(flags.timestamps), since: flags.since as string | undefined };
    await withClient(ctx, async (client) => {
      const inspect = (await client.containerInspect(args[0])) as { Config?: { Tty?: boolean } };
      const demux = new Demultiplexer((stream, data) => (stream === "stderr" ? ctx.stderr : ctx.stdout).write(data));
      const write = (chunk: Buffer) => (inspect.Config?.Tty ? ctx.stdout.write(chunk) : demux.push(chunk));
      if (flags.follow) await client.containerFollowLogs(args[0], options, write);
      else write(await client.containerLogs(args[0], { stdout: true, stderr: true, ...options }));
    });
    return 0;
  },
};

const rename: CommandSpec = {
  path: ["rename"],
  aliases: [["container", "rename"]],
  usage: "CONTAINER NEW_NAME",
  description: "Rename a container",
  examples: `moor rename web web-old      # keep the old container while its replacement takes the name`,
  args: { min: 2, max: 2 },
  async run(ctx, args) {
    const { finish } = await forEachName(ctx, [args[0]], (client, name) => client.containerRename(name, args[1]));
    const code = finish();
    if (code !== 0) ctx.stderr.write(`Error: failed to rename container named ${args[0]}\n`);
    return code;
  },
};

const prune: CommandSpec = {
  path: ["container", "prune"],
  usage: "[OPTIONS]",
  description: "Remove all stopped containers",
  examples: `moor container prune -f --filter label=env=test`,
  args: { max: 0 },
  flags: [
    { long: "filter", type: "filter", usage: 'Provide filter values (e.g. "until=<timestamp>")' },
    { long: "force", short: "f", type: "bool", usage: "Do not prompt for confirmation" },
  ],
  async run(ctx, _args, flags) {
    if (!flags.force && !(await confirm(ctx, "WARNING! This will remove all stopped containers.\nAre you sure you want to continue?"))) return 0;
    const report = await withClient(ctx, (client) => client.containerPrune(filterMap(flags.filter as string[] | undefined)));
    let output = "";
    if (report.ContainersDeleted && report.ContainersDeleted.length > 0) {
      output += `Deleted Containers:\n${report.ContainersDeleted.map((id) => `${id}\n`).join("")}\n`;
    }
    ctx.stdout.write(`${output}Total reclaimed space: ${humanSize(report.SpaceReclaimed)}\n`);
    return 0;
  },
};

const exportFilesystem: CommandSpec = {
  path: ["export"],
  aliases: [["container", "export"]],
  usage: "[OPTIONS] CONTAINER",
  description: `Export a container's filesystem as a tar archive

Its root filesystem as it is now, the container's own changes included; the
content of its volumes and bind mounts is not (moor volume export has a
volume's).`,
  examples: `moor export web -o web.tar
moor export web | tar -t`,
  args: { min: 1, max: 1 },
  flags: [{ long: "output", short: "o", type: "string", usage: "Write to a file, instead of STDOUT" }],
  async run(ctx, args, flags) {
    const output = flags.output as string | undefined;
    const what = `export of ${args[0]}`;
    await withClient(ctx, async (client) => {
      if (output === undefined) await writeToStdout(ctx, what, () => client.containerExport(args[0]), "cowardly refusing to save to a terminal. Use the -o flag or redirect");
      else await writeArchiveFile(output, what, async (partial) => writeNewFile(partial, await client.containerExport(args[0])));
    });
    return 0;
  },
};

export const containerCommands: CommandSpec[] = [ps, rm, inspect, start, stop, restart, kill, pause, unpause, wait, logs, rename, prune, exportFilesystem];
