import type { CommandSpec } from "../command.ts";
import { CommandError } from "../command.ts";
import { MoorError } from "../../errors.ts";

const engine: CommandSpec = {
  path: ["engine"],
  usage: "[OPTIONS]",
  description: "Run the moor engine (the daemon serving the Docker Engine API)",
  examples: `moor engine                                      # /var/lib/moor, unix:///run/moor/moor.sock
moor engine --root /srv/moor --host unix:///tmp/moor.sock --log-level debug
docker -H unix:///run/moor/moor.sock volume ls   # any Docker client can use it`,
  args: { max: 0 },
  flags: [
    { long: "exec-root", type: "string", usage: "Root directory for execution state files", defaultValue: '"/run/moor"' },
    { long: "host", short: "H", type: "string", usage: "Socket to listen on", defaultValue: '"unix:///run/moor/moor.sock"' },
    { long: "log-level", short: "l", type: "string", usage: 'Set the logging level ("debug"|"info"|"warn"|"error"|"fatal")', defaultValue: '"info"' },
    { long: "root", type: "string", usage: "Root directory of persistent moor state (volumes, images, metadata)", defaultValue: '"/var/lib/moor"' },
  ],
  async run(ctx, _args, flags) {
    const logLevel = (flags["log-level"] as string | undefined) ?? "info";
    if (!["trace", "debug", "info", "warn", "error", "fatal"].includes(logLevel)) {
      throw new CommandError(`invalid log level ${JSON.stringify(logLevel)}: use one of debug, info, warn, error, fatal`, 125);
    }
    // Signals are caught from the start: one that arrives while the engine is still starting
    // stops it as soon as it is up, instead of killing it halfway.
    const stopRequested = new Promise<void>((resolve) => {
      process.once("SIGTERM", () => resolve());
      process.once("SIGINT", () => resolve());
    });
    const { startEngine } = await import("../../daemon.ts");
    let engine;
    try {
      engine = await startEngine({
        root: (flags.root as string | undefined) ?? "/var/lib/moor",
        execRoot: (flags["exec-root"] as string | undefined) ?? "/run/moor",
        host: (flags.host as string | undefined) ?? (ctx.globals.host as string | undefined) ?? "unix:///run/moor/moor.sock",
        logLevel,
      });
    } catch (err) {
      if (err instanceof MoorError) throw new CommandError(`moor engine: ${err.message}`);
      throw err;
    }
    await stopRequested;
    await engine.stop();
    return 0;
  },
};

export const engineCommands: CommandSpec[] = [engine];
