import type { FilterMap } from "../../client/client.ts";

/** Repeated `--filter key=value` flags, collected per key as the docker CLI does. */
export function filterMap(values: string[] | undefined): FilterMap {
  const filters: FilterMap = new Map();
  for (const value of values ?? []) {
    const eq = value.indexOf("=");
    const key = value.slice(0, eq).trim().toLowerCase();
    filters.set(key, [...(filters.get(key) ?? []), value.slice(eq + 1)]);
  }
  return filters;
}
