import { MoorError, messages } from "../errors.ts";

/**
 * Docker's filter arguments (moby api/types/filters): each key holds a set of values.
 * Matching rules are moby's, including its oddities (an unset key matches everything).
 */
export class Filters {
  private readonly fields: Map<string, Set<string>>;
  private readonly patterns = new Map<string, RegExp | null>();

  constructor(fields: Iterable<[string, Iterable<string>]> = []) {
    this.fields = new Map([...fields].map(([key, values]) => [key, new Set(values)]));
  }

  get(key: string): string[] {
    return [...(this.fields.get(key) ?? [])];
  }

  contains(key: string): boolean {
    return this.fields.has(key);
  }

  add(key: string, value: string): Filters {
    const fields = [...this.fields].map(([k, v]) => [k, new Set(v)] as [string, Set<string>]);
    const copy = new Filters(fields);
    const values = copy.fields.get(key) ?? new Set<string>();
    values.add(value);
    copy.fields.set(key, values);
    return copy;
  }

  /** Refuses keys outside `accepted` with dockerd's 400. */
  validate(accepted: ReadonlySet<string>): void {
    for (const key of this.fields.keys()) {
      if (!accepted.has(key)) throw new MoorError("invalid", messages.invalidFilter(key));
    }
  }

  /** True when the key is unset or `source` is one of its values. */
  exactMatch(key: string, source: string): boolean {
    const values = this.fields.get(key);
    return values === undefined || values.size === 0 || values.has(source);
  }

  /** True when the key is unset or any value, as a regular expression, matches `source`. */
  match(key: string, source: string): boolean {
    const values = this.fields.get(key);
    if (values === undefined || values.size === 0) return true;
    for (const value of values) {
      if (value === source) return true;
      let pattern = this.patterns.get(value);
      if (pattern === undefined) {
        pattern = compilePattern(value);
        this.patterns.set(value, pattern);
      }
      if (pattern?.test(source)) return true;
    }
    return false;
  }

  /**
   * Every value (`key` or `key=value`) must be present in `labels`; with the key unset this is
   * true, and a volume without labels never matches a set key (moby MatchKVList).
   */
  matchKVList(key: string, labels: Record<string, string> | null): boolean {
    const values = this.fields.get(key);
    if (values === undefined || values.size === 0) return true;
    if (labels === null || Object.keys(labels).length === 0) return false;
    for (const value of values) {
      const eq = value.indexOf("=");
      const labelKey = eq === -1 ? value : value.slice(0, eq);
      if (!Object.hasOwn(labels, labelKey)) return false;
      if (eq !== -1 && labels[labelKey] !== value.slice(eq + 1)) return false;
    }
    return true;
  }

  /** A boolean filter such as `dangling`: true/1 or false/0, anything else is a 400. */
  boolean(key: string): boolean | undefined {
    if (!this.contains(key)) return undefined;
    if (this.exactMatch(key, "true") || this.exactMatch(key, "1")) return true;
    if (this.exactMatch(key, "false") || this.exactMatch(key, "0")) return false;
    throw new MoorError("invalid", messages.invalidFilterValue(key, this.get(key)));
  }
}

/** Go regexp (RE2) syntax is close enough to JavaScript's for name filters; bad ones never match. */
function compilePattern(source: string): RegExp | null {
  try {
    return new RegExp(source);
  } catch {
    return null;
  }
}
