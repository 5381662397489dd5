/**
 * What an engine runs for a project, found by labels alone: the revision records (the retained
 * ones, and those that fell out of the window since the last change), and the service containers
 * sorted into live (the current revision's, or ones docker compose made), retired (kept for
 * rollback, or left to be pruned) and leftovers (made by a deploy that never committed).
 */
import type { EngineClient } from "../client/client.ts";
import { configHashLabel, serviceLabel } from "./compose/labels.ts";
import { helperFilter, manifestLabel, parseManifest, recordFilter, retainedRevisions, revisionLabel, serviceContainerFilter, type Manifest } from "./revisions.ts";

export interface ProjectContainer {
  id: string;
  name: string;
  service: string;
  /** The revision that created it; undefined for a container moor did not deploy. */
  revision: number | undefined;
  configHash: string;
  imageId: string;
  /** "running", "exited", "created", ... as the engine lists it. */
  state: string;
  /** "Exited (0) 3 seconds ago", ... */
  status: string;
  labels: Record<string, string>;
  /** Its mounts as the engine lists them (a replacement takes over the anonymous volumes among them). */
  mounts: ListedMount[];
}

export interface ListedMount {
  Type: string;
  /** A volume's name (64 hex digits for an anonymous one). */
  Name?: string;
  Destination: string;
}

export interface RevisionRecord {
  id: string;
  manifest: Manifest;
}

export interface Observation {
  /** The retained revisions (the last `retainedRevisions`), oldest first: what history lists and rollback can reach. */
  records: RevisionRecord[];
  /**
   * Older revisions, oldest first, left to be pruned: a deploy's commit does not prune (it would
   * lengthen the deploy), the next deploy that changes something does while its first health
   * gate waits.
   */
  expired: RevisionRecord[];
  current: Manifest | undefined;
  live: ProjectContainer[];
  retired: ProjectContainer[];
  leftovers: ProjectContainer[];
  /** Volume-copy helper containers an interrupted deploy left. */
  helpers: string[];
}

interface ListedContainer {
  Id: string;
  Names: string[] | null;
  ImageID: string;
  State: string;
  Status: string;
  Labels: Record<string, string> | null;
  Mounts?: ListedMount[] | null;
}

export async function observe(client: EngineClient, project: string): Promise<Observation> {
  const [listedRecords, listedContainers, listedHelpers] = await Promise.all([
    client.containerList({ all: true, limit: 0, filters: recordFilter(project) }) as Promise<ListedContainer[]>,
    client.containerList({ all: true, limit: 0, filters: serviceContainerFilter(project) }) as Promise<ListedContainer[]>,
    client.containerList({ all: true, limit: 0, filters: helperFilter(project) }) as Promise<ListedContainer[]>,
  ]);
  const all = listedRecords
    .flatMap((listed) => {
      const manifest = parseManifest(listed.Labels?.[manifestLabel]);
      return manifest === undefined ? [] : [{ id: listed.Id, manifest }];
    })
    .sort((a, b) => a.manifest.revision - b.manifest.revision);
  const records = all.slice(-retainedRevisions);
  const expired = all.slice(0, all.length - records.length);
  const current = records.at(-1)?.manifest;
  const inCurrent = new Set(Object.values(current?.services ?? {}).map((service) => service.container));
  const inAnyRecord = new Set(all.flatMap((record) => Object.values(record.manifest.services).map((service) => service.container)));

  const observation: Observation = { records, expired, current, live: [], retired: [], leftovers: [], helpers: listedHelpers.map((helper) => helper.Id) };
  for (const listed of listedContainers) {
    const labels = listed.Labels ?? {};
    const revision = labels[revisionLabel] === undefined ? undefined : Number(labels[revisionLabel]);
    const container: ProjectContainer = {
      id: listed.Id,
      name: (listed.Names?.[0] ?? "").replace(/^\//, ""),
      service: labels[serviceLabel] ?? "",
      revision,
      configHash: labels[configHashLabel] ?? "",
      imageId: listed.ImageID,
      state: listed.State,
      status: listed.Status,
      labels,
      mounts: listed.Mounts ?? [],
    };
    if (inCurrent.has(container.id) || revision === undefined) observation.live.push(container);
    else if (inAnyRecord.has(container.id)) observation.retired.push(container);
    else observation.leftovers.push(container);
  }
  return observation;
}

/** A container that ran to its end with exit code 0 (a completed one-shot service). */
export function exitedCleanly(container: ProjectContainer): boolean {
  return container.state === "exited" && container.status.startsWith("Exited (0)");
}
