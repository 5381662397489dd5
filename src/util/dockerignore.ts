import { cleanPath } from "./archive-copy.ts";

/**
 * .dockerignore semantics, ported from moby/patternmatcher (PatternMatcher, Pattern and
 * ignorefile.ReadAll) and docker/cli's TrimBuildFilesFromExcludes. A pattern becomes a Go
 * regular expression exactly as patternmatcher builds it (a `[` or `\` from the pattern goes
 * through unchanged, so the pattern can reach parts of Go's regexp syntax), and that Go
 * expression is translated to an equivalent JavaScript one. Paths are slash-separated.
 */

/** filepath.ErrBadPattern: a malformed pattern, found when the matcher is made or, for what only Go's regexp parser rejects, when the pattern is first used. */
export class PatternSyntaxError extends Error {
  constructor() {
    super("syntax error in pattern");
  }
}

/** Go's filepath.Dir. */
function dirName(path: string): string {
  return cleanPath(path.slice(0, path.lastIndexOf("/") + 1));
}

/** unicode.IsSpace's characters, which Go's strings.TrimSpace removes (JavaScript's trim differs: it removes U+FEFF, keeps U+0085). */
const goSpace = "\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

function trimSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && goSpace.includes(text[start])) start++;
  while (end > start && goSpace.includes(text[end - 1])) end--;
  return text.slice(start, end);
}

export type MatchType = "exact" | "prefix" | "suffix" | "regexp";

/**
 * patternmatcher's compile: the match type and, for "regexp", Go's regular expression. A "**"
 * at the very start makes a suffix match, a trailing one a prefix match; "**" elsewhere is
 * "any number of directories". Go means to escape `.+()|{}$`, but its bitmap of them (a bit
 * per byte value, `1 << (b / 8)` in a byte) loses the ones from 64 up: only `.+()$` are
 * escaped, so `{`, `}` and `|` keep their regexp meaning, as do `[`, `]`, `^` and `\`.
 */
export function compilePattern(pattern: string): { type: MatchType; goRegexp: string } {
  const chars = Array.from(pattern);
  // text/scanner drops a byte order mark at the start.
  let pos = chars[0] === "\uFEFF" ? 1 : 0;
  let regexp = "^";
  let type: MatchType = "exact";
  for (let i = 0; pos < chars.length; i++) {
    const ch = chars[pos++];
    if (ch === "*") {
      if (chars[pos] === "*") {
        pos++;
        // "**/" is "**".
        if (chars[pos] === "/") pos++;
        if (pos === chars.length) {
          // A trailing "**" accepts everything, as in .gitignore.
          if (type === "exact") type = "prefix";
          else {
            regexp += ".*";
            type = "regexp";
          }
        } else {
          regexp += "(.*/)?";
          type = "regexp";
        }
        if (i === 0) type = "suffix";
      } else {
        regexp += "[^/]*";
        type = "regexp";
      }
    } else if (ch === "?") {
      regexp += "[^/]";
      type = "regexp";
    } else if (".+()$".includes(ch)) {
      regexp += `\\${ch}`;
    } else if (ch === "\\") {
      // Escapes the next character; a trailing backslash stays (filepath.Match rejected it already).
      if (pos < chars.length) {
        regexp += `\\${chars[pos++]}`;
        type = "regexp";
      } else regexp += "\\";
    } else if (ch === "[" || ch === "]") {
      regexp += ch;
      type = "regexp";
    } else regexp += ch;
  }
  return type === "regexp" ? { type, goRegexp: `${regexp}$` } : { type, goRegexp: "" };
}

/** One .dockerignore pattern, cleaned, without its "!". */
export class Pattern {
  readonly dirs: string[];
  private compiled?: { type: MatchType; regexp?: RegExp };

  constructor(
    readonly text: string,
    readonly exclusion: boolean,
  ) {
    this.dirs = text.split("/");
  }

  /** Whether `path` matches; throws PatternSyntaxError (each time) when Go's regexp parser would reject the pattern. */
  match(path: string): boolean {
    this.compiled ??= compileToJs(this.text);
    const { type, regexp } = this.compiled;
    switch (type) {
      case "exact":
        return path === this.text;
      case "prefix":
        return path.startsWith(this.text.slice(0, -2));
      case "suffix": {
        const suffix = this.text.slice(2);
        // "**/foo" matches "foo" too.
        return path.endsWith(suffix) || (suffix.startsWith("/") && path === suffix.slice(1));
      }
      case "regexp":
        return regexp!.test(path);
    }
  }

  /** patternmatcher ignores errors when it tries a pattern on a parent directory. */
  matchOrFalse(path: string): boolean {
    try {
      return this.match(path);
    } catch {
      return false;
    }
  }
}

function compileToJs(pattern: string): { type: MatchType; regexp?: RegExp } {
  const { type, goRegexp } = compilePattern(pattern);
  return type === "regexp" ? { type, regexp: translateGoRegexp(goRegexp) } : { type };
}

/** What a directory's patterns matched, handed to its entries (patternmatcher's MatchInfo). */
export interface MatchInfo {
  parentMatched: boolean[];
}

export class PatternMatcher {
  readonly patterns: Pattern[] = [];

  /** patternmatcher.New: trims and cleans each pattern, drops empty ones, checks syntax as filepath.Match does. */
  constructor(patterns: readonly string[]) {
    for (const raw of patterns) {
      let pattern = trimSpace(raw);
      if (pattern === "") continue;
      pattern = cleanPath(pattern);
      let exclusion = false;
      if (pattern.startsWith("!")) {
        if (pattern.length === 1) throw new Error('illegal exclusion pattern: "!"');
        exclusion = true;
        pattern = pattern.slice(1);
      }
      if (!isValidGlob(pattern)) throw new PatternSyntaxError();
      this.patterns.push(new Pattern(pattern, exclusion));
    }
  }

  /**
   * The deprecated Matches, which tries only the parent directory as deep as the pattern.
   * docker/cli still uses it in TrimBuildFilesFromExcludes.
   */
  matches(file: string): boolean {
    let matched = false;
    const parentPath = dirName(file);
    const parentDirs = parentPath.split("/");
    for (const pattern of this.patterns) {
      // An inclusion cannot change a match, an exception only a match.
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(file);
      if (!match && parentPath !== "." && pattern.dirs.length <= parentDirs.length) {
        match = pattern.matchOrFalse(parentDirs.slice(0, pattern.dirs.length).join("/"));
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /** Whether `file` or one of its parent directories matches, last matching pattern winning. */
  matchesOrParentMatches(file: string): boolean {
    let matched = false;
    const parentPath = dirName(file);
    const parentDirs = parentPath.split("/");
    for (const pattern of this.patterns) {
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(file);
      if (!match && parentPath !== ".") {
        for (let i = 1; i <= parentDirs.length && !match; i++) match = pattern.matchOrFalse(parentDirs.slice(0, i).join("/"));
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /**
   * matchesOrParentMatches for a tree walk: `parent` is what the parent directory's call
   * returned (undefined at the top, or when unknown: then the parents are tried as above).
   */
  matchesUsingParentResults(file: string, parent?: MatchInfo): { matched: boolean; info: MatchInfo } {
    const parentMatched = parent?.parentMatched ?? [];
    if (parentMatched.length !== 0 && parentMatched.length !== this.patterns.length) throw new Error("wrong number of values in parentMatched");
    let matched = false;
    const info: MatchInfo = { parentMatched: new Array<boolean>(this.patterns.length).fill(false) };
    const parentPath = dirName(file);
    this.patterns.forEach((pattern, i) => {
      // A pattern that matched the parent matches its entries, whatever their order.
      let match = parentMatched.length !== 0 && parentMatched[i];
      if (!match) {
        if (pattern.exclusion !== matched) return;
        match = pattern.match(file);
        if (!match && parentMatched.length === 0 && parentPath !== ".") {
          const parentDirs = parentPath.split("/");
          for (let j = 1; j <= parentDirs.length && !match; j++) match = pattern.matchOrFalse(parentDirs.slice(0, j).join("/"));
        }
      }
      info.parentMatched[i] = match;
      if (match) matched = !pattern.exclusion;
    });
    return { matched, info };
  }
}

/** patternmatcher's deprecated package-level Matches (what TrimBuildFilesFromExcludes calls). */
export function matches(file: string, patterns: readonly string[]): boolean {
  const matcher = new PatternMatcher(patterns);
  const cleaned = cleanPath(file);
  // "." is never excluded: excluding the whole context makes no sense.
  return cleaned !== "." && matcher.matches(cleaned);
}

/** patternmatcher's package-level MatchesOrParentMatches. */
export function matchesOrParentMatches(file: string, patterns: readonly string[]): boolean {
  const matcher = new PatternMatcher(patterns);
  const cleaned = cleanPath(file);
  return cleaned !== "." && matcher.matchesOrParentMatches(cleaned);
}

/** bufio.Scanner's limit on a line (MaxScanTokenSize). */
const maxLineBytes = 64 * 1024;

/**
 * ignorefile.ReadAll: the patterns of a .dockerignore file. A UTF-8 byte order mark is dropped,
 * lines starting with "#" are comments, each line is trimmed and cleaned, a leading "/" is
 * dropped ("/foo" is "foo"), and a "!" stays in front.
 */
export function readIgnoreFile(content: Buffer | string): string[] {
  const bytes = typeof content === "string" ? Buffer.from(content) : content;
  const patterns: string[] = [];
  let start = 0;
  for (let lineNumber = 0; start < bytes.length; lineNumber++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    if (end - start >= maxLineBytes) throw new Error("bufio.Scanner: token too long");
    let line = bytes.subarray(start, end);
    start = end + 1;
    // bufio.ScanLines drops a carriage return before the newline.
    if (line.at(-1) === 0x0d) line = line.subarray(0, -1);
    if (lineNumber === 0 && line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf) line = line.subarray(3);
    let pattern = line.toString("utf8");
    if (pattern.startsWith("#")) continue;
    pattern = trimSpace(pattern);
    if (pattern === "") continue;
    const invert = pattern.startsWith("!");
    if (invert) pattern = trimSpace(pattern.slice(1));
    if (pattern !== "") {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith("/")) pattern = pattern.slice(1);
    }
    patterns.push(invert ? `!${pattern}` : pattern);
  }
  return patterns;
}

/**
 * docker/cli's TrimBuildFilesFromExcludes: the CLI always sends .dockerignore and the
 * Dockerfile (the daemon needs them and removes them itself), so it adds an exception for each
 * that the patterns exclude. `dockerfile` is its slash-separated path in the context.
 */
export function trimBuildFilesFromExcludes(excludes: readonly string[], dockerfile: string, dockerfileFromStdin: boolean): string[] {
  const result = [...excludes];
  if (matchesOrFalse(".dockerignore", result)) result.push("!.dockerignore");
  if (matchesOrFalse(dockerfile, result) && !dockerfileFromStdin) result.push(`!${dockerfile}`);
  return result;
}

/** The CLI ignores errors here: bad patterns fail the build elsewhere. */
function matchesOrFalse(file: string, patterns: readonly string[]): boolean {
  try {
    return matches(file, patterns);
  } catch {
    return false;
  }
}

/**
 * filepath.Match(pattern, ".") for its error only, as patternmatcher.New calls it: Go checks
 * the syntax of every chunk (the text between stars outside brackets), whatever the name.
 */
function isValidGlob(pattern: string): boolean {
  const chars = Array.from(pattern);
  let pos = 0;
  while (pos < chars.length) {
    while (chars[pos] === "*") pos++;
    let end = pos;
    let inRange = false;
    for (; end < chars.length; end++) {
      const ch = chars[end];
      if (ch === "\\") {
        if (end + 1 < chars.length) end++;
      } else if (ch === "[") inRange = true;
      else if (ch === "]") inRange = false;
      else if (ch === "*" && !inRange) break;
    }
    if (!isValidGlobChunk(chars.slice(pos, end))) return false;
    pos = end;
  }
  return true;
}

function isValidGlobChunk(chunk: string[]): boolean {
  let i = 0;
  while (i < chunk.length) {
    if (chunk[i] === "[") {
      i++;
      if (chunk[i] === "^") i++;
      for (let ranges = 0; ; ranges++) {
        if (chunk[i] === "]" && ranges > 0) {
          i++;
          break;
        }
        i = afterClassChar(chunk, i);
        if (i < 0) return false;
        if (chunk[i] === "-") {
          i = afterClassChar(chunk, i + 1);
          if (i < 0) return false;
        }
      }
    } else if (chunk[i] === "\\") {
      if (i + 1 >= chunk.length) return false;
      i += 2;
    } else i++;
  }
  return true;
}

/** filepath's getEsc: where a (possibly escaped) bracket character ends, or -1 when the chunk is malformed there. */
function afterClassChar(chunk: string[], i: number): number {
  if (i >= chunk.length || chunk[i] === "-" || chunk[i] === "]") return -1;
  if (chunk[i] === "\\" && ++i >= chunk.length) return -1;
  // A bracket expression must go on (to its "]") after the character.
  return i + 1 >= chunk.length ? -1 : i + 1;
}

// ---- Go regular expressions (RE2 syntax, as regexp.Compile reads it) in JavaScript ----

type Ranges = Array<[number, number]>;

/** Go's Perl classes and POSIX [:name:] classes are ASCII only. */
const perlClasses: Record<string, Ranges> = {
  d: [[0x30, 0x39]],
  s: [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]],
  w: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]],
};

const posixClasses = new Map<string, Ranges>(Object.entries({
  alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  ascii: [[0x00, 0x7f]],
  blank: [[0x09, 0x09], [0x20, 0x20]],
  cntrl: [[0x00, 0x1f], [0x7f, 0x7f]],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: [[0x09, 0x0d], [0x20, 0x20]],
  upper: [[0x41, 0x5a]],
  word: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]],
  xdigit: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
} as Record<string, Ranges>));

/** Go's unicode.Categories; any other \p name is a script. */
const unicodeCategories = new Set("C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs".split(" "));

const codePoint = (cp: number) => `\\u{${cp.toString(16)}}`;

/** Class items for ranges, or for their complement. */
function rangeItems(ranges: Ranges, negated: boolean): string {
  let result = "";
  const add = (lo: number, hi: number) => (result += lo === hi ? codePoint(lo) : `${codePoint(lo)}-${codePoint(hi)}`);
  if (!negated) ranges.forEach(([lo, hi]) => add(lo, hi));
  else {
    let next = 0;
    for (const [lo, hi] of ranges) {
      if (lo > next) add(next, lo - 1);
      next = hi + 1;
    }
    if (next <= 0x10ffff) add(next, 0x10ffff);
  }
  return result;
}

const bad = (): never => {
  throw new PatternSyntaxError();
};

const isOctal = (ch: string | undefined) => ch !== undefined && ch >= "0" && ch <= "7";

function hexValue(ch: string | undefined): number {
  return ch !== undefined && /^[0-9a-fA-F]$/.test(ch) ? parseInt(ch, 16) : -1;
}

const cEscapes: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };

/** Go's parseEscape at chars[i] === "\\": the code point and where the escape ends. */
function parseEscape(chars: string[], i: number): [number, number] {
  const ch = chars[i + 1] ?? bad();
  let j = i + 2;
  const cp = ch.codePointAt(0)!;
  // Escaped punctuation is itself; an escaped letter or digit has to mean something.
  if (cp < 0x80 && !/[0-9A-Za-z]/.test(ch)) return [cp, j];
  if (ch >= "1" && ch <= "7" && !isOctal(chars[j])) bad(); // a backreference
  if (ch >= "0" && ch <= "7") {
    let value = cp - 0x30;
    for (let n = 1; n < 3 && isOctal(chars[j]); n++) value = value * 8 + chars[j++].charCodeAt(0) - 0x30;
    return [value, j];
  }
  if (ch === "x") {
    if (chars[j] === "{") {
      let value = 0;
      let digits = 0;
      for (j++; chars[j] !== "}"; j++, digits++) {
        const digit = hexValue(chars[j]);
        if (digit < 0) bad();
        value = value * 16 + digit;
        if (value > 0x10ffff) bad();
      }
      if (digits === 0) bad();
      return [value, j + 1];
    }
    const high = hexValue(chars[j]);
    const low = hexValue(chars[j + 1]);
    if (high < 0 || low < 0) bad();
    return [high * 16 + low, j + 2];
  }
  if (Object.hasOwn(cEscapes, ch)) return [cEscapes[ch], j];
  return bad();
}

/** \pL, \p{Greek}, \P{^Lu} at chars[i]: a JavaScript class item and where it ends. */
function parseUnicodeClass(chars: string[], i: number): [string, number] {
  let negated = chars[i + 1] === "P";
  let name: string;
  let end: number;
  if (chars[i + 2] !== "{") {
    name = chars[i + 2] ?? bad();
    end = i + 3;
  } else {
    const close = chars.indexOf("}", i + 3);
    if (close < 0) bad();
    name = chars.slice(i + 3, close).join("");
    end = close + 1;
  }
  if (name.startsWith("^")) {
    negated = !negated;
    name = name.slice(1);
  }
  if (name === "Any") return [rangeItems([[0, 0x10ffff]], negated), end];
  const property = unicodeCategories.has(name) ? name : `Script=${name}`;
  return [`\\${negated ? "P" : "p"}{${property}}`, end];
}

/** A Perl class escape (\d, \S, ...) at chars[i], as class items, or undefined. */
function perlClassAt(chars: string[], i: number): string | undefined {
  const letter = chars[i + 1] ?? "";
  const ranges = perlClasses[letter.toLowerCase()];
  if (chars[i] !== "\\" || ranges === undefined) return undefined;
  return rangeItems(ranges, letter !== letter.toLowerCase());
}

/** Go's parseClass at chars[i] === "[": a JavaScript class and where it ends. */
function parseClass(chars: string[], i: number): [string, number] {
  let j = i + 1;
  let negated = false;
  if (chars[j] === "^") {
    negated = true;
    j++;
  }
  let items = "";
  // "]" right after "[" or "[^" is a character.
  for (let first = true; first || chars[j] !== "]"; first = false) {
    if (j >= chars.length) bad();
    if (chars[j] === "[" && chars[j + 1] === ":" && j + 2 < chars.length) {
      // Go looks for ":]" anywhere further on; an unknown name is an error.
      const rest = chars.slice(j).join("");
      const close = rest.indexOf(":]", 2);
      if (close >= 0) {
        const name = rest.slice(2, close);
        const ranges = posixClasses.get(name.replace(/^\^/, "")) ?? bad();
        items += rangeItems(ranges, name.startsWith("^"));
        j += Array.from(rest.slice(0, close + 2)).length;
        continue;
      }
    }
    if (chars[j] === "\\" && (chars[j + 1] === "p" || chars[j + 1] === "P")) {
      const [item, end] = parseUnicodeClass(chars, j);
      items += item;
      j = end;
      continue;
    }
    const perl = perlClassAt(chars, j);
    if (perl !== undefined) {
      items += perl;
      j += 2;
      continue;
    }
    let lo: number;
    [lo, j] = classChar(chars, j);
    let hi = lo;
    if (chars[j] === "-" && j + 1 < chars.length && chars[j + 1] !== "]") {
      [hi, j] = classChar(chars, j + 1);
      if (hi < lo) bad();
    }
    items += rangeItems([[lo, hi]], false);
  }
  return [`[${negated ? "^" : ""}${items}]`, j + 1];
}

function classChar(chars: string[], i: number): [number, number] {
  if (i >= chars.length) bad();
  if (chars[i] === "\\") return parseEscape(chars, i);
  return [chars[i].codePointAt(0)!, i + 1];
}

/** Go lets an assertion be repeated ("^{2}"), JavaScript only a group. */
const anchor = (assertion: string) => `(?:${assertion})`;

/**
 * A JavaScript RegExp that matches what Go's regexp.Compile(source) matches, for the
 * expressions compilePattern writes (whose `[...]` and `\x` parts come from the pattern).
 * Literals become \u{...} escapes, so no character means something else in JavaScript; `.`
 * is "anything but \n" as in Go. Throws PatternSyntaxError where Go's parser fails.
 */
function translateGoRegexp(source: string): RegExp {
  const chars = Array.from(source);
  let out = "";
  for (let i = 0; i < chars.length; ) {
    const ch = chars[i];
    if (ch === "[") {
      const [item, end] = parseClass(chars, i);
      out += item;
      i = end;
    } else if (ch === "(") {
      // compilePattern writes "(" only for the group "**" becomes; Go's "(?flags)" cannot occur.
      if (chars[i + 1] === "?") bad();
      out += "(?:";
      i++;
    } else if (ch === ".") {
      out += "[^\\n]";
      i++;
    } else if (ch === "^" || ch === "$") {
      out += anchor(ch);
      i++;
    } else if (")|*+?".includes(ch)) {
      out += ch;
      i++;
    } else if (ch === "{") {
      // A repetition when it reads as one, else the character (Go's parseRepeat).
      const repeat = /^\{(0|[1-9][0-9]*)(,(0|[1-9][0-9]*)?)?\}/.exec(chars.slice(i).join(""));
      if (repeat === null) out += codePoint(0x7b);
      else {
        const min = Number(repeat[1]);
        const max = repeat[2] === undefined ? min : repeat[3] === undefined ? -1 : Number(repeat[3]);
        if (min > 1000 || max > 1000 || (max >= 0 && min > max)) bad();
        out += repeat[0];
      }
      i += repeat === null ? 1 : repeat[0].length;
    } else if (ch === "\\") {
      const next = chars[i + 1];
      const anchors: Record<string, string> = { A: "^", z: "$", b: "\\b", B: "\\B" };
      if (next !== undefined && Object.hasOwn(anchors, next)) {
        out += anchor(anchors[next]);
        i += 2;
      } else if (next === "C") bad();
      else if (next === "Q") {
        // \Q...\E: literal text.
        let end = i + 2;
        while (end < chars.length && !(chars[end] === "\\" && chars[end + 1] === "E")) out += codePoint(chars[end++].codePointAt(0)!);
        i = end + 2;
      } else if (next === "p" || next === "P") {
        const [item, end] = parseUnicodeClass(chars, i);
        out += `[${item}]`;
        i = end;
      } else {
        const perl = perlClassAt(chars, i);
        if (perl !== undefined) {
          out += `[${perl}]`;
          i += 2;
        } else {
          const [cp, end] = parseEscape(chars, i);
          out += codePoint(cp);
          i = end;
        }
      }
    } else {
      out += codePoint(ch.codePointAt(0)!);
      i++;
    }
  }
  try {
    return new RegExp(out, "u");
  } catch {
    return bad();
  }
}
