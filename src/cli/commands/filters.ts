import type { FilterMap } from "../../client/client.ts";

/** `--label a=b --label c` → {a: "b", c: ""} (docker opts.ConvertKVStringsToMap). */
export function keyValueMap(values: string[] | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  for (const value of values ?? []) {
    const eq = value.indexOf("=");
    if (eq === -1) map[value] = "";
    else map[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return map;
}

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
