import { ClientCheckError, ConnectionError, EngineClient, TransferCutError } from "../client/client.ts";
import { MoorError } from "../errors.ts";
import { compareGoStrings } from "../util/go-strings.ts";
import {
  CommandError,
  UsageError,
  checkArgCount,
  parseFlags,
  renderCommandHelp,
  renderFlagUsages,
  renderGroupHelp,
  usageErrorText,
  type CommandContext,
  type CommandSpec,
  type FlagSpec,
  type GroupSpec,
} from "./command.ts";

export const program = "moor";
export const defaultHost = "unix:///run/moor/moor.sock";

export const globalFlags: FlagSpec[] = [
  { long: "host", short: "H", type: "string", valueName: "string", usage: `Engine socket to connect to (default from MOOR_HOST, else ${defaultHost})` },
  { long: "version", short: "v", type: "bool", usage: "Print version information and quit" },
];

/** The engine the CLI talks to: --host, then MOOR_HOST, then the default socket. */
export function engineHost(ctx: CommandContext): string {
  return (ctx.globals.host as string | undefined) || ctx.env.MOOR_HOST || defaultHost;
}

/**
 * Opens a client for the command's duration. Failures to reach the engine and errors the
 * engine answers are turned into docker's texts by runCli.
 */
export async function withClient<T>(ctx: CommandContext, work: (client: EngineClient) => Promise<T>): Promise<T> {
  let client: EngineClient;
  try {
    client = new EngineClient(engineHost(ctx));
  } catch (err) {
    throw new CommandError((err as Error).message);
  }
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

/**
 * Runs `work` for each name on one connection, as docker's multi-object commands do: an error
 * the engine answers for one name is kept, printed after the others ran, and makes the exit
 * code 1.
 */
export async function forEachName<T>(
  ctx: CommandContext,
  names: string[],
  work: (client: EngineClient, name: string) => Promise<T>,
): Promise<{ results: T[]; finish: () => number }> {
  const results: T[] = [];
  const failures: string[] = [];
  await withClient(ctx, async (client) => {
    for (const name of names) {
      try {
        results.push(await work(client, name));
      } catch (err) {
        if (!(err instanceof MoorError)) throw err;
        failures.push(daemonErrorLine(err));
      }
    }
  });
  return {
    results,
    finish: () => {
      for (const failure of failures) ctx.stderr.write(failure);
      return failures.length > 0 ? 1 : 0;
    },
  };
}

/** An error the engine answered (or the client refused to send): printed as docker prints it. */
export function daemonErrorLine(err: MoorError): string {
  if (err instanceof ClientCheckError) return `${err.message}\n`;
  return `Error response from daemon: ${err.message}\n`;
}

export interface Registry {
  groups: GroupSpec[];
  commands: CommandSpec[];
}

const topLevelUsage = (registry: Registry): string => {
  const groups = registry.groups.filter((group) => group.path.length === 1);
  const commands = registry.commands.filter((command) => command.path.length === 1);
  const width = Math.max(...[...groups, ...commands].map((c) => c.path[0].length)) + 2;
  const line = (name: string, description: string) => `  ${name.padEnd(width)}${description.split("\n")[0]}`;
  return `Usage:  ${program} [OPTIONS] COMMAND

moor: a container engine where containers are immutable and data lives in volumes.
It speaks the Docker Engine API, so the docker CLI works against it too:
  docker -H unix:///run/moor/moor.sock volume ls

Management Commands:
${groups.map((group) => line(group.path[0], group.description)).join("\n")}

Commands:
${commands.map((command) => line(command.path[0], command.description)).join("\n")}

Global Options:
${renderFlagUsages(globalFlags)}
Run '${program} COMMAND --help' for more information on a command.
`;
};

/** Parses argv, runs the command and resolves to the process exit code. */
export async function runCli(argv: string[], ctx: Omit<CommandContext, "globals">, registry: Registry): Promise<number> {
  let globals;
  try {
    globals = parseFlags(globalFlags, argv, false);
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.stderr.write(`${err.message}\nSee '${program} --help'.\n`);
      return err.exitCode;
    }
    throw err;
  }
  const context: CommandContext = { ...ctx, globals: globals.flags };
  if (globals.flags.version) {
    ctx.stdout.write(`moor version ${(await import("../version.ts")).moorVersion}\n`);
    return 0;
  }
  const words = globals.args;
  if (words.length === 0 || globals.help) {
    ctx.stdout.write(topLevelUsage(registry));
    return 0;
  }

  // The longest command path that prefixes the words, also through aliases.
  let match: { spec: CommandSpec; consumed: number } | undefined;
  for (const spec of registry.commands) {
    for (const path of [spec.path, ...(spec.aliases ?? [])]) {
      if (path.every((word, index) => words[index] === word) && (match === undefined || path.length > match.consumed)) {
        match = { spec, consumed: path.length };
      }
    }
  }
  if (match === undefined) {
    const group = [...registry.groups].reverse().find((g) => g.path.every((word, index) => words[index] === word));
    if (group === undefined) {
      ctx.stderr.write(`${program}: unknown command: ${program} ${words[0]}\n\nRun '${program} --help' for more information\n`);
      return 1;
    }
    // A command belongs to the group under its path or under its first alias there (`ps` is
    // also `container ls`).
    const children = registry.commands
      .flatMap((spec) => {
        const inGroup = [spec.path, ...(spec.aliases ?? [])].find(
          (path) => path.length === group.path.length + 1 && group.path.every((word, index) => path[index] === word),
        );
        return inGroup === undefined ? [] : [{ name: inGroup.at(-1)!, description: spec.description }];
      })
      .sort((a, b) => compareGoStrings(a.name, b.name));
    const extra = words[group.path.length];
    if (extra !== undefined && extra !== "--help" && extra !== "-h") {
      const full = [program, ...group.path].join(" ");
      ctx.stderr.write(`${program}: unknown command: ${full} ${extra}\n\nUsage:  ${full} COMMAND\n\nRun '${full} --help' for more information\n`);
      return 1;
    }
    ctx.stdout.write(renderGroupHelp(program, group, children));
    return 0;
  }

  const { spec } = match;
  const rest = words.slice(match.consumed);
  try {
    const parsed = parseFlags(spec.flags ?? [], rest, spec.interspersed ?? true);
    if (parsed.help) {
      ctx.stdout.write(renderCommandHelp(program, spec));
      return 0;
    }
    checkArgCount(program, spec, parsed.args);
    return await spec.run(context, parsed.args, parsed.flags);
  } catch (err) {
    return reportError(context, spec, err);
  }
}

function reportError(ctx: CommandContext, spec: CommandSpec, err: unknown): number {
  if (err instanceof UsageError) {
    ctx.stderr.write(usageErrorText(program, spec, err));
    return err.exitCode;
  }
  if (err instanceof ConnectionError && err.lost) {
    ctx.stderr.write(`The moor engine at ${err.host} closed the connection before it answered (did it stop or crash?).\n`);
    return 1;
  }
  if (err instanceof ConnectionError) {
    ctx.stderr.write(
      `Cannot connect to the moor engine at ${err.host}. Is the engine running?\nStart it with 'moor engine', or point --host or MOOR_HOST at a running one.\n`,
    );
    return 1;
  }
  if (err instanceof TransferCutError) {
    ctx.stderr.write(`The moor engine at ${err.host} ended the transfer before it was complete; its log says why.\n`);
    return 1;
  }
  if (err instanceof MoorError) {
    ctx.stderr.write(daemonErrorLine(err));
    return 1;
  }
  if (err instanceof CommandError) {
    ctx.stdout.write(err.partialOutput);
    ctx.stderr.write(`${err.message}\n`);
    return err.exitCode;
  }
  throw err;
}
