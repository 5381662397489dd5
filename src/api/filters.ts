import { MoorError } from "../errors.ts";
import { Filters } from "../engine/filters.ts";
import { goJsonSyntaxError } from "../util/go-json.ts";

/**
 * Parses the `filters` query parameter in both encodings clients send: the map of booleans the
 * docker CLI uses (`{"label":{"a=b":true}}`) and the list form (`{"label":["a=b"]}`), as moby's
 * filters.FromJSON does. Errors carry Go's encoding/json texts.
 */
export function parseFilters(text: string | null): Filters {
  if (text === null || text === "") return new Filters();
  const syntaxError = goJsonSyntaxError(text);
  if (syntaxError !== null) throw new MoorError("invalid", syntaxError);
  const parsed: unknown = JSON.parse(text);
  if (parsed === null) return new Filters();
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new MoorError("invalid", `json: cannot unmarshal ${goJsonType(parsed)} into Go value of type map[string]map[string]bool`);
  }
  const fields: Array<[string, string[]]> = [];
  for (const [key, value] of Object.entries(parsed)) {
    if (value === null) {
      fields.push([key, []]);
    } else if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
      fields.push([key, value]);
    } else if (typeof value === "object" && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "boolean")) {
      fields.push([key, Object.keys(value)]);
    } else {
      const inner = Array.isArray(value) ? value.find((v) => typeof v !== "boolean") : value;
      throw new MoorError("invalid", `json: cannot unmarshal ${goJsonType(inner)} into Go value of type ${Array.isArray(value) ? "bool" : "map[string]bool"}`);
    }
  }
  return new Filters(fields);
}

/** The JSON type names Go's decoder uses in its errors. */
export function goJsonType(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  if (typeof value === "object") return "object";
  return typeof value === "boolean" ? "bool" : typeof value;
}
