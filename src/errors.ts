/**
 * One error type for the whole engine. Engine code says what kind of failure happened;
 * only the API layer turns a kind into an HTTP status (statusOfKind), and the client
 * turns a status back into a kind, so callers on both sides test kinds, not numbers.
 */
export type ErrorKind =
  | "invalid"
  | "not_found"
  | "conflict"
  | "not_modified"
  | "forbidden"
  | "unavailable"
  | "not_implemented"
  | "internal";

export class MoorError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = "MoorError";
  }
}

const statusByKind: Record<ErrorKind, number> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  not_modified: 304,
  not_implemented: 501,
  unavailable: 503,
  internal: 500,
};

export function statusOfKind(kind: ErrorKind): number {
  return statusByKind[kind];
}

export function kindOfStatus(status: number): ErrorKind {
  for (const [kind, code] of Object.entries(statusByKind)) {
    if (code === status) return kind as ErrorKind;
  }
  return status >= 400 && status < 500 ? "invalid" : "internal";
}

/** The kind of any thrown value: errors that are not MoorErrors are internal. */
export function kindOf(err: unknown): ErrorKind {
  return err instanceof MoorError ? err.kind : "internal";
}

/** What `lookup` gives, or undefined where it fails as not found: a lookup of what may not exist. */
export async function undefinedIfNotFound<T>(lookup: Promise<T>): Promise<T | undefined> {
  try {
    return await lookup;
  } catch (err) {
    if (err instanceof MoorError && err.kind === "not_found") return undefined;
    throw err;
  }
}

/** Wrap with dockerd's `<op> <object>: <cause>` shape, keeping the cause's kind. */
export function wrap(err: unknown, prefix: string): MoorError {
  const message = err instanceof Error ? err.message : String(err);
  return new MoorError(kindOf(err), `${prefix}: ${message}`, { cause: err });
}

/**
 * Messages users see, byte for byte as dockerd prints them (the reference daemon's texts where
 * they differ from moby master only in case; master's where the reference has no such feature).
 */
export const messages = {
  volumeNameTooShort: () =>
    "volume name is too short, names should be at least two alphanumeric characters",
  volumeNameInvalid: (name: string) =>
    `${goQuote(name)} includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
  invalidOption: (key: string) => `invalid option: ${goQuote(key)}`,
  missingRequiredOption: (key: string) => `missing required option: ${goQuote(key)}`,
  quotaNotSupported: () => "quota size requested but no quota support",
  noSuchVolume: () => "no such volume",
  volumeInUse: (containerIds: string[]) => `volume is in use - [${containerIds.join(", ")}]`,
  volumeNameConflict: (existingDriver: string, name: string) =>
    `driver '${existingDriver}' already has volume '${name}': volume name must be unique`,
  volumePluginNotFound: (driver: string) =>
    `error looking up volume plugin ${driver}: plugin ${goQuote(driver)} not found`,
  pruneRunning: () => "a prune operation is already running",
  invalidFilter: (key: string) => `Invalid filter '${key}'`,
  invalidFilterValue: (key: string, values: string[]) => `Invalid filter '${key}=[${values.join(" ")}]'`,
  filterAllOneValue: (values: string[]) => `invalid filter 'all=[${values.join(" ")}]': only one value is expected`,
  filterAllParse: (value: string) =>
    `invalid filter 'all': strconv.ParseBool: parsing ${goQuote(value)}: invalid syntax`,
  errorReadingFilters: (cause: string) => `error reading volume filters: ${cause}`,
  contentTypeNotJson: (contentType: string) =>
    `Content-Type specified (${contentType}) must be 'application/json'`,
  clientTooNew: (requested: string, max: string) =>
    `client version ${requested} is too new. Maximum supported API version is ${max}`,
  clientTooOld: (requested: string, min: string) =>
    `client version ${requested} is too old. Minimum supported API version is ${min}, please upgrade your client to a newer version`,
  pageNotFound: () => "page not found",
  notImplemented: (method: string, path: string) =>
    `${method} ${path} is not implemented by moor yet`,
  activeMounts: () => "volume has active mounts",
  containerNameInUse: (name: string, containerId: string) =>
    `Conflict. The container name "${name}" is already in use by container "${containerId}". You have to remove (or rename) that container to be able to reuse that name.`,
  failedToMountLocalVolume: (cause: string) => `failed to mount local volume: ${cause}`,
} as const;

/** Go's %q for the plain strings dockerd quotes (names, option keys). */
export function goQuote(s: string): string {
  // JSON escapes control characters as \u00XX where Go's strconv.Quote writes \xXX.
  return JSON.stringify(s)
    .replace(/\\u00([0-1][0-9a-f])/g, "\\x$1")
    .replace(/\u007f/g, "\\x7f");
}
