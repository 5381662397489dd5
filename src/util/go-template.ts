/**
 * Go's text/template, as the docker CLI's --format flag uses it, so `--format` behaves and fails
 * the way docker's does. The lexer, parser and evaluator follow Go's src/text/template closely
 * (same token rules, same error texts, same error positions); the functions are Go's builtins
 * plus the ones docker registers in cli/templates/templates.go.
 *
 * Go's values are typed and ours are not, so JS values stand in for Go's like this:
 * - null and undefined are Go's nil: printed as "<no value>" by an action and as "<nil>" by
 *   print/printf or inside a container. A field of undefined (a missing value) is undefined too,
 *   but a field of null is an error, as a field of a nil pointer is in Go.
 * - an integral number is a Go int, any other number a float64.
 * - an array is a slice; a Map, and an object's own enumerable properties, are a map: printed
 *   as map[k:v] and encoded by `json` with sorted keys, ranged over in sorted key order, and
 *   false in `if` when empty (except a class instance, which is always true, like a Go struct).
 * - `.Name` on an object reads a property (own or inherited, not Object.prototype's); a missing
 *   one is an error, as for a Go struct. On a Map a missing key is "<no value>", as for a Go map.
 * - a property holding a function is a method: `.Label "x"` calls it with the receiver as this.
 * - an object with its own toString is a fmt.Stringer, printed through it.
 */
import { compareGoStrings } from "./go-strings.ts";

export class TemplateError extends Error {
  override name = "TemplateError";

  /**
   * @param output what execution had written before it failed ("" for a parse error): docker
   *   ignores errors in a table's header row and prints whatever the header template wrote.
   */
  constructor(
    message: string,
    readonly output = "",
  ) {
    super(message);
  }
}

/**
 * The Go type an object stands for, named in "can't evaluate field X in type T" errors
 * (docker's own types, such as *formatter.volumeContext, appear in its messages).
 */
export const goType: unique symbol = Symbol("goType");

/** Marks an object that stands for a Go struct: `json` writes its fields in their order, not sorted as a map's keys. */
export const goStruct: unique symbol = Symbol("goStruct");

export interface ExecuteOptions {
  /**
   * Renders a table's header row as docker does: with its HeaderFunctions, under which json,
   * split, join, title, lower, upper and truncate return their first argument unchanged, so a
   * column such as {{upper .Name}} is headed by the column's name as given in the data.
   */
  headerMode?: boolean;
}

export interface Template {
  /** Renders the template with `data` as dot; throws TemplateError the way Execute fails. */
  execute(data: unknown, options?: ExecuteOptions): string;
}

/** Parses `text` like docker's templates.Parse; throws TemplateError with Go's message. */
export function compileTemplate(text: string): Template {
  const root = new Parser(text).parse();
  return {
    execute: (data, options) => new Execution(text, data, options?.headerMode ? HEADER_FUNCTIONS : FUNCTIONS).run(root),
  };
}

export interface FormatDirective {
  /** "table": rows under a header; "json": one JSON object per line; "template": raw rows. */
  kind: "table" | "json" | "template";
  /** The row template; "" for a table means the command's default columns. */
  template: string;
}

/**
 * Reads a --format value the way the docker CLI does: "" and "table" ask for the command's
 * default table, anything starting with "table" is a table whose rows use the rest, "json" is
 * `{{json .}}` per line, and anything else is a raw template. As in docker's formatter, spaces
 * around the template are dropped and a typed backslash-t or backslash-n becomes a tab or newline.
 */
export function formatDirective(format: string): FormatDirective {
  if (format === "" || format === "table") return { kind: "table", template: "" };
  if (format === "json") return { kind: "json", template: "{{json .}}" };
  const isTable = format.startsWith("table");
  const body = isTable ? format.slice("table".length) : format;
  const template = trimSpaces(body).replace(/\\([tn])/g, (_, c: string) => (c === "t" ? "\t" : "\n"));
  return { kind: isTable ? "table" : "template", template };
}

/** Go's strings.Trim(s, " "): only the space character, not tabs or newlines. */
function trimSpaces(s: string): string {
  return s.replace(/^ +| +$/g, "");
}

// ---------------------------------------------------------------------------------------------
// Lexer: a port of Go's text/template/parse/lex.go.

type Keyword =
  | "block"
  | "break"
  | "continue"
  | "dot"
  | "define"
  | "else"
  | "end"
  | "if"
  | "nil"
  | "range"
  | "template"
  | "with";

type ItemType =
  | Keyword
  | "error"
  | "bool"
  | "char"
  | "charConstant"
  | "complex"
  | "assign"
  | "declare"
  | "eof"
  | "field"
  | "identifier"
  | "leftDelim"
  | "leftParen"
  | "number"
  | "pipe"
  | "rawString"
  | "rightDelim"
  | "rightParen"
  | "space"
  | "string"
  | "text"
  | "variable";

const KEYWORDS: ReadonlyMap<string, Keyword> = new Map<string, Keyword>([
  ["block", "block"],
  ["break", "break"],
  ["continue", "continue"],
  ["define", "define"],
  ["else", "else"],
  ["end", "end"],
  ["if", "if"],
  ["nil", "nil"],
  ["range", "range"],
  ["template", "template"],
  ["with", "with"],
]);
/** Go prints these tokens as <name> in parse errors; "." counts as a keyword there. */
const KEYWORD_TYPES: ReadonlySet<ItemType> = new Set<ItemType>([...KEYWORDS.values(), "dot"]);

interface Item {
  type: ItemType;
  /** Offset in the template text (UTF-16 units; converted to Go's byte columns for errors). */
  pos: number;
  val: string;
  line: number;
}

const EOF = -1;
const LEFT_DELIM = "{{";
const RIGHT_DELIM = "}}";
const LEFT_COMMENT = "/*";
const RIGHT_COMMENT = "*/";
/** A trim marker is "-" plus the space that must separate it from the action. */
const TRIM_MARKER_LENGTH = 2;

type StateFn = (l: Lexer) => StateFn | null;

class Lexer {
  pos = 0;
  start = 0;
  atEOF = false;
  parenDepth = 0;
  line = 1;
  startLine = 1;
  insideAction = false;
  item: Item = { type: "eof", pos: 0, val: "EOF", line: 1 };

  constructor(public input: string) {}

  next(): number {
    if (this.pos >= this.input.length) {
      this.atEOF = true;
      return EOF;
    }
    const r = this.input.codePointAt(this.pos)!;
    this.pos += r > 0xffff ? 2 : 1;
    if (r === 0x0a) this.line++;
    return r;
  }

  peek(): number {
    const r = this.next();
    this.backup();
    return r;
  }

  backup(): void {
    if (this.atEOF || this.pos === 0) return;
    const low = this.input.charCodeAt(this.pos - 1);
    const isPair = low >= 0xdc00 && low <= 0xdfff && this.pos >= 2 && isHighSurrogate(this.input.charCodeAt(this.pos - 2));
    this.pos -= isPair ? 2 : 1;
    if (this.input.charCodeAt(this.pos) === 0x0a) this.line--;
  }

  thisItem(type: ItemType): Item {
    const item = { type, pos: this.start, val: this.input.slice(this.start, this.pos), line: this.startLine };
    this.start = this.pos;
    this.startLine = this.line;
    return item;
  }

  emit(type: ItemType): null {
    return this.emitItem(this.thisItem(type));
  }

  emitItem(item: Item): null {
    this.item = item;
    return null;
  }

  /** Skips the pending input, counting the newlines in it. */
  ignore(): void {
    this.line += countNewlines(this.input.slice(this.start, this.pos));
    this.start = this.pos;
    this.startLine = this.line;
  }

  accept(valid: string): boolean {
    const r = this.next();
    if (r !== EOF && valid.includes(String.fromCodePoint(r))) return true;
    this.backup();
    return false;
  }

  acceptRun(valid: string): void {
    while (this.accept(valid));
  }

  errorf(message: string): null {
    this.item = { type: "error", pos: this.start, val: message, line: this.startLine };
    this.start = 0;
    this.pos = 0;
    this.input = "";
    return null;
  }

  nextItem(): Item {
    this.item = { type: "eof", pos: this.pos, val: "EOF", line: this.startLine };
    let state: StateFn | null = this.insideAction ? lexInsideAction : lexText;
    while (state !== null) state = state(this);
    return this.item;
  }

  atRightDelim(): { delim: boolean; trimSpaces: boolean } {
    if (hasRightTrimMarker(this.input, this.pos) && this.input.startsWith(RIGHT_DELIM, this.pos + TRIM_MARKER_LENGTH)) {
      return { delim: true, trimSpaces: true };
    }
    return { delim: this.input.startsWith(RIGHT_DELIM, this.pos), trimSpaces: false };
  }

  /** Whether the input is at a character that may end an identifier; breaks .X.Y into two. */
  atTerminator(): boolean {
    const r = this.peek();
    if (r === EOF || isSpace(r) || ".,|:)(".includes(String.fromCodePoint(r))) return true;
    return this.input.startsWith(RIGHT_DELIM, this.pos);
  }

  scanNumber(): boolean {
    this.accept("+-");
    let digits = "0123456789_";
    if (this.accept("0")) {
      if (this.accept("xX")) digits = "0123456789abcdefABCDEF_";
      else if (this.accept("oO")) digits = "01234567_";
      else if (this.accept("bB")) digits = "01_";
    }
    this.acceptRun(digits);
    if (this.accept(".")) this.acceptRun(digits);
    if (digits.length === 11 && this.accept("eE")) {
      this.accept("+-");
      this.acceptRun("0123456789_");
    }
    if (digits.length === 23 && this.accept("pP")) {
      this.accept("+-");
      this.acceptRun("0123456789_");
    }
    this.accept("i");
    if (isAlphaNumeric(this.peek())) {
      this.next();
      return false;
    }
    return true;
  }
}

function lexText(l: Lexer): StateFn | null {
  const x = l.input.indexOf(LEFT_DELIM, l.pos);
  if (x >= 0) {
    if (x > l.pos) {
      l.pos = x;
      const trimLength = hasLeftTrimMarker(l.input, l.pos + LEFT_DELIM.length)
        ? rightTrimLength(l.input.slice(l.start, l.pos))
        : 0;
      l.pos -= trimLength;
      l.line += countNewlines(l.input.slice(l.start, l.pos));
      const item = l.thisItem("text");
      l.pos += trimLength;
      l.ignore();
      if (item.val.length > 0) return l.emitItem(item);
    }
    return lexLeftDelim;
  }
  l.pos = l.input.length;
  if (l.pos > l.start) {
    l.line += countNewlines(l.input.slice(l.start, l.pos));
    return l.emit("text");
  }
  return l.emit("eof");
}

function lexLeftDelim(l: Lexer): StateFn | null {
  l.pos += LEFT_DELIM.length;
  const afterMarker = hasLeftTrimMarker(l.input, l.pos) ? TRIM_MARKER_LENGTH : 0;
  if (l.input.startsWith(LEFT_COMMENT, l.pos + afterMarker)) {
    l.pos += afterMarker;
    l.ignore();
    return lexComment;
  }
  const item = l.thisItem("leftDelim");
  l.insideAction = true;
  l.pos += afterMarker;
  l.ignore();
  l.parenDepth = 0;
  return l.emitItem(item);
}

function lexComment(l: Lexer): StateFn | null {
  l.pos += LEFT_COMMENT.length;
  const x = l.input.indexOf(RIGHT_COMMENT, l.pos);
  if (x < 0) return l.errorf("unclosed comment");
  l.pos = x + RIGHT_COMMENT.length;
  const { delim, trimSpaces } = l.atRightDelim();
  if (!delim) return l.errorf("comment ends before closing delimiter");
  l.line += countNewlines(l.input.slice(l.start, l.pos));
  // Comments are dropped: Go only emits them when parsing for tools.
  l.start = l.pos;
  l.startLine = l.line;
  if (trimSpaces) l.pos += TRIM_MARKER_LENGTH;
  l.pos += RIGHT_DELIM.length;
  if (trimSpaces) l.pos += leftTrimLength(l.input.slice(l.pos));
  l.ignore();
  return lexText;
}

function lexRightDelim(l: Lexer): StateFn | null {
  const { trimSpaces } = l.atRightDelim();
  if (trimSpaces) {
    l.pos += TRIM_MARKER_LENGTH;
    l.ignore();
  }
  l.pos += RIGHT_DELIM.length;
  const item = l.thisItem("rightDelim");
  if (trimSpaces) {
    l.pos += leftTrimLength(l.input.slice(l.pos));
    l.ignore();
  }
  l.insideAction = false;
  return l.emitItem(item);
}

function lexInsideAction(l: Lexer): StateFn | null {
  if (l.atRightDelim().delim) {
    if (l.parenDepth === 0) return lexRightDelim;
    return l.errorf("unclosed left paren");
  }
  const r = l.next();
  if (r === EOF) return l.errorf("unclosed action");
  if (isSpace(r)) {
    l.backup(); // The space may begin a " -}}".
    return lexSpace;
  }
  switch (String.fromCodePoint(r)) {
    case "=":
      return l.emit("assign");
    case ":":
      if (l.next() !== 0x3d) return l.errorf("expected :=");
      return l.emit("declare");
    case "|":
      return l.emit("pipe");
    case '"':
      return lexQuote;
    case "`":
      return lexRawQuote;
    case "$":
      return lexVariable;
    case "'":
      return lexChar;
    case ".":
      // ".field", unless a digit follows and it is the start of a number such as ".5".
      if (l.pos < l.input.length && !isAsciiDigit(l.input.charCodeAt(l.pos))) return lexField;
      l.backup();
      return lexNumber;
    case "(":
      l.parenDepth++;
      return l.emit("leftParen");
    case ")":
      l.parenDepth--;
      if (l.parenDepth < 0) return l.errorf("unexpected right paren");
      return l.emit("rightParen");
  }
  if (r === 0x2b || r === 0x2d || isAsciiDigit(r)) {
    l.backup();
    return lexNumber;
  }
  if (isAlphaNumeric(r)) {
    l.backup();
    return lexIdentifier;
  }
  if (r <= 0x7f && isPrintRune(r)) return l.emit("char");
  return l.errorf(`unrecognized character in action: ${formatRuneU(r)}`);
}

function lexSpace(l: Lexer): StateFn | null {
  let spaces = 0;
  while (isSpace(l.peek())) {
    l.next();
    spaces++;
  }
  // The last space may belong to a " -}}" trim marker.
  if (hasRightTrimMarker(l.input, l.pos - 1) && l.input.startsWith(RIGHT_DELIM, l.pos - 1 + TRIM_MARKER_LENGTH)) {
    l.backup();
    if (spaces === 1) return lexRightDelim;
  }
  return l.emit("space");
}

function lexIdentifier(l: Lexer): StateFn | null {
  let r: number;
  while (isAlphaNumeric((r = l.next())));
  l.backup();
  if (!l.atTerminator()) return l.errorf(`bad character ${formatRuneU(r)}`);
  const word = l.input.slice(l.start, l.pos);
  const keyword = KEYWORDS.get(word);
  if (keyword !== undefined) return l.emit(keyword);
  if (word === "true" || word === "false") return l.emit("bool");
  return l.emit("identifier");
}

function lexField(l: Lexer): StateFn | null {
  return lexFieldOrVariable(l, "field");
}

function lexVariable(l: Lexer): StateFn | null {
  if (l.atTerminator()) return l.emit("variable"); // Just "$".
  return lexFieldOrVariable(l, "variable");
}

function lexFieldOrVariable(l: Lexer, type: "field" | "variable"): StateFn | null {
  if (l.atTerminator()) return l.emit(type === "variable" ? "variable" : "dot");
  let r: number;
  while (isAlphaNumeric((r = l.next())));
  l.backup();
  if (!l.atTerminator()) return l.errorf(`bad character ${formatRuneU(r)}`);
  return l.emit(type);
}

function lexChar(l: Lexer): StateFn | null {
  for (;;) {
    let r = l.next();
    if (r === 0x5c) {
      r = l.next();
      if (r !== EOF && r !== 0x0a) continue;
    }
    if (r === EOF || r === 0x0a) return l.errorf("unterminated character constant");
    if (r === 0x27) return l.emit("charConstant");
  }
}

function lexNumber(l: Lexer): StateFn | null {
  const badSyntax = (): null => l.errorf(`bad number syntax: ${goQuote(l.input.slice(l.start, l.pos))}`);
  if (!l.scanNumber()) return badSyntax();
  const sign = l.peek();
  if (sign === 0x2b || sign === 0x2d) {
    // Complex: 1+2i. No spaces, must end in 'i'.
    if (!l.scanNumber() || l.input[l.pos - 1] !== "i") return badSyntax();
    return l.emit("complex");
  }
  return l.emit("number");
}

function lexQuote(l: Lexer): StateFn | null {
  for (;;) {
    let r = l.next();
    if (r === 0x5c) {
      r = l.next();
      if (r !== EOF && r !== 0x0a) continue;
    }
    if (r === EOF || r === 0x0a) return l.errorf("unterminated quoted string");
    if (r === 0x22) return l.emit("string");
  }
}

function lexRawQuote(l: Lexer): StateFn | null {
  for (;;) {
    const r = l.next();
    if (r === EOF) return l.errorf("unterminated raw quoted string");
    if (r === 0x60) return l.emit("rawString");
  }
}

/** Go's lexer counts these as spaces inside actions (newlines are allowed there). */
function isSpace(r: number): boolean {
  return r === 0x20 || r === 0x09 || r === 0x0d || r === 0x0a;
}

function isAsciiDigit(r: number): boolean {
  return r >= 0x30 && r <= 0x39;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

const LETTER = /^\p{L}$/u;
const DECIMAL_DIGIT = /^\p{Nd}$/u;

function isLetter(r: number): boolean {
  return r >= 0 && LETTER.test(String.fromCodePoint(r));
}

function isDigit(r: number): boolean {
  return r >= 0 && DECIMAL_DIGIT.test(String.fromCodePoint(r));
}

function isAlphaNumeric(r: number): boolean {
  return r === 0x5f || isLetter(r) || isDigit(r);
}

function hasLeftTrimMarker(s: string, at: number): boolean {
  return s[at] === "-" && at + 1 < s.length && isSpace(s.charCodeAt(at + 1));
}

function hasRightTrimMarker(s: string, at: number): boolean {
  return at >= 0 && isSpace(s.charCodeAt(at)) && s[at + 1] === "-";
}

function rightTrimLength(s: string): number {
  return s.length - s.replace(/[ \t\r\n]+$/, "").length;
}

function leftTrimLength(s: string): number {
  return s.length - s.replace(/^[ \t\r\n]+/, "").length;
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf("\n"); i >= 0; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Parse tree: Go's text/template/parse/node.go, without the nodes of unsupported features.

type Node = ListNode | TextNode | ActionNode | BranchNode | LoopControlNode;

interface ListNode {
  kind: "list";
  pos: number;
  nodes: Node[];
}

interface TextNode {
  kind: "text";
  pos: number;
  text: string;
}

interface ActionNode {
  kind: "action";
  pos: number;
  pipe: PipeNode;
}

interface BranchNode {
  kind: "if" | "range" | "with";
  pos: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | null;
}

interface LoopControlNode {
  kind: "break" | "continue";
  pos: number;
}

/** {{end}} and {{else}}: they only delimit lists while parsing. */
interface ListEndNode {
  kind: "end" | "else";
  pos: number;
}

interface PipeNode {
  kind: "pipe";
  pos: number;
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}

interface CommandNode {
  kind: "command";
  pos: number;
  args: Operand[];
}

type Operand =
  | IdentifierNode
  | DotNode
  | NilNode
  | VariableNode
  | FieldNode
  | ChainNode
  | BoolNode
  | NumberNode
  | StringNode
  | PipeNode;

interface IdentifierNode {
  kind: "identifier";
  pos: number;
  name: string;
}

interface DotNode {
  kind: "dot";
  pos: number;
}

interface NilNode {
  kind: "nil";
  pos: number;
}

/** $x, or $x.Field.Chain: the variable's name is ident[0]. */
interface VariableNode {
  kind: "variable";
  pos: number;
  ident: string[];
}

/** .Field.Chain, without the dots. */
interface FieldNode {
  kind: "field";
  pos: number;
  ident: string[];
}

/** A term followed by fields, such as (pipeline).Field or fn.Field. */
interface ChainNode {
  kind: "chain";
  pos: number;
  node: Operand;
  fields: string[];
}

interface BoolNode {
  kind: "bool";
  pos: number;
  value: boolean;
}

interface NumberNode {
  kind: "number";
  pos: number;
  text: string;
  /** Whether the value fits Go's int64 or uint64, or parses as a float64 (ints do too). */
  isInt: boolean;
  isUint: boolean;
  isFloat: boolean;
  /** A bigint for an integer too large for a double to hold exactly. */
  value: number | bigint;
}

interface StringNode {
  kind: "string";
  pos: number;
  quoted: string;
  text: string;
}

type AnyNode = Node | ListEndNode | CommandNode | Operand;

/** Go's Node.String(): the source form, used in error messages. */
function nodeString(node: AnyNode): string {
  switch (node.kind) {
    case "list":
      return node.nodes.map(nodeString).join("");
    case "text":
      return node.text;
    case "action":
      return `{{${nodeString(node.pipe)}}}`;
    case "if":
    case "range":
    case "with": {
      const elsePart = node.elseList ? `{{else}}${nodeString(node.elseList)}` : "";
      return `{{${node.kind} ${nodeString(node.pipe)}}}${nodeString(node.list)}${elsePart}{{end}}`;
    }
    case "break":
    case "continue":
    case "end":
    case "else":
      return `{{${node.kind}}}`;
    case "pipe": {
      const decl = node.decl.length > 0 ? `${node.decl.map(nodeString).join(", ")} ${node.isAssign ? "=" : ":="} ` : "";
      return decl + node.cmds.map(nodeString).join(" | ");
    }
    case "command":
      return node.args.map((arg) => (arg.kind === "pipe" ? `(${nodeString(arg)})` : nodeString(arg))).join(" ");
    case "identifier":
      return node.name;
    case "dot":
      return ".";
    case "nil":
      return "nil";
    case "variable":
      return node.ident.join(".");
    case "field":
      return node.ident.map((name) => `.${name}`).join("");
    case "chain": {
      const head = node.node.kind === "pipe" ? `(${nodeString(node.node)})` : nodeString(node.node);
      return head + node.fields.map((name) => `.${name}`).join("");
    }
    case "bool":
      return String(node.value);
    case "number":
      return node.text;
    case "string":
      return node.quoted;
  }
}

// ---------------------------------------------------------------------------------------------
// Parser: a port of Go's text/template/parse/parse.go.

/** Go's limit on nested parentheses, which keeps the recursive parser off the stack's end. */
const MAX_PAREN_DEPTH = 10000;

class Parser {
  private readonly lex: Lexer;
  /** Three-token lookahead, as in Go; token[0] is always the last one read from the lexer. */
  private readonly token: Item[];
  private peekCount = 0;
  private readonly vars = ["$"];
  private actionLine = 0;
  private rangeDepth = 0;
  private parenDepth = 0;

  constructor(text: string) {
    this.lex = new Lexer(text);
    const none: Item = { type: "eof", pos: 0, val: "EOF", line: 1 };
    this.token = [none, none, none];
  }

  parse(): ListNode {
    const root: ListNode = { kind: "list", pos: this.peek().pos, nodes: [] };
    while (this.peek().type !== "eof") {
      const node = this.textOrAction();
      if (isListEnd(node)) this.errorf(`unexpected ${nodeString(node)}`);
      root.nodes.push(node);
    }
    return root;
  }

  private next(): Item {
    if (this.peekCount > 0) this.peekCount--;
    else this.token[0] = this.lex.nextItem();
    return this.token[this.peekCount];
  }

  private backup(): void {
    this.peekCount++;
  }

  private backup2(t1: Item): void {
    this.token[1] = t1;
    this.peekCount = 2;
  }

  private backup3(t2: Item, t1: Item): void {
    this.token[1] = t1;
    this.token[2] = t2;
    this.peekCount = 3;
  }

  private peek(): Item {
    if (this.peekCount > 0) return this.token[this.peekCount - 1];
    this.peekCount = 1;
    this.token[0] = this.lex.nextItem();
    return this.token[0];
  }

  private nextNonSpace(): Item {
    let token: Item;
    do token = this.next();
    while (token.type === "space");
    return token;
  }

  private peekNonSpace(): Item {
    const token = this.nextNonSpace();
    this.backup();
    return token;
  }

  private errorf(message: string): never {
    throw new TemplateError(`template: :${this.token[0].line}: ${message}`);
  }

  private expect(type: ItemType, context: string): Item {
    const token = this.nextNonSpace();
    if (token.type !== type) this.unexpected(token, context);
    return token;
  }

  private unexpected(token: Item, context: string): never {
    if (token.type === "error") {
      let extra = "";
      if (this.actionLine !== 0 && this.actionLine !== token.line) {
        extra = ` in action started at :${this.actionLine}`;
        if (token.val.endsWith(" action")) extra = extra.slice(" in action".length);
      }
      this.errorf(token.val + extra);
    }
    this.errorf(`unexpected ${itemString(token)} in ${context}`);
  }

  /** Parses up to the {{end}} or {{else}} that closes the list, and returns that too. */
  private itemList(): { list: ListNode; next: ListEndNode } {
    const list: ListNode = { kind: "list", pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== "eof") {
      const node = this.textOrAction();
      if (isListEnd(node)) return { list, next: node };
      list.nodes.push(node);
    }
    this.errorf("unexpected EOF");
  }

  private textOrAction(): Node | ListEndNode {
    const token = this.nextNonSpace();
    switch (token.type) {
      case "text":
        return { kind: "text", pos: token.pos, text: token.val };
      case "leftDelim":
        this.actionLine = token.line;
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      default:
        this.unexpected(token, "input");
    }
  }

  private action(): Node | ListEndNode {
    const token = this.nextNonSpace();
    switch (token.type) {
      case "block":
      case "define":
      case "template":
        return this.errorf(`{{${token.val}}} is not supported`);
      case "break":
      case "continue":
        return this.loopControl(token);
      case "else":
        return this.elseControl();
      case "end":
        return { kind: "end", pos: this.expect("rightDelim", "end").pos };
      case "if":
      case "range":
      case "with":
        return this.branchControl(token.type);
    }
    this.backup();
    const first = this.peek();
    return { kind: "action", pos: first.pos, pipe: this.pipeline("command", "rightDelim") };
  }

  private loopControl(keyword: Item): LoopControlNode {
    const kind = keyword.type === "break" ? "break" : "continue";
    const token = this.nextNonSpace();
    if (token.type !== "rightDelim") this.unexpected(token, `{{${kind}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${kind}}} outside {{range}}`);
    return { kind, pos: keyword.pos };
  }

  private elseControl(): ListEndNode {
    // "{{else if ...}}" and "{{else with ...}}" act as "{{else}}{{if ...}}": leave the keyword.
    const peek = this.peekNonSpace();
    if (peek.type === "if" || peek.type === "with") return { kind: "else", pos: peek.pos };
    return { kind: "else", pos: this.expect("rightDelim", "else").pos };
  }

  private branchControl(context: "if" | "range" | "with"): BranchNode {
    const varsInScope = this.vars.length;
    const pipe = this.pipeline(context, "rightDelim");
    if (context === "range") this.rangeDepth++;
    const { list, next } = this.itemList();
    if (context === "range") this.rangeDepth--;
    let elseList: ListNode | null = null;
    if (next.kind === "else") {
      const chained = this.peek().type;
      if ((context === "if" && chained === "if") || (context === "with" && chained === "with")) {
        this.next();
        // The chained if/with consumes the single {{end}} that closes them both.
        elseList = { kind: "list", pos: next.pos, nodes: [this.branchControl(context)] };
      } else {
        const rest = this.itemList();
        if (rest.next.kind !== "end") this.errorf(`expected end; found ${nodeString(rest.next)}`);
        elseList = rest.list;
      }
    }
    this.vars.length = varsInScope;
    return { kind: context, pos: pipe.pos, pipe, list, elseList };
  }

  private pipeline(context: string, end: "rightDelim" | "rightParen"): PipeNode {
    const pipe: PipeNode = { kind: "pipe", pos: this.peekNonSpace().pos, isAssign: false, decl: [], cmds: [] };
    // Declarations need three tokens of lookahead: in "$x foo" we must see "foo" (not ":=")
    // to know $x is an argument, and then push back both $x and the space after it.
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== "variable") break;
      this.next();
      const tokenAfterVariable = this.peek();
      const next = this.peekNonSpace();
      if (next.type === "assign" || next.type === "declare") {
        pipe.isAssign = next.type === "assign";
        this.nextNonSpace();
        pipe.decl.push(newVariable(v.pos, v.val));
        this.vars.push(v.val);
      } else if (next.type === "char" && next.val === ",") {
        this.nextNonSpace();
        pipe.decl.push(newVariable(v.pos, v.val));
        this.vars.push(v.val);
        if (context === "range" && pipe.decl.length < 2) {
          const after = this.peekNonSpace().type;
          if (after === "variable" || after === "rightDelim" || after === "rightParen") continue;
          this.errorf("range can only initialize variables");
        }
        this.errorf(`too many declarations in ${context}`);
      } else if (tokenAfterVariable.type === "space") {
        this.backup3(v, tokenAfterVariable);
      } else {
        this.backup2(v);
      }
      break;
    }
    for (;;) {
      const token = this.nextNonSpace();
      switch (token.type) {
        case end:
          this.checkPipeline(pipe, context);
          return pipe;
        case "bool":
        case "charConstant":
        case "complex":
        case "dot":
        case "field":
        case "identifier":
        case "number":
        case "nil":
        case "rawString":
        case "string":
        case "variable":
        case "leftParen":
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(token, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    // Only the first stage of a pipeline may be a plain value: later ones receive an argument.
    pipe.cmds.slice(1).forEach((cmd, i) => {
      if (["bool", "dot", "nil", "number", "string"].includes(cmd.args[0].kind)) {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { kind: "command", pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand !== null) cmd.args.push(operand);
      const token = this.next();
      if (token.type === "space") continue;
      if (token.type === "rightDelim" || token.type === "rightParen") this.backup();
      else if (token.type !== "pipe") this.unexpected(token, "operand");
      break;
    }
    if (cmd.args.length === 0) this.errorf("empty command");
    return cmd;
  }

  private operand(): Operand | null {
    const node = this.term();
    if (node === null || this.peek().type !== "field") return node;
    const chain: ChainNode = { kind: "chain", pos: this.peek().pos, node, fields: [] };
    while (this.peek().type === "field") chain.fields.push(this.next().val.slice(1));
    // Go folds .X.Y and $x.Y into one node, positioned where the chain started.
    switch (node.kind) {
      case "field":
        return { kind: "field", pos: chain.pos, ident: [...node.ident, ...chain.fields] };
      case "variable":
        return { kind: "variable", pos: chain.pos, ident: [...node.ident, ...chain.fields] };
      case "bool":
      case "string":
      case "number":
      case "nil":
      case "dot":
        return this.errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
      default:
        return chain;
    }
  }

  private term(): Operand | null {
    const token = this.nextNonSpace();
    switch (token.type) {
      case "identifier":
        if (!FUNCTIONS.has(token.val)) this.errorf(`function ${goQuote(token.val)} not defined`);
        return { kind: "identifier", pos: token.pos, name: token.val };
      case "dot":
        return { kind: "dot", pos: token.pos };
      case "nil":
        return { kind: "nil", pos: token.pos };
      case "variable":
        return this.useVar(token.pos, token.val);
      case "field":
        return { kind: "field", pos: token.pos, ident: token.val.slice(1).split(".") };
      case "bool":
        return { kind: "bool", pos: token.pos, value: token.val === "true" };
      case "charConstant":
      case "complex":
      case "number":
        return this.number(token);
      case "leftParen": {
        if (this.parenDepth >= MAX_PAREN_DEPTH) this.errorf("max expression depth exceeded");
        this.parenDepth++;
        try {
          return this.pipeline("parenthesized pipeline", "rightParen");
        } finally {
          this.parenDepth--;
        }
      }
      case "string":
      case "rawString": {
        const text = goUnquote(token.val);
        if (text === null) this.errorf("invalid syntax");
        return { kind: "string", pos: token.pos, quoted: token.val, text };
      }
    }
    this.backup();
    return null;
  }

  private useVar(pos: number, name: string): VariableNode {
    const variable = newVariable(pos, name);
    if (!this.vars.includes(variable.ident[0])) this.errorf(`undefined variable ${goQuote(variable.ident[0])}`);
    return variable;
  }

  private number(token: Item): NumberNode {
    const parsed = parseNumber(token.val, token.type);
    if (typeof parsed === "string") this.errorf(parsed);
    return { kind: "number", pos: token.pos, text: token.val, ...parsed };
  }
}

function isListEnd(node: Node | ListEndNode): node is ListEndNode {
  return node.kind === "end" || node.kind === "else";
}

function newVariable(pos: number, name: string): VariableNode {
  return { kind: "variable", pos, ident: name.split(".") };
}

/** Go's item.String(), as parse errors quote tokens. */
function itemString(item: Item): string {
  if (item.type === "eof") return "EOF";
  if (item.type === "error") return item.val;
  if (KEYWORD_TYPES.has(item.type)) return `<${item.val}>`;
  if (utf8Length(item.val) > 10) return `${goQuote(Array.from(item.val).slice(0, 10).join(""))}...`;
  return goQuote(item.val);
}

type ParsedNumber = Pick<NumberNode, "isInt" | "isUint" | "isFloat" | "value">;

/** Go's parse.newNumber: the value, or the error text. */
function parseNumber(text: string, type: ItemType): ParsedNumber | string {
  if (type === "charConstant") {
    const char = unquoteChar(text, 1, 0x27);
    if (char === null) return "invalid syntax";
    if (text.slice(char.end) !== "'") return `malformed character constant: ${text}`;
    return { isInt: true, isUint: true, isFloat: true, value: char.value };
  }
  if (type === "complex" || (text.endsWith("i") && parseGoFloat(text.slice(0, -1)) !== null)) {
    return `complex constant ${text} is not supported`;
  }
  const int = parseGoInt(text);
  if (int !== null) {
    const isInt = int >= -(2n ** 63n) && int < 2n ** 63n;
    const isUint = int >= 0n && int < 2n ** 64n && (!/^[+-]/.test(text) || int === 0n);
    if (isInt || isUint) {
      return { isInt, isUint, isFloat: true, value: Number.isSafeInteger(Number(int)) ? Number(int) : int };
    }
  }
  const float = parseGoFloat(text);
  if (float === null) return `illegal number syntax: ${goQuote(text)}`;
  if (!/[.eEpP]/.test(text)) return `integer overflow: ${goQuote(text)}`;
  return {
    isInt: Number.isInteger(float) && Math.abs(float) < 2 ** 63,
    isUint: Number.isInteger(float) && float >= 0 && float < 2 ** 64,
    isFloat: true,
    value: float,
  };
}

/** strconv.ParseInt with base 0: Go's integer literal syntax, underscores included. */
function parseGoInt(text: string): bigint | null {
  const literal = /^([+-]?)(0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|0(?:_?[0-7])+|0|[1-9](?:_?[0-9])*)$/;
  const match = literal.exec(text);
  if (match === null) return null;
  let digits = match[2].replace(/_/g, "");
  if (/^0[0-7]/.test(digits)) digits = `0o${digits.slice(1)}`; // Go's leading-zero octal.
  const magnitude = BigInt(digits);
  return match[1] === "-" ? -magnitude : magnitude;
}

/** strconv.ParseFloat on Go's float literal syntax; null if invalid or out of range. */
function parseGoFloat(text: string): number | null {
  let value: number;
  const hex = /^([+-]?)0[xX]((?:_?[0-9a-fA-F])*)(?:\.((?:[0-9a-fA-F](?:_?[0-9a-fA-F])*)?))?[pP]([+-]?\d(?:_?\d)*)$/.exec(text);
  if (hex !== null) {
    const whole = hex[2].replace(/_/g, "");
    const fraction = (hex[3] ?? "").replace(/_/g, "");
    if (whole === "" && fraction === "") return null;
    const mantissa = Number(BigInt(`0x${whole}${fraction}`));
    value = mantissa * 2 ** (Number(hex[4].replace(/_/g, "")) - 4 * fraction.length);
    if (hex[1] === "-") value = -value;
  } else if (/^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/.test(text)) {
    value = Number(text.replace(/_/g, ""));
  } else {
    return null;
  }
  return Number.isFinite(value) ? value : null;
}

/**
 * strconv.UnquoteChar: one character, or escape, of a quoted literal starting at s[i]. `quote`
 * is the literal's quote character, which must be escaped inside it. `multibyte` tells a rune
 * (to encode as UTF-8) from a \x or octal escape, which is a single raw byte in Go.
 */
function unquoteChar(s: string, i: number, quote: number): { value: number; multibyte: boolean; end: number } | null {
  const c = s.codePointAt(i);
  if (c === undefined || c === quote) return null;
  if (c !== 0x5c) return { value: c, multibyte: c >= 0x80, end: i + (c > 0xffff ? 2 : 1) };
  const escape = s[i + 1];
  const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 0x5c };
  if (escape in simple) return { value: simple[escape], multibyte: false, end: i + 2 };
  if (escape === "'" || escape === '"') {
    return escape.charCodeAt(0) === quote ? { value: quote, multibyte: false, end: i + 2 } : null;
  }
  const hexLength: Record<string, number> = { x: 2, u: 4, U: 8 };
  if (escape in hexLength) {
    const hex = s.slice(i + 2, i + 2 + hexLength[escape]);
    if (!new RegExp(`^[0-9a-fA-F]{${hexLength[escape]}}$`).test(hex)) return null;
    const value = parseInt(hex, 16);
    if (escape === "x") return { value, multibyte: false, end: i + 4 };
    if (value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return null;
    return { value, multibyte: true, end: i + 2 + hex.length };
  }
  const octal = s.slice(i + 1, i + 4);
  if (/^[0-7]{3}$/.test(octal) && parseInt(octal, 8) <= 0xff) {
    return { value: parseInt(octal, 8), multibyte: false, end: i + 4 };
  }
  return null;
}

/** strconv.Unquote for "..." and `...` literals; null when Go reports "invalid syntax". */
function goUnquote(literal: string): string | null {
  if (literal.startsWith("`")) {
    const body = literal.slice(1, -1);
    return body.includes("`") ? null : body.replace(/\r/g, "");
  }
  const bytes: number[] = [];
  for (let i = 1; i < literal.length - 1; ) {
    const char = unquoteChar(literal, i, 0x22);
    if (char === null) return null;
    if (char.multibyte) bytes.push(...utf8Encoder.encode(String.fromCodePoint(char.value)));
    else bytes.push(char.value);
    i = char.end;
  }
  return utf8Decoder.decode(Uint8Array.from(bytes));
}

// ---------------------------------------------------------------------------------------------
// Values: how JS values play Go's.

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

function utf8Length(s: string): number {
  return utf8Encoder.encode(s).length;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Maps and objects: what ranges, prints and encodes as a Go map. */
function isMapLike(v: unknown): v is Map<unknown, unknown> | Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A map-like value's entries in Go's order (sorted keys); an object's methods are not entries. */
function sortedEntries(v: Map<unknown, unknown> | Record<string, unknown>): Array<[string, unknown]> {
  const entries: Array<[string, unknown]> =
    v instanceof Map
      ? Array.from(v, ([key, value]): [string, unknown] => [String(key), value])
      : Object.entries(v).filter(([, value]) => typeof value !== "function");
  return entries.sort(([a], [b]) => compareGoStrings(a, b));
}

/** Whether a number stands for a Go int: integral and within int64. */
function isGoInt(n: number): boolean {
  return Number.isInteger(n) && Math.abs(n) < 2 ** 63;
}

/**
 * The Go type a value stands for, as error messages and %T name it. Collections holding only
 * strings are taken for []string and map[string]string, the types docker's data uses.
 */
function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  switch (typeof v) {
    case "string":
      return "string";
    case "boolean":
      return "bool";
    case "number":
      return isGoInt(v) ? "int" : "float64";
    case "bigint":
      return "int";
    case "function":
      return "func";
  }
  if (Array.isArray(v)) return v.length > 0 && v.every((e) => typeof e === "string") ? "[]string" : "[]interface {}";
  const map = v as Map<unknown, unknown> | Record<string, unknown>;
  return holdsOnlyStrings(map) ? "map[string]string" : "map[string]interface {}";
}

/** Go's truth for if, with, and, or and not: the zero value and empty collections are false. */
function isTrue(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  switch (typeof v) {
    case "boolean":
      return v;
    case "number":
      return v !== 0;
    case "bigint":
      return v !== 0n;
    case "string":
      return v.length > 0;
  }
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  // An object literal of methods stands for a struct, so only {} is an empty map.
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

/** An object's own or inherited property, but none of Object.prototype's. */
function lookupField(receiver: object, name: string): { found: boolean; value: unknown } {
  for (let o: object | null = receiver; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    if (Object.prototype.hasOwnProperty.call(o, name)) {
      return { found: true, value: (receiver as Record<string, unknown>)[name] };
    }
  }
  return { found: false, value: undefined };
}

/** Objects with their own toString play Go's fmt.Stringer. */
function hasCustomToString(v: unknown): v is { toString(): string } {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    typeof (v as { toString?: unknown }).toString === "function" &&
    (v as { toString: unknown }).toString !== Object.prototype.toString
  );
}

// ---------------------------------------------------------------------------------------------
// Go's fmt, for printing values and for print, printf and println.

interface FormatSpec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | null;
  precision: number | null;
}

const PLAIN: FormatSpec = { minus: false, plus: false, sharp: false, space: false, zero: false, width: null, precision: null };

/** fmt's %v: how an action prints a value, and print and println their arguments. */
function formatValue(v: unknown): string {
  return formatArg(v, "v", PLAIN);
}

function formatArg(arg: unknown, verb: string, spec: FormatSpec): string {
  if (arg === null || arg === undefined) {
    return verb === "v" || verb === "T" ? pad("<nil>", spec) : badVerb(verb, arg, spec);
  }
  if (verb === "T") return pad(goTypeName(arg), spec);
  if (hasCustomToString(arg) && "vsxXq".includes(verb)) return formatString(arg.toString(), verb, spec);
  switch (typeof arg) {
    case "boolean":
      return verb === "v" || verb === "t" ? pad(String(arg), spec) : badVerb(verb, arg, spec);
    case "number":
      // JS has no int/float split, so the float verbs take integral numbers too.
      if (isGoInt(arg) && !"eEfFgG".includes(verb)) return formatInteger(BigInt(arg), verb, spec, arg);
      return formatFloat(arg, verb, spec);
    case "bigint":
      return formatInteger(arg, verb, spec, arg);
    case "string":
      return formatString(arg, verb, spec);
    case "function":
      return badVerb(verb, arg, spec);
  }
  if (Array.isArray(arg)) return `[${arg.map((e) => formatElement(e, verb, spec)).join(" ")}]`;
  const entries = sortedEntries(arg as Map<unknown, unknown> | Record<string, unknown>);
  return `map[${entries.map(([k, v]) => `${formatElement(k, verb, spec)}:${formatElement(v, verb, spec)}`).join(" ")}]`;
}

/** Inside a slice or map, fmt prints a nil element as <nil> whatever the verb. */
function formatElement(v: unknown, verb: string, spec: FormatSpec): string {
  return v === null || v === undefined ? pad("<nil>", spec) : formatArg(v, verb, spec);
}

function badVerb(verb: string, arg: unknown, spec: FormatSpec): string {
  if (arg === null || arg === undefined) return `%!${verb}(<nil>)`;
  const value = typeof arg === "function" ? "func" : formatArg(arg, "v", spec);
  return `%!${verb}(${goTypeName(arg)}=${value})`;
}

function pad(s: string, spec: FormatSpec): string {
  const width = spec.width ?? 0;
  const missing = width - Array.from(s).length;
  if (missing <= 0) return s;
  return spec.minus ? s + " ".repeat(missing) : " ".repeat(missing) + s;
}

function formatString(s: string, verb: string, spec: FormatSpec): string {
  const truncated = spec.precision === null ? s : Array.from(s).slice(0, spec.precision).join("");
  switch (verb) {
    case "v":
    case "s":
      return pad(truncated, spec);
    case "q":
      if (spec.sharp && canBackquote(truncated)) return pad(`\`${truncated}\``, spec);
      return pad(goQuote(truncated, spec.plus), spec);
    case "x":
    case "X": {
      let bytes = Array.from(utf8Encoder.encode(s));
      if (spec.precision !== null) bytes = bytes.slice(0, spec.precision);
      const hex = bytes.map((b) => b.toString(16).padStart(2, "0")).join(spec.space ? " " : "");
      return pad(verb === "X" ? hex.toUpperCase() : hex, spec);
    }
  }
  return badVerb(verb, s, spec);
}

const INTEGER_BASES: Record<string, number> = { v: 10, d: 10, b: 2, o: 8, O: 8, x: 16, X: 16 };

function formatInteger(n: bigint, verb: string, spec: FormatSpec, original: number | bigint): string {
  if (verb === "c") return pad(String.fromCodePoint(toRune(n)), spec);
  if (verb === "q") return pad(`'${escapeRune(toRune(n), 0x27, spec.plus)}'`, spec);
  if (verb === "U") {
    const code = `U+${n.toString(16).toUpperCase().padStart(4, "0")}`;
    const rune = toRune(n);
    return pad(spec.sharp && isPrintRune(rune) ? `${code} '${String.fromCodePoint(rune)}'` : code, spec);
  }
  const base = INTEGER_BASES[verb];
  if (base === undefined) return badVerb(verb, original, spec);
  const negative = n < 0n;
  let digits = (negative ? -n : n).toString(base);
  if (verb === "X") digits = digits.toUpperCase();
  const sign = negative ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  if (spec.precision !== null) {
    // An explicit precision of 0 prints nothing for zero, not even the digit.
    if (spec.precision === 0 && n === 0n) return pad("", spec);
    digits = digits.padStart(spec.precision, "0");
  } else if (spec.zero && spec.width !== null && !spec.minus) {
    digits = digits.padStart(spec.width - sign.length, "0");
  }
  let prefix = "";
  if (spec.sharp) {
    if (verb === "b") prefix = "0b";
    else if (verb === "o" && !digits.startsWith("0")) prefix = "0";
    else if (verb === "x") prefix = "0x";
    else if (verb === "X") prefix = "0X";
  }
  if (verb === "O") prefix = "0o";
  return pad(sign + prefix + digits, spec);
}

/** fmt's %c and %q turn an out-of-range number into U+FFFD. */
function toRune(n: bigint): number {
  return n < 0n || n > 0x10ffffn || (n >= 0xd800n && n <= 0xdfffn) ? 0xfffd : Number(n);
}

function formatFloat(x: number, verb: string, spec: FormatSpec): string {
  const lower = verb === "v" ? "g" : verb.toLowerCase();
  if (!"efg".includes(lower) || verb === "V") return badVerb(verb, x, spec);
  if (!Number.isFinite(x)) {
    const text = Number.isNaN(x) ? (spec.plus ? "+NaN" : spec.space ? " NaN" : "NaN") : x > 0 ? "+Inf" : "-Inf";
    return pad(text, spec);
  }
  const defaultPrecision = lower === "g" ? -1 : 6;
  let body = floatDigitsText(Math.abs(x), lower as "e" | "f" | "g", spec.precision ?? defaultPrecision);
  if (verb === "E" || verb === "G") body = body.toUpperCase();
  const negative = x < 0 || Object.is(x, -0);
  const sign = negative ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  if (spec.zero && spec.width !== null && !spec.minus) body = body.padStart(spec.width - sign.length, "0");
  return pad(sign + body, spec);
}

/** A decimal: 0.digits × 10^dp, digits without trailing zeros; Go's strconv decimalSlice. */
interface Decimal {
  digits: string;
  dp: number;
}

/** strconv.FormatFloat(x, fmt, precision, 64) for x ≥ 0; precision -1 is the shortest form. */
function floatDigitsText(x: number, fmt: "e" | "f" | "g", precision: number): string {
  const shortest = precision < 0;
  let d: Decimal;
  let prec = precision;
  if (shortest) {
    d = shortestDecimal(x);
    prec = fmt === "e" ? Math.max(d.digits.length - 1, 0) : fmt === "f" ? Math.max(d.digits.length - d.dp, 0) : d.digits.length;
  } else {
    d = exactDecimal(x);
    if (fmt === "e") d = roundDecimal(d, prec + 1);
    else if (fmt === "f") d = roundDecimal(d, d.dp + prec);
    else {
      if (prec === 0) prec = 1;
      d = roundDecimal(d, prec);
    }
  }
  if (fmt === "e") return formatE(d, prec);
  if (fmt === "f") return formatF(d, prec);
  const nd = d.digits.length;
  let eprec = prec;
  if (eprec > nd && nd >= d.dp) eprec = nd;
  // %e is used if the exponent is below -4 or at least the precision, which for the shortest
  // form Go fixes at 6: 1e+06 but 100000.
  if (shortest) eprec = 6;
  const exp = d.dp - 1;
  if (exp < -4 || exp >= eprec) return formatE(d, Math.min(prec, nd) - 1);
  return formatF(d, Math.max((prec > d.dp ? nd : prec) - d.dp, 0));
}

function shortestDecimal(x: number): Decimal {
  if (x === 0) return { digits: "", dp: 0 };
  const [mantissa, exponent] = x.toExponential().split("e");
  return { digits: mantissa.replace(".", ""), dp: Number(exponent) + 1 };
}

/** The exact decimal value of a double: mantissa × 2^e, written as mantissa × 5^-e / 10^-e. */
function exactDecimal(x: number): Decimal {
  if (x === 0) return { digits: "", dp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biasedExponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biasedExponent === 0 ? fraction : fraction | (1n << 52n);
  const exp2 = Math.max(biasedExponent, 1) - 1075;
  const digits = exp2 >= 0 ? (mantissa << BigInt(exp2)).toString() : (mantissa * 5n ** BigInt(-exp2)).toString();
  const dp = exp2 >= 0 ? digits.length : digits.length + exp2;
  return { digits: digits.replace(/0+$/, ""), dp };
}

/** strconv's decimal.Round: to nd digits, an exact half going to the even neighbour. */
function roundDecimal(d: Decimal, nd: number): Decimal {
  if (nd < 0 || nd >= d.digits.length) return d;
  const next = d.digits[nd];
  const isHalf = next === "5" && nd + 1 === d.digits.length;
  const roundUp = isHalf ? nd > 0 && Number(d.digits[nd - 1]) % 2 === 1 : next >= "5";
  if (!roundUp) return { digits: d.digits.slice(0, nd).replace(/0+$/, ""), dp: d.dp };
  let i = nd - 1;
  while (i >= 0 && d.digits[i] === "9") i--;
  if (i < 0) return { digits: "1", dp: d.dp + 1 };
  return { digits: d.digits.slice(0, i) + String(Number(d.digits[i]) + 1), dp: d.dp };
}

function formatE(d: Decimal, prec: number): string {
  let out = d.digits[0] ?? "0";
  if (prec > 0) out += `.${d.digits.slice(1, prec + 1).padEnd(prec, "0")}`;
  const exp = d.digits.length === 0 ? 0 : d.dp - 1;
  return `${out}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

function formatF(d: Decimal, prec: number): string {
  let out = d.dp > 0 ? d.digits.slice(0, d.dp).padEnd(d.dp, "0") : "0";
  if (prec > 0) {
    out += ".";
    for (let i = 1; i <= prec; i++) {
      const j = d.dp + i - 1;
      out += j >= 0 && j < d.digits.length ? d.digits[j] : "0";
    }
  }
  return out;
}

/** fmt.Sprint: operands separated by a space when neither side is a string. */
function sprint(args: unknown[]): string {
  let out = "";
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== "string" && typeof args[i - 1] !== "string") out += " ";
    out += formatValue(arg);
  });
  return out;
}

function sprintln(args: unknown[]): string {
  return `${args.map(formatValue).join(" ")}\n`;
}

/** fmt.Sprintf, including its in-band complaints such as %!d(string=x) and %!v(MISSING). */
function sprintf(format: string, args: unknown[]): string {
  let out = "";
  let argIndex = 0;
  let i = 0;
  while (i < format.length) {
    const percent = format.indexOf("%", i);
    if (percent < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, percent);
    i = percent + 1;
    const spec: FormatSpec = { ...PLAIN };
    for (; i < format.length; i++) {
      const flag = format[i];
      // Zero padding only ever goes on the left, so "-" cancels "0" whichever comes first.
      if (flag === "-") [spec.minus, spec.zero] = [true, false];
      else if (flag === "+") spec.plus = true;
      else if (flag === "#") spec.sharp = true;
      else if (flag === " ") spec.space = true;
      else if (flag === "0") spec.zero = !spec.minus;
      else break;
    }
    const width = /^\d+/.exec(format.slice(i));
    if (width !== null) {
      spec.width = Number(width[0]);
      i += width[0].length;
    }
    if (format[i] === ".") {
      const precision = /^\d*/.exec(format.slice(i + 1))![0];
      spec.precision = Number(precision);
      i += 1 + precision.length;
    }
    if (i >= format.length) {
      out += "%!(NOVERB)";
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === "%") {
      out += "%";
    } else if (argIndex >= args.length) {
      out += `%!${verb}(MISSING)`;
    } else {
      out += formatArg(args[argIndex++], verb, spec);
    }
  }
  if (argIndex < args.length) {
    const extra = args
      .slice(argIndex)
      .map((arg) => (arg === null || arg === undefined ? "<nil>" : `${goTypeName(arg)}=${formatValue(arg)}`));
    out += `%!(EXTRA ${extra.join(", ")})`;
  }
  return out;
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isPrintRune(r: number): boolean {
  return r === 0x20 || PRINTABLE.test(String.fromCodePoint(r));
}

/** strconv.Quote (or QuoteToASCII): a Go string literal. */
function goQuote(s: string, asciiOnly = false): string {
  return `"${Array.from(s, (c) => escapeRune(c.codePointAt(0)!, 0x22, asciiOnly)).join("")}"`;
}

function escapeRune(rune: number, quote: number, asciiOnly: boolean): string {
  if (rune === quote || rune === 0x5c) return `\\${String.fromCodePoint(rune)}`;
  const isSurrogate = rune >= 0xd800 && rune <= 0xdfff;
  if (!isSurrogate && (asciiOnly ? rune < 0x80 && isPrintRune(rune) : isPrintRune(rune))) {
    return String.fromCodePoint(rune);
  }
  const named: Record<number, string> = { 7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v" };
  if (named[rune] !== undefined) return named[rune];
  if (rune < 0x20 || rune === 0x7f) return `\\x${rune.toString(16).padStart(2, "0")}`;
  if (isSurrogate) return "\\ufffd";
  if (rune < 0x10000) return `\\u${rune.toString(16).padStart(4, "0")}`;
  return `\\U${rune.toString(16).padStart(8, "0")}`;
}

/** strconv.CanBackquote: whether %#q may print `s` as a raw literal. */
function canBackquote(s: string): boolean {
  return !/[\x00-\x08\x0a-\x1f`\x7f\ufeff\ud800-\udfff]/.test(s);
}

/** fmt's %#U: U+0023 '#'. */
function formatRuneU(r: number): string {
  const code = `U+${r.toString(16).toUpperCase().padStart(4, "0")}`;
  return isPrintRune(r) ? `${code} '${String.fromCodePoint(r)}'` : code;
}

// ---------------------------------------------------------------------------------------------
// JSON as docker's `json` function writes it: encoding/json with HTML escaping off.

class UnsupportedJsonValue extends Error {}

/** json.Marshal of the value; throws UnsupportedJsonValue where Go would fail (NaN, funcs). */
function marshalJson(v: unknown): string {
  if (v === null || v === undefined) return "null";
  switch (typeof v) {
    case "string":
      return jsonString(v);
    case "boolean":
    case "bigint":
      return String(v);
    case "number":
      if (!Number.isFinite(v)) throw new UnsupportedJsonValue();
      // An int prints all its digits; for a float64, Go and JS agree on the shortest digits and
      // on switching to exponents below 1e-6 and from 1e21 up.
      return isGoInt(v) ? BigInt(v).toString() : String(v);
    case "function":
    case "symbol":
      throw new UnsupportedJsonValue();
  }
  const toJSON = (v as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return marshalJson(toJSON.call(v));
  if (Array.isArray(v)) return `[${v.map(marshalJson).join(",")}]`;
  const fields = Object.hasOwn(v as object, goStruct)
    ? Object.entries(v as Record<string, unknown>).filter(([, value]) => typeof value !== "function")
    : sortedEntries(v as Map<unknown, unknown> | Record<string, unknown>);
  const entries = fields.filter(([, x]) => x !== undefined);
  return `{${entries.map(([key, x]) => `${jsonString(key)}:${marshalJson(x)}`).join(",")}}`;
}

/** A JSON string as Go writes it: <, > and & kept (docker turns HTML escaping off). */
function jsonString(s: string): string {
  const named: Record<number, string> = { 0x22: '\\"', 0x5c: "\\\\", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t" };
  let out = '"';
  for (const c of s) {
    const code = c.codePointAt(0)!;
    if (named[code] !== undefined) out += named[code];
    else if (code < 0x20) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else if (code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16)}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += "\\ufffd";
    else out += c;
  }
  return `${out}"`;
}

// ---------------------------------------------------------------------------------------------
// Functions: Go's builtins and docker's.

/** The Go parameter types the functions here declare; they decide how arguments are checked. */
type ParamType = "any" | "string" | "int" | "[]string";

interface Signature {
  params: ParamType[];
  /** The type of further arguments, if the function is variadic. */
  variadic?: ParamType;
}

type TemplateFunction = Signature &
  (
    | { call(args: unknown[]): unknown }
    /** and/or: evaluate arguments only until one decides the result, and return that one. */
    | { stopWhenTrue: boolean }
  );

const anyArgs: Signature = { params: [], variadic: "any" };

const FUNCTIONS: ReadonlyMap<string, TemplateFunction> = new Map<string, TemplateFunction>([
  // Go's builtins, less `call`.
  ["and", { params: ["any"], variadic: "any", stopWhenTrue: false }],
  ["or", { params: ["any"], variadic: "any", stopWhenTrue: true }],
  ["not", { params: ["any"], call: ([v]) => !isTrue(v) }],
  ["eq", { params: ["any"], variadic: "any", call: ([a, ...rest]) => eq(a, rest) }],
  ["ne", { params: ["any", "any"], call: ([a, b]) => !eq(a, [b]) }],
  ["lt", { params: ["any", "any"], call: ([a, b]) => lt(a, b) }],
  ["le", { params: ["any", "any"], call: ([a, b]) => lt(a, b) || eq(a, [b]) }],
  ["gt", { params: ["any", "any"], call: ([a, b]) => !(lt(a, b) || eq(a, [b])) }],
  ["ge", { params: ["any", "any"], call: ([a, b]) => !lt(a, b) }],
  ["index", { params: ["any"], variadic: "any", call: ([item, ...indexes]) => index(item, indexes) }],
  ["slice", { params: ["any"], variadic: "any", call: ([item, ...indexes]) => slice(item, indexes) }],
  ["len", { params: ["any"], call: ([v]) => length(v) }],
  ["print", { ...anyArgs, call: sprint }],
  ["println", { ...anyArgs, call: sprintln }],
  ["printf", { params: ["string"], variadic: "any", call: ([format, ...rest]) => sprintf(format as string, rest) }],
  ["html", { ...anyArgs, call: (args) => htmlEscape(printedArgs(args)) }],
  ["js", { ...anyArgs, call: (args) => jsEscape(printedArgs(args)) }],
  ["urlquery", { ...anyArgs, call: (args) => urlQueryEscape(printedArgs(args)) }],
  // docker's, from cli/templates/templates.go.
  ["json", { params: ["any"], call: ([v]) => dockerJson(v) }],
  ["split", { params: ["string", "string"], call: ([s, sep]) => split(s as string, sep as string) }],
  ["join", { params: ["[]string", "string"], call: ([elems, sep]) => ((elems as string[] | null) ?? []).join(sep as string) }],
  ["title", { params: ["string"], call: ([s]) => title(s as string) }],
  ["lower", { params: ["string"], call: ([s]) => mapRunes(s as string, (c) => c.toLowerCase()) }],
  ["upper", { params: ["string"], call: ([s]) => mapRunes(s as string, (c) => c.toUpperCase()) }],
  [
    "pad",
    { params: ["string", "int", "int"], call: ([s, before, after]) => padWithSpace(s as string, before as number, after as number) },
  ],
  ["truncate", { params: ["string", "int"], call: ([s, n]) => truncate(s as string, n as number) }],
]);

const returnFirstArgument = ([v]: unknown[]): unknown => v;

/** docker's HeaderFunctions: the same names, leaving the header text alone (pad still pads). */
const HEADER_FUNCTIONS: ReadonlyMap<string, TemplateFunction> = new Map<string, TemplateFunction>([
  ...FUNCTIONS,
  ["json", { params: ["string"], call: returnFirstArgument }],
  ["split", { params: ["string", "string"], call: returnFirstArgument }],
  ["join", { params: ["string", "string"], call: returnFirstArgument }],
  ["title", { params: ["string"], call: returnFirstArgument }],
  ["lower", { params: ["string"], call: returnFirstArgument }],
  ["upper", { params: ["string"], call: returnFirstArgument }],
  ["truncate", { params: ["string", "int"], call: returnFirstArgument }],
]);

/** docker's json: an Encoder without HTML escaping; a value Go cannot encode prints nothing. */
function dockerJson(v: unknown): string {
  try {
    return marshalJson(v);
  } catch (error) {
    if (error instanceof UnsupportedJsonValue) return "";
    throw error;
  }
}

/** Go's basicKind: what eq and lt compare; ints and floats never compare with each other. */
function basicKind(v: unknown): "bool" | "int" | "float" | "string" | null {
  switch (typeof v) {
    case "boolean":
      return "bool";
    case "number":
      return isGoInt(v) ? "int" : "float";
    case "bigint":
      return "int";
    case "string":
      return "string";
  }
  return null;
}

function eq(a: unknown, others: unknown[]): boolean {
  if (others.length === 0) throw new Error("missing argument for comparison");
  const k1 = basicKind(a);
  for (const b of others) {
    const k2 = basicKind(b);
    let truth: boolean;
    if (k1 !== k2) {
      if (a !== null && a !== undefined && b !== null && b !== undefined) {
        throw new Error("incompatible types for comparison");
      }
      truth = false;
    } else if (k1 !== null) {
      truth = a == b; // Loose, so that a number equals the bigint of the same value.
    } else if (a === null || a === undefined || b === null || b === undefined) {
      truth = (a === null || a === undefined) === (b === null || b === undefined);
    } else {
      throw new Error(`non-comparable type ${formatArg(b, "s", PLAIN)}: ${goTypeName(b)}`);
    }
    if (truth) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === null || k2 === null) throw new Error("invalid type for comparison");
  if (k1 !== k2) throw new Error("incompatible types for comparison");
  if (k1 === "bool") throw new Error("invalid type for comparison");
  if (k1 === "string") return compareGoStrings(a as string, b as string) < 0;
  return (a as number) < (b as number);
}

/** Go's indexArg: an index into a string or slice of length `cap`. */
function indexArg(index: unknown, cap: number): number {
  if (index === null || index === undefined) throw new Error("cannot index slice/array with nil");
  if (!(typeof index === "bigint" || (typeof index === "number" && isGoInt(index)))) {
    throw new Error(`cannot index slice/array with type ${goTypeName(index)}`);
  }
  const x = Number(index);
  if (x < 0 || x > cap) throw new Error(`index out of range: ${x}`);
  return x;
}

function index(item: unknown, indexes: unknown[]): unknown {
  if (item === null || item === undefined) throw new Error("index of untyped nil");
  let current: unknown = item;
  for (const key of indexes) {
    if (current === null || current === undefined) throw new Error("index of nil pointer");
    if (typeof current === "string" || Array.isArray(current)) {
      const bytes = typeof current === "string" ? utf8Encoder.encode(current) : null;
      const len = bytes ? bytes.length : (current as unknown[]).length;
      const x = indexArg(key, len);
      // indexArg lets x == len through; Go then panics in reflect, and reports the panic.
      if (x === len) throw new Error(bytes ? "reflect: string index out of range" : "reflect: slice index out of range");
      current = bytes ? bytes[x] : (current as unknown[])[x];
    } else if (isMapLike(current)) {
      if (key === null || key === undefined) throw new Error("value is nil; should be of type string");
      if (typeof key !== "string") throw new Error(`value has type ${goTypeName(key)}; should be string`);
      current = mapIndex(current, key);
    } else {
      throw new Error(`can't index item of type ${goTypeName(current)}`);
    }
  }
  return current;
}

/**
 * A map entry, or for a missing key the zero value of the map's element type. JS maps have no
 * element type: one holding only strings stands for a Go map[string]string (docker's labels),
 * whose zero value is "", and any other for map[string]interface{}, whose zero is no value.
 */
function mapIndex(map: Map<unknown, unknown> | Record<string, unknown>, key: string): unknown {
  if (map instanceof Map ? map.has(key) : Object.prototype.hasOwnProperty.call(map, key)) {
    return map instanceof Map ? map.get(key) : map[key];
  }
  return holdsOnlyStrings(map) ? "" : undefined;
}

function holdsOnlyStrings(map: Map<unknown, unknown> | Record<string, unknown>): boolean {
  return sortedEntries(map).every(([, v]) => typeof v === "string");
}

function slice(item: unknown, indexes: unknown[]): unknown {
  if (item === null || item === undefined) throw new Error("slice of untyped nil");
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  let bytes: Uint8Array | null = null;
  if (typeof item === "string") {
    if (indexes.length === 3) throw new Error("cannot 3-index slice a string");
    bytes = utf8Encoder.encode(item);
  } else if (!Array.isArray(item)) {
    throw new Error(`can't slice item of type ${goTypeName(item)}`);
  }
  const len = bytes ? bytes.length : (item as unknown[]).length;
  const idx = [0, len, 0];
  indexes.forEach((x, i) => (idx[i] = indexArg(x, len)));
  if (idx[0] > idx[1]) throw new Error(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1] > idx[2]) throw new Error(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  return bytes ? utf8Decoder.decode(bytes.slice(idx[0], idx[1])) : (item as unknown[]).slice(idx[0], idx[1]);
}

function length(v: unknown): number {
  // Go's len gets no value as a zero reflect.Value and panics asking for its type.
  if (v === null || v === undefined) throw new Error("reflect: call of reflect.Value.Type on zero Value");
  if (typeof v === "string") return utf8Length(v);
  if (Array.isArray(v)) return v.length;
  if (v instanceof Map) return v.size;
  if (isMapLike(v)) return sortedEntries(v).length;
  throw new Error(`len of type ${goTypeName(v)}`);
}

/** The text html, js and urlquery escape: fmt.Sprint, with no value printed as <no value>. */
function printedArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === "string") return args[0];
  return sprint(args.map((arg) => (arg === null || arg === undefined ? "<no value>" : arg)));
}

function htmlEscape(s: string): string {
  const entities: Record<string, string> = {
    "\0": "\ufffd",
    '"': "&#34;",
    "'": "&#39;",
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
  };
  return s.replace(/[\0"'&<>]/g, (c) => entities[c]);
}

function jsEscape(s: string): string {
  const escapes: Record<string, string> = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "<": "\\u003C",
    ">": "\\u003E",
    "&": "\\u0026",
    "=": "\\u003D",
  };
  return Array.from(s, (c) => {
    const code = c.codePointAt(0)!;
    if (escapes[c] !== undefined) return escapes[c];
    if (code < 0x20) return `\\u00${code.toString(16).toUpperCase().padStart(2, "0")}`;
    if (code >= 0x80 && !isPrintRune(code)) return `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
    return c;
  }).join("");
}

/** url.QueryEscape. */
function urlQueryEscape(s: string): string {
  return Array.from(utf8Encoder.encode(s), (b) => {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
    return b === 0x20 ? "+" : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
}

/** strings.Split: an empty separator splits into characters. */
function split(s: string, sep: string): string[] {
  return sep === "" ? Array.from(s) : s.split(sep);
}

/**
 * Go's rune-by-rune case mapping keeps a rune whose mapping is not a single rune: strings.ToUpper
 * leaves "ß" alone where JS writes "SS".
 */
function mapRunes(s: string, map: (c: string) => string): string {
  return Array.from(s, (c) => {
    const mapped = map(c);
    return Array.from(mapped).length === 1 ? mapped : c;
  }).join("");
}

const WHITE_SPACE = /^\p{White_Space}$/u;

/**
 * strings.Title: upper-cases each letter that follows a separator, which is any ASCII character
 * but a letter, digit or underscore, and beyond ASCII only white space.
 */
function title(s: string): string {
  let previous = " ";
  return Array.from(s, (c) => {
    const isSeparator = previous.codePointAt(0)! <= 0x7f ? !/[0-9A-Za-z_]/.test(previous) : WHITE_SPACE.test(previous);
    const out = isSeparator ? mapRunes(c, (x) => x.toUpperCase()) : c;
    previous = c;
    return out;
  }).join("");
}

/** docker's pad: spaces around a non-empty string. */
function padWithSpace(s: string, before: number, after: number): string {
  if (s === "") return s;
  if (before < 0 || after < 0) throw new Error("strings: negative Repeat count");
  return " ".repeat(before) + s + " ".repeat(after);
}

/** docker's truncate: the first n bytes, as Go slices strings. */
function truncate(s: string, n: number): string {
  const bytes = utf8Encoder.encode(s);
  if (bytes.length < n) return s;
  if (n < 0) throw new Error(`runtime error: slice bounds out of range [:${n}]`);
  return utf8Decoder.decode(bytes.slice(0, n));
}

// ---------------------------------------------------------------------------------------------
// Execution: a port of Go's text/template/exec.go.

/** Go's missingVal: no value handed on from a previous pipeline stage. */
const MISSING = Symbol("missing");
const BREAK = Symbol("break");
const CONTINUE = Symbol("continue");

interface Variable {
  name: string;
  value: unknown;
}

class Execution {
  /** The node being evaluated, which error messages point at; Go's state.node. */
  private node: AnyNode | null = null;
  private readonly vars: Variable[];
  private readonly out: string[] = [];

  constructor(
    private readonly text: string,
    data: unknown,
    private readonly functions: ReadonlyMap<string, TemplateFunction>,
  ) {
    // Execute(nil) in Go has no value at all, unlike a nil found inside the data.
    this.vars = [{ name: "$", value: data ?? undefined }];
  }

  run(root: ListNode): string {
    this.walk(this.vars[0].value, root);
    return this.out.join("");
  }

  private at(node: AnyNode): void {
    this.node = node;
  }

  private errorf(message: string): never {
    const node = this.node!;
    const before = this.text.slice(0, node.pos);
    const lineStart = before.lastIndexOf("\n") + 1;
    const location = `${countNewlines(before) + 1}:${utf8Length(before.slice(lineStart))}`;
    throw new TemplateError(`template: :${location}: executing "" at <${nodeString(node)}>: ${message}`, this.out.join(""));
  }

  private walk(dot: unknown, node: Node): void {
    this.at(node);
    switch (node.kind) {
      case "action": {
        // An action that declares variables prints nothing.
        const value = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, value);
        return;
      }
      case "break":
        throw BREAK;
      case "continue":
        throw CONTINUE;
      case "if":
      case "with": {
        const mark = this.vars.length;
        const value = this.evalPipeline(dot, node.pipe);
        if (isTrue(value)) this.walk(node.kind === "with" ? value : dot, node.list);
        else if (node.elseList) this.walk(dot, node.elseList);
        this.vars.length = mark;
        return;
      }
      case "list":
        for (const child of node.nodes) this.walk(dot, child);
        return;
      case "range":
        this.walkRange(dot, node);
        return;
      case "text":
        this.out.push(node.text);
        return;
    }
  }

  private walkRange(dot: unknown, range: BranchNode): void {
    this.at(range);
    const outerMark = this.vars.length;
    const value = this.evalPipeline(dot, range.pipe);
    // The pipeline pushed the range's variables; each iteration sets them, and drops whatever
    // its body declared.
    const mark = this.vars.length;
    const { decl, isAssign } = range.pipe;
    let iterated = false;
    try {
      for (const [key, elem] of this.rangeItems(value, decl.length)) {
        iterated = true;
        if (decl.length > 0) {
          if (isAssign) this.setVar(decl[0].ident[0], decl.length > 1 ? key : elem);
          else this.vars[this.vars.length - 1].value = elem;
        }
        if (decl.length > 1) {
          if (isAssign) this.setVar(decl[1].ident[0], elem);
          else this.vars[this.vars.length - 2].value = key;
        }
        try {
          this.walk(elem, range.list);
        } catch (signal) {
          if (signal !== CONTINUE) throw signal;
        } finally {
          this.vars.length = mark;
        }
      }
    } catch (signal) {
      if (signal !== BREAK) throw signal;
    }
    if (!iterated && range.elseList) this.walk(dot, range.elseList);
    this.vars.length = outerMark;
  }

  /** What range visits: [index or key, element] pairs, keys in sorted order. */
  private *rangeItems(value: unknown, variables: number): Generator<[unknown, unknown]> {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      yield* value.map((elem, i): [unknown, unknown] => [i, elem]);
    } else if (isMapLike(value)) {
      yield* sortedEntries(value);
    } else if ((typeof value === "number" && isGoInt(value)) || typeof value === "bigint") {
      if (variables > 1) this.errorf(`can't use ${formatValue(value)} to iterate over more than one variable`);
      // Counted lazily: {{range 1000000000}}{{break}}{{end}} is fine in Go.
      for (let i = 0; i < Number(value); i++) yield [undefined, i];
    } else {
      this.errorf(`range can't iterate over ${formatValue(value)}`);
    }
  }

  private setVar(name: string, value: unknown): void {
    this.findVar(name).value = value;
  }

  private findVar(name: string): Variable {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) return this.vars[i];
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private printValue(node: ActionNode, value: unknown): void {
    this.at(node);
    if (typeof value === "function") this.errorf(`can't print ${nodeString(node)} of type func`);
    this.out.push(value === null || value === undefined ? "<no value>" : formatValue(value));
  }

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: unknown = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const variable of pipe.decl) {
      if (pipe.isAssign) this.setVar(variable.ident[0], value);
      else this.vars.push({ name: variable.ident[0], value });
    }
    return value;
  }

  /** `final` is the previous pipeline stage's value, passed as the last argument. */
  private evalCommand(dot: unknown, cmd: CommandNode, final: unknown): unknown {
    const first = cmd.args[0];
    switch (first.kind) {
      case "field":
        return this.evalFieldNode(dot, first, cmd.args, final);
      case "chain":
        return this.evalChainNode(dot, first, cmd.args, final);
      case "identifier":
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case "pipe":
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case "variable":
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.kind) {
      case "bool":
        return first.value;
      case "dot":
        return dot;
      case "nil":
        return this.errorf("nil is not a command");
      case "number":
        return this.idealConstant(first);
      case "string":
        return first.text;
    }
  }

  private notAFunction(args: Operand[], final: unknown): void {
    if (args.length > 1 || final !== MISSING) this.errorf(`can't give argument to non-function ${nodeString(args[0])}`);
  }

  /**
   * A number literal where no type is expected: Go makes it a float64 if it is written as one,
   * and otherwise an int, which an integer beyond int64 overflows.
   */
  private idealConstant(constant: NumberNode): number | bigint {
    this.at(constant);
    const { text } = constant;
    const isHexInt = /^0[xX]/.test(text) && !/[pP]/.test(text);
    const writtenAsFloat = /[.eEpP]/.test(text) && !isHexInt && !text.startsWith("'");
    if (!writtenAsFloat && !constant.isInt) this.errorf(`${text} overflows int`);
    return constant.value;
  }

  private evalFieldNode(dot: unknown, field: FieldNode, args: Operand[] | null, final: unknown): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: unknown, chain: ChainNode, args: Operand[] | null, final: unknown): unknown {
    this.at(chain);
    const receiver = this.evalArg(dot, "any", chain.node);
    return this.evalFieldChain(dot, receiver, chain, chain.fields, args, final);
  }

  private evalVariableNode(dot: unknown, variable: VariableNode, args: Operand[] | null, final: unknown): unknown {
    this.at(variable);
    const value = this.findVar(variable.ident[0]).value;
    if (variable.ident.length === 1) {
      this.notAFunction(args ?? [], final);
      return value;
    }
    return this.evalFieldChain(dot, value, variable, variable.ident.slice(1), args, final);
  }

  /** .X.Y.Z: only the last field gets the arguments, in case it is a method. */
  private evalFieldChain(
    dot: unknown,
    receiver: unknown,
    node: AnyNode,
    ident: string[],
    args: Operand[] | null,
    final: unknown,
  ): unknown {
    let current = receiver;
    for (const name of ident.slice(0, -1)) current = this.evalField(dot, name, node, null, MISSING, current);
    return this.evalField(dot, ident[ident.length - 1], node, args, final, current);
  }

  private evalFunction(dot: unknown, node: IdentifierNode, cmd: AnyNode, args: Operand[] | null, final: unknown): unknown {
    this.at(node);
    return this.evalCall(dot, this.functions.get(node.name)!, cmd, node.name, args, final);
  }

  private evalField(
    dot: unknown,
    name: string,
    node: AnyNode,
    args: Operand[] | null,
    final: unknown,
    receiver: unknown,
  ): unknown {
    // A field of a missing value is missing too, but a field of a nil is an error, as in Go.
    if (receiver === undefined) return undefined;
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
    const hasArgs = (args !== null && args.length > 1) || final !== MISSING;
    if (receiver instanceof Map) {
      if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
      return receiver.get(name);
    }
    if (isMapLike(receiver)) {
      const field = lookupField(receiver, name);
      if (field.found) {
        const method = field.value;
        if (typeof method === "function") {
          // JS functions take any number of arguments; too few is the mistake worth Go's error.
          const numIn = (args === null ? 0 : args.length - 1) + (final !== MISSING ? 1 : 0);
          if (numIn < method.length) this.errorf(`wrong number of args for ${name}: want ${method.length} got ${numIn}`);
          const call = (argv: unknown[]): unknown => method.apply(receiver, argv) as unknown;
          return this.evalCall(dot, { ...anyArgs, call }, node, name, args, final);
        }
        if (hasArgs) this.errorf(`${name} has arguments but cannot be invoked as function`);
        return field.value;
      }
      const typeName = (receiver as { [goType]?: string })[goType];
      this.errorf(typeName === undefined ? `can't evaluate field ${name}` : `can't evaluate field ${name} in type ${typeName}`);
    }
    this.errorf(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
  }

  private evalCall(
    dot: unknown,
    fn: TemplateFunction,
    node: AnyNode,
    name: string,
    args: Operand[] | null,
    final: unknown,
  ): unknown {
    const callArgs = args ? args.slice(1) : []; // args[0] names the function itself.
    const numIn = callArgs.length + (final !== MISSING ? 1 : 0);
    const numFixed = fn.params.length;
    if (fn.variadic !== undefined) {
      if (numIn < numFixed) this.errorf(`wrong number of args for ${name}: want at least ${numFixed} got ${callArgs.length}`);
    } else if (numIn !== numFixed) {
      this.errorf(`wrong number of args for ${name}: want ${numFixed} got ${numIn}`);
    }
    if ("stopWhenTrue" in fn) {
      let value: unknown;
      for (const arg of callArgs) {
        value = this.evalArg(dot, "any", arg);
        if (isTrue(value) === fn.stopWhenTrue) return value;
      }
      return final !== MISSING ? final : value;
    }
    const argv: unknown[] = [];
    let i = 0;
    for (; i < numFixed && i < callArgs.length; i++) argv.push(this.evalArg(dot, fn.params[i], callArgs[i]));
    for (; i < callArgs.length; i++) argv.push(this.evalArg(dot, fn.variadic!, callArgs[i]));
    if (final !== MISSING) {
      // The previous stage's value fills the last parameter, or the variadic ones once past it.
      let type = fn.params[numFixed - 1];
      if (fn.variadic !== undefined) type = numIn - 1 < numFixed ? fn.params[numIn - 1] : fn.variadic;
      argv.push(this.validateType(final, type));
    }
    try {
      return fn.call(argv);
    } catch (error) {
      this.at(node);
      this.errorf(`error calling ${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private evalArg(dot: unknown, type: ParamType, n: Operand): unknown {
    this.at(n);
    switch (n.kind) {
      case "dot":
        return this.validateType(dot, type);
      case "nil":
        if (type === "any" || type === "[]string") return null;
        return this.errorf(`cannot assign nil to ${type}`);
      case "field":
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), type);
      case "variable":
        return this.validateType(this.evalVariableNode(dot, n, null, MISSING), type);
      case "pipe":
        return this.validateType(this.evalPipeline(dot, n), type);
      case "identifier":
        return this.validateType(this.evalFunction(dot, n, n, null, MISSING), type);
      case "chain":
        return this.validateType(this.evalChainNode(dot, n, null, MISSING), type);
    }
    switch (type) {
      case "any":
        if (n.kind === "bool") return n.value;
        if (n.kind === "number") return this.idealConstant(n);
        return n.text;
      case "string":
        if (n.kind === "string") return n.text;
        return this.errorf(`expected string; found ${nodeString(n)}`);
      case "int":
        if (n.kind === "number" && n.isInt) return Number(n.value);
        return this.errorf(`expected integer; found ${nodeString(n)}`);
      case "[]string":
        return this.errorf(`can't handle ${nodeString(n)} for arg of type []string`);
    }
  }

  /** Checks a computed argument against the parameter's Go type. */
  private validateType(value: unknown, type: ParamType): unknown {
    if (value === null || value === undefined) {
      if (type === "any" || type === "[]string") return value;
      this.errorf(`invalid value; expected ${type}`);
    }
    switch (type) {
      case "any":
        return value;
      case "string":
        if (typeof value === "string") return value;
        break;
      case "int":
        if (typeof value === "number" && isGoInt(value)) return value;
        if (typeof value === "bigint") return Number(value);
        break;
      case "[]string":
        if (Array.isArray(value) && value.every((s) => typeof s === "string")) return value;
        break;
    }
    this.errorf(`wrong type for value; expected ${type}; got ${goTypeName(value)}`);
  }
}
