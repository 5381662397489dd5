/**
 * Reads one Compose file's YAML the way compose-go's loader does with go-yaml: `<<` merge keys,
 * integers as Go's strconv.ParseInt(s, 0, 64) reads them (so `0755` is octal, as in compose),
 * every key a string, no key twice, several `---` documents in one file, and the `!reset` /
 * `!override` tags of loader/reset.go, which remove or replace what earlier files declared.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node, type ScalarTag } from "yaml";
import type { Path } from "./path.ts";

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };
export type YamlMapping = { [key: string]: YamlValue };

export interface ComposeDocument {
  content: YamlMapping;
  /**
   * Where the document says `!reset` or `!override`: what earlier files put there is deleted
   * before this document is merged (then `!override`'s own value takes its place).
   */
  replacedPaths: Path[];
}

/** go-yaml resolves plain integers with strconv.ParseInt(s, 0, 64) after dropping underscores. */
const goInteger: ScalarTag = {
  tag: "tag:yaml.org,2002:int",
  default: true,
  identify: (value) => typeof value === "number" && Number.isInteger(value),
  test: /^[-+]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|[0-9][0-9_]*)$/,
  resolve(source) {
    const plain = source.replaceAll("_", "");
    const sign = plain.startsWith("-") ? -1 : 1;
    const digits = plain.replace(/^[-+]/, "");
    if (/^0[xX]/.test(digits)) return sign * Number.parseInt(digits.slice(2), 16);
    if (/^0[bB]/.test(digits)) return sign * Number.parseInt(digits.slice(2), 2);
    if (/^0[oO]/.test(digits)) return sign * Number.parseInt(digits.slice(2), 8);
    if (/^0[0-7]+$/.test(digits)) return sign * Number.parseInt(digits.slice(1), 8);
    // "09" is no octal: go-yaml then reads it as the float 9.
    return sign * Number(digits);
  },
};

/** Parses one file into its documents; errors name the file as compose-go's do. */
export function parseComposeYaml(text: string, filename: string): ComposeDocument[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { merge: true, uniqueKeys: false, lineCounter, customTags: (tags) => [goInteger, ...tags] });
  if (!Array.isArray(documents)) return [];
  const result: ComposeDocument[] = [];
  for (const document of documents) {
    const [error] = document.errors;
    if (error !== undefined) throw new Error(`failed to parse ${filename}: ${error.message.trimEnd()}`);
    if (document.contents === null) continue;
    const replacedPaths: Path[] = [];
    const walker = new TagWalker(document, lineCounter, filename, replacedPaths);
    walker.walk(document.contents, [], false);
    const content = document.toJS() as YamlValue;
    checkStringKeys(document.contents, []);
    if (content === null || typeof content !== "object" || Array.isArray(content)) throw new Error("top-level object must be a mapping");
    result.push({ content, replacedPaths });
  }
  return result;
}

/** compose-go's ResetProcessor: records tagged paths, drops `!reset` nodes, refuses duplicate keys. */
class TagWalker {
  constructor(
    private readonly document: Document,
    private readonly lineCounter: LineCounter,
    private readonly filename: string,
    private readonly replacedPaths: Path[],
  ) {}

  /** Returns false when the node is `!reset` and must be left out. */
  walk(node: unknown, path: string[], underSequence: boolean): boolean {
    const target = isAlias(node) ? node.resolve(this.document) : node;
    const tag = (target as { tag?: string } | undefined)?.tag;
    if (tag === "!reset" || tag === "!override") {
      // compose-go records sequence positions as "0" but looks them up as "[0]", so a tag under a list never applies.
      if (!underSequence) this.replacedPaths.push(path.filter((part) => part !== "<<"));
      return tag === "!override";
    }
    if (isAlias(node)) return true;
    if (isSeq(node)) {
      node.items = node.items.filter((item, index) => this.walk(item, [...path, String(index)], true));
    } else if (isMap(node)) {
      const seen = new Map<unknown, number>();
      node.items = node.items.filter((pair) => {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        const line = this.line(pair.key);
        const firstLine = seen.get(key);
        if (firstLine !== undefined) {
          throw new Error(`failed to parse ${this.filename}: line ${line}: mapping key ${JSON.stringify(String(key))} already defined at line ${firstLine}`);
        }
        seen.set(key, line);
        const keyText = typeof key === "symbol" ? "<<" : String(key);
        return this.walk(pair.value, [...path, keyText], underSequence);
      });
    }
    return true;
  }

  private line(node: unknown): number {
    const range = (node as Node | null)?.range;
    return range ? this.lineCounter.linePos(range[0]).line : 0;
  }
}

/** compose-go's convertToStringKeysRecursive: keys must be strings (`1:` is an int in YAML). */
function checkStringKeys(node: unknown, path: string[]): void {
  if (isSeq(node)) {
    node.items.forEach((item, index) => checkStringKeys(item, [...path.slice(0, -1), `${path.at(-1) ?? ""}[${index}]`]));
  } else if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof key === "symbol") continue;
      if (typeof key !== "string") {
        const location = path.length === 0 ? "at top level" : `in ${path.join(".")}`;
        throw new Error(`non-string key ${location}: ${key === null ? "<nil>" : String(key)}`);
      }
      if (key === "__proto__") throw new Error(`invalid key ${JSON.stringify(key)} ${path.length === 0 ? "at top level" : `in ${path.join(".")}`}`);
      checkStringKeys(pair.value, [...path, key]);
    }
  }
}
