/** The API versions moor speaks: it advertises the newest and accepts requests down to the oldest. */
export const apiVersions = { max: "1.45", min: "1.24" } as const;

/** Splits `/v1.41/volumes` into the version and the path the route table knows. */
export function splitVersionPrefix(path: string): { version: string | undefined; path: string } {
  const match = /^\/v([0-9.]+)(\/.*)$/.exec(path);
  return match === null ? { version: undefined, path } : { version: match[1], path: match[2] };
}
