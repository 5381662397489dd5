/**
 * Docker-style commands: pflag's flag syntax and cobra's help, usage and error texts, so
 * `moor` reads and fails exactly like `docker` (commander and its kin print their own texts).
 *
 * Flag syntax: `--name=value`, `--name value`, `-n value`, `-nvalue`, `-abc` for several
 * booleans, `--` to end flags. With `interspersed: false` flags stop at the first argument
 * (for `run IMAGE CMD -x`, where `-x` belongs to CMD).
 */
import { goQuote } from "../errors.ts";
import { parseGoBool } from "../util/go-strconv.ts";

export type FlagType = "bool" | "string" | "list" | "map" | "filter";

export interface FlagSpec {
  long: string;
  short?: string;
  type: FlagType;
  /** Placeholder shown in help after the flag (pflag shows the type name by default). */
  valueName?: string;
  usage: string;
  defaultValue?: string;
  hidden?: boolean;
  /** Checks a value as the command line is read (pflag's Value.Set): why it is invalid, or undefined. */
  check?: (value: string) => string | undefined;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface CommandContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Global flags (such as --host) parsed before the command. */
  globals: FlagValues;
}

export interface CommandSpec {
  /** Path under the program, e.g. ["volume", "create"]. */
  path: string[];
  aliases?: string[][];
  usage: string;
  description: string;
  examples?: string;
  args?: { min?: number; max?: number };
  flags?: FlagSpec[];
  interspersed?: boolean;
  /** Resolves to the exit code. */
  run(ctx: CommandContext, args: string[], flags: FlagValues): Promise<number>;
}

export interface GroupSpec {
  path: string[];
  description: string;
}

/** A failure found on the client side (a bad template, a bad host): printed as is, exit 1. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    /** Output produced before the failure, printed to stdout first. */
    readonly partialOutput = "",
  ) {
    super(message);
  }
}

/** A failure the command line itself caused: printed with usage, exit code as docker's. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly hint: "See" | "Run" = "Run",
    readonly prefixed = false,
  ) {
    super(message);
  }
}

export function parseFlags(specs: FlagSpec[], argv: string[], interspersed = true): { flags: FlagValues; args: string[]; help: boolean } {
  const flags: FlagValues = {};
  const args: string[] = [];
  let help = false;
  const byLong = new Map(specs.map((spec) => [spec.long, spec]));
  const byShort = new Map(specs.filter((spec) => spec.short).map((spec) => [spec.short!, spec]));

  const assign = (spec: FlagSpec, value: string): void => {
    const invalid = spec.check?.(value);
    if (invalid !== undefined) throw new UsageError(`invalid argument ${goQuote(value)} for "${flagTitle(spec)}" flag: ${invalid}`, 125);
    switch (spec.type) {
      case "bool": {
        const parsed = parseGoBool(value);
        if (parsed === undefined) {
          throw new UsageError(`invalid argument "${value}" for "${flagTitle(spec)}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`, 125);
        }
        flags[spec.long] = parsed;
        return;
      }
      case "string":
        flags[spec.long] = value;
        return;
      case "filter":
        if (!value.includes("=")) {
          throw new UsageError(`invalid argument "${value}" for "${flagTitle(spec)}" flag: bad format of filter (expected name=value)`, 125);
        }
        break;
    }
    const list = (flags[spec.long] as string[] | undefined) ?? [];
    list.push(value);
    flags[spec.long] = list;
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      if (!interspersed) {
        args.push(...argv.slice(i));
        break;
      }
      args.push(arg);
      continue;
    }
    if (arg.startsWith("--")) {
      const body = arg.slice(2);
      if (body.startsWith("-") || body.startsWith("=")) throw new UsageError(`bad flag syntax: ${arg}`, 125);
      const eq = body.indexOf("=");
      const name = eq === -1 ? body : body.slice(0, eq);
      if (name === "help") {
        help = true;
        continue;
      }
      const spec = byLong.get(name);
      if (spec === undefined) throw new UsageError(`unknown flag: --${name}`, 125);
      if (eq !== -1) assign(spec, body.slice(eq + 1));
      else if (spec.type === "bool") flags[spec.long] = true;
      else if (i + 1 < argv.length) assign(spec, argv[++i]);
      else throw new UsageError(`flag needs an argument: --${name}`, 125);
      continue;
    }
    // One or more shorthands: -q, -qa, -ofoo, -o foo, -o=foo
    const shorthands = arg.slice(1);
    for (let j = 0; j < shorthands.length; j++) {
      const letter = shorthands[j];
      if (letter === "h") {
        help = true;
        continue;
      }
      const spec = byShort.get(letter);
      if (spec === undefined) throw new UsageError(`unknown shorthand flag: '${letter}' in ${arg}`, 125);
      const rest = shorthands.slice(j + 1);
      if (spec.type === "bool") {
        if (rest.startsWith("=")) {
          assign(spec, rest.slice(1));
          break;
        }
        flags[spec.long] = true;
        continue;
      }
      if (rest.length > 0) assign(spec, rest.startsWith("=") ? rest.slice(1) : rest);
      else if (i + 1 < argv.length) assign(spec, argv[++i]);
      else throw new UsageError(`flag needs an argument: '${letter}' in -${letter}`, 125);
      break;
    }
  }
  return { flags, args, help };
}

function flagTitle(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.long}` : `--${spec.long}`;
}

/** pflag's FlagUsages layout: names and type in one column, usage aligned after it. */
export function renderFlagUsages(specs: FlagSpec[]): string {
  const visible = specs.filter((spec) => !spec.hidden);
  const lefts = visible.map((spec) => {
    const names = spec.short ? `  -${spec.short}, --${spec.long}` : `      --${spec.long}`;
    const valueName = spec.type === "bool" ? "" : ` ${spec.valueName ?? spec.type}`;
    return names + valueName;
  });
  const width = Math.max(0, ...lefts.map((left) => left.length));
  return visible
    .map((spec, index) => {
      const pad = " ".repeat(width - lefts[index].length + 3);
      const usageLines = spec.usage.split("\n");
      let text = lefts[index] + pad + usageLines[0];
      for (const line of usageLines.slice(1)) text += `\n${" ".repeat(width + 3)}${line}`;
      if (spec.defaultValue !== undefined) text += ` (default ${spec.defaultValue})`;
      return `${text}\n`;
    })
    .join("");
}

export function renderCommandHelp(program: string, spec: CommandSpec): string {
  const full = [program, ...spec.path].join(" ");
  let text = `Usage:  ${full} ${spec.usage}`.trimEnd() + `\n\n${spec.description}\n`;
  if (spec.aliases && spec.aliases.length > 0) {
    text += `\nAliases:\n  ${[spec.path, ...spec.aliases].map((alias) => [program, ...alias].join(" ")).join(", ")}\n`;
  }
  if (spec.examples) text += `\nExamples:\n${spec.examples.replace(/^/gm, "  ")}\n`;
  const flags = spec.flags ?? [];
  if (flags.some((flag) => !flag.hidden)) text += `\nOptions:\n${renderFlagUsages(flags)}`;
  return text;
}

export function renderGroupHelp(program: string, group: GroupSpec, children: Array<{ name: string; description: string }>): string {
  const full = [program, ...group.path].join(" ");
  const width = Math.max(11, ...children.map((child) => child.name.length + 2));
  const lines = children.map((child) => `  ${child.name.padEnd(width)} ${child.description.split("\n")[0]}`.trimEnd());
  return `Usage:  ${full} COMMAND\n\n${group.description}\n\nCommands:\n${lines.join("\n")}\n\nRun '${full} COMMAND --help' for more information on a command.\n`;
}

/** cobra's argument-count checks with docker's messages (docker/cli cli/required.go). */
export function checkArgCount(program: string, spec: CommandSpec, args: string[]): void {
  const full = [program, ...spec.path].join(" ");
  const { min, max } = spec.args ?? {};
  const plural = (n: number) => (n === 1 ? "argument" : "arguments");
  if (max === 0 && args.length > 0) throw new UsageError(`'${full}' accepts no arguments`, 1, "Run", true);
  // cobra's ExactArgs words it apart from MinimumNArgs.
  if (min !== undefined && min === max && args.length !== min) throw new UsageError(`'${full}' requires ${min} ${plural(min)}`, 1, "Run", true);
  if (min !== undefined && args.length < min) {
    throw new UsageError(`'${full}' requires at least ${min} ${plural(min)}`, 1, "See", true);
  }
  if (max !== undefined && args.length > max) {
    throw new UsageError(`'${full}' requires at most ${max} ${plural(max)}`, 1, "Run", true);
  }
}

export function usageErrorText(program: string, spec: { path: string[]; usage: string }, err: UsageError): string {
  const full = [program, ...spec.path].join(" ");
  const message = err.prefixed ? `${program}: ${err.message}` : err.message;
  return `${message}\n\nUsage:  ${full} ${spec.usage}\n\n${err.hint} '${full} --help' for more information\n`;
}
