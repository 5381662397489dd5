import { compileTemplate, formatDirective, goStruct, goType, TemplateError, type Template } from "../util/go-template.ts";
import { CommandError } from "./command.ts";
import { tabwrite } from "./tabwriter.ts";

/** The help text docker prints for a list command's --format flag. */
export const tableFormatUsage = `Format output using a custom template:
'table':            Print output in table format
with column headers (default)
'table TEMPLATE':   Print output in table format
using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given
Go template.
Refer to https://docs.docker.com/go/formatting/
for more information about formatting output with
templates`;

/** The help text docker prints for an inspect-style command's --format flag. */
export const objectFormatUsage = `Format output using a custom template:
'json':             Print in JSON format
'TEMPLATE':         Print output using the given
Go template.
Refer to https://docs.docker.com/go/formatting/
for more information about formatting output with
templates`;

/** A template that failed to parse or run: printed as docker prints it, exit 1. */
class FormatError extends CommandError {
  constructor(err: TemplateError, exitCode = 1, partialOutput = "") {
    super(`template parsing error: ${err.message}`, exitCode, partialOutput);
  }
}

/** A template that does not parse exits 1 from list commands and 64 from inspect, as in docker. */
function compile(text: string, parseErrorExitCode = 1): Template {
  try {
    return compileTemplate(text);
  } catch (err) {
    throw err instanceof TemplateError ? new FormatError(err, parseErrorExitCode) : err;
  }
}

function execute(template: Template, data: unknown): string {
  try {
    return template.execute(data);
  } catch (err) {
    throw err instanceof TemplateError ? new FormatError(err) : err;
  }
}

/**
 * docker/cli formatter.Context: a table prints a header row (the template run over `headers`)
 * and aligns columns; json prints one object per line; a template prints one row per item.
 * `defaultTable` is the row template for a bare "table" (or no format at all).
 */
export function formatList(items: object[], format: string, headers: object, defaultTable: string): string {
  const directive = formatDirective(format);
  const template = compile(directive.kind === "table" && directive.template === "" ? defaultTable : directive.template);
  const rows = items.map((item) => `${execute(template, item)}\n`).join("");
  if (directive.kind !== "table") return rows;
  let header: string;
  try {
    header = template.execute(headers, { headerMode: true });
  } catch (err) {
    // docker ignores errors in the header row and prints what was written before them
    if (!(err instanceof TemplateError)) throw err;
    header = err.output;
  }
  return tabwrite(`${header}\n${rows}`);
}

/**
 * docker's inspect output: without a format a JSON array indented by four spaces, "json" the
 * same array compact, anything else a template applied to each object, taken as typed.
 */
export function formatObjects(objects: unknown[], format: string): string {
  if (format === "") return `${JSON.stringify(objects, null, 4)}\n`;
  if (format === "json") return `${JSON.stringify(objects)}\n`;
  const template = compile(format, 64);
  let output = "";
  for (const object of objects) {
    try {
      output += `${template.execute(asGoStructs(withOmittedFields(object)))}\n`;
    } catch (err) {
      // docker still ends the failed object's line before it reports the error
      if (err instanceof TemplateError) throw new FormatError(err, 1, `${output}${err.output}\n`);
      throw err;
    }
  }
  // docker's TemplateInspector writes a newline when nothing was found to format.
  return output === "" ? "\n" : output;
}

/**
 * docker decodes inspect answers into typed structs, whose `json` keeps field order, and maps,
 * whose keys it sorts. Struct fields are capitalised Go names and map keys (labels, paths,
 * ports) rarely are, so a non-empty object with only capitalised keys is taken as a struct.
 */
function asGoStructs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asGoStructs);
  if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const keys = Object.keys(value);
  const converted: Record<string | symbol, unknown> = {};
  for (const key of keys) converted[key] = asGoStructs((value as Record<string, unknown>)[key]);
  for (const symbol of Object.getOwnPropertySymbols(value)) converted[symbol] = (value as Record<symbol, unknown>)[symbol];
  if (keys.length > 0 && keys.every((key) => /^[A-Z]/.test(key))) converted[goStruct] = true;
  return converted;
}

/**
 * Fields dockerd leaves out of its JSON when empty (`omitempty`) but docker's typed structs
 * still have, as their zero values: a template may name them (`{{json .HostConfig.Mounts}}`
 * prints null with docker, not an error).
 */
const omittedFields: Record<string, Record<string, Record<string, unknown>>> = {
  "container.InspectResponse": { HostConfig: { Mounts: null, Tmpfs: null, MaskedPaths: null, ReadonlyPaths: null } },
};

function withOmittedFields(object: unknown): unknown {
  const type = (object as { [goType]?: string } | null)?.[goType];
  const omitted = type === undefined ? undefined : omittedFields[type];
  if (omitted === undefined) return object;
  const view: Record<string | symbol, unknown> = { ...(object as Record<string | symbol, unknown>) };
  for (const [field, zeros] of Object.entries(omitted)) {
    const value = view[field];
    if (value === null || typeof value !== "object") continue;
    const missing = Object.entries(zeros).filter(([key]) => !Object.hasOwn(value, key));
    view[field] = { ...value, ...Object.fromEntries(missing) };
  }
  return view;
}
