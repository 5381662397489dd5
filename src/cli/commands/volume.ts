import { filterMap, keyValueMap } from "./filters.ts";
import { humanSize } from "../../util/units.ts";
import { versionLessThan } from "../../util/versions.ts";
import { naturalCompare } from "../../util/natural-sort.ts";
import type { WireVolume } from "../../wire/volumes.ts";
import { CommandError, type CommandContext, type CommandSpec, type FlagValues, type GroupSpec } from "../command.ts";
import { formatList, formatObjects, objectFormatUsage, tableFormatUsage } from "../format.ts";
import { goType } from "../../util/go-template.ts";
import { forEachName, withClient } from "../program.ts";
import type { EngineClient } from "../../client/client.ts";
import { confirm } from "../prompt.ts";

export const volumeGroup: GroupSpec = { path: ["volume"], description: "Manage volumes" };

/** docker/cli's volume formatter context: what `{{.Field}}` can name in --format. */
export function volumeContext(volume: WireVolume) {
  const labels = volume.Labels ?? {};
  return {
    [goType]: "*formatter.volumeContext",
    Name: volume.Name,
    Driver: volume.Driver,
    Scope: volume.Scope,
    Mountpoint: volume.Mountpoint,
    Labels: Object.keys(labels)
      .sort()
      .map((key) => `${key}=${labels[key]}`)
      .join(","),
    Label: (name: string) => labels[name] ?? "",
    Links: volume.UsageData ? String(volume.UsageData.RefCount) : "N/A",
    Size: volume.UsageData ? humanSize(volume.UsageData.Size) : "N/A",
    Group: "N/A",
    Availability: "N/A",
    Status: "N/A",
  };
}

export const volumeHeaders = {
  ID: "ID",
  Name: "VOLUME NAME",
  Group: "GROUP",
  Driver: "DRIVER",
  Scope: "SCOPE",
  Availability: "AVAILABILITY",
  Mountpoint: "MOUNTPOINT",
  Labels: "LABELS",
  Links: "LINKS",
  Size: "SIZE",
  Status: "STATUS",
  // A header row names a label column after the label itself.
  Label: (name: string) => name,
};

export function formatVolumes(volumes: WireVolume[], format: string, defaultTable = "{{.Driver}}\t{{.Name}}"): string {
  const sorted = [...volumes].sort((a, b) => naturalCompare(a.Name, b.Name));
  return formatList(sorted.map(volumeContext), format, volumeHeaders, defaultTable);
}

/**
 * Volumes with their sizes and links: the engine's disk usage (`GET /system/df`, which sizes
 * several volumes at once), matched by name. Volumes it does not size (driver options) keep none.
 */
async function withUsage(client: EngineClient, volumes: WireVolume[]): Promise<WireVolume[]> {
  const usage = new Map(((await client.systemDf(["volume"])).Volumes ?? []).map((volume) => [volume.Name, volume.UsageData]));
  return volumes.map((volume) => (usage.get(volume.Name) === undefined ? volume : { ...volume, UsageData: usage.get(volume.Name) }));
}

const create: CommandSpec = {
  path: ["volume", "create"],
  usage: "[OPTIONS] [VOLUME]",
  description: "Create a volume",
  examples: `moor volume create pgdata                      # a named volume under <root>/volumes/pgdata/_data
moor volume create --label app=shop shopdata     # labels are set once, at create
moor volume create -o type=tmpfs -o device=tmpfs -o o=size=64m scratch
moor volume create                               # an anonymous volume (64-hex name)`,
  args: { max: 1 },
  flags: [
    { long: "driver", short: "d", type: "string", usage: "Specify volume driver name", defaultValue: '"local"' },
    { long: "label", type: "list", usage: "Set metadata for a volume" },
    { long: "name", type: "string", usage: "Specify volume name", hidden: true },
    { long: "opt", short: "o", type: "map", usage: "Set driver specific options", defaultValue: "map[]" },
  ],
  async run(ctx, args, flags) {
    if (flags.name !== undefined && args.length > 0) {
      throw new CommandError("conflicting options: cannot specify a volume-name through both --name and as a positional arg");
    }
    const name = args[0] ?? (flags.name as string | undefined) ?? "";
    const volume = await withClient(ctx, (client) =>
      client.volumeCreate({
        Driver: (flags.driver as string | undefined) ?? "local",
        DriverOpts: keyValueMap(flags.opt as string[] | undefined),
        Labels: keyValueMap(flags.label as string[] | undefined),
        Name: name,
      }),
    );
    ctx.stdout.write(`${volume.Name}\n`);
    return 0;
  },
};

const list: CommandSpec = {
  path: ["volume", "ls"],
  aliases: [["volume", "list"]],
  usage: "[OPTIONS]",
  description: "List volumes",
  examples: `moor volume ls --filter dangling=true          # volumes no container references
moor volume ls --filter label=app=shop --format '{{.Name}}\\t{{.Mountpoint}}'
moor volume ls --format json                     # one JSON object per line`,
  args: { max: 0 },
  flags: [
    { long: "cluster", type: "bool", usage: "Display only cluster volumes, and use cluster volume list formatting", hidden: true },
    { long: "filter", short: "f", type: "filter", usage: 'Provide filter values (e.g. "dangling=true")' },
    { long: "format", type: "string", usage: tableFormatUsage },
    { long: "quiet", short: "q", type: "bool", usage: "Only display volume names" },
    { long: "size", short: "s", type: "bool", usage: "Display each volume's size and links (moor; an unused volume's size is kept until it is used)" },
  ],
  async run(ctx, _args, flags) {
    const volumes = await withClient(ctx, async (client) => {
      const listed = (await client.volumeList(filterMap(flags.filter as string[] | undefined))).Volumes ?? [];
      return flags.size ? withUsage(client, listed) : listed;
    });
    let format = (flags.format as string | undefined) ?? "";
    if (flags.quiet && (format === "" || format === "table")) format = "{{.Name}}";
    ctx.stdout.write(formatVolumes(volumes, format, flags.size ? "{{.Driver}}\t{{.Name}}\t{{.Links}}\t{{.Size}}" : undefined));
    return 0;
  },
};

const inspect: CommandSpec = {
  path: ["volume", "inspect"],
  usage: "[OPTIONS] VOLUME [VOLUME...]",
  description: "Display detailed information on one or more volumes",
  examples: `moor volume inspect pgdata
moor volume inspect --format '{{.Mountpoint}}' pgdata`,
  args: { min: 1 },
  flags: [
    { long: "format", short: "f", type: "string", usage: objectFormatUsage },
    { long: "size", short: "s", type: "bool", usage: "Add UsageData: the volume's size and links (moor)" },
  ],
  async run(ctx, args, flags) {
    const { results: found, finish } = await forEachName(ctx, args, (client, name) => client.volumeInspect(name));
    const volumes = flags.size && found.length > 0 ? await withClient(ctx, (client) => withUsage(client, found)) : found;
    ctx.stdout.write(formatObjects(volumes.map((volume) => ({ ...volume, [goType]: "volume.Volume" })), (flags.format as string | undefined) ?? ""));
    return finish();
  },
};

const remove: CommandSpec = {
  path: ["volume", "rm"],
  aliases: [["volume", "remove"]],
  usage: "[OPTIONS] VOLUME [VOLUME...]",
  description: "Remove one or more volumes. You cannot remove a volume that is in use by a container.",
  examples: `moor volume rm pgdata
moor volume rm -f maybe-gone                     # no error when it does not exist`,
  args: { min: 1 },
  flags: [{ long: "force", short: "f", type: "bool", usage: "Force the removal of one or more volumes" }],
  async run(ctx, args, flags) {
    const { finish } = await forEachName(ctx, args, async (client, name) => {
      await client.volumeRemove(name, Boolean(flags.force));
      ctx.stdout.write(`${name}\n`);
    });
    return finish();
  },
};

const pruneWarnings = {
  anonymous: "WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue?",
  all: "WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue?",
};

const prune: CommandSpec = {
  path: ["volume", "prune"],
  usage: "[OPTIONS]",
  description: "Remove unused local volumes",
  examples: `moor volume prune                                # anonymous volumes no container uses
moor volume prune --all --filter label=env=test  # also named ones, with that label`,
  args: { max: 0 },
  flags: [
    { long: "all", short: "a", type: "bool", usage: "Remove all unused volumes, not just anonymous ones" },
    { long: "filter", type: "filter", usage: 'Provide filter values (e.g. "label=<label>")' },
    { long: "force", short: "f", type: "bool", usage: "Do not prompt for confirmation" },
  ],
  run: (ctx, _args, flags) => runPrune(ctx, flags),
};

async function runPrune(ctx: CommandContext, flags: FlagValues): Promise<number> {
  return withClient(ctx, async (client) => {
    const filters = filterMap(flags.filter as string[] | undefined);
    const version = await client.negotiatedVersion();
    const below142 = versionLessThan(version, "1.42");
    let warning = below142 ? pruneWarnings.all : pruneWarnings.anonymous;
    if (flags.all) {
      if (below142) throw new CommandError(`"--all" requires API version 1.42, but the Docker daemon API version is ${version}`);
      if (filters.has("all")) throw new CommandError("conflicting options: cannot specify both --all and --filter all=1");
      filters.set("all", ["true"]);
      warning = pruneWarnings.all;
    }
    if (!flags.force && !(await confirm(ctx, warning))) return 0;
    const report = await client.volumePrune(filters);
    let output = "";
    if (report.VolumesDeleted && report.VolumesDeleted.length > 0) {
      output += `Deleted Volumes:\n${report.VolumesDeleted.map((name) => `${name}\n`).join("")}\n`;
    }
    output += `Total reclaimed space: ${humanSize(report.SpaceReclaimed)}\n`;
    ctx.stdout.write(output);
    return 0;
  });
}

export const volumeCommands: CommandSpec[] = [create, list, inspect, remove, prune];
