/**
 * Variable substitution in Compose values, ported from compose-go's template package
 * (template/template.go) so `${VAR:-default}`, `${VAR?err}`, `$$` and their corner cases
 * (nested defaults, braces inside defaults, the operator that comes first wins) behave as in
 * `docker compose`, with its error texts.
 */

/** Looks a variable up: its value, or undefined when it is not set (set-but-empty is ""). */
export type Lookup = (name: string) => string | undefined;

/** A `${` that does not start a valid substitution; compose-go's InvalidTemplateError. */
export class InvalidTemplateError extends Error {
  constructor(readonly template: string) {
    super(`Invalid template: ${JSON.stringify(template)}`);
  }
}

/** `${VAR?reason}` or `${VAR:?reason}` with the variable missing; compose-go's MissingRequiredError. */
export class MissingRequiredError extends Error {
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(reason === "" ? `required variable ${variable} is missing a value` : `required variable ${variable} is missing a value: ${reason}`);
  }
}

// compose-go's DefaultPattern: `\$(?i:(?P<escaped>\$)|(?P<named>[_a-z][_a-z0-9]*)|{(?:(?P<braced>[_a-z][_a-z0-9]*(?::?[-+?](.*))?)}|(?P<invalid>)))`.
// Go's `.` stops only at \n, hence [^\n] rather than JavaScript's `.`.
const patternSource = String.raw`\$(?:(?<escaped>\$)|(?<named>[_a-z][_a-z0-9]*)|\{(?:(?<braced>[_a-z][_a-z0-9]*(?::?[-+?]([^\n]*))?)\}|(?<invalid>)))`;
const globalPattern = new RegExp(patternSource, "gi");
const anchoredPattern = new RegExp(patternSource, "i");

type Substitution = (substitution: string, lookup: Lookup, onUnset: (name: string) => void) => { value: string; applied: boolean };

/**
 * Replaces every variable reference in `template`. `onUnset` hears of each variable that was
 * used but not set (compose warns "The X variable is not set. Defaulting to a blank string.").
 * Throws InvalidTemplateError or MissingRequiredError as compose-go returns them.
 */
export function substitute(template: string, lookup: Lookup, onUnset: (name: string) => void = () => {}): string {
  let firstError: Error | undefined;
  const result = template.replace(globalPattern, (match: string) => {
    try {
      return replaceMatch(match, lookup, onUnset);
    } catch (error) {
      // compose-go keeps substituting and returns the first error; an invalid template names the whole value.
      if (error instanceof InvalidTemplateError && error.template === "") firstError ??= new InvalidTemplateError(template);
      else firstError ??= error as Error;
      return "";
    }
  });
  if (firstError !== undefined) throw firstError;
  return result;
}

function replaceMatch(match: string, lookup: Lookup, onUnset: (name: string) => void): string {
  // The operator is chosen on the whole match before it is cut at its closing brace, as compose-go does.
  const substitutionFunction = substitutionFor(match);
  let substring = match;
  let rest = "";
  const closingBrace = firstClosingBraceIndex(match);
  if (closingBrace > -1) {
    rest = match.slice(closingBrace + 1);
    substring = match.slice(0, closingBrace + 1);
  }
  const groups = anchoredPattern.exec(substring)?.groups ?? {};
  if (groups.escaped) return groups.escaped;
  let name = groups.named ?? "";
  let braced = false;
  if (name === "") {
    name = groups.braced ?? "";
    braced = true;
  }
  if (name === "") throw new InvalidTemplateError("");
  if (braced) {
    const { value, applied } = substitutionFunction(name, lookup, onUnset);
    if (applied) return value + substitute(rest, lookup, onUnset);
  }
  const value = lookup(name);
  if (value === undefined) onUnset(name);
  return value ?? "";
}

/** compose-go's getFirstBraceClosingIndex, including its skip of the character after each `{`. */
function firstClosingBraceIndex(text: string): number {
  let open = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "}") {
      open--;
      if (open === 0) return i;
    }
    if (text[i] === "{") {
      open++;
      i++;
    }
  }
  return -1;
}

const operators: Array<[string, Substitution]> = [
  [":?", (s, lookup, onUnset) => withRequired(s, lookup, onUnset, ":?", (value) => value !== "")],
  ["?", (s, lookup, onUnset) => withRequired(s, lookup, onUnset, "?", () => true)],
  [":-", (s, lookup, onUnset) => withDefaultWhenAbsent(s, lookup, onUnset, ":-", true)],
  ["-", (s, lookup, onUnset) => withDefaultWhenAbsent(s, lookup, onUnset, "-", false)],
  [":+", (s, lookup, onUnset) => withDefaultWhenPresent(s, lookup, onUnset, ":+", true)],
  ["+", (s, lookup, onUnset) => withDefaultWhenPresent(s, lookup, onUnset, "+", false)],
];

/** The operator appearing first in the text wins; with none, compose-go's sort leaves ":?" first (which then does not apply). */
function substitutionFor(text: string): Substitution {
  let best = operators[0];
  let bestIndex = text.indexOf(best[0]);
  for (const candidate of operators.slice(1)) {
    const index = text.indexOf(candidate[0]);
    if (index >= 0 && (bestIndex < 0 || index < bestIndex)) {
      best = candidate;
      bestIndex = index;
    }
  }
  return best[1];
}

function partition(text: string, separator: string): [string, string] {
  const index = text.indexOf(separator);
  return index < 0 ? [text, ""] : [text.slice(0, index), text.slice(index + separator.length)];
}

function withDefaultWhenAbsent(substitution: string, lookup: Lookup, onUnset: (name: string) => void, separator: string, emptyCountsAsUnset: boolean) {
  if (!substitution.includes(separator)) return { value: "", applied: false };
  const [name, fallback] = partition(substitution, separator);
  const value = lookup(name);
  if (value === undefined || (emptyCountsAsUnset && value === "")) return { value: substitute(fallback, lookup, onUnset), applied: true };
  return { value, applied: true };
}

function withDefaultWhenPresent(substitution: string, lookup: Lookup, onUnset: (name: string) => void, separator: string, emptyCountsAsUnset: boolean) {
  if (!substitution.includes(separator)) return { value: "", applied: false };
  const [name, alternative] = partition(substitution, separator);
  const value = lookup(name);
  if (value !== undefined && (!emptyCountsAsUnset || value !== "")) return { value: substitute(alternative, lookup, onUnset), applied: true };
  return { value: value ?? "", applied: true };
}

function withRequired(substitution: string, lookup: Lookup, onUnset: (name: string) => void, separator: string, valid: (value: string) => boolean) {
  if (!substitution.includes(separator)) return { value: "", applied: false };
  const [name, reason] = partition(substitution, separator);
  const value = lookup(name);
  if (value === undefined || !valid(value)) throw new MissingRequiredError(name, substitute(reason, lookup, onUnset));
  return { value, applied: true };
}
