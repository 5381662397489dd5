import { moorVersion } from "../../version.ts";
import { bytesSize, humanSize } from "../../util/units.ts";
import { goType } from "../../util/go-template.ts";
import type { WireDiskUsage } from "../../wire/system.ts";
import { CommandError, type CommandSpec } from "../command.ts";
import { formatList, formatObjects, objectFormatUsage, tableFormatUsage } from "../format.ts";
import { withClient } from "../program.ts";
import { tabwrite } from "../tabwriter.ts";
import { containerHeaders, containerRow } from "./container.ts";
import { imageHeaders, imageRows } from "./image.ts";
import { volumeContext, volumeHeaders } from "./volume.ts";

const goArch: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386" };

const version: CommandSpec = {
  path: ["version"],
  usage: "[OPTIONS]",
  description: "Show the moor version information",
  examples: `moor version --format '{{.Server.Version}}'`,
  args: { max: 0 },
  flags: [{ long: "format", short: "f", type: "string", usage: objectFormatUsage }],
  async run(ctx, _args, flags) {
    const { server, apiVersion } = await withClient(ctx, async (client) => ({
      apiVersion: await client.negotiatedVersion(),
      server: await client.version(),
    }));
    const clientInfo = {
      Version: moorVersion,
      ApiVersion: apiVersion,
      NodeVersion: process.version,
      Os: "linux",
      Arch: goArch[process.arch] ?? process.arch,
    };
    const format = (flags.format as string | undefined) ?? "";
    if (format !== "") {
      ctx.stdout.write(formatObjects([{ Client: clientInfo, Server: server }], format));
      return 0;
    }
    let text = `Client:
 Version:           ${clientInfo.Version}
 API version:       ${clientInfo.ApiVersion}
 Node.js version:   ${clientInfo.NodeVersion}
 OS/Arch:           ${clientInfo.Os}/${clientInfo.Arch}

Server:`;
    if (server.Platform?.Name) text = text.replace("Server:", `Server: ${server.Platform.Name}`);
    for (const component of server.Components ?? []) {
      text += `\n ${component.Name}:\n  Version:          ${component.Version}`;
      const details = component.Details ?? {};
      if (details.ApiVersion) text += `\n  API version:      ${details.ApiVersion} (minimum version ${details.MinAPIVersion})`;
      if (details.Os) text += `\n  OS/Arch:          ${details.Os}/${details.Arch}`;
      if (details.KernelVersion) text += `\n  Kernel version:   ${details.KernelVersion}`;
      if (details.Experimental) text += `\n  Experimental:     ${details.Experimental}`;
    }
    ctx.stdout.write(`${text}\n`);
    return 0;
  },
};

const info: CommandSpec = {
  path: ["info"],
  aliases: [["system", "info"]],
  usage: "[OPTIONS]",
  description: "Display system-wide information",
  examples: `moor info --format '{{.DockerRootDir}}'`,
  args: { max: 0 },
  flags: [{ long: "format", short: "f", type: "string", usage: objectFormatUsage }],
  async run(ctx, _args, flags) {
    const server = await withClient(ctx, (client) => client.info());
    const format = (flags.format as string | undefined) ?? "";
    if (format !== "") {
      ctx.stdout.write(formatObjects([{ ...server, ClientInfo: { Version: moorVersion } }], format));
      return 0;
    }
    const s = server as Record<string, any>;
    const plugins = s.Plugins ?? {};
    const lines = [
      "Client:",
      ` Version:    ${moorVersion}`,
      "",
      "Server:",
      ` Containers: ${s.Containers}`,
      `  Running: ${s.ContainersRunning}`,
      `  Paused: ${s.ContainersPaused}`,
      `  Stopped: ${s.ContainersStopped}`,
      ` Images: ${s.Images}`,
      ` Server Version: ${s.ServerVersion}`,
      ` Storage Driver: ${s.Driver}`,
      ` Logging Driver: ${s.LoggingDriver}`,
      ` Cgroup Driver: ${s.CgroupDriver}`,
      ` Cgroup Version: ${s.CgroupVersion}`,
      " Plugins:",
      `  Volume: ${(plugins.Volume ?? []).join(" ")}`,
      `  Network: ${(plugins.Network ?? []).join(" ")}`,
      `  Log: ${(plugins.Log ?? []).join(" ")}`,
      ` Swarm: ${s.Swarm?.LocalNodeState ?? "inactive"}`,
      ` Runtimes: ${Object.keys(s.Runtimes ?? {}).sort().join(" ")}`,
      ` Default Runtime: ${s.DefaultRuntime}`,
      ` Kernel Version: ${s.KernelVersion}`,
      ` Operating System: ${s.OperatingSystem}`,
      ` OSType: ${s.OSType}`,
      ` Architecture: ${s.Architecture}`,
      ` CPUs: ${s.NCPU}`,
      ` Total Memory: ${bytesSize(s.MemTotal)}`,
      ` Name: ${s.Name}`,
      ` ID: ${s.ID}`,
      ` Docker Root Dir: ${s.DockerRootDir}`,
      ` Debug Mode: ${s.Debug}`,
      ` Experimental: ${s.ExperimentalBuild}`,
      ` Live Restore Enabled: ${s.LiveRestoreEnabled}`,
    ];
    ctx.stdout.write(`${lines.join("\n")}\n`);
    for (const warning of (s.Warnings as string[] | null) ?? []) ctx.stderr.write(`${warning}\n`);
    return 0;
  },
};

/**
 * docker system df (docker/cli 28's formatter/disk_usage.go): the totals per type computed here
 * from the engine's `/system/df`, or with -v one table per type.
 */
const df: CommandSpec = {
  path: ["system", "df"],
  usage: "[OPTIONS]",
  description: `Show moor disk usage

Images, containers, volumes and build cache: how many, how many in use
(ACTIVE), their size and how much removing the unused ones would free. Volume
sizes are kept while nothing uses a volume, so a repeated df walks only the
volumes in use or changed since (see moor volume ls --size).`,
  examples: `moor system df
moor system df -v                            # every image, container and volume
moor system df --format '{{.Type}}: {{.Size}}'`,
  args: { max: 0 },
  flags: [
    { long: "format", type: "string", usage: tableFormatUsage },
    { long: "verbose", short: "v", type: "bool", usage: "Show detailed information on space usage" },
  ],
  async run(ctx, _args, flags) {
    const format = (flags.format as string | undefined) ?? "";
    if (flags.verbose && format !== "" && format !== "table") throw new CommandError("moor system df: --format is not supported with --verbose; moor volume ls --size --format formats volumes");
    const usage = await withClient(ctx, (client) => client.systemDf());
    ctx.stdout.write(flags.verbose ? verboseDiskUsage(usage) : formatList(diskUsageRows(usage), format, diskUsageHeaders, "{{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"));
    return 0;
  },
};

const diskUsageHeaders = { Type: "TYPE", TotalCount: "TOTAL", Active: "ACTIVE", Size: "SIZE", Reclaimable: "RECLAIMABLE" };

function diskUsageRows(usage: WireDiskUsage) {
  const row = (type: string, total: number, active: number, size: number, reclaimable: number) => ({
    [goType]: "*formatter.diskUsageContext",
    Type: type,
    TotalCount: String(total),
    Active: String(active),
    Size: humanSize(size),
    Reclaimable: size > 0 ? `${humanSize(reclaimable)} (${Math.trunc((reclaimable * 100) / size)}%)` : humanSize(reclaimable),
  });
  const images = usage.Images ?? [];
  const inUse = images.filter((image) => image.Containers !== 0 && image.Size !== -1 && image.SharedSize !== -1);
  const containers = usage.Containers ?? [];
  const active = (state: string) => ["running", "paused", "restarting"].some((word) => state.includes(word));
  const sizeOf = (list: typeof containers) => list.reduce((sum, container) => sum + (container.SizeRw ?? 0), 0);
  const volumes = (usage.Volumes ?? []).filter((volume) => volume.UsageData !== undefined && volume.UsageData !== null);
  const volumeSize = (list: typeof volumes) => list.reduce((sum, volume) => sum + (volume.UsageData!.Size === -1 ? 0 : volume.UsageData!.Size), 0);
  return [
    row("Images", images.length, images.filter((image) => image.Containers > 0).length, usage.LayersSize, usage.LayersSize - inUse.reduce((sum, image) => sum + image.Size - image.SharedSize, 0)),
    row("Containers", containers.length, containers.filter((container) => active(container.State)).length, sizeOf(containers), sizeOf(containers.filter((container) => !active(container.State)))),
    row("Local Volumes", (usage.Volumes ?? []).length, volumes.filter((volume) => volume.UsageData!.RefCount > 0).length, volumeSize(volumes), volumeSize(volumes.filter((volume) => volume.UsageData!.RefCount === 0))),
    row("Build Cache", 0, 0, 0, 0),
  ];
}

/** docker system df -v: a table per type, each aligned on its own, in the engine's order. */
function verboseDiskUsage(usage: WireDiskUsage): string {
  const table = (rows: object[], headers: object, columns: string) => formatList(rows, "table", headers, columns);
  return [
    "Images space usage:\n\n",
    table(imageRows(usage.Images ?? [], false), imageHeaders, "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}"),
    "\nContainers space usage:\n\n",
    table((usage.Containers ?? []).map((container) => containerRow(container, false)), containerHeaders, "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}"),
    "\nLocal Volumes space usage:\n\n",
    table((usage.Volumes ?? []).map(volumeContext), volumeHeaders, "{{.Name}}\t{{.Links}}\t{{.Size}}"),
    "\nBuild cache usage: 0B\n\n",
    tabwrite("CACHE ID\tCACHE TYPE\tSIZE\tCREATED\tLAST USED\tUSAGE\tSHARED\n"),
  ].join("");
}

export const systemCommands: CommandSpec[] = [version, info, df];
