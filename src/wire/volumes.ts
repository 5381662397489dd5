/**
 * Docker Engine API shapes for volumes (moby api/types/volume), PascalCase as on the wire.
 * Property order follows dockerd's output, so JSON text compares equal.
 */
export interface WireVolume {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: string;
  UsageData?: { Size: number; RefCount: number };
}

export interface WireVolumeListResponse {
  Volumes: WireVolume[];
  Warnings: string[] | null;
}

export interface WireVolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export interface WireVolumePruneReport {
  VolumesDeleted: string[];
  SpaceReclaimed: number;
}

/** moor's answer to a volume restore or verify (`/moor/volumes/restore`, `/moor/volumes/verify`). */
export interface WireVolumeArchiveSummary {
  Volume: string;
  Files: number;
  Bytes: number;
  /** The checksum of the archive's files, `<hash>:<hex>` (blake3, or sha256 for archives of formats 1 and 2). */
  Checksum: string;
  Created: string;
}

/** A volume's scheduled backups (moor's `PUT /moor/volumes/{name}/backup-schedule`). */
export interface WireBackupScheduleRequest {
  /** A cron expression: 5 fields, or 6 with seconds first; `@daily` and the like. */
  Schedule: string;
  /** How many successful backups to keep (default 7). */
  Keep: number;
  /** The host directory the archives go to (absolute). */
  Target: string;
  /** Running containers that write to the volume: stopped for the backup (default), paused, or the run refused. */
  Writers: "stop" | "pause" | "refuse";
  /** Who sets it: a deployed app's project, so that it can find and drop its own. */
  Owner: string;
}

export interface WireBackupSchedule extends WireBackupScheduleRequest {
  Volume: string;
  SetAt: string;
  /** null when the expression has no future time. */
  NextRun: string | null;
}

export interface WireBackupRun {
  Started: string;
  Finished: string | null;
  Status: "running" | "ok" | "failed" | "interrupted";
  File: string;
  Bytes: number | null;
  Error: string | null;
  /** Its archive was deleted to keep only the newest ones. */
  Pruned: boolean;
}

/** moor's `GET /moor/volumes/{name}/backups`: the schedule and its runs, newest first. */
export interface WireVolumeBackups {
  Volume: string;
  Schedule: WireBackupSchedule | null;
  Runs: WireBackupRun[];
}
