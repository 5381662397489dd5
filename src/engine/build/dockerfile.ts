import { DockerfileParser } from "dockerfile-ast";
import type { HealthConfig } from "../images/image-config.ts";
import { parseGoDuration } from "../../util/go-duration.ts";

/**
 * A Dockerfile read into typed instructions, with BuildKit's texts for what is wrong. The
 * lexical structure (instruction boundaries, parser directives, heredoc bodies) comes from
 * dockerfile-ast; how each instruction's arguments split into words, flags and key=value
 * pairs follows BuildKit's parser (frontend/dockerfile/parser and instructions), which moby's
 * classic builder uses too.
 */

export interface Heredoc {
  name: string;
  /** Each line with its newline, leading tabs already removed for `<<-`. */
  content: string;
  /** False when the heredoc word was quoted (`<<"EOF"`): no variable expansion. */
  expand: boolean;
}

export interface KeyValue {
  key: string;
  /** Still quoted: quotes and variables are processed when the instruction runs. */
  value: string;
}

interface Located {
  /** 1-based line of the instruction's first line. */
  line: number;
  /** The instruction as written (continuations joined), for "Step N/M : ..." and cache keys. */
  code: string;
}

export interface CopySource {
  /** Paths (or URLs for ADD) from the build context, not yet expanded. */
  paths: string[];
  /** Inline files from heredocs (`COPY <<EOF /dest`). */
  contents: Heredoc[];
}

export type Command = Located &
  (
    | { kind: "ENV" | "LABEL"; pairs: KeyValue[]; /** Pairs taken as they are (build --label): no quote or variable processing. */ literal?: boolean }
    | { kind: "MAINTAINER"; maintainer: string }
    | ({ kind: "COPY"; from: string } & CopyOptions)
    | ({ kind: "ADD" } & CopyOptions)
    | { kind: "ONBUILD"; expression: string }
    | { kind: "WORKDIR"; path: string }
    | { kind: "RUN"; cmdLine: string[]; prependShell: boolean; files: Heredoc[] }
    | { kind: "CMD" | "ENTRYPOINT"; cmdLine: string[] | null; prependShell: boolean }
    | { kind: "HEALTHCHECK"; health: HealthConfig }
    | { kind: "EXPOSE"; ports: string[] }
    | { kind: "USER"; user: string }
    | { kind: "VOLUME"; volumes: string[] }
    | { kind: "STOPSIGNAL"; signal: string }
    | { kind: "ARG"; args: ArgDefinition[] }
    | { kind: "SHELL"; shell: string[] }
  );

export interface CopyOptions {
  source: CopySource;
  dest: string;
  chown: string;
  chmod: string;
}

export interface ArgDefinition {
  key: string;
  /** undefined: declared without a default. */
  value: string | undefined;
}

export interface Stage extends Located {
  /** The image (or earlier stage) to start from, not yet expanded. */
  baseName: string;
  /** Lower-cased `AS` name, or "". */
  name: string;
  commands: Command[];
}

export interface ParsedDockerfile {
  escapeToken: string;
  /** ARGs before the first FROM. */
  metaArgs: Array<Extract<Command, { kind: "ARG" }>>;
  stages: Stage[];
}

/** What is wrong with a Dockerfile; `line` is 1-based when the error has a place. */
export class DockerfileError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

const whitespace = /[\t\v\f\r ]+/;
const heredocWord = /^(\d*)<<(-?)\s*([^<]*)$/;
const heredocInstructions = new Set(["ADD", "COPY", "RUN"]);
const validStageName = /^[a-z][a-z0-9-_.]*$/;

/** Errors BuildKit's line parser finds (before instructions are typed): no line in the text. */
class LineSyntaxError extends DockerfileError {}

/**
 * Parses a Dockerfile's text. Throws DockerfileError with the message dockerd gives: line
 * syntax errors as "failed to parse <name>: ...", instruction errors with their line.
 */
export function parseDockerfile(text: string, name = "Dockerfile"): ParsedDockerfile {
  const document = DockerfileParser.parse(text);
  const escapeToken = document.getEscapeCharacter();
  if (escapeToken !== "\\" && escapeToken !== "`") {
    throw new DockerfileError(`failed to parse ${name}: invalid ESCAPE '${escapeToken}'. Must be \` or \\`);
  }
  const lines = text.split(/\r?\n/);
  const stages: Stage[] = [];
  const metaArgs: ParsedDockerfile["metaArgs"] = [];
  for (const instruction of document.getInstructions()) {
    const start = instruction.getRange().start.line;
    const heredocs = instruction.getKeyword() === "" ? [] : readHeredocs(instruction, lines);
    const line = start + 1;
    const node = readNode(lines, start, escapeToken, heredocs);
    let parsed: Command | Stage;
    try {
      parsed = parseInstruction(node, escapeToken);
    } catch (err) {
      if (err instanceof LineSyntaxError) throw new DockerfileError(`failed to parse ${name}: ${err.message}`, line);
      if (!(err instanceof DockerfileError) || err.line !== undefined) throw err;
      throw new DockerfileError(`dockerfile parse error on line ${line}: ${err.message}`, line);
    }
    if ("commands" in parsed) {
      stages.push(parsed);
    } else if (stages.length === 0) {
      if (parsed.kind !== "ARG") throw new DockerfileError("no build stage in current context", line);
      metaArgs.push(parsed);
    } else {
      stages.at(-1)!.commands.push(parsed);
    }
  }
  return { escapeToken, metaArgs, stages };
}

interface Node {
  keyword: string;
  line: number;
  /** The whole logical line, keyword included, trimmed. */
  original: string;
  flags: string[];
  /** What follows the keyword and flags. */
  rest: string;
  heredocs: Heredoc[];
}

/**
 * The logical line starting at `start`: continuation lines joined (the escape token and the
 * blanks after it removed), comment lines and blank lines inside a continuation skipped.
 */
function readNode(lines: string[], start: number, escapeToken: string, heredocs: Heredoc[]): Node {
  const esc = escapeToken === "\\" ? "\\\\" : escapeToken;
  const continuation = new RegExp(`([^${esc}])${esc}[ \\t]*$|^${esc}[ \\t]*$`);
  let text = "";
  let index = start;
  let first = true;
  for (; index < lines.length; index++) {
    const raw = first ? lines[index].replace(/^[\t\v\f\r ]+/, "") : lines[index];
    if (!first && /^\s*#/.test(raw)) continue;
    if (!first && raw.trim() === "") continue;
    first = false;
    if (continuation.test(raw)) {
      text += raw.replace(continuation, "$1");
      continue;
    }
    text += raw;
    break;
  }
  const original = text.trim();
  const [keyword, afterKeyword = ""] = splitOnce(original, whitespace);
  const { rest, flags } = extractBuilderFlags(afterKeyword, escapeToken);
  return { keyword: keyword.toUpperCase(), line: start + 1, original, flags, rest: rest.trim(), heredocs };
}

function splitOnce(text: string, separator: RegExp): [string, string?] {
  const match = separator.exec(text);
  if (match === null) return [text];
  return [text.slice(0, match.index), text.slice(match.index + match[0].length)];
}

/** The heredoc bodies dockerfile-ast found for an instruction, with BuildKit's word rules. */
function readHeredocs(instruction: ReturnType<ReturnType<typeof DockerfileParser.parse>["getInstructions"]>[number], lines: string[]): Heredoc[] {
  const keyword = instruction.getKeyword().toUpperCase();
  const found = (instruction as unknown as { getHeredocs?: () => Array<{ getName(): string; getContentRange(): { start: { line: number }; end: { line: number; character: number } } | null }> }).getHeredocs?.() ?? [];
  if (!heredocInstructions.has(keyword) || found.length === 0) return [];
  const firstLine = lines[instruction.getRange().start.line] ?? "";
  const words = firstLine.split(whitespace);
  return found.map((heredoc) => {
    const word = words.find((w) => {
      const match = heredocWord.exec(w);
      return match !== null && unquote(match[3]) === heredoc.getName();
    });
    const match = heredocWord.exec(word ?? "");
    const chomp = match?.[2] === "-";
    const quoted = match !== null && unquote(match[3]) !== match[3];
    const range = heredoc.getContentRange();
    let content = "";
    if (range !== null) {
      const last = range.end.character === 0 ? range.end.line - 1 : range.end.line;
      for (let i = range.start.line; i <= last; i++) content += `${lines[i]}\n`;
    }
    if (chomp) content = content.replace(/^\t+/gm, "");
    return { name: heredoc.getName(), content, expand: !quoted };
  });
}

function unquote(word: string): string {
  return word.replace(/^(["'])(.*)\1$/, "$2");
}

/** BuildKit's extractBuilderFlags: leading `--name[=value]` words, quotes removed. */
export function extractBuilderFlags(line: string, escapeToken: string): { rest: string; flags: string[] } {
  const flags: string[] = [];
  let pos = 0;
  for (;;) {
    while (pos < line.length && /\s/.test(line[pos])) pos++;
    if (pos >= line.length) return { rest: "", flags };
    if (!line.startsWith("--", pos)) return { rest: line.slice(pos), flags };
    let word = "";
    let quote = "";
    let blankOk = false;
    for (; pos < line.length; pos++) {
      let ch = line[pos];
      if (quote === "") {
        if (/\s/.test(ch)) break;
        if (ch === "'" || ch === '"') {
          quote = ch;
          blankOk = true;
          continue;
        }
      } else if (ch === quote) {
        quote = "";
        continue;
      }
      if (ch === escapeToken) {
        if (pos + 1 === line.length) continue;
        ch = line[++pos];
      }
      word += ch;
    }
    if (word === "--") return { rest: line.slice(pos), flags };
    if (blankOk || word.length > 0) flags.push(word);
  }
}

/** BuildKit's parseWords: splits on blanks outside quotes, keeping quotes and escapes. */
export function parseWords(rest: string, escapeToken: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote = "";
  let blankOk = false;
  const chars = [...rest];
  for (let i = 0; i < chars.length; i++) {
    let ch = chars[i];
    if (!inWord) {
      if (/\s/.test(ch)) continue;
      inWord = true;
    }
    if (quote === "") {
      if (/\s/.test(ch)) {
        if (blankOk || word.length > 0) words.push(word);
        word = "";
        blankOk = false;
        inWord = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOk = true;
      } else if (ch === escapeToken) {
        if (i + 1 === chars.length) continue;
        word += ch;
        ch = chars[++i];
      }
      word += ch;
      continue;
    }
    if (ch === quote) {
      quote = "";
    } else if (ch === escapeToken && quote !== "'") {
      if (i + 1 === chars.length) continue;
      word += ch;
      ch = chars[++i];
    }
    word += ch;
  }
  if (inWord && (blankOk || word.length > 0)) words.push(word);
  return words;
}

/** BuildKit's parseJSON: a JSON array of strings, or undefined when the text is not one. */
function parseJsonArray(rest: string): string[] | undefined {
  const trimmed = rest.trimStart();
  if (!trimmed.startsWith("[")) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((item) => typeof item === "string")) {
    throw new LineSyntaxError("when using JSON array syntax, arrays must be comprised of strings only");
  }
  return value as string[];
}

/** RUN, CMD, ENTRYPOINT, SHELL: exec form (JSON) or the rest of the line as one string. */
function maybeJson(rest: string): { args: string[]; json: boolean } {
  if (rest === "") return { args: [], json: false };
  const json = parseJsonArray(rest);
  return json === undefined ? { args: [rest], json: false } : { args: json, json: true };
}

/** ADD, COPY, VOLUME: a JSON array or words split on blanks. */
function maybeJsonToList(rest: string): { args: string[]; json: boolean } {
  const json = parseJsonArray(rest);
  if (json !== undefined) return { args: json, json: true };
  return { args: rest === "" ? [] : rest.split(whitespace), json: false };
}

function nameValuePairs(rest: string, keyword: string, escapeToken: string): KeyValue[] {
  const words = parseWords(rest, escapeToken);
  if (words.length === 0) throw new DockerfileError(`${keyword} requires at least one argument`);
  if (!words[0].includes("=")) {
    const [key, value] = splitOnce(rest, whitespace);
    if (value === undefined) throw new LineSyntaxError(`${keyword} must have two arguments`);
    return [{ key, value }];
  }
  return words.map((word) => {
    const equals = word.indexOf("=");
    if (equals === -1) throw new LineSyntaxError(`Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`);
    if (equals === 0) throw new DockerfileError(`${keyword} names can not be blank`);
    return { key: word.slice(0, equals), value: word.slice(equals + 1) };
  });
}

/** BuildKit's BFlags: the flags an instruction accepts, with its error texts. */
class Flags {
  private readonly values = new Map<string, string>();

  constructor(raw: string[], accepted: Record<string, "string" | "bool" | "strings">) {
    for (const flag of raw) {
      if (!flag.startsWith("--")) throw new DockerfileError(`Arg ${JSON.stringify(flag)} must start with '--'`);
      const body = flag.slice(2);
      const equals = body.indexOf("=");
      const name = equals === -1 ? body : body.slice(0, equals);
      const type = accepted[name];
      if (type === undefined) throw new DockerfileError(`Unknown flag: ${name}`);
      if (this.values.has(name) && type !== "strings") throw new DockerfileError(`Duplicate flag specified: ${name}`);
      if (type === "bool") {
        const value = equals === -1 ? "true" : body.slice(equals + 1).toLowerCase();
        if (value !== "true" && value !== "false") throw new DockerfileError(`expecting boolean value for flag ${name}, not: ${body.slice(equals + 1)}`);
        this.values.set(name, value);
      } else {
        if (equals === -1) throw new DockerfileError(`Missing a value on flag: ${name}`);
        this.values.set(name, body.slice(equals + 1));
      }
    }
  }

  string(name: string): string {
    return this.values.get(name) ?? "";
  }
}

function parseInstruction(node: Node, escapeToken: string): Command | Stage {
  const { keyword, rest, original: code, line } = node;
  const located = { line, code };
  const noFlags = () => new Flags(node.flags, {});
  switch (keyword) {
    case "FROM": {
      const args = rest === "" ? [] : rest.split(whitespace);
      new Flags(node.flags, { platform: "string" });
      let name = "";
      if (args.length === 3 && args[1].toLowerCase() === "as") {
        name = args[2].toLowerCase();
        if (!validStageName.test(name)) throw new DockerfileError(`invalid name for build stage: ${JSON.stringify(args[2])}, name can't start with a number or contain symbols`);
      } else if (args.length !== 1) {
        throw new DockerfileError("FROM requires either one or three arguments");
      }
      return { ...located, baseName: args[0], name, commands: [] };
    }
    case "ENV":
    case "LABEL": {
      noFlags();
      return { ...located, kind: keyword, pairs: nameValuePairs(rest, keyword, escapeToken) };
    }
    case "MAINTAINER": {
      if (rest === "") throw new DockerfileError("MAINTAINER requires exactly one argument");
      noFlags();
      return { ...located, kind: "MAINTAINER", maintainer: rest };
    }
    case "ADD":
    case "COPY": {
      const { args } = maybeJsonToList(rest);
      if (args.length < 2) throw new DockerfileError(`${keyword} requires at least two arguments, but only one was provided. Destination could not be determined`);
      const flags =
        keyword === "COPY"
          ? new Flags(node.flags, { chown: "string", chmod: "string", from: "string", link: "bool" })
          : new Flags(node.flags, { chown: "string", chmod: "string", link: "bool", checksum: "string" });
      const dest = args.at(-1)!;
      if (heredocWord.test(dest)) throw new DockerfileError(`${keyword} cannot accept a heredoc as a destination`);
      const source: CopySource = { paths: [], contents: [] };
      for (const src of args.slice(0, -1)) {
        const match = heredocWord.exec(src);
        const heredoc = match === null ? undefined : node.heredocs.find((h) => h.name === unquote(match[3]));
        if (heredoc !== undefined) source.contents.push(heredoc);
        else source.paths.push(src);
      }
      const options = { source, dest, chown: flags.string("chown"), chmod: flags.string("chmod") };
      return keyword === "COPY" ? { ...located, kind: "COPY", from: flags.string("from"), ...options } : { ...located, kind: "ADD", ...options };
    }
    case "ONBUILD": {
      if (rest === "") throw new DockerfileError("ONBUILD requires at least one argument");
      noFlags();
      const trigger = rest.split(whitespace)[0].toUpperCase();
      if (trigger === "ONBUILD") throw new DockerfileError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (trigger === "MAINTAINER" || trigger === "FROM") throw new DockerfileError(`${trigger} isn't allowed as an ONBUILD trigger`);
      return { ...located, kind: "ONBUILD", expression: code.replace(/^\s*ONBUILD\s*/i, "") };
    }
    case "WORKDIR":
    case "USER":
    case "STOPSIGNAL": {
      if (rest === "") throw new DockerfileError(`${keyword} requires exactly one argument`);
      noFlags();
      if (keyword === "WORKDIR") return { ...located, kind: "WORKDIR", path: rest };
      if (keyword === "USER") return { ...located, kind: "USER", user: rest };
      return { ...located, kind: "STOPSIGNAL", signal: rest };
    }
    case "RUN": {
      noFlags();
      const { args, json } = maybeJson(rest);
      return { ...located, kind: "RUN", cmdLine: args, prependShell: !json, files: node.heredocs };
    }
    case "CMD":
    case "ENTRYPOINT": {
      noFlags();
      const { args, json } = maybeJson(rest);
      return { ...located, kind: keyword, cmdLine: keyword === "ENTRYPOINT" && args.length === 0 ? null : args, prependShell: !json };
    }
    case "SHELL": {
      noFlags();
      const { args, json } = maybeJson(rest);
      if (args.length === 0) throw new DockerfileError("SHELL requires at least one argument");
      if (!json) throw new DockerfileError("SHELL requires the arguments to be in JSON form");
      return { ...located, kind: "SHELL", shell: args };
    }
    case "HEALTHCHECK":
      return { ...located, kind: "HEALTHCHECK", health: parseHealthcheck(node) };
    case "EXPOSE": {
      const ports = rest === "" ? [] : rest.split(whitespace);
      if (ports.length === 0) throw new DockerfileError("EXPOSE requires at least one argument");
      noFlags();
      return { ...located, kind: "EXPOSE", ports: ports.sort() };
    }
    case "VOLUME": {
      const { args } = maybeJsonToList(rest);
      if (args.length === 0) throw new DockerfileError("VOLUME requires at least one argument");
      noFlags();
      const volumes = args.map((v) => v.trim());
      if (volumes.some((v) => v === "")) throw new DockerfileError("VOLUME specified can not be an empty string");
      return { ...located, kind: "VOLUME", volumes };
    }
    case "ARG": {
      const words = parseWords(rest, escapeToken);
      if (words.length === 0) throw new DockerfileError("ARG requires at least one argument");
      noFlags();
      const args = words.map((word): ArgDefinition => {
        const equals = word.indexOf("=");
        if (equals === -1) return { key: word, value: undefined };
        if (equals === 0) throw new DockerfileError("ARG names can not be blank");
        return { key: word.slice(0, equals), value: word.slice(equals + 1) };
      });
      return { ...located, kind: "ARG", args };
    }
    default:
      throw new DockerfileError(`unknown instruction: ${code.split(whitespace)[0]}`);
  }
}

function parseHealthcheck(node: Node): HealthConfig {
  const [type = "", afterType = ""] = node.rest === "" ? [] : splitOnce(node.rest, /\s+/);
  if (type === "") throw new DockerfileError("HEALTHCHECK requires at least one argument");
  const kind = type.toUpperCase();
  const { args, json } = maybeJson(afterType.trim());
  if (kind === "NONE") {
    if (args.length !== 0) throw new DockerfileError("HEALTHCHECK NONE takes no arguments");
    return { Test: ["NONE"] };
  }
  const flags = new Flags(node.flags, { interval: "string", timeout: "string", "start-period": "string", "start-interval": "string", retries: "string" });
  if (kind !== "CMD") throw new DockerfileError(`Unknown type ${JSON.stringify(kind)} in HEALTHCHECK (try CMD)`);
  if (args.length === 0) throw new DockerfileError("Missing command after HEALTHCHECK CMD");
  const interval = (name: string): number => {
    const text = flags.string(name);
    if (text === "") return 0;
    let nanoseconds: number;
    try {
      nanoseconds = parseGoDuration(text);
    } catch (err) {
      throw new DockerfileError((err as Error).message);
    }
    if (nanoseconds !== 0 && nanoseconds < 1_000_000) throw new DockerfileError(`Interval ${JSON.stringify(name)} cannot be less than 1ms`);
    return nanoseconds;
  };
  // HealthConfig's fields are omitempty: zero values are not stored.
  const health: HealthConfig = { Test: [json ? "CMD" : "CMD-SHELL", ...args] };
  for (const [flag, field] of [["interval", "Interval"], ["timeout", "Timeout"], ["start-period", "StartPeriod"], ["start-interval", "StartInterval"]] as const) {
    const nanoseconds = interval(flag);
    if (nanoseconds !== 0) health[field] = nanoseconds;
  }
  const retries = flags.string("retries");
  if (retries !== "") {
    if (!/^[+-]?\d+$/.test(retries)) throw new DockerfileError(`strconv.ParseInt: parsing ${JSON.stringify(retries)}: invalid syntax`);
    const count = Number(retries);
    if (count < 0) throw new DockerfileError(`--retries cannot be negative (${count})`);
    if (count !== 0) health.Retries = count;
  }
  return health;
}
