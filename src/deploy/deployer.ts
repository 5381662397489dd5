/**
 * Carrying out deploys against an engine, through the Engine API client only.
 *
 * Every change of a deploy is a swap, per service, of the live container: from the current one
 * (or none) to another one (a new container, or for a rollback an earlier revision's). The old
 * container is stopped and renamed, never edited or removed, so each swap can be undone until
 * the revision's record is written. Swaps run in dependency levels, each service behind its
 * health gate; if any gate fails, every swap done is undone in reverse order and the deploy
 * fails saying why. Volumes are never removed here.
 */
import { createHash } from "node:crypto";
import type { EngineClient } from "../client/client.ts";
import type { WireBackupSchedule } from "../wire/volumes.ts";
import { MoorError, undefinedIfNotFound } from "../errors.ts";
import { DeployError } from "./deploy-error.ts";
import { Demultiplexer } from "../util/multiplexed-stream.ts";
import { projectLabel, volumeLabel } from "./compose/labels.ts";
import type { Project, Service } from "./compose/model.ts";
import { createRequest, desiredService, serviceDependencies, type CreateRequest } from "./desired.ts";
import { gateFor, gateText, passGate } from "./gate.ts";
import { exitedCleanly, observe, type ListedMount, type Observation, type ProjectContainer } from "./observe.ts";
import { dependencyOrder, planChanges, planDeploy, planVolumes, type Action, type DesiredService, type ObservedContainer, type VolumeAction } from "./plan.ts";
import {
  deployProjectLabel,
  helperLabel,
  liveName,
  recordName,
  recordRequest,
  retiredName,
  revisionLabel,
  snapshotName,
  snapshotOfLabel,
  type Manifest,
  type ServiceManifest,
} from "./revisions.ts";
import { defaultHealthTimeout, defaultSettle, deploySettings, volumeBackupSettings, type DeploySettings, type VolumeBackupSettings } from "./settings.ts";

export interface DeployEvent {
  /** The service, volume or project the event is about. */
  subject: string;
  message: string;
}

export interface DeployContext {
  client: EngineClient;
  /** Builds a service's image and tags it `tag` (the CLI sends the build context). */
  build: (service: Service, tag: string) => Promise<void>;
  progress: (event: DeployEvent) => void;
  /** Aborted (Ctrl-C): the deploy stops at the next step and undoes what it did. */
  signal?: AbortSignal;
}

export interface UpOptions {
  dryRun: boolean;
  /** Build every service that has `build:`, not only those whose image is missing. */
  build: boolean;
  /** Give replacements new anonymous volumes instead of their predecessors'. */
  renewAnonVolumes: boolean;
  /** Snapshot the named volumes of every service that is replaced. */
  snapshot: boolean;
}

export interface DeployResult {
  project: string;
  /** The revision now current; undefined when nothing was ever deployed. */
  revision: number | undefined;
  changed: boolean;
  services: Action[];
  volumes: VolumeAction[];
}

export interface ServiceStatus {
  service: string;
  /** The container's name now; "" when it is gone. */
  container: string;
  /** "Up 3 minutes", "Exited (1) ...", or "missing". */
  state: string;
  /** The revision that created the container. */
  revision: number | undefined;
  /** How it differs from what the revision deployed; empty when it matches. */
  drift: string[];
}

export interface ProjectStatus {
  project: string;
  revision: number | undefined;
  services: ServiceStatus[];
  /** Containers of the project that no revision deployed. */
  notes: string[];
}

interface Swap {
  service: string;
  from: ProjectContainer | undefined;
  /** A new container, or an existing (earlier revision's) one. */
  to: { create: CreateRequest } | { existing: ProjectContainer } | undefined;
  settings: DeploySettings;
  completes: boolean;
  snapshotVolumes: string[];
  /** What the revision's history says about the service. */
  change: string;
  image: string;
  imageId: string;
  configHash: string;
  dependsOn: string[];
}

/** What a swap did, for undoing it. */
interface Done {
  swap: Swap;
  fromWasRunning: boolean;
  /** The container swapped in; undefined while not yet created. */
  toId: string | undefined;
  snapshots: Record<string, string>;
  /** What status compares later, taken once the new container passed its gate. */
  baseline?: { layerDigest: string; updatableDigest: string };
  /** A start-first swap's stop of the old container, which runs beside the rest of the deploy. */
  pendingStop?: Promise<void>;
}

export class Deployer {
  constructor(private readonly ctx: DeployContext) {}

  /**
   * Image ID → its VOLUME paths, kept from the inspections that pin a deploy's images, so that
   * writing the revision's record after the last health gate asks the engine one thing less.
   */
  private readonly volumesOfImages = new Map<string, string[]>();

  private get client(): EngineClient {
    return this.ctx.client;
  }

  /** `moor up`: plan the app file against what runs, print it, carry it out. */
  async up(project: Project, options: UpOptions, onPlan: (result: DeployResult, leftovers: number) => void): Promise<DeployResult> {
    const settings = new Map(Object.values(project.services).map((service) => [service.name, deploySettings(service)]));
    const backupSchedules = new Map(
      Object.entries(project.volumes).flatMap(([key, volume]) => {
        const backup = volumeBackupSettings(key, volume, project.workingDir);
        return backup === undefined ? [] : [[volume.name, backup] as const];
      }),
    );
    const images = await this.resolveImages(project, options);
    const [observed, observedVolumes] = await Promise.all([observe(this.client, project.name), this.observedVolumes(project)]);
    let observation = observed;
    const desired = Object.values(project.services).map((service) => ({
      ...desiredService(service, images.get(service.name)!.imageId),
      completes: completesFor(project, service.name),
    }));
    const volumes = planVolumes(desiredVolumes(project), observedVolumes);
    const planned = (obs: Observation) => planDeploy(desired, observedContainers(obs));
    let services = planned(observation);
    const current = observation.current?.revision;
    const result = (revision: number | undefined, changed: boolean): DeployResult => ({ project: project.name, revision, changed, services, volumes });
    onPlan(result(current, planChanges(services, volumes)), observation.leftovers.length);
    const missing = volumes.find((volume) => volume.kind === "missing");
    if (missing !== undefined) throw new DeployError(missing.reason);
    if (options.dryRun) return result(current, false);

    if (await this.recover(project.name, observation)) {
      observation = await observe(this.client, project.name);
      services = planned(observation);
    }
    if (!planChanges(services, volumes)) {
      await this.applyBackupSchedules(project.name, backupSchedules);
      return result(current, false);
    }

    for (const volume of volumes.filter((v) => v.kind === "create")) await this.createVolume(project, volume.volume);
    // Before any container changes: a schedule the engine refuses stops the deploy here.
    await this.applyBackupSchedules(project.name, backupSchedules);
    const revision = Math.max(0, ...observation.records.map((record) => record.manifest.revision)) + 1;
    const byService = new Map(observation.live.map((container) => [container.service, container]));
    const swaps: Swap[] = [];
    for (const action of services) {
      if (action.kind === "keep") continue;
      const from = byService.get(action.service);
      if (action.kind === "remove") {
        swaps.push(retirement(action.service, from, action.reason));
        continue;
      }
      const service = project.services[action.service];
      const { image, imageId } = images.get(service.name)!;
      const request = createRequest(project, service, imageId);
      request.body.Labels[revisionLabel] = String(revision);
      const snapshotWanted = from !== undefined && (options.snapshot || settings.get(service.name)!.snapshot);
      swaps.push({
        service: service.name,
        from,
        to: { create: request },
        settings: snapshotWanted ? { ...settings.get(service.name)!, order: "stop-first" } : settings.get(service.name)!,
        completes: completesFor(project, service.name),
        snapshotVolumes: snapshotWanted ? namedVolumesOf(project, service) : [],
        change: action.reason,
        image,
        imageId,
        configHash: service.configHash,
        dependsOn: serviceDependencies(service),
      });
    }
    const kept = services
      .filter((action) => action.kind === "keep")
      .map((action) => ({ service: action.service, image: images.get(action.service)!.image, dependsOn: serviceDependencies(project.services[action.service]), completes: completesFor(project, action.service) }));
    const pruneExpired = this.pruneOnce(observation);
    const done = await this.applySwaps(project.name, swaps, levels(desired), options.renewAnonVolumes, revision, pruneExpired);
    await this.commit(project.name, observation, revision, "up", done, kept, swaps.filter((swap) => swap.to === undefined).map((swap) => swap.service), pruneExpired);
    return result(revision, true);
  }

  /**
   * The app file's scheduled backups become the engine's: a volume's schedule is set where it
   * is new or differs, and those the project set for volumes it no longer schedules are dropped.
   */
  private async applyBackupSchedules(project: string, desired: ReadonlyMap<string, VolumeBackupSettings>): Promise<void> {
    const schedules = await this.backupSchedulesOf(project);
    if (schedules === undefined) {
      if (desired.size === 0) return;
      throw new DeployError(`scheduled backups (x-moor backup of volume ${[...desired.keys()].join(", ")}) are run by the moor engine; this engine does not serve them`);
    }
    const current = new Map(schedules.map((schedule) => [schedule.Volume, schedule]));
    for (const [volume, backup] of desired) {
      const now = current.get(volume);
      if (now !== undefined && now.Schedule === backup.schedule && now.Keep === backup.keep && now.Target === backup.target && now.Writers === backup.writers) continue;
      await this.client.volumeBackupScheduleSet(volume, { Schedule: backup.schedule, Keep: backup.keep, Target: backup.target, Writers: backup.writers, Owner: project });
      this.ctx.progress({ subject: `volume ${volume}`, message: `backups scheduled: "${backup.schedule}", newest ${backup.keep} kept in ${backup.target}` });
    }
    for (const volume of current.keys()) {
      if (desired.has(volume)) continue;
      await this.client.volumeBackupScheduleRemove(volume);
      this.ctx.progress({ subject: `volume ${volume}`, message: "scheduled backups stopped (the archives stay)" });
    }
  }

  /** `moor rollback`: make an earlier revision's containers live again, as a new revision. */
  async rollback(projectName: string, to: number | undefined): Promise<{ revision: number; target: number; services: Action[] }> {
    let observation = await observe(this.client, projectName);
    if (observation.current === undefined) throw new DeployError(`project "${projectName}" has no deployed revision: nothing to roll back`);
    if (await this.recover(projectName, observation)) observation = await observe(this.client, projectName);
    const current = observation.current!;
    const retained = observation.records.map((record) => record.manifest.revision);
    const targetRevision = to ?? observation.records.at(-2)?.manifest.revision;
    if (targetRevision === undefined) throw new DeployError(`project "${projectName}" has only revision ${current.revision}: there is no earlier revision to roll back to`);
    if (targetRevision === current.revision) throw new DeployError(`revision ${targetRevision} is the current revision of "${projectName}"`);
    const target = observation.records.find((record) => record.manifest.revision === targetRevision)?.manifest;
    if (target === undefined) throw new DeployError(`revision ${targetRevision} of "${projectName}" is not kept (kept: ${retained.join(", ")})`);

    const all = [...observation.live, ...observation.retired];
    const byId = new Map(all.map((container) => [container.id, container]));
    const liveByService = new Map(observation.live.map((container) => [container.service, container]));
    const swaps: Swap[] = [];
    const actions: Action[] = [];
    const kept: Array<{ service: string; image: string; dependsOn: string[]; completes: boolean }> = [];
    for (const [service, entry] of Object.entries(target.services)) {
      const container = byId.get(entry.container);
      if (container === undefined) throw new DeployError(`the container of service "${service}" in revision ${targetRevision} is gone (removed by hand?): roll back to another revision, or deploy with moor up`);
      const live = liveByService.get(service);
      const settled = container.state === "running" || (entry.completes && exitedCleanly(container));
      if (live?.id === container.id && settled) {
        kept.push({ service, image: entry.image, dependsOn: entry.dependsOn ?? [], completes: entry.completes });
        actions.push({ service, kind: "keep", reason: "unchanged", containers: [live.id] });
        continue;
      }
      // The same container, stopped: it is only started again.
      const from = live?.id === container.id ? undefined : live;
      swaps.push({ service, from, to: { existing: container }, settings: defaultSwapSettings, completes: entry.completes, snapshotVolumes: [], change: `back to revision ${targetRevision}`, image: entry.image, imageId: entry.imageId, configHash: entry.configHash, dependsOn: entry.dependsOn });
      actions.push({ service, kind: "replace", reason: `back to revision ${targetRevision}`, containers: from === undefined ? [] : [from.id] });
    }
    for (const [service, container] of liveByService) {
      if (service in target.services) continue;
      swaps.push(retirement(service, container, `not in revision ${targetRevision}`));
      actions.push({ service, kind: "remove", reason: `not in revision ${targetRevision}`, containers: [container.id] });
    }
    const revision = Math.max(...retained) + 1;
    const order = levels(Object.entries(target.services).map(([name, entry]) => ({ name, configHash: entry.configHash, imageId: entry.imageId, dependsOn: (entry.dependsOn ?? []).filter((d) => d in target.services) })));
    const pruneExpired = this.pruneOnce(observation);
    const done = await this.applySwaps(projectName, swaps, order, false, revision, pruneExpired, target);
    await this.commit(projectName, observation, revision, `rollback to ${targetRevision}`, done, kept, swaps.filter((swap) => swap.to === undefined).map((swap) => swap.service), pruneExpired, target);
    return { revision, target: targetRevision, services: actions };
  }

  /** `moor history`: the kept revisions, oldest first. */
  async history(project: string): Promise<Manifest[]> {
    return (await observe(this.client, project)).records.map((record) => record.manifest);
  }

  /**
   * `moor status`: per service of the current revision, whether its container is the one
   * deployed, running, unedited and with its writable layer as it was after the deploy.
   */
  async status(project: string): Promise<ProjectStatus> {
    const observation = await observe(this.client, project);
    const current = observation.current;
    const services: ServiceStatus[] = [];
    const all = [...observation.live, ...observation.retired];
    for (const [service, entry] of Object.entries(current?.services ?? {})) {
      const container = all.find((candidate) => candidate.id === entry.container);
      if (container === undefined) {
        services.push({ service, container: "", state: "missing", revision: undefined, drift: ["its container was removed by hand"] });
        continue;
      }
      const drift: string[] = [];
      const expectedName = liveName(project, service);
      if (container.name !== expectedName) drift.push(`renamed to ${container.name} (deployed as ${expectedName})`);
      if (container.state !== "running" && !(entry.completes && exitedCleanly(container))) drift.push(`not running: ${container.status}`);
      const [changes, inspected] = await Promise.all([this.client.containerChanges(container.id), this.client.containerInspect(container.id)]);
      if (updatableDigest(inspected) !== entry.updatableDigest) drift.push("edited since deploy (docker update changed its restart policy or resources)");
      if (changesDigest(changes) !== entry.layerDigest) {
        const sample = (changes ?? []).slice(0, 3).map((change) => `${"CAD"[change.Kind] ?? "?"} ${change.Path}`);
        drift.push(`writable layer changed since deploy: ${(changes ?? []).length} changes (${sample.join(", ")}${(changes ?? []).length > 3 ? ", ..." : ""})`);
      }
      services.push({ service, container: container.name, state: container.status, revision: container.revision, drift });
    }
    const recorded = new Set(Object.values(current?.services ?? {}).map((entry) => entry.container));
    const extra = observation.live.filter((container) => !recorded.has(container.id)).map((container) => `${container.name} (service ${container.service}) is not part of revision ${current?.revision ?? "-"}: made by hand or by docker compose`);
    const leftovers = observation.leftovers.map((container) => `${container.name} was left by an interrupted deploy: the next moor up removes it`);
    return { project, revision: current?.revision, services, notes: [...extra, ...leftovers] };
  }

  /** What `moor down` removes: every container of the project and its backup schedules; with `volumes`, these volumes too. */
  async downPlan(project: string): Promise<{ containers: Array<{ id: string; name: string; running: boolean }>; volumes: Array<{ name: string; size: number | undefined; kind: string }>; schedules: string[] }> {
    const observation = await observe(this.client, project);
    const df = await this.client.systemDf(["volume"]);
    const serviceContainers = [...observation.live, ...observation.retired, ...observation.leftovers];
    const containers = [
      ...serviceContainers.map((container) => ({ id: container.id, name: container.name, running: container.state === "running" })),
      ...[...observation.expired, ...observation.records].map((record) => ({ id: record.id, name: recordName(project, record.manifest.revision), running: false })),
      ...observation.helpers.map((id) => ({ id, name: `helper ${id.slice(0, 12)}`, running: false })),
    ];
    const anonymous = new Set(
      (await Promise.all(serviceContainers.map((container) => this.client.containerInspect(container.id) as Promise<{ Mounts?: Array<{ Type: string; Name?: string }> }>)))
        .flatMap((inspected) => inspected.Mounts ?? [])
        .flatMap((mount) => (mount.Type === "volume" && mount.Name !== undefined && /^[0-9a-f]{64}$/.test(mount.Name) ? [mount.Name] : [])),
    );
    const volumes = (df.Volumes ?? []).flatMap((volume) => {
      const labels = volume.Labels ?? {};
      const kind = labels[projectLabel] === project ? "named" : labels[deployProjectLabel] === project && labels[snapshotOfLabel] !== undefined ? `snapshot of ${labels[snapshotOfLabel]}` : anonymous.has(volume.Name) ? "anonymous" : undefined;
      return kind === undefined ? [] : [{ name: volume.Name, size: volume.UsageData?.Size, kind }];
    });
    const schedules = ((await this.backupSchedulesOf(project)) ?? []).map((schedule) => schedule.Volume);
    return { containers, volumes, schedules };
  }

  /** The project's backup schedules; undefined from an engine other than moor (dockerd has no `/moor/` endpoints). */
  private async backupSchedulesOf(project: string): Promise<WireBackupSchedule[] | undefined> {
    return undefinedIfNotFound(this.client.backupSchedules(project));
  }

  /** `moor down`: stops and removes the containers `downPlan` found and drops its backup schedules; removes volumes only when they are passed. */
  async down(plan: Awaited<ReturnType<Deployer["downPlan"]>>, volumes: readonly string[]): Promise<void> {
    for (const container of plan.containers) {
      if (container.running) {
        this.ctx.progress({ subject: container.name, message: "stopping" });
        await this.client.containerStop(container.id);
      }
      await this.client.containerRemove(container.id, { force: true, volumes: false });
      this.ctx.progress({ subject: container.name, message: "removed" });
    }
    for (const volume of plan.schedules) {
      await this.client.volumeBackupScheduleRemove(volume);
      this.ctx.progress({ subject: `volume ${volume}`, message: "scheduled backups stopped (the archives stay)" });
    }
    for (const volume of volumes) {
      await this.client.volumeRemove(volume);
      this.ctx.progress({ subject: `volume ${volume}`, message: "removed" });
    }
  }

  /**
   * Finishes what an interrupted deploy left: its containers (labelled with a revision no record
   * names) and helper containers are removed, and the current revision's containers get their
   * names back. Volumes are kept. Says whether it changed anything.
   */
  async recover(project: string, observation: Observation): Promise<boolean> {
    let changed = false;
    for (const container of observation.leftovers) {
      this.ctx.progress({ subject: container.service, message: `removing ${container.name}, left by an interrupted deploy` });
      await this.client.containerRemove(container.id, { force: true, volumes: false });
      changed = true;
    }
    for (const container of observation.retired.filter((retired) => retired.state === "running")) {
      this.ctx.progress({ subject: container.service, message: `stopping ${container.name}: an earlier revision's container, left running by an interrupted deploy` });
      await this.client.containerStop(container.id);
      changed = true;
    }
    for (const helper of observation.helpers) {
      await this.client.containerRemove(helper, { force: true, volumes: false });
      changed = true;
    }
    for (const [service, entry] of Object.entries(observation.current?.services ?? {})) {
      const container = observation.live.find((live) => live.id === entry.container);
      const name = liveName(project, service);
      if (container !== undefined && container.name !== name) {
        this.ctx.progress({ subject: service, message: `renaming ${container.name} back to ${name}, after an interrupted deploy` });
        await this.client.containerRename(container.id, name);
        changed = true;
      }
    }
    return changed;
  }

  /** Each service's image, pinned by ID: existing images are inspected at once; missing ones with `build:` are built, one by one. */
  private async resolveImages(project: Project, options: UpOptions): Promise<Map<string, { image: string; imageId: string }>> {
    const services = Object.values(project.services);
    const imageOf = (service: Service) => service.image ?? `${project.name}-${service.name}`;
    const inspect = (image: string) =>
      undefinedIfNotFound(
        this.client.imageInspect(image).then((found) => {
          this.volumesOfImages.set(found.Id, volumePaths(found));
          return found.Id;
        }),
      );
    const forceBuild = (service: Service) => service.build !== null && options.build && !options.dryRun;
    const names = [...new Set(services.filter((service) => !forceBuild(service)).map(imageOf))];
    const found = new Map(await Promise.all(names.map(async (name) => [name, await inspect(name)] as const)));
    const images = new Map<string, { image: string; imageId: string }>();
    for (const service of services) {
      const image = imageOf(service);
      let imageId = forceBuild(service) ? undefined : found.get(image);
      if (imageId === undefined && service.build !== null) {
        if (options.dryRun) {
          images.set(service.name, { image, imageId: "(to be built)" });
          continue;
        }
        this.ctx.progress({ subject: service.name, message: `building ${image}` });
        await this.ctx.build(service, image);
        imageId = await inspect(image);
        found.set(image, imageId);
      }
      if (imageId === undefined) {
        throw new DeployError(`service "${service.name}": no such image: ${image}; moor does not pull images: load it (moor image load) or give the service a build section`);
      }
      images.set(service.name, { image, imageId });
    }
    return images;
  }

  /** The app file's named volumes that exist, each inspected (not every volume of the engine listed). */
  private async observedVolumes(project: Project) {
    const inspected = await Promise.all(
      desiredVolumes(project).map((volume) =>
        undefinedIfNotFound(this.client.volumeInspect(volume.name).then((found) => [found.Name, { name: found.Name, driver: found.Driver, options: found.Options ?? {} }] as const)),
      ),
    );
    return new Map(inspected.filter((entry) => entry !== undefined));
  }

  private async createVolume(project: Project, name: string): Promise<void> {
    const [key, volume] = Object.entries(project.volumes).find(([, v]) => v.name === name)!;
    this.ctx.progress({ subject: `volume ${name}`, message: "creating" });
    await this.client.volumeCreate({
      Name: name,
      Driver: volume.driver ?? "local",
      DriverOpts: volume.driverOpts,
      Labels: { ...volume.labels, "com.docker.compose.project": project.name, [volumeLabel]: key },
    });
  }

  /**
   * Carries out the swaps, level by level; on a failure undoes them all. `pruneExpired` starts
   * when the first health gate begins, so that the prune runs while the deploy waits anyway.
   */
  private async applySwaps(project: string, swaps: Swap[], order: string[][], renewAnonVolumes: boolean, revision: number, pruneExpired: () => Promise<void>, target?: Manifest): Promise<Done[]> {
    const done: Done[] = [];
    const byService = new Map(swaps.map((swap) => [swap.service, swap]));
    const removals = swaps.filter((swap) => swap.to === undefined);
    try {
      for (const level of order) {
        if (this.ctx.signal?.aborted) throw new DeployError("interrupted");
        const work = level.flatMap((service) => {
          const swap = byService.get(service);
          return swap === undefined || swap.to === undefined ? [] : [swap];
        });
        const outcomes = await Promise.allSettled(work.map((swap) => this.swap(project, swap, renewAnonVolumes, revision, done, pruneExpired)));
        const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
        if (failure !== undefined) throw failure.reason;
      }
      for (const swap of removals) await this.swap(project, swap, renewAnonVolumes, revision, done, pruneExpired);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      this.ctx.progress({ subject: project, message: `deploy failed: ${why}; rolling back` });
      const problems = await this.undo(project, done);
      // What had expired before this deploy goes whether or not the deploy passes.
      await pruneExpired();
      const back = !done.some((step) => step.swap.from !== undefined)
        ? "the containers it created are removed"
        : target === undefined
          ? "the previous revision runs again"
          : "the revision that was current runs again";
      if (problems.length > 0) throw new DeployError(`${why}\nrolling back was incomplete: ${problems.join("; ")}`, false);
      const volumes = done.some((d) => Object.keys(d.snapshots).length > 0) ? "its volumes were restored from the snapshots taken before it" : "no volume was changed";
      throw new DeployError(`${why}\nrolled back: ${back}; ${volumes}`, true);
    }
    return done;
  }

  private async swap(project: string, swap: Swap, renewAnonVolumes: boolean, revision: number, done: Done[], pruneExpired: () => Promise<void>): Promise<void> {
    const say = (message: string) => this.ctx.progress({ subject: swap.service, message });
    const record: Done = { swap, fromWasRunning: swap.from?.state === "running", toId: undefined, snapshots: {} };
    done.push(record);
    const from = swap.from;
    let fromName = from?.name;
    const retire = async () => {
      if (from === undefined) return;
      const name = retiredName(project, swap.service, from.revision ?? 0);
      if (from.name !== name) await this.client.containerRename(from.id, name);
      fromName = name;
    };
    const stopFrom = async () => {
      if (from === undefined || !record.fromWasRunning) return;
      say(`stopping ${fromName}`);
      await this.client.containerStop(from.id);
    };
    if (swap.to === undefined) {
      await stopFrom();
      await retire();
      say(`retired as ${fromName} (${swap.change})`);
      return;
    }
    if (swap.settings.order === "stop-first") await stopFrom();
    for (const volume of swap.snapshotVolumes) {
      const { snapshot, taken } = await this.freeSnapshotName(volume, revision);
      say(`snapshot of volume ${volume} → ${snapshot}${taken.length === 0 ? "" : ` (${taken.join(", ")} exist${taken.length === 1 ? "s" : ""}: kept)`}`);
      await this.client.volumeCreate({ Name: snapshot, Driver: "local", DriverOpts: {}, Labels: { [deployProjectLabel]: project, [snapshotOfLabel]: volume, [revisionLabel]: String(revision) } });
      record.snapshots[volume] = snapshot;
      await this.copyVolume(project, from!.imageId, volume, snapshot, false);
    }
    let toId: string;
    if ("create" in swap.to) {
      const request = swap.to.create;
      if (from !== undefined && !renewAnonVolumes) inheritAnonymousVolumes(request, from.mounts);
      await retire();
      say(`creating ${request.name}`);
      const created = await this.client.containerCreate(request.body, request.name);
      for (const warning of created.Warnings ?? []) say(`warning: ${warning}`);
      toId = created.Id;
    } else {
      await retire();
      toId = swap.to.existing.id;
      if (swap.to.existing.name !== liveName(project, swap.service)) await this.client.containerRename(toId, liveName(project, swap.service));
    }
    record.toId = toId;
    say(`starting ${liveName(project, swap.service)}`);
    // The gate depends only on the container's config, which its start does not change.
    const requested = performance.now();
    const [returned, inspected] = await Promise.all([this.client.containerStart(toId).then(() => performance.now()), this.client.containerInspect(toId)]);
    const gate = gateFor(inspected, swap.settings, swap.completes);
    say(gateText(gate));
    void pruneExpired();
    const outcome = await passGate(this.client, toId, gate, { requested, returned }, this.ctx.signal);
    if (!outcome.passed) throw new DeployError(`service "${swap.service}": ${liveName(project, swap.service)} ${outcome.reason}${await this.lastLogLines(toId)}`);
    say(`${outcome.detail}`);
    const baseline = this.baseline(toId, outcome.inspected).then((taken) => {
      record.baseline = taken;
    });
    if (swap.settings.order === "start-first") record.pendingStop = stopFrom();
    await baseline;
  }

  /**
   * The first snapshot name for `volume` at `revision` that no volume has, and those that are
   * taken. A taken one is never reused or removed: it holds data from before, left by a deploy
   * that was interrupted, or from before a `moor down` (revisions count from 1 again after it).
   */
  private async freeSnapshotName(volume: string, revision: number): Promise<{ snapshot: string; taken: string[] }> {
    const taken: string[] = [];
    for (let attempt = 1; ; attempt++) {
      const snapshot = snapshotName(volume, revision, attempt);
      if ((await undefinedIfNotFound(this.client.volumeInspect(snapshot))) === undefined) return { snapshot, taken };
      taken.push(snapshot);
    }
  }

  /** Undoes swaps in reverse order; returns what could not be undone. */
  private async undo(project: string, done: Done[]): Promise<string[]> {
    const problems: string[] = [];
    const attempt = async (what: string, step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (err) {
        problems.push(`${what}: ${(err as Error).message}`);
      }
    };
    for (const { swap, fromWasRunning, toId, snapshots, pendingStop } of [...done].reverse()) {
      const say = (message: string) => this.ctx.progress({ subject: swap.service, message });
      await pendingStop?.catch(() => undefined);
      if (toId !== undefined && swap.to !== undefined) {
        if ("create" in swap.to) {
          say(`removing the new container`);
          await attempt(`remove the new container of ${swap.service}`, () => this.client.containerRemove(toId, { force: true, volumes: false }));
        } else {
          const existing = swap.to.existing;
          say(`stopping ${liveName(project, swap.service)} and renaming it back to ${existing.name}`);
          await attempt(`stop ${existing.name}`, () => this.client.containerStop(toId));
          if (existing.name !== liveName(project, swap.service)) await attempt(`rename ${existing.name}`, () => this.client.containerRename(toId, existing.name));
        }
      }
      for (const [volume, snapshot] of Object.entries(snapshots)) {
        say(`restoring volume ${volume} from ${snapshot}`);
        // A snapshot no revision records has served its purpose once restored.
        await attempt(`restore volume ${volume}`, async () => {
          await this.copyVolume(project, swap.from!.imageId, snapshot, volume, true);
          await this.client.volumeRemove(snapshot);
        });
      }
      const from = swap.from;
      if (from === undefined) continue;
      await attempt(`rename ${from.name}`, async () => {
        const inspected = (await this.client.containerInspect(from.id)) as { Name: string };
        if (inspected.Name.replace(/^\//, "") !== from.name) await this.client.containerRename(from.id, from.name);
      });
      if (fromWasRunning) {
        say(`starting ${from.name} again`);
        await attempt(`start ${from.name}`, async () => {
          const inspected = (await this.client.containerInspect(from.id)) as { State: { Running: boolean } };
          if (!inspected.State.Running) await this.client.containerStart(from.id);
        });
      }
    }
    return problems;
  }

  /**
   * Writes the revision's record (the deploy's commit point), while old containers of
   * start-first swaps finish stopping and the prune of expired revisions (started at the first
   * health gate, or now if there was none) ends. The revision that falls out of the window with
   * this record is pruned by the next deploy: pruning it here would lengthen every deploy, and
   * before the record is written it is still one a failed deploy must keep.
   */
  private async commit(project: string, observation: Observation, revision: number, cause: string, done: Done[], kept: ReadonlyArray<{ service: string; image: string; dependsOn: string[]; completes: boolean }>, removed: string[], pruneExpired: () => Promise<void>, target?: Manifest): Promise<void> {
    const services: Record<string, ServiceManifest> = {};
    const current = observation.current;
    for (const { service, image, dependsOn, completes } of kept) {
      const container = observation.live.find((live) => live.service === service)!;
      const previous = (target ?? current)?.services[service];
      services[service] = previous?.container === container.id
        ? { ...previous, change: "unchanged" }
        : { container: container.id, image, imageId: container.imageId, configHash: container.configHash, dependsOn, completes, change: "unchanged", ...(await this.baseline(container.id)) };
    }
    for (const { swap, toId, baseline } of done) {
      if (swap.to === undefined || toId === undefined) continue;
      const previous = "existing" in swap.to ? target?.services[swap.service] : undefined;
      services[swap.service] = {
        container: toId,
        image: swap.image,
        imageId: swap.imageId,
        configHash: swap.configHash,
        dependsOn: swap.dependsOn,
        completes: swap.completes,
        change: swap.change,
        ...(previous === undefined ? (baseline ?? (await this.baseline(toId))) : { layerDigest: previous.layerDigest, updatableDigest: previous.updatableDigest }),
      };
    }
    const snapshots = Object.assign({}, ...done.map((d) => d.snapshots)) as Record<string, string>;
    const manifest: Manifest = { revision, created: new Date().toISOString(), cause, services, removed, snapshots };
    const anyImage = Object.values(services)[0]?.imageId ?? done.find((d) => d.swap.from !== undefined)?.swap.from?.imageId;
    if (anyImage === undefined) throw new MoorError("internal", "a revision with no container to record");
    const request = recordRequest(project, manifest, anyImage, await this.imageVolumes(anyImage));
    // Old containers still stopping (start-first) need not hold the record back: a retired
    // container left running by a crash here is stopped by the next deploy's recover().
    const stops = done.map((step) =>
      step.pendingStop?.catch((err: unknown) => this.ctx.progress({ subject: step.swap.service, message: `warning: the old container did not stop: ${(err as Error).message}` })),
    );
    await Promise.all([this.client.containerCreate(request.body, request.name), ...stops, pruneExpired()]);
    this.ctx.progress({ subject: project, message: `revision ${revision} recorded` });
  }

  /**
   * A deploy's prune, started at most once (by the first health gate, by the commit, or after a
   * failure's undo) and then awaited: see `prune`.
   */
  private pruneOnce(observation: Observation): () => Promise<void> {
    let pruning: Promise<void> | undefined;
    return () => (pruning ??= this.prune(observation));
  }

  /**
   * Lets go of what no retained revision needs: the expired records, the containers only they
   * named, and their snapshots. A deploy does not depend on any of it, so it runs beside the
   * deploy's own work; a failure only leaves more behind, reported, for the next deploy.
   */
  private async prune(observation: Observation): Promise<void> {
    const keep = observation.records.map((record) => record.manifest);
    const needed = new Set(keep.flatMap((m) => Object.values(m.services).map((s) => s.container)));
    const neededSnapshots = new Set(keep.flatMap((m) => Object.values(m.snapshots ?? {})));
    const dropped = observation.expired;
    const warn = (what: string) => (err: unknown) => this.ctx.progress({ subject: what, message: `warning: not pruned: ${(err as Error).message}` });
    await Promise.all([
      ...dropped.map(async (record) => {
        await this.client.containerRemove(record.id, { force: true, volumes: false }).catch(warn(`revision ${record.manifest.revision}`));
        for (const snapshot of Object.values(record.manifest.snapshots ?? {})) {
          if (!neededSnapshots.has(snapshot)) await this.client.volumeRemove(snapshot).catch(() => undefined);
        }
      }),
      ...observation.retired.filter((container) => !needed.has(container.id)).map((container) => this.client.containerRemove(container.id, { force: true, volumes: false }).catch(warn(container.name))),
    ]);
  }

  /**
   * What status compares later: the container's filesystem changes and its editable host config,
   * as deployed. An inspection already made (the one that passed the gate) serves for the config.
   */
  private async baseline(container: string, inspected?: Record<string, unknown>): Promise<{ layerDigest: string; updatableDigest: string }> {
    const [changes, config] = await Promise.all([this.client.containerChanges(container), inspected ?? this.client.containerInspect(container)]);
    return { layerDigest: changesDigest(changes), updatableDigest: updatableDigest(config) };
  }

  /**
   * Copies one volume's content into another with a short-lived container of the service's
   * image (any engine can run one); `replace` empties the target first.
   */
  private async copyVolume(project: string, image: string, from: string, to: string, replace: boolean): Promise<void> {
    const script = `${replace ? "rm -rf /moor-to/..?* /moor-to/.[!.]* /moor-to/* && " : ""}cp -a /moor-from/. /moor-to/`;
    const body = {
      Image: image,
      Entrypoint: ["/bin/sh", "-c"],
      Cmd: [script],
      User: "0:0",
      Labels: { [deployProjectLabel]: project, [helperLabel]: "copy" },
      HostConfig: {
        NetworkMode: "none",
        Mounts: [
          { Type: "volume", Source: from, Target: "/moor-from", ReadOnly: true },
          { Type: "volume", Source: to, Target: "/moor-to", VolumeOptions: { NoCopy: true } },
          // The image's VOLUMEs as tmpfs: the helper makes no anonymous volume.
          ...(await this.imageVolumes(image)).map((target) => ({ Type: "tmpfs", Target: target })),
        ],
      },
    };
    const { Id } = await this.client.containerCreate(body);
    try {
      await this.client.containerStart(Id);
      const { StatusCode } = await this.client.containerWait(Id);
      if (StatusCode !== 0) throw new MoorError("internal", `copying volume ${from} to ${to} failed (exit code ${StatusCode}) in a helper container of image ${image}, which needs /bin/sh and cp${await this.lastLogLines(Id)}`);
    } finally {
      await this.client.containerRemove(Id, { force: true, volumes: false });
    }
  }

  /** The image's VOLUME paths; those of images this deploy inspected already are not asked for again. */
  private async imageVolumes(image: string): Promise<string[]> {
    const known = this.volumesOfImages.get(image);
    if (known !== undefined) return known;
    const paths = volumePaths(await this.client.imageInspect(image));
    this.volumesOfImages.set(image, paths);
    return paths;
  }

  private async lastLogLines(container: string): Promise<string> {
    try {
      const [logs, inspected] = await Promise.all([
        this.client.containerLogs(container, { stdout: true, stderr: true, tail: "5", timestamps: false }),
        this.client.containerInspect(container) as Promise<{ Config: { Tty: boolean } }>,
      ]);
      let text = "";
      if (inspected.Config.Tty) text = logs.toString();
      else new Demultiplexer((_, data) => (text += data.toString())).push(logs);
      text = text.trim();
      return text === "" ? "" : `\nits last output:\n${text.split("\n").map((line) => `  ${line}`).join("\n")}`;
    } catch {
      return "";
    }
  }
}

/**
 * Gives a replacement its predecessor's anonymous volumes (image VOLUMEs and `- /path` entries),
 * as compose does, unless a named volume, bind or tmpfs now takes their path. The predecessor's
 * mounts are the ones its listing showed: a container's mounts never change.
 */
function inheritAnonymousVolumes(request: CreateRequest, previous: readonly ListedMount[]): void {
  const host = request.body.HostConfig as { Mounts: Array<Record<string, unknown>>; Binds: string[]; Tmpfs?: Record<string, string> };
  const taken = new Set([
    ...host.Mounts.filter((mount) => !(mount.Type === "volume" && mount.Source === "")).map((mount) => String(mount.Target)),
    ...host.Binds.map((bind) => bind.split(":")[1]),
    ...Object.keys(host.Tmpfs ?? {}),
  ]);
  for (const mount of previous) {
    if (mount.Type !== "volume" || mount.Name === undefined || !/^[0-9a-f]{64}$/.test(mount.Name) || taken.has(mount.Destination)) continue;
    const anonymous = host.Mounts.find((m) => m.Type === "volume" && m.Source === "" && m.Target === mount.Destination);
    if (anonymous !== undefined) anonymous.Source = mount.Name;
    else host.Mounts.push({ Type: "volume", Source: mount.Name, Target: mount.Destination });
  }
}

/** An image's VOLUME paths, from its inspection. */
function volumePaths(inspected: { Config?: unknown }): string[] {
  return Object.keys((inspected.Config as { Volumes?: Record<string, unknown> | null } | null)?.Volumes ?? {});
}

/** The swap that retires a service's container: stopped and renamed, kept for rollback. */
function retirement(service: string, from: ProjectContainer | undefined, change: string): Swap {
  return { service, from, to: undefined, settings: defaultSwapSettings, completes: false, snapshotVolumes: [], change, image: "", imageId: "", configHash: "", dependsOn: [] };
}

const defaultSwapSettings: DeploySettings = { order: "stop-first", snapshot: false, settle: defaultSettle, healthTimeout: defaultHealthTimeout };

/** Whether another service waits for this one to complete (depends_on: service_completed_successfully). */
function completesFor(project: Project, name: string): boolean {
  return Object.values(project.services).some((service) => service.dependsOn[name]?.condition === "service_completed_successfully");
}

function namedVolumesOf(project: Project, service: Service): string[] {
  return service.volumes.flatMap((volume) => (volume.type === "volume" && volume.source !== null ? [project.volumes[volume.source]?.name ?? volume.source] : []));
}

function desiredVolumes(project: Project) {
  const used = new Set(Object.values(project.services).flatMap((service) => service.volumes.flatMap((v) => (v.type === "volume" && v.source !== null ? [v.source] : []))));
  return Object.entries(project.volumes)
    .filter(([key]) => used.has(key))
    .map(([, volume]) => ({ name: volume.name, driver: volume.driver ?? "local", driverOpts: volume.driverOpts, external: volume.external }));
}

function observedContainers(observation: Observation): ObservedContainer[] {
  return observation.live.map((container) => ({
    id: container.id,
    service: container.service,
    configHash: container.configHash,
    imageId: container.imageId,
    running: container.state === "running",
    exitedCleanly: exitedCleanly(container),
  }));
}

/** Services grouped so each group depends only on earlier groups: a group's swaps run at once. */
export function levels(services: readonly DesiredService[]): string[][] {
  const level = new Map<string, number>();
  for (const service of dependencyOrder(services)) {
    level.set(service.name, Math.max(-1, ...service.dependsOn.map((dependency) => level.get(dependency)!)) + 1);
  }
  const grouped: string[][] = [];
  for (const [name, n] of level) (grouped[n] ??= []).push(name);
  return grouped;
}

export function changesDigest(changes: ReadonlyArray<{ Path: string; Kind: number }> | null): string {
  const lines = (changes ?? []).map((change) => `${change.Kind} ${change.Path}`).sort();
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}

/** The host config fields `docker update` can change. */
const updatableFields = ["RestartPolicy", "CpuShares", "Memory", "NanoCpus", "CpuPeriod", "CpuQuota", "CpusetCpus", "CpusetMems", "MemoryReservation", "MemorySwap", "KernelMemory", "PidsLimit", "BlkioWeight"];

export function updatableDigest(inspected: Record<string, unknown>): string {
  const host = (inspected.HostConfig ?? {}) as Record<string, unknown>;
  return createHash("sha256").update(JSON.stringify(updatableFields.map((field) => host[field] ?? null))).digest("hex");
}

