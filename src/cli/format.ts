import { compileTemplate, TemplateError } from "../util/go-template.ts";
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

/** A template that failed to parse or run; the CLI prints it and exits 1, as docker does. */
export class FormatError extends CommandError {}

function compile(text: string) {
  try {
    return compileTemplate(text);
  } catch (err) {
    if (err instanceof TemplateError) throw new FormatError(`template parsing error: ${err.message}`);
    throw err;
  }
}

/**
 * docker/cli formatter.Context: "table" and "table TEMPLATE" print a header row and align
 * columns, "json" prints one object per line, anything else is a template per item.
 * `\t` and `\n` typed literally in the format become tab and newline.
 */
export function formatList<T extends object>(items: T[], format: string, headers: Record<string, string>): string {
  const isTable = format.startsWith("table");
  let template = isTable ? format.slice("table".length) : format === "json" ? "{{json .}}" : format;
  template = template.replace(/^ +| +$/g, "").replaceAll("\\t", "\t").replaceAll("\\n", "\n");
  const compiled = compile(template);
  let rows = "";
  for (const item of items) {
    try {
      rows += `${compiled.execute(item)}\n`;
    } catch (err) {
      if (err instanceof TemplateError) throw new FormatError(`template parsing error: ${err.message}`);
      throw err;
    }
  }
  if (!isTable) return rows;
  let header = "";
  try {
    header = compiled.execute(headers, { headerMode: true });
  } catch {
    // docker ignores errors while rendering the header row and prints what it got
  }
  return tabwrite(`${header}\n${rows}`);
}

/**
 * docker's inspect output: without a format a JSON array indented by four spaces, with one
 * the template applied to each object.
 */
export function formatObjects(objects: unknown[], format: string): string {
  if (format === "" ) return `${JSON.stringify(objects, null, 4)}\n`;
  const template = format === "json" ? "{{json .}}" : format.replaceAll("\\t", "\t").replaceAll("\\n", "\n");
  const compiled = compile(template);
  return objects
    .map((object) => {
      try {
        return `${compiled.execute(object)}\n`;
      } catch (err) {
        if (err instanceof TemplateError) throw new FormatError(`template parsing error: ${err.message}`);
        throw err;
      }
    })
    .join("");
}
