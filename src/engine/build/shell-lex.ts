/**
 * Dockerfile word processing: quote removal, `$VAR`/`${VAR...}` expansion and word splitting.
 *
 * A port of BuildKit's frontend/dockerfile/shell/lex.go (as vendored by moby, buildkit v0.32.2),
 * Linux flavour (variable names are case-sensitive). Results and error texts follow it closely,
 * quirks included, because Dockerfiles that build with Docker must build the same here.
 */

/**
 * The variables a word is expanded against. BuildKit takes `KEY=VALUE` lines and the last
 * line for a key wins; build that map with {@link envFromList}, or pass any map or plain object.
 * Only own properties of a plain object count, so `constructor` or `__proto__` are never "set".
 */
export type ShellEnv = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

export interface ExpansionResult {
  result: string;
  /** Variables referenced that had a value (possibly empty). */
  matched: Set<string>;
  /** Variables referenced but unset (what BuildKit's UndefinedVar lint reports). */
  unmatched: Set<string>;
}

/**
 * A word that cannot be processed. `message` is BuildKit's full text
 * (`failed to process "<word>": <reason>`), which `docker build` shows.
 */
export class ShellLexError extends Error {
  constructor(
    /** The unprocessed word, as given. */
    readonly word: string,
    /** BuildKit's message without the `failed to process` prefix, e.g. `syntax error: missing '}'`. */
    readonly reason: string,
  ) {
    super(`failed to process ${goQuote(word)}: ${reason}`);
    this.name = "ShellLexError";
  }
}

/** `KEY=VALUE` lines (a line without `=` sets KEY to ""), the last one for a key winning, as BuildKit's EnvsFromSlice. */
export function envFromList(entries: Iterable<string>): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of entries) {
    const eq = entry.indexOf("=");
    if (eq < 0) env.set(entry, "");
    else env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

export class ShellLex {
  /** Keep quote characters in the result (the parser uses this to re-split words it will process again). */
  rawQuotes = false;
  /** Keep escape characters in the result. */
  rawEscapes = false;
  /** Treat quotes as ordinary characters (BuildKit does so for RUN --mount values). */
  skipProcessQuotes = false;
  /** Leave references to unset variables as written instead of expanding them to "". */
  skipUnsetEnv = false;
  /** The escape character as a code point, the unit the lexer reads in. */
  readonly escapeCodePoint: number;

  /** @param escapeToken the Dockerfile's escape directive: "\\" (default) or "`". */
  constructor(escapeToken: string) {
    const codePoint = escapeToken.codePointAt(0);
    if (codePoint === undefined || String.fromCodePoint(codePoint) !== escapeToken) {
      throw new TypeError(`escape token must be a single character, got ${JSON.stringify(escapeToken)}`);
    }
    this.escapeCodePoint = codePoint;
  }

  /** One word: quotes removed, variables expanded, inner whitespace kept. */
  processWord(word: string, env: ShellEnv): string {
    return this.process(word, env, true).result;
  }

  processWordWithMatches(word: string, env: ShellEnv): ExpansionResult {
    const { result, matched, unmatched } = this.process(word, env, true);
    return { result, matched, unmatched };
  }

  /**
   * Splits like a shell after expansion: unquoted whitespace, including whitespace coming from
   * unquoted variable values, separates words (ADD/COPY sources, EXPOSE, plain VOLUME...).
   */
  processWords(word: string, env: ShellEnv): string[] {
    return this.process(word, env, false).words;
  }

  private process(word: string, env: ShellEnv, capture: boolean) {
    const shellWord = new ShellWord(this, word, lookupIn(env), capture);
    try {
      const { text, words } = shellWord.processStopOn(EOF, this.rawEscapes);
      return { result: text, words, matched: shellWord.matched, unmatched: shellWord.unmatched };
    } catch (error) {
      if (error instanceof SubstitutionError) throw new ShellLexError(word, error.message);
      throw error;
    }
  }
}

/** Raised inside the lexer; ShellLex adds the word it was processing. */
class SubstitutionError extends Error {}

const EOF = -1;
const DOLLAR = 0x24;
const SINGLE_QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
const LESS_THAN = 0x3c;
const LEFT_BRACE = 0x7b;
const RIGHT_BRACE = 0x7d;
const COLON = 0x3a;
const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const STAR = 0x2a;
const QUESTION = 0x3f;
const HASH = 0x23;
const PERCENT = 0x25;
const PLUS = 0x2b;
const MINUS = 0x2d;

type EnvLookup = (name: string) => string | undefined;

function lookupIn(env: ShellEnv): EnvLookup {
  if (isMap(env)) return (name) => (env.has(name) ? env.get(name) : undefined);
  return (name) => (Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined);
}

function isMap(env: ShellEnv): env is ReadonlyMap<string, string> {
  return typeof (env as ReadonlyMap<string, string>).get === "function" && typeof (env as ReadonlyMap<string, string>).has === "function";
}

/** Go's text/scanner as lex.go uses it: code points, a leading byte order mark dropped, -1 at the end. */
class RuneScanner {
  private readonly runes: number[] = [];
  private pos = 0;

  constructor(text: string) {
    for (const char of text) {
      const codePoint = char.codePointAt(0)!;
      // Go reads UTF-8, where a lone surrogate can only arrive as U+FFFD.
      this.runes.push(codePoint >= 0xd800 && codePoint <= 0xdfff ? 0xfffd : codePoint);
    }
    if (this.runes[0] === 0xfeff) this.pos = 1;
  }

  peek(): number {
    return this.pos < this.runes.length ? this.runes[this.pos] : EOF;
  }

  next(): number {
    const rune = this.peek();
    if (rune !== EOF) this.pos++;
    return rune;
  }
}

/** Go's string(rune): the end-of-input marker prints as U+FFFD (it shows up in error texts). */
function runeString(rune: number): string {
  return rune < 0 ? "\ufffd" : String.fromCodePoint(rune);
}

/**
 * The text that words are collected in. One is shared by every nesting level of a single
 * ShellWord, as in lex.go, where a nested `${VAR:-...}` resets it: `a${X:-b}c` splits into the
 * single word `bc`. Docker behaves so, hence the sharing.
 */
interface WordsBuffer {
  text: string;
}

class WordSplitter {
  private readonly words: string[] = [];
  private inWord = false;

  constructor(private readonly buffer: WordsBuffer) {}

  addChar(rune: number): void {
    if (isGoSpace(rune) && this.inWord) {
      if (this.buffer.text.length !== 0) {
        this.words.push(this.buffer.text);
        this.buffer.text = "";
        this.inWord = false;
      }
    } else if (!isGoSpace(rune)) {
      this.addRawChar(rune);
    }
  }

  addRawChar(rune: number): void {
    this.buffer.text += String.fromCodePoint(rune);
    this.inWord = true;
  }

  addString(text: string): void {
    for (const char of text) this.addChar(char.codePointAt(0)!);
  }

  addRawString(text: string): void {
    this.buffer.text += text;
    this.inWord = true;
  }

  getWords(): string[] {
    if (this.buffer.text.length > 0) {
      this.words.push(this.buffer.text);
      this.buffer.text = "";
      this.inWord = false;
    }
    return this.words;
  }
}

class ShellWord {
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  private readonly scanner: RuneScanner;
  private readonly wordsBuffer: WordsBuffer = { text: "" };
  private rawEscapes: boolean;

  constructor(
    private readonly lex: ShellLex,
    word: string,
    private readonly lookup: EnvLookup,
    private readonly capture: boolean,
  ) {
    this.scanner = new RuneScanner(word);
    this.rawEscapes = lex.rawEscapes;
  }

  /** Processes up to `stopChar` (consumed) or the end of input when it is EOF. */
  processStopOn(stopChar: number, rawEscapes: boolean): { text: string; words: string[] } {
    let result = "";
    this.wordsBuffer.text = "";
    const words = new WordSplitter(this.wordsBuffer);
    const outerRawEscapes = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      while (this.scanner.peek() !== EOF) {
        let rune = this.scanner.peek();
        if (stopChar !== EOF && rune === stopChar) {
          this.scanner.next();
          return { text: result, words: words.getWords() };
        }
        const special = this.specialProcessor(rune);
        if (special) {
          const text = special();
          result += text;
          // Expanded values split into words; quoted text and heredoc markers stay whole.
          if (rune === DOLLAR) words.addString(text);
          else words.addRawString(text);
          continue;
        }
        rune = this.scanner.next();
        if (rune === this.lex.escapeCodePoint) {
          if (this.rawEscapes) {
            words.addRawChar(rune);
            result += String.fromCodePoint(rune);
          }
          rune = this.scanner.next();
          // A trailing escape is a line continuation the parser already joined: drop it.
          if (rune === EOF) break;
          words.addRawChar(rune);
        } else {
          words.addChar(rune);
        }
        result += String.fromCodePoint(rune);
      }
    } finally {
      this.rawEscapes = outerRawEscapes;
    }
    if (stopChar !== EOF) {
      throw new SubstitutionError(`unexpected end of statement while looking for matching ${runeString(stopChar)}`);
    }
    return { text: result, words: words.getWords() };
  }

  private specialProcessor(rune: number): (() => string) | undefined {
    switch (rune) {
      case DOLLAR:
        return () => this.processDollar();
      case LESS_THAN:
        return () => this.processPossibleHeredoc();
      case SINGLE_QUOTE:
        return this.lex.skipProcessQuotes ? undefined : () => this.processSingleQuote();
      case DOUBLE_QUOTE:
        return this.lex.skipProcessQuotes ? undefined : () => this.processDoubleQuote();
      default:
        return undefined;
    }
  }

  /** Everything up to the next `'` is literal; a single quote cannot be escaped inside. */
  private processSingleQuote(): string {
    let result = "";
    let rune = this.scanner.next();
    if (this.lex.rawQuotes) result += String.fromCodePoint(rune);
    for (;;) {
      rune = this.scanner.next();
      if (rune === EOF) throw new SubstitutionError("unexpected end of statement while looking for matching single-quote");
      if (rune === SINGLE_QUOTE) {
        if (this.lex.rawQuotes) result += String.fromCodePoint(rune);
        return result;
      }
      result += String.fromCodePoint(rune);
    }
  }

  /** `$` still expands; the escape token only escapes `"`, `$` and itself, else it stays literal (as in sh). */
  private processDoubleQuote(): string {
    let result = "";
    const opening = this.scanner.next();
    if (this.lex.rawQuotes) result += String.fromCodePoint(opening);
    for (;;) {
      const next = this.scanner.peek();
      if (next === EOF) throw new SubstitutionError("unexpected end of statement while looking for matching double-quote");
      if (next === DOUBLE_QUOTE) {
        const closing = this.scanner.next();
        if (this.lex.rawQuotes) result += String.fromCodePoint(closing);
        return result;
      }
      if (next === DOLLAR) {
        result += this.processDollar();
        continue;
      }
      let rune = this.scanner.next();
      if (rune === this.lex.escapeCodePoint) {
        if (this.rawEscapes) result += String.fromCodePoint(rune);
        const escaped = this.scanner.peek();
        if (escaped === EOF) continue; // the loop then reports the missing quote
        if (escaped === DOUBLE_QUOTE || escaped === DOLLAR || escaped === this.lex.escapeCodePoint) rune = this.scanner.next();
      }
      result += String.fromCodePoint(rune);
    }
  }

  private processDollar(): string {
    this.scanner.next();

    if (this.scanner.peek() !== LEFT_BRACE) {
      const name = this.processName();
      if (name === "") return "$";
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return "$" + name;
      return value ?? "";
    }

    this.scanner.next();
    const first = this.scanner.peek();
    if (first === EOF) throw new SubstitutionError("syntax error: missing '}'");
    if (first === LEFT_BRACE || first === RIGHT_BRACE || first === COLON) throw new SubstitutionError("syntax error: bad substitution");

    const name = this.processName();
    let modifier = this.scanner.next();
    let modifierText = runeString(modifier);

    if (modifier === RIGHT_BRACE) {
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}}`;
      return value ?? "";
    }
    if (modifier === COLON) {
      // Whatever follows the colon is taken as the modifier, checked only after the word is read.
      modifier = this.scanner.next();
      modifierText += runeString(modifier);
      return this.processModifier(name, modifier, modifierText, true);
    }
    if (modifier === PLUS || modifier === MINUS || modifier === QUESTION || modifier === HASH || modifier === PERCENT) {
      return this.processModifier(name, modifier, modifierText, false);
    }
    if (modifier === SLASH) return this.processReplacement(name);
    throw new SubstitutionError(`unsupported modifier (${modifierText}) in substitution`);
  }

  /** `${name-word}` and kin; with `nullIsUnset` (the `:` forms) an empty value counts as unset. */
  private processModifier(name: string, modifier: number, modifierText: string, nullIsUnset: boolean): string {
    // Patterns keep their escapes so that `\*` stays a literal star for the pattern matcher.
    const isPattern = modifier === HASH || modifier === PERCENT;
    if (nullIsUnset && isPattern) throw new SubstitutionError(`unsupported modifier (${modifierText}) in substitution`);
    let word = this.processUntilBrace(isPattern);

    const value = this.getEnv(name);
    if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}${modifierText}${word}}`;
    const unset = value === undefined || (nullIsUnset && value === "");

    switch (modifier) {
      case MINUS:
        return unset ? word : value!;
      case PLUS:
        return unset ? "" : word;
      case QUESTION:
        if (value === undefined) throw new SubstitutionError(`${name}: ${word !== "" ? word : "is not allowed to be unset"}`);
        if (nullIsUnset && value === "") throw new SubstitutionError(`${name}: ${word !== "" ? word : "is not allowed to be empty"}`);
        return value;
      case HASH:
      case PERCENT: {
        // A doubled # or % asks for the longest match instead of the shortest.
        const greedy = word.length > 0 && word.codePointAt(0) === modifier;
        if (greedy) word = word.slice(1);
        return modifier === PERCENT ? trimSuffix(word, value ?? "", greedy) : trimPrefix(word, value ?? "", greedy);
      }
      default:
        throw new SubstitutionError(`unsupported modifier (${modifierText}) in substitution`);
    }
  }

  /** `${name/pattern/replacement}` (first match) and `${name//pattern/replacement}` (all). */
  private processReplacement(name: string): string {
    const replaceAll = this.scanner.peek() === SLASH;
    if (replaceAll) this.scanner.next();

    let pattern: string;
    try {
      pattern = this.processStopOn(SLASH, true).text;
    } catch (error) {
      if (error instanceof SubstitutionError && this.scanner.peek() === EOF) throw new SubstitutionError("syntax error: missing '/' in ${}");
      throw error;
    }
    const replacement = this.processUntilBrace(true);

    const found = this.getEnv(name);
    // BuildKit writes the unexpanded form back with a single slash even for `//`.
    if (found === undefined && this.lex.skipUnsetEnv) return `\${${name}/${pattern}/${replacement}}`;
    const value = found ?? "";

    const regex = compilePattern(pattern, true, false, replaceAll ? "gu" : "u");
    if (replaceAll) return replaceAllLikeGo(regex, value, replacement);
    const match = regex.exec(value);
    if (!match) return value;
    return value.slice(0, match.index) + replacement + value.slice(match.index + match[0].length);
  }

  private processUntilBrace(rawEscapes: boolean): string {
    try {
      return this.processStopOn(RIGHT_BRACE, rawEscapes).text;
    } catch (error) {
      if (error instanceof SubstitutionError && this.scanner.peek() === EOF) throw new SubstitutionError("syntax error: missing '}'");
      throw error;
    }
  }

  /** A name of letters, digits and `_`; a leading digit makes a positional name of digits only; or one special parameter. */
  private processName(): string {
    let name = "";
    while (this.scanner.peek() !== EOF) {
      const rune = this.scanner.peek();
      if (name === "" && isGoDigit(rune)) {
        while (this.scanner.peek() !== EOF && isGoDigit(this.scanner.peek())) name += String.fromCodePoint(this.scanner.next());
        return name;
      }
      if (name === "" && isSpecialParam(rune)) return String.fromCodePoint(this.scanner.next());
      if (!isGoLetter(rune) && !isGoDigit(rune) && rune !== 0x5f) break;
      name += String.fromCodePoint(this.scanner.next());
    }
    return name;
  }

  /** `<<` passes through with any blanks after it, so a heredoc marker like `<< EOF` stays one word. */
  private processPossibleHeredoc(): string {
    this.scanner.next();
    if (this.scanner.peek() !== LESS_THAN) return "<";
    this.scanner.next();
    let space = "";
    while (isHeredocBlank(this.scanner.peek())) space += String.fromCodePoint(this.scanner.next());
    return "<<" + space;
  }

  private getEnv(name: string): string | undefined {
    const value = this.lookup(name);
    if (this.capture) (value === undefined ? this.unmatched : this.matched).add(name);
    return value;
  }
}

/** POSIX special parameters ($@, $*, ...): never set in a Dockerfile, but they must parse as names. */
function isSpecialParam(rune: number): boolean {
  switch (rune) {
    case 0x40: // @
    case STAR:
    case HASH:
    case QUESTION:
    case MINUS:
    case DOLLAR:
    case 0x21: // !
    case 0x30: // 0
      return true;
    default:
      return false;
  }
}

function isHeredocBlank(rune: number): boolean {
  return rune === 0x09 || rune === 0x0d || rune === 0x20;
}

/** Go's unicode.IsSpace (JavaScript's \s differs: it has U+FEFF and lacks U+0085). */
function isGoSpace(rune: number): boolean {
  switch (rune) {
    case 0x09:
    case 0x0a:
    case 0x0b:
    case 0x0c:
    case 0x0d:
    case 0x20:
    case 0x85:
    case 0xa0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202f:
    case 0x205f:
    case 0x3000:
      return true;
    default:
      return rune >= 0x2000 && rune <= 0x200a;
  }
}

const decimalDigit = /^\p{Nd}$/u;
const letter = /^\p{L}$/u;

function isGoDigit(rune: number): boolean {
  if (rune < 0x80) return rune >= 0x30 && rune <= 0x39;
  return decimalDigit.test(String.fromCodePoint(rune));
}

function isGoLetter(rune: number): boolean {
  if (rune < 0) return false;
  return letter.test(String.fromCodePoint(rune));
}

/**
 * A shell pattern (`?` one character, `*` any run: the longest when greedy, else the shortest;
 * `\` escapes `*`, `?` and itself; no bracket expressions) as a regular expression with Go's
 * semantics: `.` does not match a newline.
 */
function compilePattern(pattern: string, greedy: boolean, anchored: boolean, flags: string): RegExp {
  const scanner = new RuneScanner(pattern);
  const anyChar = "[^\\n]";
  const star = greedy ? `${anyChar}*` : `${anyChar}*?`;
  let source = anchored ? "^" : "";
  for (let rune = scanner.next(); rune !== EOF; rune = scanner.next()) {
    switch (rune) {
      case STAR:
        source += star;
        continue;
      case QUESTION:
        source += anyChar;
        continue;
      case BACKSLASH:
        // `\}` and `\/` only kept the brace or slash from ending the ${}: not part of the pattern.
        if (scanner.peek() === RIGHT_BRACE || scanner.peek() === SLASH) continue;
        source += "\\";
        rune = scanner.next();
        if (rune !== STAR && rune !== QUESTION && rune !== BACKSLASH) {
          throw new SubstitutionError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${runeString(rune)}'`);
        }
        break;
      case 0x5b: // [
      case 0x5d: // ]
      case LEFT_BRACE:
      case RIGHT_BRACE:
      case 0x2e: // .
      case PLUS:
      case 0x28: // (
      case 0x29: // )
      case 0x7c: // |
      case 0x5e: // ^
      case DOLLAR:
        source += "\\";
        break;
    }
    source += String.fromCodePoint(rune);
  }
  return new RegExp(source, flags);
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const match = compilePattern(pattern, greedy, true, "u").exec(value);
  return match ? value.slice(match[0].length) : value;
}

/**
 * A leftmost search cannot find the shortest rightmost match, so both the pattern and the value
 * are reversed and the prefix trimmed (error texts then show the reversed pattern, as BuildKit's).
 */
function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverseString(trimPrefix(reversePattern(pattern), reverseString(value), greedy));
}

function reverseString(text: string): string {
  return Array.from(text).reverse().join("");
}

/** Reverses a pattern keeping each escape before the character it escapes: `a\*c` → `c\*a`. */
function reversePattern(pattern: string): string {
  const runes = Array.from(pattern);
  const out = new Array<string>(runes.length);
  const lastIdx = runes.length - 1;
  for (let i = 0; i <= lastIdx; ) {
    const outIdx = lastIdx - i;
    if (runes[i] === "\\" && i !== lastIdx) {
      out[outIdx - 1] = runes[i];
      out[outIdx] = runes[i + 1];
      i += 2;
    } else {
      out[outIdx] = runes[i];
      i++;
    }
  }
  return out.join("");
}

/**
 * Go's Regexp.ReplaceAllString: an empty match right after a match is not replaced (JavaScript
 * replaces it), and `$0`/`${0}` in the replacement stand for the match, `$$` for `$`.
 */
function replaceAllLikeGo(regex: RegExp, src: string, template: string): string {
  let out = "";
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= src.length) {
    regex.lastIndex = searchPos;
    const match = regex.exec(src);
    if (!match) break;
    const start = match.index;
    const end = start + match[0].length;
    out += src.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0) out += expandTemplate(template, match[0]);
    lastMatchEnd = end;
    const width = searchPos < src.length ? (src.codePointAt(searchPos)! > 0xffff ? 2 : 1) : 0;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  return out + src.slice(lastMatchEnd);
}

/** Go's Regexp.Expand for a regular expression without groups: only group 0 (the match) has text. */
function expandTemplate(template: string, whole: string): string {
  let out = "";
  let rest = template;
  for (;;) {
    const dollar = rest.indexOf("$");
    if (dollar < 0) break;
    out += rest.slice(0, dollar);
    rest = rest.slice(dollar + 1);
    if (rest.startsWith("$")) {
      out += "$";
      rest = rest.slice(1);
      continue;
    }
    const reference = parseGroupReference(rest);
    if (!reference) {
      out += "$";
      continue;
    }
    rest = reference.rest;
    if (reference.name === "0") out += whole;
  }
  return out + rest;
}

function parseGroupReference(text: string): { name: string; rest: string } | undefined {
  const braced = text.startsWith("{");
  const body = braced ? text.slice(1) : text;
  let length = 0;
  for (const char of body) {
    const rune = char.codePointAt(0)!;
    if (!isGoLetter(rune) && !isGoDigit(rune) && rune !== 0x5f) break;
    length += char.length;
  }
  if (length === 0) return undefined;
  const name = body.slice(0, length);
  if (!braced) return { name, rest: body.slice(length) };
  if (body[length] !== "}") return undefined;
  return { name, rest: body.slice(length + 1) };
}

/** Go's strconv.Quote, which BuildKit's error texts use for the word. */
function goQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const rune = char.codePointAt(0)!;
    if (rune === 0x22 || rune === 0x5c) out += "\\" + char;
    else if (rune >= 0xd800 && rune <= 0xdfff) out += "\ufffd";
    else if (isGoPrint(char)) out += char;
    else out += goEscape(rune);
  }
  return out + '"';
}

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function isGoPrint(char: string): boolean {
  return printable.test(char);
}

function goEscape(rune: number): string {
  switch (rune) {
    case 0x07:
      return "\\a";
    case 0x08:
      return "\\b";
    case 0x0c:
      return "\\f";
    case 0x0a:
      return "\\n";
    case 0x0d:
      return "\\r";
    case 0x09:
      return "\\t";
    case 0x0b:
      return "\\v";
  }
  if (rune < 0x20 || rune === 0x7f) return "\\x" + rune.toString(16).padStart(2, "0");
  if (rune < 0x10000) return "\\u" + rune.toString(16).padStart(4, "0");
  return "\\U" + rune.toString(16).padStart(8, "0");
}
