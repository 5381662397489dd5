/**
 * What is wrong with an environment entry (`KEY=value`, or `KEY` alone), as moby's ValidateEnv
 * says it: an entry needs a name before its "=". Undefined when it has one.
 */
export function envEntryProblem(entry: string): string | undefined {
  return entry.split("=", 1)[0] === "" ? `invalid environment variable: ${entry}` : undefined;
}
