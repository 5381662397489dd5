/**
 * Go's text/tabwriter as the docker CLI configures it (minwidth 10, tabwidth 1, padding 3,
 * padded with spaces): tab-terminated cells are aligned per column; the text after a line's
 * last tab is not part of a column.
 */
export function tabwrite(text: string, { minWidth = 10, padding = 3 } = {}): string {
  const lines = text.split("\n");
  const trailingNewline = lines.at(-1) === "";
  if (trailingNewline) lines.pop();
  const rows = lines.map((line) => line.split("\t"));
  const widths: number[] = [];
  for (const cells of rows) {
    cells.slice(0, -1).forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 0, Math.max(minWidth, displayWidth(cell) + padding));
    });
  }
  const out = rows.map((cells) =>
    cells.map((cell, column) => (column === cells.length - 1 ? cell : cell + " ".repeat(widths[column] - displayWidth(cell)))).join(""),
  );
  return out.join("\n") + (trailingNewline ? "\n" : "");
}

function displayWidth(text: string): number {
  return [...text].length;
}
