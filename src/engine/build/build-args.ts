/**
 * Build arguments as the classic builder tracks them (moby daemon/builder/dockerfile
 * buildargs.go): values from --build-arg, ARG declarations with their defaults (before FROM:
 * meta args, usable in FROM and redeclared in a stage), and which were used, for the warning
 * about the ones that were not. The proxy variables are allowed without an ARG.
 */

const builtinArgs = new Set(["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"]);

export class BuildArgs {
  private readonly declared = new Map<string, string | undefined>();

  constructor(
    private readonly fromOptions: Record<string, string | null>,
    private readonly meta = new Map<string, string | undefined>(),
    private readonly referenced = new Set<string>(),
  ) {}

  /** A stage's own arguments: the meta args are known, none is declared yet. */
  forStage(): BuildArgs {
    return new BuildArgs(this.fromOptions, this.meta, new Set(this.referenced));
  }

  declareMeta(key: string, value: string | undefined): void {
    this.meta.set(key, value);
    this.declare(key, value);
  }

  declare(key: string, value: string | undefined): void {
    this.declared.set(key, value);
    this.referenced.add(key);
  }

  mergeReferenced(other: BuildArgs): void {
    for (const key of other.referenced) this.referenced.add(key);
  }

  /** What FROM lines may use: the meta args with their values. */
  metaEnvironment(): Map<string, string> {
    return this.valuesOf(this.meta);
  }

  /** Declared args (and given proxy args) with values, except those an ENV of the same name hides. */
  allowed(env: readonly string[]): Array<[string, string]> {
    const envKeys = new Set(env.map((entry) => entry.split("=")[0]));
    return [...this.valuesOf(this.declared)].filter(([key]) => !envKeys.has(key));
  }

  isReferencedOrNotBuiltin(key: string): boolean {
    return this.declared.has(key) || !builtinArgs.has(key);
  }

  /** --build-arg names no ARG used, sorted (proxy args never count). */
  unused(): string[] {
    return Object.keys(this.fromOptions)
      .filter((key) => !builtinArgs.has(key) && !this.referenced.has(key))
      .sort();
  }

  private valuesOf(source: Map<string, string | undefined>): Map<string, string> {
    const values = new Map<string, string>();
    for (const key of new Set([...source.keys(), ...builtinArgs])) {
      const value = this.value(key, source);
      if (value !== undefined) values.set(key, value);
    }
    return values;
  }

  private value(key: string, source: Map<string, string | undefined>): string | undefined {
    const given = this.fromOptions[key];
    if (source.has(key) || builtinArgs.has(key)) {
      if (given !== undefined && given !== null) return given;
    }
    if (!source.has(key)) return undefined;
    const declared = source.get(key);
    if (declared === undefined) return this.meta.get(key) ?? undefined;
    return declared;
  }
}
