/**
 * Positions in a Compose document, as compose-go's tree.Path: a list of keys where list items
 * are "[]" (or "[0]" where an index is known), and a pattern's "*" matches any one key.
 * Kept as arrays so a service named "a.b" stays one key.
 */
export type Path = readonly string[];

export const listItem = "[]";

/** `services.*.ports` style patterns, split once. */
export function pattern(text: string): Path {
  return text.split(".");
}

export function matches(path: Path, patternPath: Path): boolean {
  return path.length === patternPath.length && path.every((part, index) => patternPath[index] === "*" || patternPath[index] === part);
}

/** As compose-go prints a path: keys joined with dots. */
export function formatPath(path: Path): string {
  return path.join(".");
}
