/**
 * Scheduled backups of volumes, run by the engine: a cron expression per volume, the archives
 * (moor's backup format, zstd) written to a host directory as `<volume>-<UTC time>.tar.zst`, the
 * newest `keep` successful ones kept. Each run is recorded before it writes anything and
 * finished with its outcome, so `moor volume backups VOL` shows what happened, including runs
 * an engine stop interrupted. An archive is written under a `.partial` name, synced and then
 * renamed: a file with the final name is always a complete backup.
 *
 * Times follow the engine's local time zone; runs missed while the engine was down are not
 * made up.
 */
import { mkdir, open, rename, rm } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { Cron } from "croner";
import { MoorError } from "../../errors.ts";
import type { BackupRunRecord, BackupScheduleRecord, BackupScheduleStore, ScheduledWriters } from "../../store/backup-schedule-store.ts";
import type { Logger } from "../logger.ts";
import type { VolumeBackups } from "./backup.ts";
import type { VolumeService } from "./service.ts";

export interface BackupScheduleRequest {
  schedule: string;
  keep: number;
  target: string;
  writers: ScheduledWriters;
  owner: string;
}

export interface ScheduledBackup extends BackupScheduleRecord {
  /** RFC 3339; null when the expression has no future time. */
  nextRun: string | null;
}

/** Runs kept in the record per volume, beyond those whose archives are kept. */
const remembered = 50;
const writersPolicies = new Set<ScheduledWriters>(["stop", "pause", "refuse"]);

export class BackupScheduler {
  private readonly jobs = new Map<string, Cron>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly store: BackupScheduleStore,
    private readonly backups: VolumeBackups,
    private readonly volumes: VolumeService,
    private readonly log: Logger,
  ) {}

  /** At engine start: runs the last engine left unfinished are recorded as interrupted (their partial files removed), and every schedule is armed. */
  async start(): Promise<void> {
    for (const run of this.store.unfinished()) {
      await rm(partialName(run.file), { force: true });
      this.store.finishRun(run.id, { finished: new Date().toISOString(), status: "interrupted", bytes: null, error: "the engine stopped during the backup; its partial archive was removed" });
    }
    this.refresh();
  }

  /**
   * Arms the schedules the store holds and drops jobs whose schedule is gone. A schedule goes
   * with its volume and follows its rename (the store's foreign key), so after either the jobs
   * are brought in line here.
   */
  refresh(): void {
    const records = new Map(this.store.all().map((record) => [record.volume, record]));
    for (const [volume, job] of this.jobs) {
      if (records.has(volume)) continue;
      job.stop();
      this.jobs.delete(volume);
    }
    for (const [volume, record] of records) if (!this.jobs.has(volume)) this.arm(record);
  }

  /** No more runs; resolves once the runs under way have finished. */
  async stop(): Promise<void> {
    for (const job of this.jobs.values()) job.stop();
    this.jobs.clear();
    await Promise.allSettled(this.running.values());
  }

  /** Sets (or replaces) the volume's schedule. */
  set(volume: string, request: BackupScheduleRequest): ScheduledBackup {
    this.volumes.inspect(volume);
    const where = `backup schedule of volume ${volume}`;
    try {
      new Cron(request.schedule, { paused: true });
    } catch (err) {
      throw new MoorError("invalid", `${where}: invalid cron expression ${JSON.stringify(request.schedule)}: ${(err as Error).message.replace(/^CronPattern: /, "")}`);
    }
    if (!Number.isInteger(request.keep) || request.keep < 1) throw new MoorError("invalid", `${where}: keep must be a whole number of at least 1, not ${JSON.stringify(request.keep)}`);
    if (typeof request.target !== "string" || !isAbsolute(request.target)) throw new MoorError("invalid", `${where}: the target directory must be an absolute host path, not ${JSON.stringify(request.target)}`);
    if (!writersPolicies.has(request.writers)) throw new MoorError("invalid", `${where}: writers must be stop, pause or refuse, not ${JSON.stringify(request.writers)}`);
    const record: BackupScheduleRecord = { volume, schedule: request.schedule, keep: request.keep, target: request.target, writers: request.writers, owner: String(request.owner ?? ""), setAt: new Date().toISOString() };
    this.store.put(record);
    this.arm(record);
    return this.describe(record);
  }

  remove(volume: string): void {
    if (this.store.get(volume) === undefined) throw new MoorError("not_found", `volume ${volume} has no backup schedule`);
    this.store.remove(volume);
    this.refresh();
  }

  /** Every schedule, or those set by `owner`. */
  list(owner?: string): ScheduledBackup[] {
    return this.store
      .all()
      .filter((record) => owner === undefined || record.owner === owner)
      .map((record) => this.describe(record));
  }

  /** The volume's schedule (if any) and its runs, newest first. */
  history(volume: string): { schedule: ScheduledBackup | null; runs: BackupRunRecord[] } {
    this.volumes.inspect(volume);
    const record = this.store.get(volume);
    return { schedule: record === undefined ? null : this.describe(record), runs: this.store.runs(volume) };
  }

  private describe(record: BackupScheduleRecord): ScheduledBackup {
    const next = (this.jobs.get(record.volume) ?? new Cron(record.schedule, { paused: true })).nextRun();
    return { ...record, nextRun: next === null ? null : next.toISOString() };
  }

  private arm(record: BackupScheduleRecord): void {
    this.jobs.get(record.volume)?.stop();
    // A run still going when the next is due makes that one skip (protect).
    const job = new Cron(record.schedule, { protect: true }, () => {
      const schedule = this.store.get(record.volume);
      if (schedule === undefined) {
        this.refresh();
        return;
      }
      if (this.running.has(record.volume)) return;
      const run = this.run(schedule).finally(() => this.running.delete(record.volume));
      this.running.set(record.volume, run);
      return run;
    });
    this.jobs.set(record.volume, job);
  }

  private async run(schedule: BackupScheduleRecord): Promise<void> {
    const started = new Date();
    const file = join(schedule.target, `${schedule.volume}-${fileTime(started)}.tar.zst`);
    const id = this.store.startRun(schedule.volume, started.toISOString(), file);
    try {
      await mkdir(schedule.target, { recursive: true, mode: 0o700 });
      const bytes = await writeWhole(file, (fd) => this.backups.backupToFile(schedule.volume, fd, { compression: "zstd", writers: schedule.writers }));
      this.store.finishRun(id, { finished: new Date().toISOString(), status: "ok", bytes, error: null });
      this.log.info({ volume: schedule.volume, file, bytes }, "scheduled backup done");
    } catch (err) {
      this.store.finishRun(id, { finished: new Date().toISOString(), status: "failed", bytes: null, error: (err as Error).message });
      this.log.warn({ volume: schedule.volume, err: String(err) }, "scheduled backup failed");
    }
    await this.applyRetention(schedule);
  }

  /** Deletes the archives of successful runs beyond the newest `keep`, and forgets old runs. */
  private async applyRetention(schedule: BackupScheduleRecord): Promise<void> {
    for (const run of this.store.keptArchives(schedule.volume).slice(schedule.keep)) {
      try {
        await rm(run.file, { force: true });
        this.store.markPruned(run.id);
      } catch (err) {
        this.log.warn({ volume: schedule.volume, file: run.file, err: String(err) }, "could not delete an old scheduled backup");
      }
    }
    this.store.forgetOldRuns(schedule.volume, remembered);
  }
}

/** `20261128T031500Z`: sortable, and without the colons some tools choke on. */
function fileTime(time: Date): string {
  return time.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

function partialName(file: string): string {
  return `${file}.partial`;
}

/** Has `write` fill a new file under a partial name, syncs it, and gives it its name; returns its size. */
async function writeWhole(file: string, write: (fd: number) => Promise<number>): Promise<number> {
  const partial = partialName(file);
  const handle = await open(partial, "wx", 0o600);
  let bytes: number;
  try {
    bytes = await write(handle.fd);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(partial, { force: true });
    throw err;
  }
  await handle.close();
  await rename(partial, file);
  return bytes;
}
