/**
 * A deploy's revisions, kept in the engine itself so that deploys work against any
 * Docker-compatible engine and survive the machine that ran `moor up`.
 *
 * Each revision is a record: a container that is created and never started, named
 * `<project>-revision-<N>`, whose labels hold the revision's manifest (which container runs each
 * service, on which pinned image, and what changed). Like every container its config is written
 * once, so a record cannot be edited; a new deploy writes a new record. Writing the record is the
 * deploy's commit point: a deploy that stops before it left containers labelled with a revision
 * no record names, and the next deploy removes them and starts from the last record.
 *
 * Service containers carry compose's labels (so docker compose finds them) plus the revision that
 * created them. The containers of earlier revisions are stopped and renamed
 * `<project>-<service>-rev<N>`, kept while a retained record names them, so a rollback restarts
 * them instead of rebuilding anything.
 */
import { projectLabel } from "./compose/labels.ts";

export const deployProjectLabel = "org.moor.deploy.project";
/** On service containers: the revision that created them. On records: the record's revision. */
export const revisionLabel = "org.moor.deploy.revision";
export const manifestLabel = "org.moor.deploy.manifest";
/** On the short-lived containers that copy volumes for snapshots: removed if a deploy stops. */
export const helperLabel = "org.moor.deploy.helper";
/** On snapshot volumes: the volume they copy. */
export const snapshotOfLabel = "org.moor.deploy.snapshot-of";

/** How many revisions are kept (with their containers) for rollback. */
export const retainedRevisions = 5;

export interface ServiceManifest {
  /** The container's ID. */
  container: string;
  /** The image the service was deployed from, as written in the app file (or built). */
  image: string;
  /** Pinned by ID. */
  imageId: string;
  configHash: string;
  /** The services it depends on: a rollback brings them back first. */
  dependsOn: string[];
  /** A one-shot service: done once it exited 0. */
  completes: boolean;
  /** What this revision did to the service ("new service", "config changed", "unchanged", ...). */
  change: string;
  /** Digest of the container's filesystem changes right after it passed its health gate. */
  layerDigest: string;
  /** Digest of the host config fields `docker update` can edit, as deployed. */
  updatableDigest: string;
}

export interface Manifest {
  revision: number;
  /** ISO 8601. */
  created: string;
  /** "up", or "rollback to N". */
  cause: string;
  services: Record<string, ServiceManifest>;
  /** Services the revision retired (no longer in the app file). */
  removed: string[];
  /** Named volume → its snapshot volume, taken before this revision replaced a service. */
  snapshots: Record<string, string>;
}

export function recordName(project: string, revision: number): string {
  return `${project}-revision-${revision}`;
}

/** The live container's name: compose v2's `<project>-<service>-1`. */
export function liveName(project: string, service: string): string {
  return `${project}-${service}-1`;
}

/** A container of an earlier revision, kept for rollback. */
export function retiredName(project: string, service: string, revision: number): string {
  return `${project}-${service}-rev${revision}`;
}

/** The snapshot's name; the `attempt`th one (from 2) for when earlier names are taken. */
export function snapshotName(volume: string, revision: number, attempt = 1): string {
  return `${volume}.rev${revision}-snapshot${attempt === 1 ? "" : `-${attempt}`}`;
}

/**
 * The create request of a revision's record: never started, so its command is never run. The
 * image's VOLUME paths get (never mounted) tmpfs mounts, so the record makes no anonymous volumes.
 */
export function recordRequest(project: string, manifest: Manifest, image: string, imageVolumes: readonly string[]): { name: string; body: Record<string, unknown> } {
  return {
    name: recordName(project, manifest.revision),
    body: {
      Image: image,
      Entrypoint: ["moor-deploy-record"],
      Cmd: [],
      Labels: { [deployProjectLabel]: project, [revisionLabel]: String(manifest.revision), [manifestLabel]: JSON.stringify(manifest) },
      HostConfig: { NetworkMode: "none", Mounts: imageVolumes.map((target) => ({ Type: "tmpfs", Target: target })) },
    },
  };
}

/** The manifest a record's labels hold; undefined for a label that is not one (edited by hand). */
export function parseManifest(label: string | undefined): Manifest | undefined {
  if (label === undefined) return undefined;
  try {
    const value = JSON.parse(label) as Manifest;
    return Number.isInteger(value.revision) && typeof value.services === "object" && value.services !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The labels that select the containers of a project in `GET /containers/json`. */
export function serviceContainerFilter(project: string): Map<string, string[]> {
  return new Map([["label", [`${projectLabel}=${project}`]]]);
}

export function recordFilter(project: string): Map<string, string[]> {
  return new Map([["label", [`${deployProjectLabel}=${project}`, manifestLabel]]]);
}

export function helperFilter(project: string): Map<string, string[]> {
  return new Map([["label", [`${deployProjectLabel}=${project}`, helperLabel]]]);
}
