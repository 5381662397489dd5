/**
 * moor's own volume endpoints, under the vendor prefix `/moor/` (Docker has none of these):
 *
 *   GET  /moor/volumes/{name}/backup?compression=zstd|gzip&stop=1   the backup archive, streamed (pause=1 instead of stop=1: pause the writers)
 *   POST /moor/volumes/{name}/backup?file=PATH&nonce=HEX&...        the same, written by the engine into PATH, a file on its
 *                                                                   machine that holds only NONCE (32-128 hex digits): {Bytes};
 *                                                                   404 when the engine does not see such a file there
 *   POST /moor/volumes/restore?name=NAME&force=1                    body: an archive; answers what it restored
 *   POST /moor/volumes/restore?file=PATH&size=N&head=HEX&...        the same, read by the engine from PATH, a file on its machine
 *                                                                   of N bytes whose first 64 KiB have the sha256 HEX (operation=id
 *                                                                   follows it); 404 when the engine does not see such a file there
 *   POST /moor/volumes/verify                                       body: an archive; answers what it holds
 *   POST /moor/volumes/verify?file=PATH&size=N&head=HEX             the same, read by the engine from PATH, as for a restore
 *   POST /moor/volumes/{name}/clone?target=NAME&stop=1              answers the new volume, as volume inspect does
 *   POST /moor/volumes/{name}/rename?name=NEW                       answers the renamed volume
 *   GET  /moor/volumes/{name}/export?stop=1                         a plain tar of the volume's content (podman's format)
 *   POST /moor/volumes/{name}/export?file=PATH&nonce=HEX&...        the same, written by tar into PATH, as for a backup
 *   POST /moor/volumes/{name}/import?force=1                        body: such a tar; answers what it imported
 *   POST /moor/volumes/{name}/import?file=PATH&size=N&head=HEX&...  the same, read by the engine from PATH, as for a restore
 *   PUT  /moor/volumes/{name}/backup-schedule                       body: {Schedule, Keep, Target, Writers, Owner}
 *   DELETE /moor/volumes/{name}/backup-schedule                     stops scheduled backups (the archives stay)
 *   GET  /moor/volumes/{name}/backups                               the schedule and the record of its runs
 *   GET  /moor/backup-schedules?owner=PROJECT                       every schedule, or one owner's
 *   GET  /moor/operations/{id}                                      how far a backup, export or clone is that was
 *                                                                   given `operation=id` (16-64 hex digits): {Done, Total}
 */
import type { ServerResponse } from "node:http";
import { MoorError } from "../errors.ts";
import type { BackupOptions, ClientArchive, VolumeBackups, WritersPolicy } from "../engine/volumes/backup.ts";
import type { ArchiveSummary } from "../engine/volumes/backup-reader.ts";
import type { VolumeService } from "../engine/volumes/service.ts";
import type { BackupScheduler, ScheduledBackup } from "../engine/volumes/backup-schedule.ts";
import type { WireBackupSchedule, WireBackupScheduleRequest, WireVolumeBackups } from "../wire/volumes.ts";
import { writeAll } from "./archive.ts";
import { toWireVolume } from "./volumes.ts";
import { queryBool, readJsonBody, sendJson, sendNoContent } from "./http.ts";
import type { Router } from "./router.ts";

export function addVolumeCareRoutes(router: Router, backups: VolumeBackups, volumes: VolumeService, schedules: BackupScheduler): void {
  router.add("PUT", "/moor/volumes/:name/backup-schedule", async ({ req, res, params }) => {
    const body = (await readJsonBody(req)) as Partial<WireBackupScheduleRequest> | null;
    if (body === null || typeof body !== "object") throw new MoorError("invalid", "the body must be a JSON object: {Schedule, Keep, Target, Writers, Owner}");
    const scheduled = schedules.set(params.name, {
      schedule: String(body.Schedule ?? ""),
      keep: body.Keep ?? 7,
      target: String(body.Target ?? ""),
      writers: body.Writers ?? "stop",
      owner: String(body.Owner ?? ""),
    });
    sendJson(res, 200, toWireSchedule(scheduled));
  });

  router.add("DELETE", "/moor/volumes/:name/backup-schedule", async ({ res, params }) => {
    schedules.remove(params.name);
    sendNoContent(res);
  });

  router.add("GET", "/moor/volumes/:name/backups", async ({ res, params }) => {
    const { schedule, runs } = schedules.history(params.name);
    const wire: WireVolumeBackups = {
      Volume: params.name,
      Schedule: schedule === null ? null : toWireSchedule(schedule),
      Runs: runs.map((run) => ({ Started: run.started, Finished: run.finished, Status: run.status, File: run.file, Bytes: run.bytes, Error: run.error, Pruned: run.pruned })),
    };
    sendJson(res, 200, wire);
  });

  router.add("GET", "/moor/backup-schedules", async ({ res, query }) => {
    sendJson(res, 200, schedules.list(query.get("owner") ?? undefined).map(toWireSchedule));
  });

  router.add("POST", "/moor/volumes/:name/rename", async ({ res, params, query }) => {
    const name = query.get("name") ?? "";
    if (name === "") throw new MoorError("invalid", "bad parameter: name (the volume's new name) cannot be empty");
    const renamed = await volumes.rename(params.name, name);
    schedules.refresh();
    sendJson(res, 200, toWireVolume(renamed));
  });

  router.add("GET", "/moor/volumes/:name/backup", async ({ res, params, query }) => {
    const options = backupOptions(query);
    await sendStream(res, await backups.backup(params.name, options), options.compression === "zstd" ? "application/zstd" : "application/gzip");
  });

  router.add("POST", "/moor/volumes/:name/backup", async ({ res, params, query }) => {
    const bytes = await backups.backupToClientFile(params.name, query.get("file") ?? "", query.get("nonce") ?? "", backupOptions(query));
    sendJson(res, 200, { Bytes: bytes });
  });

  router.add("GET", "/moor/operations/:id", async ({ res, params }) => {
    const progress = backups.progress(params.id);
    sendJson(res, 200, { Done: progress.done, Total: progress.total ?? null });
  });

  router.add("GET", "/moor/volumes/:name/export", async ({ res, params, query }) => {
    await sendStream(res, await backups.export(params.name, copyOptions(query)), "application/x-tar");
  });

  router.add("POST", "/moor/volumes/:name/export", async ({ res, params, query }) => {
    const bytes = await backups.exportToClientFile(params.name, query.get("file") ?? "", query.get("nonce") ?? "", copyOptions(query));
    sendJson(res, 200, { Bytes: bytes });
  });

  router.add("POST", "/moor/volumes/:name/import", async ({ req, res, params, query }) => {
    const options = { force: queryBool(query, "force") };
    const file = clientArchive(query);
    sendSummary(res, file === undefined ? await drained(req, backups.import({ stream: req }, params.name, options)) : await backups.importClientFile(file, params.name, { ...options, operation: query.get("operation") ?? undefined }));
  });

  router.add("POST", "/moor/volumes/restore", async ({ req, res, query }) => {
    const options = { name: query.get("name") || undefined, force: queryBool(query, "force") };
    const file = clientArchive(query);
    const summary = file === undefined ? await drained(req, backups.restore({ stream: req }, options)) : await backups.restoreClientFile(file, { ...options, operation: query.get("operation") ?? undefined });
    sendSummary(res, summary);
  });

  router.add("POST", "/moor/volumes/verify", async ({ req, res, query }) => {
    const file = clientArchive(query);
    sendSummary(res, file === undefined ? await drained(req, backups.verify({ stream: req })) : await backups.verifyClientFile(file, { operation: query.get("operation") ?? undefined }));
  });

  router.add("POST", "/moor/volumes/:name/clone", async ({ res, params, query }) => {
    const target = query.get("target") ?? "";
    if (target === "") throw new MoorError("invalid", "bad parameter: target (the new volume's name) cannot be empty");
    sendJson(res, 201, toWireVolume(await backups.clone(params.name, target, copyOptions(query))));
  });
}

/** The archive file a client names in the query (file, size, head), if it names one. */
function clientArchive(query: URLSearchParams): ClientArchive | undefined {
  const path = query.get("file");
  if (path === null) return undefined;
  return { path, size: Number(query.get("size") ?? Number.NaN), head: query.get("head") ?? "" };
}

/**
 * Streams an archive. Its first bytes are awaited before the status, so an archive that cannot
 * start still answers an error; a failure later can only cut the connection, which tells the
 * client the archive is incomplete.
 */
async function sendStream(res: ServerResponse, archive: AsyncGenerator<Buffer>, contentType: string): Promise<void> {
  try {
    const first = await archive.next();
    res.writeHead(200, { "Content-Type": contentType });
    try {
      if (!first.done) res.write(first.value);
      await writeAll(res, archive);
      res.end();
    } catch (err) {
      res.destroy(err as Error);
    }
  } finally {
    await archive.return(undefined);
  }
}

/** An upload refused midway is read to its end first, so the client hears the error instead of a reset. */
async function drained<T>(req: AsyncIterable<unknown>, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    for await (const _ of req);
    throw err;
  }
}

function sendSummary(res: ServerResponse, summary: ArchiveSummary): void {
  sendJson(res, 200, { Volume: summary.volume, Files: summary.files, Bytes: summary.bytes, Checksum: summary.checksum, Created: summary.created });
}

/** A backup's compression, besides what copyOptions reads. */
function backupOptions(query: URLSearchParams): BackupOptions {
  const compression = query.get("compression") || "zstd";
  if (compression !== "zstd" && compression !== "gzip") throw new MoorError("invalid", `invalid compression ${JSON.stringify(compression)}: zstd or gzip`);
  return { compression, ...copyOptions(query) };
}

/** What a copy of a volume (backup, export, clone) takes: its writers' policy and the operation id a client follows it by. */
function copyOptions(query: URLSearchParams): { writers: WritersPolicy; operation: string | undefined } {
  return { writers: writersPolicy(query), operation: query.get("operation") ?? undefined };
}

/** `stop=1` or `pause=1`: what to do with running containers that write to the volume. */
function writersPolicy(query: URLSearchParams): WritersPolicy {
  const stop = queryBool(query, "stop");
  const pause = queryBool(query, "pause");
  if (stop && pause) throw new MoorError("invalid", "stop and pause cannot be used together: writers are either stopped or paused");
  return stop ? "stop" : pause ? "pause" : "refuse";
}

function toWireSchedule(schedule: ScheduledBackup): WireBackupSchedule {
  return {
    Volume: schedule.volume,
    Schedule: schedule.schedule,
    Keep: schedule.keep,
    Target: schedule.target,
    Writers: schedule.writers,
    Owner: schedule.owner,
    SetAt: schedule.setAt,
    NextRun: schedule.nextRun,
  };
}
