/**
 * The syntax errors Go's encoding/json reports, so API error bodies read exactly like dockerd's
 * ("invalid character 'x' looking for beginning of value"). JSON.parse cannot give these: its
 * messages differ and it has no notion of Go's Decoder stopping after the first value.
 *
 * This is a port of the scanner state machine in Go's src/encoding/json/scanner.go. It works on
 * UTF-8 bytes, as Go does, so a stray non-ASCII byte is reported the way Go reports it (Go
 * quotes the single byte as a Latin-1 rune: 'é' outside a string is "invalid character 'Ã'").
 */

/**
 * What a step tells its caller: Go's scan* opcodes, keeping only the ones a caller here acts on
 * (Go's other "keep going" opcodes are all Continue).
 */
const Scan = {
  Continue: 0,
  EndObject: 1,
  EndArray: 2,
  /** The top-level value ended before the byte just passed in. */
  End: 3,
  Error: 4,
} as const;
type Scan = (typeof Scan)[keyof typeof Scan];

/** What the scanner is in the middle of, per nesting level. */
const ParseState = { ObjectKey: 0, ObjectValue: 1, ArrayValue: 2 } as const;
type ParseState = (typeof ParseState)[keyof typeof ParseState];

/** Go's limit on nesting, past which the scanner refuses the input rather than recursing on. */
const maxNestingDepth = 10000;

type Step = (scanner: Scanner, c: number) => Scan;

class Scanner {
  step: Step = stateBeginValue;
  endTop = false;
  parseState: ParseState[] = [];
  error: string | null = null;

  fail(c: number, context: string): Scan {
    this.step = stateError;
    this.error = `invalid character ${quoteChar(c)} ${context}`;
    return Scan.Error;
  }

  /** Tells the scanner the input has ended; Go's scanner.eof. */
  eof(): Scan {
    if (this.error !== null) return Scan.Error;
    if (this.endTop) return Scan.End;
    this.step(this, SPACE);
    if (this.endTop) return Scan.End;
    this.error ??= "unexpected end of JSON input";
    return Scan.Error;
  }

  pushParseState(c: number, state: ParseState, success: Scan): Scan {
    this.parseState.push(state);
    if (this.parseState.length <= maxNestingDepth) return success;
    return this.fail(c, "exceeded max depth");
  }

  popParseState(): void {
    this.parseState.pop();
    if (this.parseState.length === 0) {
      this.step = stateEndTop;
      this.endTop = true;
    } else {
      this.step = stateEndValue;
    }
  }
}

const SPACE = 0x20;
const char = (s: string): number => s.charCodeAt(0);

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function stateBeginValueOrEmpty(s: Scanner, c: number): Scan {
  if (isSpace(c)) return Scan.Continue;
  if (c === char("]")) return stateEndValue(s, c);
  return stateBeginValue(s, c);
}

function stateBeginValue(s: Scanner, c: number): Scan {
  if (isSpace(c)) return Scan.Continue;
  switch (c) {
    case char("{"):
      s.step = stateBeginStringOrEmpty;
      return s.pushParseState(c, ParseState.ObjectKey, Scan.Continue);
    case char("["):
      s.step = stateBeginValueOrEmpty;
      return s.pushParseState(c, ParseState.ArrayValue, Scan.Continue);
    case char('"'):
      s.step = stateInString;
      return Scan.Continue;
    case char("-"):
      s.step = stateNeg;
      return Scan.Continue;
    case char("0"):
      s.step = state0;
      return Scan.Continue;
    case char("t"):
      s.step = literalState("true", 1);
      return Scan.Continue;
    case char("f"):
      s.step = literalState("false", 1);
      return Scan.Continue;
    case char("n"):
      s.step = literalState("null", 1);
      return Scan.Continue;
  }
  if (c >= char("1") && c <= char("9")) {
    s.step = state1;
    return Scan.Continue;
  }
  return s.fail(c, "looking for beginning of value");
}

function stateBeginStringOrEmpty(s: Scanner, c: number): Scan {
  if (isSpace(c)) return Scan.Continue;
  if (c === char("}")) {
    s.parseState[s.parseState.length - 1] = ParseState.ObjectValue;
    return stateEndValue(s, c);
  }
  return stateBeginString(s, c);
}

function stateBeginString(s: Scanner, c: number): Scan {
  if (isSpace(c)) return Scan.Continue;
  if (c === char('"')) {
    s.step = stateInString;
    return Scan.Continue;
  }
  return s.fail(c, "looking for beginning of object key string");
}

function stateEndValue(s: Scanner, c: number): Scan {
  const n = s.parseState.length;
  if (n === 0) {
    s.step = stateEndTop;
    s.endTop = true;
    return stateEndTop(s, c);
  }
  if (isSpace(c)) {
    s.step = stateEndValue;
    return Scan.Continue;
  }
  switch (s.parseState[n - 1]) {
    case ParseState.ObjectKey:
      if (c === char(":")) {
        s.parseState[n - 1] = ParseState.ObjectValue;
        s.step = stateBeginValue;
        return Scan.Continue;
      }
      return s.fail(c, "after object key");
    case ParseState.ObjectValue:
      if (c === char(",")) {
        s.parseState[n - 1] = ParseState.ObjectKey;
        s.step = stateBeginString;
        return Scan.Continue;
      }
      if (c === char("}")) {
        s.popParseState();
        return Scan.EndObject;
      }
      return s.fail(c, "after object key:value pair");
    case ParseState.ArrayValue:
      if (c === char(",")) {
        s.step = stateBeginValue;
        return Scan.Continue;
      }
      if (c === char("]")) {
        s.popParseState();
        return Scan.EndArray;
      }
      return s.fail(c, "after array element");
  }
}

function stateEndTop(s: Scanner, c: number): Scan {
  // Go records the complaint but still reports the value as ended: Unmarshal then fails on the
  // next byte, while a Decoder has already returned the value and never looks further.
  if (!isSpace(c)) s.fail(c, "after top-level value");
  return Scan.End;
}

function stateInString(s: Scanner, c: number): Scan {
  if (c === char('"')) {
    s.step = stateEndValue;
    return Scan.Continue;
  }
  if (c === char("\\")) {
    s.step = stateInStringEsc;
    return Scan.Continue;
  }
  if (c < 0x20) return s.fail(c, "in string literal");
  return Scan.Continue;
}

function stateInStringEsc(s: Scanner, c: number): Scan {
  if ('bfnrt\\/"'.includes(String.fromCharCode(c))) {
    s.step = stateInString;
    return Scan.Continue;
  }
  if (c === char("u")) {
    s.step = unicodeEscapeState(4);
    return Scan.Continue;
  }
  return s.fail(c, "in string escape code");
}

function unicodeEscapeState(hexDigitsLeft: number): Step {
  return (s, c) => {
    if (!isHexDigit(c)) return s.fail(c, "in \\u hexadecimal character escape");
    s.step = hexDigitsLeft === 1 ? stateInString : unicodeEscapeState(hexDigitsLeft - 1);
    return Scan.Continue;
  };
}

function stateNeg(s: Scanner, c: number): Scan {
  if (c === char("0")) {
    s.step = state0;
    return Scan.Continue;
  }
  if (c >= char("1") && c <= char("9")) {
    s.step = state1;
    return Scan.Continue;
  }
  return s.fail(c, "in numeric literal");
}

function state1(s: Scanner, c: number): Scan {
  if (isDigit(c)) {
    s.step = state1;
    return Scan.Continue;
  }
  return state0(s, c);
}

function state0(s: Scanner, c: number): Scan {
  if (c === char(".")) {
    s.step = stateDot;
    return Scan.Continue;
  }
  if (c === char("e") || c === char("E")) {
    s.step = stateE;
    return Scan.Continue;
  }
  return stateEndValue(s, c);
}

function stateDot(s: Scanner, c: number): Scan {
  if (isDigit(c)) {
    s.step = stateDot0;
    return Scan.Continue;
  }
  return s.fail(c, "after decimal point in numeric literal");
}

function stateDot0(s: Scanner, c: number): Scan {
  if (isDigit(c)) return Scan.Continue;
  if (c === char("e") || c === char("E")) {
    s.step = stateE;
    return Scan.Continue;
  }
  return stateEndValue(s, c);
}

function stateE(s: Scanner, c: number): Scan {
  if (c === char("+") || c === char("-")) {
    s.step = stateESign;
    return Scan.Continue;
  }
  return stateESign(s, c);
}

function stateESign(s: Scanner, c: number): Scan {
  if (isDigit(c)) {
    s.step = stateE0;
    return Scan.Continue;
  }
  return s.fail(c, "in exponent of numeric literal");
}

function stateE0(s: Scanner, c: number): Scan {
  if (isDigit(c)) return Scan.Continue;
  return stateEndValue(s, c);
}

/** The states after reading the first `matched` letters of true/false/null. */
function literalState(word: string, matched: number): Step {
  return (s, c) => {
    const expected = word.charCodeAt(matched);
    if (c !== expected) {
      return s.fail(c, `in literal ${word} (expecting ${quoteChar(expected)})`);
    }
    s.step = matched + 1 === word.length ? stateEndValue : literalState(word, matched + 1);
    return Scan.Continue;
  };
}

function stateError(): Scan {
  return Scan.Error;
}

/**
 * Go's quoteChar: the byte as a Go character literal. Go converts the byte to the rune of the
 * same number before quoting, which is why bytes 0x80-0xFF come out as Latin-1 characters.
 */
function quoteChar(c: number): string {
  if (c === char("'")) return `'\\''`;
  if (c === char('"')) return `'"'`;
  return `'${escapeLatin1Rune(c)}'`;
}

/** strconv.Quote's escaping of a single rune in U+0000..U+00FF. */
function escapeLatin1Rune(c: number): string {
  const named: Record<number, string> = {
    0x07: "\\a",
    0x08: "\\b",
    0x0c: "\\f",
    0x0a: "\\n",
    0x0d: "\\r",
    0x09: "\\t",
    0x0b: "\\v",
    0x5c: "\\\\",
  };
  if (named[c] !== undefined) return named[c];
  if (c < 0x20 || c === 0x7f) return `\\x${c.toString(16).padStart(2, "0")}`;
  // strconv.IsPrint: U+0080..U+00A0 (C1 controls, no-break space) and U+00AD (soft hyphen) are
  // not printable.
  if ((c >= 0x80 && c <= 0xa0) || c === 0xad) return `\\u${c.toString(16).padStart(4, "0")}`;
  return String.fromCharCode(c);
}

function toBytes(input: string | Uint8Array): Uint8Array {
  return typeof input === "string" ? new TextEncoder().encode(input) : input;
}

/**
 * The error json.Unmarshal returns for `input`, or null when it is valid JSON. Unmarshal
 * requires exactly one value: trailing non-space data is an error, and so is empty input.
 * Pass the raw bytes when you have them, so invalid UTF-8 is reported as Go would.
 */
export function goJsonSyntaxError(input: string | Uint8Array): string | null {
  const scanner = new Scanner();
  for (const c of toBytes(input)) {
    if (scanner.step(scanner, c) === Scan.Error) return scanner.error;
  }
  return scanner.eof() === Scan.Error ? scanner.error : null;
}

/**
 * The error json.NewDecoder(body).Decode(&v) returns for `input`, or null when it decodes; this
 * is how dockerd reads request bodies. A Decoder reads only the first value, so anything after
 * it is ignored; input that stops mid-value is "unexpected EOF", and input with no value at all
 * (empty or only whitespace) is "EOF".
 */
export function goJsonDecodeError(input: string | Uint8Array): string | null {
  const scanned = scanFirstValue(toBytes(input));
  return "error" in scanned ? scanned.error : null;
}

/**
 * Decodes the first JSON value of `input` as json.NewDecoder(body).Decode does: the value, or
 * the error text Go gives (see goJsonDecodeError). Whatever follows the first value is ignored.
 */
export function goJsonDecode(input: string | Uint8Array): { value: unknown } | { error: string } {
  const bytes = toBytes(input);
  const scanned = scanFirstValue(bytes);
  if ("error" in scanned) return scanned;
  return { value: JSON.parse(new TextDecoder().decode(bytes.subarray(0, scanned.end))) };
}

/** Where the first value ends (the index after its last byte), or the Decoder's error. */
function scanFirstValue(bytes: Uint8Array): { end: number } | { error: string } {
  const scanner = new Scanner();
  for (let i = 0; i < bytes.length; i++) {
    switch (scanner.step(scanner, bytes[i])) {
      case Scan.End:
        return { end: i };
      case Scan.EndObject:
      case Scan.EndArray:
        // The Decoder does not wait for the byte after a closing bracket: it feeds an invented
        // space, so "{}garbage" decodes.
        if (stateEndValue(scanner, SPACE) === Scan.End) return { end: i + 1 };
        break;
      case Scan.Error:
        return { error: scanner.error ?? "invalid JSON" };
    }
  }
  if (scanner.step(scanner, SPACE) === Scan.End) return { end: bytes.length };
  return { error: bytes.some((c) => !isSpace(c)) ? "unexpected EOF" : "EOF" };
}

/** The record with its keys in the order Go's encoding/json writes a map's: sorted by their UTF-8 bytes. */
export function goMapOrder<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
}

/** JSON as Go's encoding/json writes it: <, > and & escaped for HTML, as are U+2028 and U+2029. */
export function goJsonLine(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
