import { MoorError, kindOfStatus } from "../errors.ts";
import { versionLessThan } from "../util/versions.ts";
import type { WireImageInspect, WireImageSummary } from "../wire/images.ts";
import type { WireDiskUsage, WireVersion } from "../wire/system.ts";
import { UnixHttpPool, UpgradeRefused, streamRequest, streamingRequest, upgrade, type RawResponse, type StreamingResponse } from "./http1.ts";
import type { Socket } from "node:net";
import type { Readable } from "node:stream";
import type {
  WireVolume,
  WireBackupSchedule,
  WireBackupScheduleRequest,
  WireVolumeArchiveSummary,
  WireVolumeBackups,
  WireVolumeCreateRequest,
  WireVolumeListResponse,
  WireVolumePruneReport,
} from "../wire/volumes.ts";

/** The newest API version this client speaks; it uses an older one if the engine is older. */
const clientApiVersion = "1.45";

export { ConnectionError, TransferCutError } from "./http1.ts";

type Query = Record<string, string | number | boolean | string[] | undefined>;

/** An archive file for the engine to read itself: its absolute path, its size, and util/file-head.ts's headSha256() of it. */
export interface NamedArchive {
  path: string;
  size: number;
  head: string;
}

function namedArchiveQuery(file: NamedArchive): Query {
  return { file: file.path, size: file.size, head: file.head };
}

/**
 * A typed Docker Engine API client over a unix socket. It works against moor and against
 * dockerd alike. Requests use this client's newest API version until the engine says it is too
 * new (dockerd's 400 names its maximum, and the request was not run), then that maximum; this
 * saves the /_ping round trip the docker CLI makes first. Error responses become MoorErrors
 * whose kind follows the status.
 */
/** A request the client refuses before sending it, as docker's client does: no "Error response from daemon". */
export class ClientCheckError extends MoorError {}

/** docker's client-side trimID: an empty name or ID never reaches the engine. */
function checkedName(kind: "container" | "volume", name: string): string {
  if (name.trim() === "") throw new ClientCheckError("invalid", `invalid ${kind} name or ID: value is empty`);
  return encodeURIComponent(name);
}

export class EngineClient {
  private readonly connection: UnixHttpPool;
  private apiVersion: string | undefined;

  constructor(readonly host: string) {
    if (!host.startsWith("unix://")) {
      throw new MoorError("invalid", `unsupported host ${JSON.stringify(host)}: only unix:///path hosts are supported`);
    }
    this.connection = new UnixHttpPool(host.slice("unix://".length), host);
  }

  close(): void {
    this.connection.close();
  }

  /** The API version both sides speak: the lower of the engine's and this client's. */
  async negotiatedVersion(): Promise<string> {
    if (this.apiVersion === undefined) {
      const res = await this.connection.request("HEAD", "/_ping", {});
      const engineVersion = res.headers.get("api-version") ?? clientApiVersion;
      this.apiVersion = versionLessThan(engineVersion, clientApiVersion) ? engineVersion : clientApiVersion;
    }
    return this.apiVersion;
  }

  /** Sends a request at the negotiated version, learning an older engine's version on the way. */
  private async send(method: string, path: string, query: Query, body?: { bytes: Buffer; contentType: string }): Promise<RawResponse> {
    const send = (version: string) =>
      this.connection.request(method, `/v${version}${path}${queryString(query)}`, body ? { "Content-Type": body.contentType } : {}, body?.bytes);
    const used = this.apiVersion ?? clientApiVersion;
    let res = await send(used);
    const engineMaximum = res.status === 400 ? /Maximum supported API version is ([0-9.]+)/.exec(res.body.toString("utf8")) : null;
    // Requests sent at once all learn the maximum; each one retries at it.
    if (engineMaximum !== null && engineMaximum[1] !== used) {
      this.apiVersion = engineMaximum[1];
      res = await send(this.apiVersion);
    }
    if (res.status >= 400) throw new MoorError(kindOfStatus(res.status), errorMessage(res.body.toString("utf8")));
    return res;
  }

  private async call<T>(method: string, path: string, query: Query = {}, body?: unknown): Promise<T> {
    const json = body === undefined ? undefined : { bytes: Buffer.from(JSON.stringify(body)), contentType: "application/json" };
    const res = await this.send(method, path, query, json);
    if (res.body.length === 0) return undefined as T;
    return JSON.parse(res.body.toString("utf8")) as T;
  }

  version(): Promise<WireVersion> {
    return this.call("GET", "/version");
  }

  info(): Promise<Record<string, unknown>> {
    return this.call("GET", "/info");
  }

  systemDf(types?: string[]): Promise<WireDiskUsage> {
    return this.call("GET", `/system/df${types ? `?${types.map((t) => `type=${encodeURIComponent(t)}`).join("&")}` : ""}`);
  }

  /** `docker import`: the tarball is the body; the answer is a JSON status stream. */
  async imageImport(tarball: Buffer, query: { repo: string; message: string; changes: string[] }): Promise<string> {
    const res = await this.send(
      "POST",
      "/images/create",
      { fromSrc: "-", repo: query.repo, tag: "", message: query.message, changes: query.changes },
      { bytes: tarball, contentType: "application/x-tar" },
    );
    let imageId = "";
    for await (const message of jsonMessages<{ status?: string; error?: string }>([res.body])) {
      if (message.error) throw new MoorError("internal", message.error);
      if (message.status) imageId = message.status;
    }
    return imageId;
  }

  /** `docker load`: the archive is the body; the answer lists what was loaded, a line each. */
  async imageLoad(archive: Buffer): Promise<string[]> {
    const res = await this.send("POST", "/images/load", { quiet: "1" }, { bytes: archive, contentType: "application/x-tar" });
    const lines: string[] = [];
    for await (const message of jsonMessages<{ stream?: string; error?: string }>([res.body])) {
      if (message.error) throw new MoorError("internal", message.error);
      if (message.stream) lines.push(message.stream.replace(/\n$/, ""));
    }
    return lines;
  }

  /** `docker save`: the images as one tarball. */
  async imageSave(names: string[]): Promise<Buffer> {
    return (await this.send("GET", "/images/get", { names })).body;
  }

  /**
   * `docker build` with the classic builder (`POST /build`): the context streams up as a tar
   * body and the answer's JSON messages are yielded as they arrive. An error found before the
   * build starts (a 400) throws a MoorError; one during the build is a message with `error`.
   * Aborting `signal` drops the connection, which is how the engine learns to cancel the build.
   */
  async *imageBuild(context: AsyncIterable<Buffer>, options: ImageBuildOptions, signal?: AbortSignal): AsyncGenerator<BuildMessage> {
    // The query the docker CLI sends (moby client imageBuildOptionsToQuery): defaults are left out.
    const query = queryString({
      t: options.tags,
      q: options.quiet ? "1" : undefined,
      nocache: options.noCache ? "1" : undefined,
      rm: options.remove ? undefined : "0",
      forcerm: options.forceRemove ? "1" : undefined,
      pull: options.pull ? "1" : undefined,
      dockerfile: options.dockerfile || undefined,
      target: options.target || undefined,
      buildargs: Object.keys(options.buildArgs).length > 0 ? JSON.stringify(options.buildArgs) : undefined,
      labels: Object.keys(options.labels).length > 0 ? JSON.stringify(options.labels) : undefined,
      version: "1",
    });
    const aborted = () => new MoorError("unavailable", "the build was aborted");
    if (signal?.aborted) throw aborted();
    const res = await streamingRequest(
      this.host.slice("unix://".length),
      this.host,
      "POST",
      `/v${await this.negotiatedVersion()}/build${query}`,
      abortable(context, signal, aborted),
      { "Content-Type": "application/x-tar" },
    );
    if (res.status >= 400) throw new MoorError(kindOfStatus(res.status), errorMessage(await bodyText(res.body)));
    const onAbort = () => res.body.destroy(aborted());
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      yield* jsonMessages<BuildMessage>(res.body as AsyncIterable<Buffer>);
    } finally {
      signal?.removeEventListener("abort", onAbort);
      res.body.destroy();
    }
  }

  imagePrune(filters?: FilterMap): Promise<{ ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }> | null; SpaceReclaimed: number }> {
    return this.call("POST", "/images/prune", { filters: encodeFilters(filters) });
  }

  imageList(filters?: FilterMap, all = false): Promise<WireImageSummary[]> {
    return this.call("GET", "/images/json", { filters: encodeFilters(filters), all: all ? "1" : undefined });
  }

  imageInspect(name: string): Promise<WireImageInspect> {
    return this.call("GET", `/images/${encodeURI(name)}/json`);
  }

  imageTag(source: string, repo: string, tag: string): Promise<void> {
    return this.call("POST", `/images/${encodeURI(source)}/tag`, { repo, tag });
  }

  imageRemove(name: string, options: { force: boolean; noPrune: boolean }): Promise<Array<{ Untagged?: string; Deleted?: string }>> {
    return this.call("DELETE", `/images/${encodeURI(name)}`, { force: options.force ? "1" : undefined, noprune: options.noPrune ? "1" : undefined });
  }

  containerCreate(body: Record<string, unknown>, name?: string): Promise<{ Id: string; Warnings: string[] | null }> {
    return this.call("POST", "/containers/create", { name }, body);
  }

  /** A hijacked attach connection: the container's output (multiplexed unless TTY), and stdin. */
  containerAttach(name: string, options: { stdin: boolean }): Promise<Socket> {
    const query = `stream=1&stdout=1&stderr=1${options.stdin ? "&stdin=1" : ""}`;
    return this.hijack(`/containers/${encodeURIComponent(name)}/attach?${query}`);
  }

  /** An upgraded connection of its own; an error answer becomes a MoorError as for other calls. */
  private async hijack(path: string, body?: unknown): Promise<Socket> {
    try {
      const bytes = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      return await upgrade(this.host.slice("unix://".length), this.host, "POST", `/v${this.apiVersion ?? clientApiVersion}${path}`, bytes);
    } catch (err) {
      if (err instanceof UpgradeRefused) throw new MoorError(kindOfStatus(err.status), errorMessage(err.body));
      throw err;
    }
  }

  execCreate(container: string, body: Record<string, unknown>): Promise<{ Id: string }> {
    return this.call("POST", `/containers/${encodeURIComponent(container)}/exec`, {}, body);
  }

  /** Starts an exec on a hijacked connection: its output (multiplexed unless TTY), and stdin. */
  execStartAttached(execId: string, tty: boolean): Promise<Socket> {
    return this.hijack(`/exec/${encodeURIComponent(execId)}/start`, { Detach: false, Tty: tty, ConsoleSize: [0, 0] });
  }

  execStartDetached(execId: string, tty: boolean): Promise<void> {
    return this.call("POST", `/exec/${encodeURIComponent(execId)}/start`, {}, { Detach: true, Tty: tty, ConsoleSize: [0, 0] });
  }

  execInspect(execId: string): Promise<{ ExitCode: number | null; Running: boolean; Pid: number }> {
    return this.call("GET", `/exec/${encodeURIComponent(execId)}/json`);
  }

  containerRename(name: string, newName: string): Promise<void> {
    return this.call("POST", `/containers/${encodeURIComponent(name)}/rename`, { name: newName });
  }

  containerPrune(filters?: FilterMap): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    return this.call("POST", "/containers/prune", { filters: encodeFilters(filters) });
  }

  containerStart(name: string): Promise<void> {
    return this.call("POST", `/containers/${encodeURIComponent(name)}/start`);
  }

  containerStop(name: string, options: { timeout?: number; signal?: string } = {}): Promise<void> {
    return this.call("POST", `/containers/${encodeURIComponent(name)}/stop`, { t: options.timeout, signal: options.signal });
  }

  containerRestart(name: string, options: { timeout?: number; signal?: string } = {}): Promise<void> {
    return this.call("POST", `/containers/${encodeURIComponent(name)}/restart`, { t: options.timeout, signal: options.signal });
  }

  containerKill(name: string, signal?: string): Promise<void> {
    return this.call("POST", `/containers/${encodeURIComponent(name)}/kill`, { signal });
  }

  containerPause(name: string): Promise<void> {
    return this.call("POST", `/containers/${encodeURIComponent(name)}/pause`);
  }

  containerUnpause(name: string): Promise<void> {
    return this.call("POST", `/containers/${encodeURIComponent(name)}/unpause`);
  }

  containerWait(name: string, condition = "not-running"): Promise<{ StatusCode: number }> {
    return this.call("POST", `/containers/${encodeURIComponent(name)}/wait`, { condition });
  }

  /** The log as the engine sends it: multiplexed frames, or raw bytes for a TTY container. */
  async containerLogs(name: string, options: { stdout: boolean; stderr: boolean; tail?: string; timestamps: boolean; since?: string }): Promise<Buffer> {
    const res = await this.send("GET", `/containers/${encodeURIComponent(name)}/logs`, {
      stdout: options.stdout ? "1" : undefined,
      stderr: options.stderr ? "1" : undefined,
      tail: options.tail,
      timestamps: options.timestamps ? "1" : undefined,
      since: options.since,
    });
    return res.body;
  }

  /** `logs --follow`: the log as it grows, until the container stops. */
  async containerFollowLogs(name: string, options: { tail?: string; timestamps: boolean; since?: string }, onData: (chunk: Buffer) => void): Promise<void> {
    const query = queryString({ stdout: "1", stderr: "1", follow: "1", tail: options.tail, timestamps: options.timestamps ? "1" : undefined, since: options.since });
    const path = `/v${this.apiVersion ?? clientApiVersion}/containers/${encodeURIComponent(name)}/logs${query}`;
    const res = await streamRequest(this.host.slice("unix://".length), this.host, path, onData);
    if (res.status >= 400) throw new MoorError(kindOfStatus(res.status), errorMessage(res.body));
  }

  containerList(options: { all: boolean; limit: number; filters?: FilterMap }): Promise<unknown[]> {
    return this.call("GET", "/containers/json", {
      all: options.all ? "1" : undefined,
      limit: options.limit > 0 ? options.limit : undefined,
      filters: encodeFilters(options.filters),
    });
  }

  containerInspect(name: string): Promise<Record<string, unknown>> {
    return this.call("GET", `/containers/${checkedName("container", name)}/json`);
  }

  /** The container's filesystem changes: Kind 0 modified, 1 added, 2 deleted; null for none. */
  containerChanges(name: string): Promise<Array<{ Path: string; Kind: number }> | null> {
    return this.call("GET", `/containers/${encodeURIComponent(name)}/changes`);
  }

  /** What is at `path` in the container (docker cp's stat: `HEAD /containers/{id}/archive`). */
  async containerStatPath(name: string, path: string): Promise<ContainerPathStat> {
    return this.statPath(`/containers/${encodeURIComponent(name)}/archive`, path);
  }

  /** A tar archive of `path` in the container, as it streams, with the path's stat. */
  containerArchive(name: string, path: string): Promise<{ stat: ContainerPathStat; body: Readable }> {
    return this.archivePath(`/containers/${encodeURIComponent(name)}/archive`, path);
  }

  /** Extracts a tar stream into the directory `path` of the container; refused entries fail it. */
  containerExtract(name: string, path: string, archive: AsyncIterable<Buffer>, options: { copyUIDGID: boolean; noOverwriteDirNonDir: boolean }): Promise<void> {
    return this.extractInto(`/containers/${encodeURIComponent(name)}/archive`, path, archive, options);
  }

  /** Stats `path` in a volume's data (moor's). */
  volumeStatPath(name: string, path: string): Promise<ContainerPathStat> {
    return this.statPath(`/moor/volumes/${checkedName("volume", name)}/archive`, path);
  }

  /** A tar archive of `path` in a volume's data (moor's), as it streams, with the path's stat. */
  volumeArchive(name: string, path: string): Promise<{ stat: ContainerPathStat; body: Readable }> {
    return this.archivePath(`/moor/volumes/${checkedName("volume", name)}/archive`, path);
  }

  /** Extracts a tar stream into the directory `path` of a volume's data (moor's). */
  volumeExtract(name: string, path: string, archive: AsyncIterable<Buffer>, options: { noOverwriteDirNonDir: boolean }): Promise<void> {
    return this.extractInto(`/moor/volumes/${checkedName("volume", name)}/archive`, path, archive, { ...options, copyUIDGID: false });
  }

  private async statPath(resource: string, path: string): Promise<ContainerPathStat> {
    const res = await this.send("HEAD", resource, { path });
    return decodePathStat(res.headers.get("x-docker-container-path-stat"));
  }

  private async archivePath(resource: string, path: string): Promise<{ stat: ContainerPathStat; body: Readable }> {
    const res = await this.streamedGet(`${resource}${queryString({ path })}`);
    return { stat: decodePathStat(res.headers.get("x-docker-container-path-stat")), body: res.body };
  }

  /** A GET whose answer streams (an archive); an error answer is thrown as the engine words it. */
  private async streamedGet(pathAndQuery: string): Promise<StreamingResponse> {
    const res = await streamingRequest(this.host.slice("unix://".length), this.host, "GET", `/v${await this.negotiatedVersion()}${pathAndQuery}`);
    if (res.status >= 400) throw new MoorError(kindOfStatus(res.status), errorMessage(await bodyText(res.body)));
    return res;
  }

  private async extractInto(resource: string, path: string, archive: AsyncIterable<Buffer>, options: { copyUIDGID: boolean; noOverwriteDirNonDir: boolean }): Promise<void> {
    const query = queryString({ path, noOverwriteDirNonDir: options.noOverwriteDirNonDir ? "true" : undefined, copyUIDGID: options.copyUIDGID ? "true" : undefined });
    const res = await streamingRequest(this.host.slice("unix://".length), this.host, "PUT", `/v${await this.negotiatedVersion()}${resource}${query}`, archive, {
      "Content-Type": "application/x-tar",
    });
    const answer = await bodyText(res.body);
    if (res.status >= 400) throw new MoorError(kindOfStatus(res.status), errorMessage(answer));
  }

  containerRemove(name: string, options: { force: boolean; volumes: boolean }): Promise<void> {
    return this.call("DELETE", `/containers/${checkedName("container", name)}`, { force: options.force ? "1" : undefined, v: options.volumes ? "1" : undefined });
  }

  volumeCreate(request: WireVolumeCreateRequest): Promise<WireVolume> {
    return this.call("POST", "/volumes/create", {}, request);
  }

  volumeList(filters?: FilterMap): Promise<WireVolumeListResponse> {
    return this.call("GET", "/volumes", { filters: encodeFilters(filters) });
  }

  /** moor's backup of a volume (zstd or gzip compressed), as it streams. */
  async volumeBackup(name: string, options: { compression: "zstd" | "gzip"; writers: WritersPolicy; operation?: string }): Promise<Readable> {
    const query = queryString({ compression: options.compression, ...writersQuery(options.writers), operation: options.operation });
    return (await this.streamedGet(`/moor/volumes/${checkedName("volume", name)}/backup${query}`)).body;
  }

  /**
   * The same backup written by the engine into `file`, a file on the engine's machine that holds
   * only `nonce`; not_found when the engine does not see that file (or has no such endpoint).
   */
  volumeBackupToFile(name: string, options: { file: string; nonce: string; compression: "zstd" | "gzip"; writers: WritersPolicy; operation?: string }): Promise<{ Bytes: number }> {
    return this.call("POST", `/moor/volumes/${checkedName("volume", name)}/backup`, { file: options.file, nonce: options.nonce, compression: options.compression, ...writersQuery(options.writers), operation: options.operation });
  }

  /** The same export written by the engine into `file`, as volumeBackupToFile does. */
  volumeExportToFile(name: string, options: { file: string; nonce: string; writers: WritersPolicy; operation?: string }): Promise<{ Bytes: number }> {
    return this.call("POST", `/moor/volumes/${checkedName("volume", name)}/export`, { file: options.file, nonce: options.nonce, ...writersQuery(options.writers), operation: options.operation });
  }

  /** `docker export`: a container's root filesystem as a tar stream. */
  async containerExport(name: string): Promise<Readable> {
    return (await this.streamedGet(`/containers/${encodeURIComponent(name)}/export`)).body;
  }

  /** A plain tar of a volume's content (podman's `volume export` format), as it streams. */
  async volumeExport(name: string, options: { writers: WritersPolicy; operation?: string }): Promise<Readable> {
    const query = queryString({ ...writersQuery(options.writers), operation: options.operation });
    return (await this.streamedGet(`/moor/volumes/${checkedName("volume", name)}/export${query}`)).body;
  }

  /** Imports a plain tar as a volume's content. */
  volumeImport(name: string, archive: AsyncIterable<Buffer>, options: { force: boolean }): Promise<WireVolumeArchiveSummary> {
    return this.uploadForJson(`/moor/volumes/${checkedName("volume", name)}/import`, queryString({ force: options.force ? "1" : undefined }), archive);
  }

  /** The same import read by the engine from a file on its machine, as volumeRestoreFromFile does. */
  volumeImportFromFile(name: string, file: NamedArchive, options: { force: boolean; operation?: string }): Promise<WireVolumeArchiveSummary> {
    return this.call("POST", `/moor/volumes/${checkedName("volume", name)}/import`, { ...namedArchiveQuery(file), force: options.force ? "1" : undefined, operation: options.operation });
  }

  /** Restores a moor volume backup into `name` (default: the archived volume's name). */
  async volumeRestore(archive: AsyncIterable<Buffer>, options: { name?: string; force: boolean }): Promise<WireVolumeArchiveSummary> {
    return this.uploadForJson("/moor/volumes/restore", queryString({ name: options.name, force: options.force ? "1" : undefined }), archive);
  }

  /**
   * The same restore read by the engine from `file.path`, a file on its machine (`file.head`:
   * util/file-head.ts's headSha256 of it); not_found when the engine does not see that file.
   */
  volumeRestoreFromFile(file: NamedArchive, options: { name?: string; force: boolean; operation?: string }): Promise<WireVolumeArchiveSummary> {
    return this.call("POST", "/moor/volumes/restore", { ...namedArchiveQuery(file), name: options.name, force: options.force ? "1" : undefined, operation: options.operation });
  }

  /** moor's full copy of a volume under a new name. */
  volumeClone(source: string, target: string, options: { writers: WritersPolicy; operation?: string }): Promise<WireVolume> {
    return this.call("POST", `/moor/volumes/${checkedName("volume", source)}/clone`, { target, ...writersQuery(options.writers), operation: options.operation });
  }

  /** How far a backup, export or clone given `operation` is: bytes of the volume's data handled, of its size. */
  operationProgress(operation: string): Promise<{ Done: number; Total: number | null }> {
    return this.call("GET", `/moor/operations/${encodeURIComponent(operation)}`);
  }

  /** moor's rename of a volume no container refers to. */
  volumeRename(name: string, newName: string): Promise<WireVolume> {
    return this.call("POST", `/moor/volumes/${checkedName("volume", name)}/rename`, { name: newName });
  }

  /** Sets (or replaces) a volume's scheduled backups (moor's). */
  volumeBackupScheduleSet(name: string, request: WireBackupScheduleRequest): Promise<WireBackupSchedule> {
    return this.call("PUT", `/moor/volumes/${checkedName("volume", name)}/backup-schedule`, {}, request);
  }

  /** Stops a volume's scheduled backups; the archives stay. */
  volumeBackupScheduleRemove(name: string): Promise<void> {
    return this.call("DELETE", `/moor/volumes/${checkedName("volume", name)}/backup-schedule`);
  }

  /** A volume's backup schedule and the record of its runs, newest first. */
  volumeBackups(name: string): Promise<WireVolumeBackups> {
    return this.call("GET", `/moor/volumes/${checkedName("volume", name)}/backups`);
  }

  /** Every backup schedule, or those one owner (a deployed app) set. */
  backupSchedules(owner?: string): Promise<WireBackupSchedule[]> {
    return this.call("GET", "/moor/backup-schedules", { owner });
  }

  /** Checks a moor volume backup without restoring it. */
  async volumeVerify(archive: AsyncIterable<Buffer>): Promise<WireVolumeArchiveSummary> {
    return this.uploadForJson("/moor/volumes/verify", "", archive);
  }

  /** The same check read by the engine from a file on its machine, as volumeRestoreFromFile does. */
  volumeVerifyFromFile(file: NamedArchive, options: { operation?: string }): Promise<WireVolumeArchiveSummary> {
    return this.call("POST", "/moor/volumes/verify", { ...namedArchiveQuery(file), operation: options.operation });
  }

  private async uploadForJson<T>(path: string, query: string, body: AsyncIterable<Buffer>): Promise<T> {
    const res = await streamingRequest(this.host.slice("unix://".length), this.host, "POST", `/v${await this.negotiatedVersion()}${path}${query}`, body, { "Content-Type": "application/octet-stream" });
    const answer = await bodyText(res.body);
    if (res.status >= 400) throw new MoorError(kindOfStatus(res.status), errorMessage(answer));
    return JSON.parse(answer) as T;
  }

  networkInspect(name: string): Promise<Record<string, unknown>> {
    return this.call("GET", `/networks/${encodeURIComponent(name)}`);
  }

  volumeInspect(name: string): Promise<WireVolume> {
    return this.call("GET", `/volumes/${checkedName("volume", name)}`);
  }

  volumeRemove(name: string, force = false): Promise<void> {
    return this.call("DELETE", `/volumes/${checkedName("volume", name)}`, { force: force ? "1" : undefined });
  }

  volumePrune(filters?: FilterMap): Promise<WireVolumePruneReport> {
    return this.call("POST", "/volumes/prune", { filters: encodeFilters(filters) });
  }
}

/**
 * What moor's volume copies do with running containers that write to the volume: refuse, stop
 * them meanwhile, or pause them meanwhile.
 */
export type WritersPolicy = "refuse" | "stop" | "pause";

function writersQuery(writers: WritersPolicy): Record<string, string | undefined> {
  return { stop: writers === "stop" ? "1" : undefined, pause: writers === "pause" ? "1" : undefined };
}

/** What `POST /build` is asked for (the docker CLI's ImageBuildOptions that moor uses). */
export interface ImageBuildOptions {
  tags: string[];
  /** The Dockerfile's path in the context; "" for the engine's default. */
  dockerfile: string;
  /** null: the argument was named without a value and is unset here (`--build-arg KEY`). */
  buildArgs: Record<string, string | null>;
  target: string;
  noCache: boolean;
  labels: Record<string, string>;
  quiet: boolean;
  pull: boolean;
  remove: boolean;
  forceRemove: boolean;
}

/** One message of a build's answer (a JSON stream message, as the classic builder sends them). */
export interface BuildMessage {
  stream?: string;
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  /** dockerd's progress bar, drawn for the message's status. */
  progress?: string;
  aux?: { ID?: string };
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

/**
 * The messages of a JSON stream answer (import, load, build) as they arrive. dockerd ends each
 * message with "\r\n"; a message never holds a raw newline.
 */
async function* jsonMessages<T>(body: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncGenerator<T> {
  const parse = (line: string): T => {
    try {
      return JSON.parse(line) as T;
    } catch (err) {
      throw new MoorError("internal", `error reading the engine's answer: ${(err as Error).message}`);
    }
  };
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of body) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (let end = pending.indexOf(0x0a); end !== -1; end = pending.indexOf(0x0a)) {
      const line = pending.subarray(0, end).toString("utf8").trim();
      pending = pending.subarray(end + 1);
      if (line !== "") yield parse(line);
    }
  }
  const last = pending.toString("utf8").trim();
  if (last !== "") yield parse(last);
}

/** The body, failing as soon as `signal` aborts (also while waiting for the next chunk), so the upload stops. */
async function* abortable(body: AsyncIterable<Buffer>, signal: AbortSignal | undefined, aborted: () => Error): AsyncGenerator<Buffer> {
  if (signal === undefined) {
    yield* body;
    return;
  }
  const iterator = body[Symbol.asyncIterator]();
  let onAbort: () => void = () => {};
  const abortedPromise = new Promise<never>((_, reject) => {
    onAbort = () => reject(aborted());
    signal.addEventListener("abort", onAbort, { once: true });
  });
  // Nobody may be waiting on it when the abort comes.
  abortedPromise.catch(() => undefined);
  try {
    for (;;) {
      if (signal.aborted) throw aborted();
      const next = await Promise.race([iterator.next(), abortedPromise]);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    // Not awaited: after an abort the source may still be waiting for input (stdin) that never comes.
    void Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}

/** docker cp's stat of a path in a container (the X-Docker-Container-Path-Stat header). */
export interface ContainerPathStat {
  name: string;
  size: number;
  /** Go's os.FileMode bits: 1<<31 directory, 1<<27 symlink, 1<<26 device. */
  mode: number;
  mtime: string;
  linkTarget: string;
}

function decodePathStat(header: string | undefined): ContainerPathStat {
  try {
    return JSON.parse(Buffer.from(header ?? "", "base64").toString("utf8")) as ContainerPathStat;
  } catch (err) {
    throw new MoorError("internal", `unable to decode container path stat header: ${(err as Error).message}`);
  }
}

async function bodyText(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** An error body: dockerd's `{"message": ...}`, or plain text from older paths. */
function errorMessage(body: string): string {
  const text = body.trim();
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    return text;
  }
}

/** Filter values by key, as the docker CLI collects them from repeated --filter flags. */
export type FilterMap = Map<string, string[]>;

/** The map-of-booleans encoding the docker CLI sends, which every engine version accepts. */
function encodeFilters(filters: FilterMap | undefined): string | undefined {
  if (filters === undefined || filters.size === 0) return undefined;
  const encoded: Record<string, Record<string, boolean>> = {};
  for (const [key, values] of filters) {
    encoded[key] = Object.fromEntries(values.map((value) => [value, true]));
  }
  return JSON.stringify(encoded);
}

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (Array.isArray(value)) for (const item of value) params.append(key, item);
    else if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}
