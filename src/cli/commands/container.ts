import { goType } from "../../util/go-template.ts";
import { humanDuration } from "../../util/units.ts";
import type { CommandSpec } from "../command.ts";
import { formatList, formatObjects, objectFormatUsage, tableFormatUsage } from "../format.ts";
import { forEachName, withClient } from "../program.ts";
import { filterMap } from "./filters.ts";

interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  Command: string;
  Created: number;
  State: string;
  Status: string;
  Labels: Record<string, string> | null;
  Mounts: Array<{ Name?: string; Source: string }>;
}

const containerHeaders = {
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
function containerRow(container: ContainerSummary, noTrunc: boolean) {
  const labels = container.Labels ?? {};
  const command = noTrunc || [...container.Command].length <= 20 ? container.Command : `${[...container.Command].slice(0, 19).join("")}…`;
  return {
    [goType]: "*formatter.ContainerContext",
    ID: noTrunc ? container.Id : container.Id.slice(0, 12),
    Image: container.Image,
    Command: `"${command}"`,
    CreatedAt: new Date(container.Created * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " +0000 UTC"),
    RunningFor: `${humanDuration(Date.now() - container.Created * 1000)} ago`,
    Ports: "",
    State: container.State,
    Status: container.Status,
    Size: "0B",
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
      await client.containerRemove(name, { force: Boolean(flags.force), volumes: Boolean(flags.volumes) });
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

export const containerCommands: CommandSpec[] = [ps, rm, inspect];
