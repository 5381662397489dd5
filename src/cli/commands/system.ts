import { moorVersion } from "../../version.ts";
import { bytesSize } from "../../util/units.ts";
import type { CommandSpec } from "../command.ts";
import { formatObjects, objectFormatUsage } from "../format.ts";
import { withClient } from "../program.ts";

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

export const systemCommands: CommandSpec[] = [version, info];
