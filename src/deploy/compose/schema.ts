/**
 * Validation against the compose-spec JSON schema, reporting the one most specific violation
 * in the words `docker compose` uses (compose-go schema/schema.go over santhosh-tekuri's
 * jsonschema messages): "services.web additional properties 'foo' not allowed",
 * "services.web.ports.0 must be a integer or string".
 */
import { compileComposeSpecValidator, type ComposeSpecValidator, type SchemaViolation } from "./compose-spec-validator.ts";
import type { YamlMapping } from "./yaml-file.ts";

export interface SchemaProblem {
  /** Where, as compose prints it: keys and list indexes joined with dots ("services.web.ports.0"). */
  path: string;
  /** What is wrong, in compose's words. */
  problem: string;
}

let validator: ComposeSpecValidator | undefined;

/** The most specific schema violation of the document, or null when it is valid. */
export function validateAgainstSchema(document: YamlMapping): SchemaProblem | null {
  validator ??= compileComposeSpecValidator();
  if (validator(document)) return null;
  const violations = groupAdditionalProperties((validator.errors ?? []).filter((violation) => !wrapperKeywords.has(violation.keyword)));
  let best: { violation: GroupedViolation; specificity: number } | undefined;
  for (const violation of violations) {
    // compose-go keeps the deepest error; an unknown key counts one deeper than its object.
    const specificity = violation.path.length + (violation.keyword === "additionalProperties" ? 1 : 0);
    if (best === undefined || specificity > best.specificity) best = { violation, specificity };
  }
  if (best === undefined) return { path: "", problem: "validation failed" };
  return { path: best.violation.path.join("."), problem: describe(best.violation, valueAt(document, best.violation.path)) };
}

/** Keywords whose failure only says a sub-schema failed; jsonschema reports the sub-schema's own errors instead. */
const wrapperKeywords = new Set(["oneOf", "anyOf", "allOf", "if", "then", "else", "$ref"]);

interface GroupedViolation extends SchemaViolation {
  path: string[];
  /** For additionalProperties: every unknown key of that object, as jsonschema reports them together. */
  properties: string[];
}

function groupAdditionalProperties(violations: SchemaViolation[]): GroupedViolation[] {
  const grouped: GroupedViolation[] = [];
  const byLocation = new Map<string, GroupedViolation>();
  for (const violation of violations) {
    const path = violation.instancePath === "" ? [] : violation.instancePath.slice(1).split("/").map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"));
    if (violation.keyword === "additionalProperties") {
      const property = String(violation.params.additionalProperty);
      const existing = byLocation.get(violation.instancePath);
      if (existing !== undefined) {
        if (!existing.properties.includes(property)) existing.properties.push(property);
        continue;
      }
      const entry = { ...violation, path, properties: [property] };
      byLocation.set(violation.instancePath, entry);
      grouped.push(entry);
      continue;
    }
    grouped.push({ ...violation, path, properties: [] });
  }
  return grouped;
}

/** jsonschema's quote: Go %q with single quotes. */
function quote(text: string): string {
  const quoted = JSON.stringify(text).slice(1, -1).replaceAll('\\"', '"').replaceAll("'", "\\'");
  return `'${quoted}'`;
}

function display(value: unknown): string {
  if (typeof value === "string") return quote(value);
  if (value !== null && typeof value === "object") return "value";
  return value === null ? "<nil>" : String(value);
}

/** compose-go's humanReadableType: object reads "mapping", several types are sorted and joined. */
function humanReadableTypes(types: string[]): string {
  const names = types.map((type) => (type === "object" ? "mapping" : type));
  if (names.length === 1) return names[0];
  names.sort();
  return `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
}

function valueAt(document: YamlMapping, path: readonly string[]): unknown {
  let value: unknown = document;
  for (const part of path) value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
  return value;
}

/** How many items, characters or keys a value has, for the min/max messages. */
function sizeOf(value: unknown): number {
  if (Array.isArray(value)) return value.length;
  if (typeof value === "string") return [...value].length;
  return value !== null && typeof value === "object" ? Object.keys(value).length : 0;
}

function describe(violation: GroupedViolation, value: unknown): string {
  const path = violation.path.join(".");
  const params = violation.params;
  switch (violation.keyword) {
    case "type":
      return `${path} must be a ${humanReadableTypes(String(params.type).split(","))}`;
    case "minimum":
      return `${path} must be greater than or equal to ${String(params.limit)}`;
    case "maximum":
      return `${path} must be less than or equal to ${String(params.limit)}`;
  }
  return `${path} ${localized(violation, value)}`;
}

/** santhosh-tekuri/jsonschema v6's messages (kind/kind.go). */
function localized(violation: GroupedViolation, value: unknown): string {
  const params = violation.params;
  switch (violation.keyword) {
    case "additionalProperties":
      return `additional properties ${violation.properties.map(quote).join(", ")} not allowed`;
    case "required":
      return `missing property ${quote(String(params.missingProperty))}`;
    case "enum": {
      const allowed = params.allowedValues as unknown[];
      return allowed.length === 1 ? `value must be ${display(allowed[0])}` : `value must be one of ${allowed.map(display).join(", ")}`;
    }
    case "const":
      return `value must be ${display(params.allowedValue)}`;
    case "pattern":
      return `${quote(String(value))} does not match pattern ${quote(String(params.pattern))}`;
    case "uniqueItems":
      return `items at ${String(params.j)} and ${String(params.i)} are equal`;
    case "minItems":
    case "maxItems":
    case "minLength":
    case "maxLength":
    case "minProperties":
    case "maxProperties":
      return `${violation.keyword}: got ${sizeOf(value)}, want ${String(params.limit)}`;
    case "exclusiveMinimum":
    case "exclusiveMaximum":
    case "multipleOf":
      return `${violation.keyword}: got ${String(value)}, want ${String(params.limit ?? params.multipleOf)}`;
    case "not":
      return "not failed";
    case "false schema":
      return "false schema";
    default:
      return violation.message ?? "validation failed";
  }
}
