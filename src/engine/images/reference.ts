import { MoorError } from "../../errors.ts";

/**
 * Image references as docker writes them (distribution/reference): `busybox`,
 * `busybox:1.36`, `example.com:5000/team/app:v2`, `app@sha256:<hex>`. Names are kept in their
 * familiar form: `docker.io/library/busybox` is `busybox`, `docker.io/team/app` is `team/app`.
 */
export interface Reference {
  /** Familiar repository name: "busybox", "team/app", "example.com:5000/app". */
  repository: string;
  tag?: string;
  digest?: string;
}

const component = "[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*";
const domain = "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?";
const namePattern = new RegExp(`^(?:(${domain})/)?(${component}(?:/${component})*)$`);
const tagPattern = /^[\w][\w.-]{0,127}$/;
const digestPattern = /^sha256:[0-9a-f]{64}$/;

export function parseReference(text: string): Reference {
  const invalid = () => new MoorError("invalid", "invalid reference format");
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestPattern.test(digest)) throw invalid();
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(":");
  if (lastColon > rest.lastIndexOf("/")) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!tagPattern.test(tag)) throw invalid();
  }
  if (rest.length > 255) throw new MoorError("invalid", "invalid reference format: repository name must not be more than 255 characters");
  const match = namePattern.exec(rest);
  if (match === null) {
    if (namePattern.test(rest.toLowerCase())) {
      throw new MoorError("invalid", `invalid reference format: repository name (${rest}) must be lowercase`);
    }
    throw invalid();
  }
  // A first part without a dot or colon, other than "localhost", is a path component, not a
  // registry (distribution/reference splitDockerDomain).
  let host: string | undefined = match[1];
  let path = match[2];
  if (host !== undefined && !host.includes(".") && !host.includes(":") && host !== "localhost") {
    if (host !== host.toLowerCase()) throw new MoorError("invalid", `invalid reference format: repository name (${rest}) must be lowercase`);
    path = `${host}/${path}`;
    host = undefined;
  }
  let repository = host === undefined || host === "docker.io" || host === "index.docker.io" ? path : `${host}/${path}`;
  if (repository.startsWith("library/") && repository.split("/").length === 2 && (host === undefined || host === "docker.io" || host === "index.docker.io")) {
    repository = repository.slice("library/".length);
  }
  return { repository, tag, digest };
}

/** `name` or `name:tag` → `name:tag`, with docker's default tag. */
export function taggedName(reference: Reference): string {
  return `${reference.repository}:${reference.tag ?? "latest"}`;
}
