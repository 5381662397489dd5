/** The API versions moor speaks: it advertises the newest and accepts requests down to the oldest. */
export const apiVersions = { max: "1.45", min: "1.24" } as const;

/** moby api/types/versions.compare: dotted numeric comparison, missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const left = a.split(".");
  const right = b.split(".");
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = Number.parseInt(left[i] ?? "0", 10) || 0;
    const y = Number.parseInt(right[i] ?? "0", 10) || 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function versionLessThan(a: string, b: string): boolean {
  return compareVersions(a, b) < 0;
}

/** Splits `/v1.41/volumes` into the version and the path the route table knows. */
export function splitVersionPrefix(path: string): { version: string | undefined; path: string } {
  const match = /^\/v([0-9.]+)(\/.*)$/.exec(path);
  return match === null ? { version: undefined, path } : { version: match[1], path: match[2] };
}
