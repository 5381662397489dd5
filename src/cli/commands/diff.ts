import type { CommandSpec } from "../command.ts";
import { withClient } from "../program.ts";

/** docker/cli's change letters (moby archive ChangeType String). */
const kindLetters = ["C", "A", "D"];

const diff: CommandSpec = {
  path: ["diff"],
  aliases: [["container", "diff"]],
  usage: "CONTAINER",
  description: "Inspect changes to files or directories on a container's filesystem",
  examples: `moor diff web          # C changed, A added, D deleted, against the image`,
  args: { min: 1, max: 1 },
  async run(ctx, args) {
    const changes = await withClient(ctx, (client) => client.containerChanges(args[0]));
    ctx.stdout.write((changes ?? []).map((change) => `${kindLetters[change.Kind] ?? ""} ${change.Path}\n`).join(""));
    return 0;
  },
};

export const diffCommands: CommandSpec[] = [diff];
