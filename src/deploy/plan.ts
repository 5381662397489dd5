/**
 * A deploy's plan as pure data: what the app file asks for (desired services), what the engine
 * runs (observed containers, found by their labels), and per service what to do and why.
 * Nothing here talks to an engine; `moor up` prints the plan, then carries it out.
 */

export interface DesiredService {
  name: string;
  /** Digest of the container's create request (config, host config, networking), without the image. */
  configHash: string;
  /** The image the service runs, pinned by ID ("sha256:..."). */
  imageId: string;
  /** Services that must be up first (depends_on). */
  dependsOn: string[];
  /** A one-shot service others wait on to complete (service_completed_successfully): done once it exited 0. */
  completes?: boolean;
}

export interface ObservedContainer {
  id: string;
  /** The service label (com.docker.compose.service). */
  service: string;
  configHash: string;
  imageId: string;
  running: boolean;
  /** Exited with code 0 (a completed one-shot service). */
  exitedCleanly?: boolean;
}

export type ActionKind = "create" | "replace" | "keep" | "remove";

export interface Action {
  service: string;
  kind: ActionKind;
  /** Why, in words a person reads in the plan. */
  reason: string;
  /** The containers it stops and removes (replace, remove) or keeps (keep). */
  containers: string[];
}

export class PlanError extends Error {}

/**
 * Compares desired with observed. Services come in dependency order (a service after those it
 * depends on); services that are no longer in the app file come last. A service is kept only
 * when exactly one running container has its image and config; anything else (several
 * containers, a stopped one, another image or config) is replaced by a new container, never
 * edited.
 */
export function planDeploy(desired: readonly DesiredService[], observed: readonly ObservedContainer[]): Action[] {
  const actions: Action[] = [];
  for (const service of dependencyOrder(desired)) {
    const current = observed.filter((container) => container.service === service.name);
    const ids = current.map((container) => container.id);
    if (current.length === 0) {
      actions.push({ service: service.name, kind: "create", reason: "new service", containers: [] });
      continue;
    }
    const reason = replacementReason(service, current);
    actions.push(reason === undefined ? { service: service.name, kind: "keep", reason: "unchanged", containers: ids } : { service: service.name, kind: "replace", reason, containers: ids });
  }
  const wanted = new Set(desired.map((service) => service.name));
  const orphans = [...new Set(observed.map((container) => container.service))].filter((name) => !wanted.has(name)).sort();
  for (const name of orphans) {
    actions.push({ service: name, kind: "remove", reason: "no longer in the app file", containers: observed.filter((c) => c.service === name).map((c) => c.id) });
  }
  return actions;
}

function replacementReason(service: DesiredService, current: readonly ObservedContainer[]): string | undefined {
  if (current.length > 1) return `${current.length} containers run it, one is wanted`;
  const [container] = current;
  const reasons: string[] = [];
  if (container.imageId !== service.imageId) reasons.push(`image changed (${shortId(container.imageId)} → ${shortId(service.imageId)})`);
  if (container.configHash !== service.configHash) reasons.push("config changed");
  if (reasons.length === 0 && !container.running && !(service.completes === true && container.exitedCleanly === true)) reasons.push("its container is not running");
  return reasons.length === 0 ? undefined : reasons.join(", ");
}

function shortId(imageId: string): string {
  return imageId.replace(/^sha256:/, "").slice(0, 12);
}

/**
 * Services ordered so that each comes after what it depends on; ties keep the app file's
 * order. A cycle, or a dependency on a service that does not exist, is an error in compose's
 * words.
 */
export function dependencyOrder(services: readonly DesiredService[]): DesiredService[] {
  const byName = new Map(services.map((service) => [service.name, service]));
  for (const service of services) {
    for (const dependency of service.dependsOn) {
      if (!byName.has(dependency)) throw new PlanError(`service "${service.name}" depends on undefined service "${dependency}": invalid compose project`);
    }
  }
  const ordered: DesiredService[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (service: DesiredService, path: string[]) => {
    const seen = state.get(service.name);
    if (seen === "done") return;
    if (seen === "visiting") {
      const cycle = [...path.slice(path.indexOf(service.name)), service.name];
      throw new PlanError(`dependency cycle detected: ${cycle.join(" -> ")}`);
    }
    state.set(service.name, "visiting");
    for (const dependency of service.dependsOn) visit(byName.get(dependency)!, [...path, service.name]);
    state.set(service.name, "done");
    ordered.push(service);
  };
  for (const service of services) visit(service, []);
  return ordered;
}

export interface DesiredVolume {
  /** The engine's name: `<project>_<key>`, or `name:`. */
  name: string;
  driver: string;
  driverOpts: Record<string, string>;
  external: boolean;
}

export interface ObservedVolume {
  name: string;
  driver: string;
  options: Record<string, string>;
}

export type VolumeActionKind = "create" | "keep" | "diverged" | "missing";

export interface VolumeAction {
  volume: string;
  kind: VolumeActionKind;
  reason: string;
}

/**
 * Named volumes: created when missing, otherwise used as they are. One whose driver or options
 * differ from the app file is kept with its data (compose would offer to recreate it, which
 * deletes the data); a missing external volume stops the deploy before anything changes.
 */
export function planVolumes(desired: readonly DesiredVolume[], observed: ReadonlyMap<string, ObservedVolume>): VolumeAction[] {
  return desired.map((volume) => {
    const existing = observed.get(volume.name);
    if (existing === undefined) {
      return volume.external
        ? { volume: volume.name, kind: "missing", reason: `external volume "${volume.name}" not found: create it first (moor volume create ${volume.name})` }
        : { volume: volume.name, kind: "create", reason: "new volume" };
    }
    if (volume.external) return { volume: volume.name, kind: "keep", reason: "external" };
    const differences: string[] = [];
    if (existing.driver !== volume.driver) differences.push(`driver ${existing.driver}, the app file says ${volume.driver}`);
    const options = (opts: Record<string, string>) => Object.keys(opts).sort().map((key) => `${key}=${opts[key]}`).join(",");
    if (options(existing.options) !== options(volume.driverOpts)) {
      differences.push(`options {${options(existing.options)}}, the app file says {${options(volume.driverOpts)}}`);
    }
    return differences.length === 0
      ? { volume: volume.name, kind: "keep", reason: "exists" }
      : { volume: volume.name, kind: "diverged", reason: `exists with ${differences.join(" and ")}; kept as it is with its data (to apply the new settings, back it up and recreate it)` };
  });
}

/** Whether carrying out the plan changes anything. */
export function planChanges(actions: readonly Action[], volumes: readonly VolumeAction[]): boolean {
  return actions.some((action) => action.kind !== "keep") || volumes.some((volume) => volume.kind === "create");
}

/** The plan as `moor up` prints it: one line per volume and service, its action and why. */
export function planText(actions: readonly Action[], volumes: readonly VolumeAction[] = []): string {
  if (actions.length === 0) return "Nothing to deploy: the app file has no services.\n";
  const rows = [
    ...volumes.map((volume) => [volume.kind, `volume ${volume.volume}`, volume.reason]),
    ...actions.map((action) => [action.kind, action.service, action.reason]),
  ];
  const width = Math.max(...rows.map((row) => row[1].length));
  return rows.map(([kind, subject, reason]) => `  ${kind.padEnd(8)} ${subject.padEnd(width)}  ${reason}\n`).join("");
}
