// An esbuild plugin that replaces src/deploy/compose/compose-spec-validator.ts with Ajv's
// standalone validation code for the vendored compose-spec schema, so the binary validates
// Compose files without compiling the schema at run time (~300 ms). The schema and Ajv options
// must stay those of compileComposeSpecValidator in that file.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import AjvModule from "ajv";
import standaloneModule from "ajv/dist/standalone/index.js";

export function composeSpecValidatorSource(schemaFile) {
  const schema = JSON.parse(readFileSync(schemaFile, "utf8"));
  delete schema.$schema;
  const ajv = new AjvModule.default({ strict: false, allErrors: true, code: { source: true, esm: true } });
  const validator = standaloneModule.default(ajv, ajv.compile(schema));
  return `${validator}\nexport function compileComposeSpecValidator() { return validate; }\n`;
}

export const composeSpecValidatorPlugin = {
  name: "compose-spec-validator",
  setup(build) {
    build.onLoad({ filter: /[/\\]deploy[/\\]compose[/\\]compose-spec-validator\.ts$/ }, (args) => ({
      contents: composeSpecValidatorSource(join(dirname(args.path), "compose-spec.json")),
      loader: "js",
      resolveDir: dirname(args.path),
    }));
  },
};
