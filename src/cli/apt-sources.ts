/**
 * apt's source lists, read to find the Debian mirror this machine already uses, and the
 * deb822 sources file written into a bootstrapped image. Pure: text in, data out.
 *
 * Both formats apt reads (sources.list(5)): one-line `deb [opts] URI SUITE COMPONENT...`
 * (`/etc/apt/sources.list`, `sources.list.d/*.list`) and deb822 stanzas (`*.sources`).
 */

export interface AptSource {
  uri: string;
  suite: string;
  components: string[];
}

/** Binary (`deb`) sources of a one-line list; `deb-src` and commented lines are not packages. */
export function parseOneLineSources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    if (!line.startsWith("deb ") && !line.startsWith("deb\t")) continue;
    // Options sit in brackets after the type: `deb [arch=amd64 signed-by=/k.gpg] URI ...`.
    const rest = line.slice(3).trim().replace(/^\[[^\]]*\]\s*/, "");
    const [uri, suite, ...components] = rest.split(/\s+/);
    if (uri !== undefined && suite !== undefined) sources.push({ uri, suite, components });
  }
  return sources;
}

/** Binary sources of a deb822 file: a stanza lists URIs × Suites sharing Components. */
export function parseDeb822Sources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const stanza of deb822Stanzas(text)) {
    if (!(stanza.get("types") ?? "").split(/\s+/).includes("deb")) continue;
    if (/^(no|false|0)$/i.test(stanza.get("enabled") ?? "")) continue;
    const components = (stanza.get("components") ?? "").split(/\s+/).filter(Boolean);
    for (const uri of (stanza.get("uris") ?? "").split(/\s+/).filter(Boolean)) {
      for (const suite of (stanza.get("suites") ?? "").split(/\s+/).filter(Boolean)) sources.push({ uri, suite, components });
    }
  }
  return sources;
}

/** Stanzas as lower-cased field → value; continuation lines (leading space) join their field. */
function deb822Stanzas(text: string): Array<Map<string, string>> {
  const stanzas: Array<Map<string, string>> = [];
  let current = new Map<string, string>();
  let field: string | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    if (line.trim() === "") {
      if (current.size > 0) stanzas.push(current);
      current = new Map();
      field = undefined;
      continue;
    }
    if (/^\s/.test(line) && field !== undefined) {
      current.set(field, `${current.get(field)} ${line.trim()}`.trim());
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    field = line.slice(0, colon).trim().toLowerCase();
    current.set(field, line.slice(colon + 1).trim());
  }
  if (current.size > 0) stanzas.push(current);
  return stanzas;
}

/** Debian's codenames and aliases: a URI that serves one of them is a Debian archive. */
const debianSuites = new Set(["buster", "bullseye", "bookworm", "trixie", "forky", "duke", "sid", "oldoldstable", "oldstable", "stable", "testing", "unstable"]);

/** The version tag Docker Hub gives each release beside its codename (`debian:12`). */
const debianVersions: Record<string, string> = { buster: "10", bullseye: "11", bookworm: "12", trixie: "13", forky: "14" };

export function debianVersionOf(suite: string): string | undefined {
  return debianVersions[suite];
}

/** debootstrap fetches over these; apt-only transports (`mirror+`, `cdrom:`, `tor+`) it cannot use. */
function fetchable(uri: string): boolean {
  return /^(https?|ftp|file):/i.test(uri);
}

export interface ChosenMirrors {
  /** Serves `<suite>` and `<suite>-updates`. */
  mirror: string;
  /** Serves `<suite>-security`. */
  security: string;
  /** Set when apt lists no source for the suite itself and a source for another Debian suite was taken. */
  borrowedFrom?: string;
}

export const defaultSecurityMirror = "http://deb.debian.org/debian-security";

/**
 * The mirrors apt already uses for `suite`: the first fetchable source serving `suite` main;
 * failing that, one serving another Debian release's main (a Debian archive serves every
 * release, so a trixie host can bootstrap bookworm). Security likewise from `<suite>-security`,
 * else Debian's own security archive, as the official image lists it. Undefined when apt lists
 * no Debian archive at all.
 */
export function chooseMirrors(sources: AptSource[], suite: string): ChosenMirrors | undefined {
  const servesMain = (source: AptSource) => fetchable(source.uri) && source.components.includes("main");
  const exact = sources.find((source) => servesMain(source) && source.suite === suite);
  const borrowed = exact ?? sources.find((source) => servesMain(source) && debianSuites.has(source.suite));
  if (borrowed === undefined) return undefined;
  const securityOf = (source: AptSource) => servesMain(source) && source.suite === `${suite}-security`;
  const anySecurity = (source: AptSource) => servesMain(source) && debianSuites.has(source.suite.replace(/-security$/, "")) && source.suite.endsWith("-security");
  const security = (sources.find(securityOf) ?? sources.find(anySecurity))?.uri ?? defaultSecurityMirror;
  return {
    mirror: trimSlash(borrowed.uri),
    security: trimSlash(security),
    ...(exact === undefined ? { borrowedFrom: borrowed.suite } : {}),
  };
}

function trimSlash(uri: string): string {
  return uri.replace(/\/+$/, "");
}

/**
 * `/etc/apt/sources.list.d/debian.sources` as the official debian image ships it since
 * bookworm (debuerreotype's output): the release and its updates from one mirror, security
 * from the security archive, main only, signed by the archive keyring.
 */
export function debianSourcesFile(suite: string, mirrors: { mirror: string; security: string }): string {
  const stanza = (uri: string, suites: string) =>
    `Types: deb\nURIs: ${uri}\nSuites: ${suites}\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`;
  // Unstable has no -updates or -security suites; debuerreotype lists only the suite itself.
  if (suite === "sid" || suite === "unstable") return stanza(mirrors.mirror, suite);
  return `${stanza(mirrors.mirror, `${suite} ${suite}-updates`)}\n${stanza(mirrors.security, `${suite}-security`)}`;
}
