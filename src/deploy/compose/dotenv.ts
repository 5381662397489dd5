/**
 * `.env` and `env_file` parsing, ported from compose-go's dotenv package (parser.go,
 * godotenv.go): `export`, `KEY: value`, quotes with shell escapes in double quotes, inline
 * comments after " #", `${VAR}` expanded from the lookup and earlier keys, a bare `KEY` line
 * taken from the lookup when it is set there.
 */
import { substitute, type Lookup } from "./template.ts";

const unicodeSpace = /[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]/;

/** Space but not a line break, as the parser's own isSpace. */
function isInlineSpace(char: string): boolean {
  return char === "\t" || char === "\v" || char === "\f" || char === "\r" || char === " " || char === "\u0085" || char === "\u00A0";
}

function trimLeftInline(text: string): string {
  let index = 0;
  while (index < text.length && isInlineSpace(text[index])) index++;
  return text.slice(index);
}

function trimRightUnicode(text: string): string {
  let end = text.length;
  while (end > 0 && unicodeSpace.test(text[end - 1])) end--;
  return text.slice(0, end);
}

/**
 * Parses env-file text into `into` (later keys override earlier ones), resolving `${VAR}` first
 * from `lookup`, then from keys already read. Errors read as compose-go's ("line 3: ...").
 */
export function parseDotenv(source: string, into: Record<string, string>, lookup: Lookup = () => undefined): void {
  new DotenvParser(lookup, into).parse(source.replace(/^\uFEFF/, ""));
}

class DotenvParser {
  private line = 1;

  constructor(
    private readonly lookup: Lookup,
    private readonly out: Record<string, string>,
  ) {}

  parse(source: string): void {
    let cutset = source;
    for (;;) {
      cutset = this.statementStart(cutset);
      if (cutset === "") return;
      const { key, rest, inherited } = this.keyName(cutset);
      if (key.includes(" ")) throw new Error(`line ${this.line}: key cannot contain a space`);
      if (inherited) {
        const value = this.lookup(key);
        if (value !== undefined) this.out[key] = value;
        cutset = rest;
        continue;
      }
      const extracted = this.value(rest);
      this.out[key] = extracted.value;
      cutset = extracted.rest;
    }
  }

  /** Skips blank lines and comment lines. */
  private statementStart(source: string): string {
    let text = source;
    for (;;) {
      let position = -1;
      for (let i = 0; i < text.length; i++) {
        if (text[i] === "\n") this.line++;
        if (!unicodeSpace.test(text[i])) {
          position = i;
          break;
        }
      }
      if (position === -1) return "";
      text = text.slice(position);
      if (text[0] !== "#") return text;
      const newline = text.indexOf("\n");
      if (newline === -1) return "";
      text = text.slice(newline);
    }
  }

  private keyName(source: string): { key: string; rest: string; inherited: boolean } {
    let text = source;
    if (/^export\s+/.test(text)) text = trimLeftInline(text.slice("export".length));
    let key = "";
    let offset = 0;
    let inherited = false;
    let char = "";
    for (let i = 0; i < text.length; i += char.length) {
      char = String.fromCodePoint(text.codePointAt(i)!);
      if (isInlineSpace(char)) continue;
      if (char === "=" || char === ":" || char === "\n") {
        // KEY: value is accepted too (yaml style); a line break ends a bare KEY.
        key = text.slice(0, i);
        offset = i + 1;
        inherited = char === "\n";
        break;
      }
      if ("_.-[]".includes(char) || /[\p{L}\p{N}]/u.test(char)) continue;
      throw new Error(`line ${this.line}: unexpected character ${JSON.stringify(char)} in variable name ${JSON.stringify(text.split("\n")[0])}`);
    }
    if (text === "") throw new Error("zero length string");
    if (inherited && !key.includes(" ")) this.line++;
    return { key: trimRightUnicode(key), rest: trimLeftInline(text.slice(offset)), inherited };
  }

  private value(source: string): { value: string; rest: string } {
    const quote = source[0];
    if (quote !== '"' && quote !== "'") {
      const newline = source.indexOf("\n");
      let value = newline === -1 ? source : source.slice(0, newline);
      const rest = newline === -1 ? "" : source.slice(newline + 1);
      this.line++;
      const comment = value.indexOf(" #");
      if (comment !== -1) value = value.slice(0, comment);
      return { value: this.expand(trimRightUnicode(value)), rest };
    }
    let previousWasEscape = false;
    let chars = "";
    for (let i = 1; i < source.length; i++) {
      const char = source[i];
      if (char === "\n") this.line++;
      if (char !== quote) {
        if (!previousWasEscape && char === "\\") {
          previousWasEscape = true;
          continue;
        }
        if (previousWasEscape) {
          previousWasEscape = false;
          chars += "\\";
        }
        chars += char;
        continue;
      }
      if (previousWasEscape) {
        // An escaped quote of the kind that opened the value stays, without its backslash.
        previousWasEscape = false;
        chars += char;
        continue;
      }
      const value = quote === '"' ? this.expand(expandEscapes(chars)) : chars;
      return { value, rest: source.slice(i + 1) };
    }
    const newline = source.indexOf("\n");
    throw new Error(`line ${this.line}: unterminated quoted value ${newline === -1 ? source : source.slice(0, newline)}`);
  }

  private expand(value: string): string {
    return substitute(value, (name) => this.lookup(name) ?? (Object.hasOwn(this.out, name) ? this.out[name] : undefined));
  }
}

const simpleEscapes: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", '"': '"', "\\": "\\" };

/**
 * The shell escapes of double-quoted values. `\$` becomes `$$` so the substitution that follows
 * keeps a literal `$`; `\0NNN` is an octal byte (XSI echo); anything Go's strconv.UnquoteChar
 * refuses (like `\c` or `\012`, too few digits once the 0 is dropped) stays as written.
 */
function expandEscapes(text: string): string {
  return text.replace(/\\(?:[abcfnrtv$"\\]|0\d{0,3})/g, (match) => {
    if (match === "\\$") return "$$";
    if (match.startsWith("\\0")) {
      const digits = match.slice(2);
      if (!/^[0-7]{3}$/.test(digits)) return match;
      const code = Number.parseInt(digits, 8);
      return code > 255 ? match : String.fromCharCode(code);
    }
    return simpleEscapes[match[1]] ?? match;
  });
}
