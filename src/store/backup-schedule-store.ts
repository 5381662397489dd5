import type { Db } from "./database.ts";

/** What to do with running containers that write to the volume when a scheduled backup runs. */
export type ScheduledWriters = "stop" | "pause" | "refuse";

export interface BackupScheduleRecord {
  volume: string;
  /** A cron expression (5 fields, or 6 with seconds first). */
  schedule: string;
  /** How many successful backups to keep; older ones are deleted. */
  keep: number;
  /** The host directory the archives are written to. */
  target: string;
  writers: ScheduledWriters;
  /** Who set it (a deployed app: its project name), so that it can drop its own. */
  owner: string;
  /** RFC 3339. */
  setAt: string;
}

export type BackupRunStatus = "running" | "ok" | "failed" | "interrupted";

export interface BackupRunRecord {
  id: number;
  volume: string;
  started: string;
  finished: string | null;
  status: BackupRunStatus;
  file: string;
  bytes: number | null;
  error: string | null;
  /** The archive was deleted by retention. */
  pruned: boolean;
}

interface RunRow {
  id: number;
  volume: string;
  started: string;
  finished: string | null;
  status: BackupRunStatus;
  file: string;
  bytes: number | null;
  error: string | null;
  pruned: number;
}

const scheduleColumns = "volume, schedule, keep, target, writers, owner, set_at AS setAt";
const fromRunRow = (row: RunRow): BackupRunRecord => ({ ...row, pruned: row.pruned === 1 });

/** Scheduled backups of volumes and the record of their runs; both follow a volume's rename and go with it. */
export class BackupScheduleStore {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      put: db.prepare(
        `INSERT INTO backup_schedules (volume, schedule, keep, target, writers, owner, set_at) VALUES (@volume, @schedule, @keep, @target, @writers, @owner, @setAt)
         ON CONFLICT (volume) DO UPDATE SET schedule = excluded.schedule, keep = excluded.keep, target = excluded.target, writers = excluded.writers, owner = excluded.owner, set_at = excluded.set_at`,
      ),
      get: db.prepare<[string], BackupScheduleRecord>(`SELECT ${scheduleColumns} FROM backup_schedules WHERE volume = ?`),
      all: db.prepare<[], BackupScheduleRecord>(`SELECT ${scheduleColumns} FROM backup_schedules ORDER BY volume`),
      remove: db.prepare<[string]>("DELETE FROM backup_schedules WHERE volume = ?"),
      startRun: db.prepare<[string, string, string]>("INSERT INTO backup_runs (volume, started, status, file) VALUES (?, ?, 'running', ?)"),
      finishRun: db.prepare<[string, BackupRunStatus, number | null, string | null, number]>("UPDATE backup_runs SET finished = ?, status = ?, bytes = ?, error = ? WHERE id = ?"),
      runs: db.prepare<[string], RunRow>("SELECT * FROM backup_runs WHERE volume = ? ORDER BY id DESC"),
      unfinished: db.prepare<[], RunRow>("SELECT * FROM backup_runs WHERE status = 'running'"),
      kept: db.prepare<[string], RunRow>("SELECT * FROM backup_runs WHERE volume = ? AND status = 'ok' AND pruned = 0 ORDER BY id DESC"),
      markPruned: db.prepare<[number]>("UPDATE backup_runs SET pruned = 1 WHERE id = ?"),
      forgetOld: db.prepare<[string, string, number]>("DELETE FROM backup_runs WHERE volume = ? AND status != 'running' AND NOT (status = 'ok' AND pruned = 0) AND id NOT IN (SELECT id FROM backup_runs WHERE volume = ? ORDER BY id DESC LIMIT ?)"),
    };
  }

  put(record: BackupScheduleRecord): void {
    this.statements.put.run(record);
  }

  get(volume: string): BackupScheduleRecord | undefined {
    return this.statements.get.get(volume);
  }

  all(): BackupScheduleRecord[] {
    return this.statements.all.all();
  }

  remove(volume: string): void {
    this.statements.remove.run(volume);
  }

  /** Records a run as started, before anything is written; returns its id. */
  startRun(volume: string, started: string, file: string): number {
    return Number(this.statements.startRun.run(volume, started, file).lastInsertRowid);
  }

  finishRun(id: number, outcome: { finished: string; status: Exclude<BackupRunStatus, "running">; bytes: number | null; error: string | null }): void {
    this.statements.finishRun.run(outcome.finished, outcome.status, outcome.bytes, outcome.error, id);
  }

  /** The volume's runs, newest first. */
  runs(volume: string): BackupRunRecord[] {
    return this.statements.runs.all(volume).map(fromRunRow);
  }

  /** Runs an engine that stopped left marked as running. */
  unfinished(): BackupRunRecord[] {
    return this.statements.unfinished.all().map(fromRunRow);
  }

  /** Successful runs whose archives are still there, newest first. */
  keptArchives(volume: string): BackupRunRecord[] {
    return this.statements.kept.all(volume).map(fromRunRow);
  }

  markPruned(id: number): void {
    this.statements.markPruned.run(id);
  }

  /** Forgets all but the newest `count` runs of the volume; never one whose archive is kept. */
  forgetOldRuns(volume: string, count: number): void {
    this.statements.forgetOld.run(volume, volume, count);
  }
}
