import { EngineClient } from "../../client/client.ts";
import { MoorError } from "../../errors.ts";
import { goType } from "../../util/go-template.ts";
import { CommandError, type CommandSpec } from "../command.ts";
import { formatObjects, objectFormatUsage } from "../format.ts";
import { forEachName } from "../program.ts";

type Inspector = (client: EngineClient, name: string) => Promise<object>;

/** The object types moor has, in the order docker inspect tries them (docker/cli inspectAll). */
const inspectors: Record<string, Inspector> = {
  container: async (client, name) => ({ ...(await client.containerInspect(name)), [goType]: "container.InspectResponse" }),
  image: async (client, name) => ({ ...(await client.imageInspect(name)), [goType]: "image.InspectResponse" }),
  network: async (client, name) => ({ ...(await client.networkInspect(name)), [goType]: "network.Inspect" }),
  volume: async (client, name) => ({ ...(await client.volumeInspect(name)), [goType]: "volume.Volume" }),
};

const dockerTypes = ["config", "container", "image", "network", "node", "plugin", "secret", "service", "task", "volume"];

const inspect: CommandSpec = {
  path: ["inspect"],
  usage: "[OPTIONS] NAME|ID [NAME|ID...]",
  description: "Return low-level information on moor objects",
  examples: `moor inspect web                       # a container, image or volume, whichever has the name
moor inspect --type volume -f '{{.Mountpoint}}' data`,
  args: { min: 1 },
  flags: [
    { long: "format", short: "f", type: "string", usage: objectFormatUsage },
    { long: "size", short: "s", type: "bool", usage: "Display total file sizes if the type is container" },
    { long: "type", type: "string", usage: "Only inspect objects of the given type" },
  ],
  async run(ctx, args, flags) {
    const type = flags.type as string | undefined;
    if (type !== undefined && !dockerTypes.includes(type)) {
      throw new CommandError(`unknown type: ${JSON.stringify(type)}: must be one of ${dockerTypes.map((t) => JSON.stringify(t)).join(", ")}`);
    }
    const missing: string[] = [];
    const { results, finish } = await forEachName(ctx, args, async (client, name) => {
      if (type !== undefined) {
        const inspector = inspectors[type];
        if (inspector === undefined) throw new MoorError("not_found", `No such ${type}: ${name}`);
        return inspector(client, name);
      }
      for (const inspector of Object.values(inspectors)) {
        try {
          return await inspector(client, name);
        } catch (err) {
          if (!(err instanceof MoorError) || err.kind !== "not_found") throw err;
        }
      }
      missing.push(name);
      return undefined;
    });
    ctx.stdout.write(formatObjects(results.filter((r) => r !== undefined), (flags.format as string | undefined) ?? ""));
    const code = finish();
    for (const name of missing) ctx.stderr.write(`Error: No such object: ${name}\n`);
    return missing.length > 0 ? 1 : code;
  },
};

export const inspectCommands: CommandSpec[] = [inspect];
