/**
 * The compose-spec JSON schema as an Ajv validator. This module compiles it at run time (tests,
 * tsx); the build replaces the module with Ajv's precompiled standalone code for the same schema
 * and options (scripts/compose-spec-plugin.mjs), since compiling takes ~300 ms per `moor up`.
 */
import { readFileSync } from "node:fs";
import AjvModule from "ajv";

export interface SchemaViolation {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

export interface ComposeSpecValidator {
  (document: unknown): boolean;
  errors?: SchemaViolation[] | null;
}

export function compileComposeSpecValidator(): ComposeSpecValidator {
  const schema = JSON.parse(readFileSync(new URL("./compose-spec.json", import.meta.url), "utf8")) as Record<string, unknown>;
  // Ajv does not know the draft-07 meta-schema URI the file names, and the schema's union types need strict off.
  delete schema.$schema;
  const ajv = new AjvModule.default({ strict: false, allErrors: true });
  return ajv.compile(schema) as ComposeSpecValidator;
}
