import type { CommandSpec } from "../command.ts";
import { withClient } from "../program.ts";
import { environment } from "./run.ts";
import { connectStreams } from "./streams.ts";

const exec: CommandSpec = {
  path: ["exec"],
  aliases: [["container", "exec"]],
  usage: "[OPTIONS] CONTAINER COMMAND [ARG...]",
  description: "Execute a command in a running container",
  examples: `moor exec web ls /srv
moor exec -it db sh
moor exec -u nobody -w /tmp -e MODE=check web ./healthcheck`,
  args: { min: 2 },
  interspersed: false,
  flags: [
    { long: "detach", short: "d", type: "bool", usage: "Detached mode: run command in the background" },
    { long: "detach-keys", type: "string", usage: "Override the key sequence for detaching a container" },
    { long: "env", short: "e", type: "list", usage: "Set environment variables" },
    { long: "env-file", type: "list", usage: "Read in a file of environment variables" },
    { long: "interactive", short: "i", type: "bool", usage: "Keep STDIN open even if not attached" },
    { long: "privileged", type: "bool", usage: "Give extended privileges to the command" },
    { long: "tty", short: "t", type: "bool", usage: "Allocate a pseudo-TTY" },
    { long: "user", short: "u", type: "string", usage: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { long: "workdir", short: "w", type: "string", usage: "Working directory inside the container" },
  ],
  async run(ctx, args, flags) {
    const [container, ...command] = args;
    const detach = Boolean(flags.detach);
    const tty = Boolean(flags.tty);
    const interactive = Boolean(flags.interactive);
    // The body docker exec sends (docker/cli cli/command/container/exec.go).
    const body = {
      User: (flags.user as string | undefined) ?? "",
      Privileged: Boolean(flags.privileged),
      Tty: tty,
      ConsoleSize: [0, 0],
      AttachStdin: interactive && !detach,
      AttachStderr: !detach,
      AttachStdout: !detach,
      Detach: detach,
      DetachKeys: (flags["detach-keys"] as string | undefined) ?? "",
      Env: environment(ctx, flags),
      WorkingDir: (flags.workdir as string | undefined) ?? "",
      Cmd: command,
    };
    return withClient(ctx, async (client) => {
      const { Id } = await client.execCreate(container, body);
      if (detach) {
        await client.execStartDetached(Id, tty);
        return 0;
      }
      const socket = await client.execStartAttached(Id, tty);
      await connectStreams(ctx, socket, { tty, interactive });
      const { ExitCode } = await client.execInspect(Id);
      return ExitCode ?? 0;
    });
  },
};

export const execCommands: CommandSpec[] = [exec];
