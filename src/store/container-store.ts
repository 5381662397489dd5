import type { Db } from "./database.ts";

/** A container's immutable part: written once at create, never updated (replace, don't patch). */
export interface ContainerRecord {
  id: string;
  imageId: string;
  /** Container config JSON (the merged Config as inspect shows it). */
  config: string;
  /** HostConfig JSON as sent. */
  hostConfig: string;
  /** RFC 3339 with nanoseconds, as inspect shows it. */
  created: string;
}

export const containerStatuses = ["created", "running", "paused", "restarting", "removing", "exited", "dead"] as const;
export type ContainerStatus = (typeof containerStatuses)[number];

/** The small mutable part of a container. */
export interface ContainerStateRecord {
  status: ContainerStatus;
  pid: number;
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  restartCount: number;
  error: string;
  /** Stopped or killed by a user: the restart policy leaves it be until it is started again. */
  manuallyStopped: boolean;
}

export interface MountRecord {
  destination: string;
  type: "volume" | "bind" | "tmpfs";
  volumeName: string | null;
  source: string;
  mode: string;
  rw: boolean;
  propagation: string;
  /** The volume's driver; "" for binds and tmpfs. */
  driver: string;
  /** The mount in moby's mount.Mount shape (JSON): an anonymous volume is one without Source. */
  spec: string;
  /** A bind from Binds: its missing host directory is created at start. */
  createSource: boolean;
}

const zeroTime = "0001-01-01T00:00:00Z";

export function initialState(): ContainerStateRecord {
  return { status: "created", pid: 0, exitCode: 0, startedAt: zeroTime, finishedAt: zeroTime, restartCount: 0, error: "", manuallyStopped: false };
}

interface StateRow {
  status: ContainerStatus;
  pid: number;
  exit_code: number;
  started_at: string | null;
  finished_at: string | null;
  restart_count: number;
  error: string;
  manually_stopped: number;
}

/** Containers: config rows, names, state rows and the mounts that make volumes "in use". */
export class ContainerStore {
  constructor(private readonly db: Db) {}

  transaction<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  insert(container: ContainerRecord, name: string, mounts: MountRecord[]): void {
    this.db
      .prepare("INSERT INTO containers (id, image_id, config, host_config, created_at) VALUES (?, ?, ?, ?, ?)")
      .run(container.id, container.imageId, container.config, container.hostConfig, container.created);
    this.db.prepare("INSERT INTO container_names (name, container_id) VALUES (?, ?)").run(name, container.id);
    const state = initialState();
    this.db
      .prepare("INSERT INTO container_state (container_id, status, started_at, finished_at) VALUES (?, ?, ?, ?)")
      .run(container.id, state.status, state.startedAt, state.finishedAt);
    const insertMount = this.db.prepare(
      "INSERT INTO container_mounts (container_id, destination, type, volume_name, source, mode, rw, propagation, driver, spec, create_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    for (const mount of mounts) {
      insertMount.run(container.id, mount.destination, mount.type, mount.volumeName, mount.source, mount.mode, mount.rw ? 1 : 0, mount.propagation, mount.driver, mount.spec, mount.createSource ? 1 : 0);
    }
  }

  get(id: string): ContainerRecord | undefined {
    return this.db
      .prepare<[string], ContainerRecord>("SELECT id, image_id AS imageId, config, host_config AS hostConfig, created_at AS created FROM containers WHERE id = ?")
      .get(id);
  }

  all(): ContainerRecord[] {
    return this.db
      .prepare<[], ContainerRecord>("SELECT id, image_id AS imageId, config, host_config AS hostConfig, created_at AS created FROM containers")
      .all();
  }

  idsByPrefix(prefix: string): string[] {
    return this.db
      .prepare<[number, string], { id: string }>("SELECT id FROM containers WHERE substr(id, 1, ?) = ?")
      .all(prefix.length, prefix)
      .map((row) => row.id);
  }

  idByName(name: string): string | undefined {
    return this.db.prepare<[string], { container_id: string }>("SELECT container_id FROM container_names WHERE name = ?").get(name)?.container_id;
  }

  nameOf(id: string): string {
    return this.db.prepare<[string], { name: string }>("SELECT name FROM container_names WHERE container_id = ?").get(id)?.name ?? "";
  }

  rename(id: string, name: string): void {
    this.db.prepare("UPDATE container_names SET name = ? WHERE container_id = ?").run(name, id);
  }

  state(id: string): ContainerStateRecord {
    const row = this.db.prepare<[string], StateRow>("SELECT * FROM container_state WHERE container_id = ?").get(id);
    if (row === undefined) return initialState();
    return {
      status: row.status,
      pid: row.pid,
      exitCode: row.exit_code,
      startedAt: row.started_at ?? zeroTime,
      finishedAt: row.finished_at ?? zeroTime,
      restartCount: row.restart_count,
      error: row.error,
      manuallyStopped: row.manually_stopped === 1,
    };
  }

  setState(id: string, state: ContainerStateRecord): void {
    this.db
      .prepare(
        "UPDATE container_state SET status = ?, pid = ?, exit_code = ?, started_at = ?, finished_at = ?, restart_count = ?, error = ?, manually_stopped = ? WHERE container_id = ?",
      )
      .run(state.status, state.pid, state.exitCode, state.startedAt, state.finishedAt, state.restartCount, state.error, state.manuallyStopped ? 1 : 0, id);
  }

  mounts(id: string): MountRecord[] {
    return this.db
      .prepare<[string], Omit<MountRecord, "rw" | "createSource"> & { rw: number; createSource: number }>(
        "SELECT destination, type, volume_name AS volumeName, source, mode, rw, propagation, driver, spec, create_source AS createSource FROM container_mounts WHERE container_id = ? ORDER BY destination",
      )
      .all(id)
      .map((row) => ({ ...row, rw: row.rw === 1, createSource: row.createSource === 1 }));
  }

  /** Containers the store last saw running (their users of volumes are alive). */
  runningIds(): string[] {
    return this.db
      .prepare<[], { container_id: string }>("SELECT container_id FROM container_state WHERE status = 'running'")
      .all()
      .map((row) => row.container_id);
  }

  delete(id: string): void {
    this.db.prepare("DELETE FROM containers WHERE id = ?").run(id);
  }
}
