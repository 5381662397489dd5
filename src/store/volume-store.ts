import type { Db } from "./database.ts";

export type VolumeState = "creating" | "ready" | "removing";

export interface VolumeRecord {
  name: string;
  driver: string;
  labels: Record<string, string> | null;
  options: Record<string, string> | null;
  /** Unix seconds. */
  createdAt: number;
  state: VolumeState;
}

interface VolumeRow {
  name: string;
  driver: string;
  labels: string | null;
  options: string | null;
  created_at: number;
  state: VolumeState;
}

function fromRow(row: VolumeRow): VolumeRecord {
  return {
    name: row.name,
    driver: row.driver,
    labels: row.labels === null ? null : JSON.parse(row.labels),
    options: row.options === null ? null : JSON.parse(row.options),
    createdAt: row.created_at,
    state: row.state,
  };
}

function jsonOrNull(map: Record<string, string> | null): string | null {
  return map === null ? null : JSON.stringify(map);
}

/** Volume rows and the queries that derive "in use" from container mounts. */
export class VolumeStore {
  private readonly statements;

  constructor(private readonly db: Db) {
    this.statements = {
      get: db.prepare<[string], VolumeRow>("SELECT * FROM volumes WHERE name = ?"),
      listReady: db
        .prepare<[], unknown[]>("SELECT name, driver, labels, options, created_at FROM volumes WHERE state = 'ready'")
        .raw(true),
      listInState: db.prepare<[VolumeState], VolumeRow>("SELECT * FROM volumes WHERE state = ?"),
      insert: db.prepare(
        "INSERT INTO volumes (name, driver, labels, options, created_at, state) VALUES (@name, @driver, @labels, @options, @createdAt, @state)",
      ),
      setState: db.prepare<[VolumeState, string]>("UPDATE volumes SET state = ? WHERE name = ?"),
      delete: db.prepare<[string]>("DELETE FROM volumes WHERE name = ?"),
      referencingContainers: db.prepare<[string], { container_id: string }>(
        "SELECT DISTINCT container_id FROM container_mounts WHERE volume_name = ? ORDER BY container_id",
      ),
      referenceCounts: db.prepare<[], { volume_name: string; refs: number }>(
        "SELECT volume_name, COUNT(DISTINCT container_id) AS refs FROM container_mounts WHERE volume_name IS NOT NULL GROUP BY volume_name",
      ),
      users: db.prepare<[string], { user_id: string }>("SELECT user_id FROM volume_users WHERE volume_name = ?"),
      addUser: db.prepare<[string, string]>("INSERT OR IGNORE INTO volume_users (volume_name, user_id) VALUES (?, ?)"),
      removeUser: db.prepare<[string, string]>("DELETE FROM volume_users WHERE volume_name = ? AND user_id = ?"),
      allUsers: db.prepare<[], { volume_name: string; user_id: string }>("SELECT volume_name, user_id FROM volume_users"),
      addRename: db.prepare<[string, string]>("INSERT INTO volume_renames (old_name, new_name) VALUES (?, ?)"),
      renames: db.prepare<[], { old_name: string; new_name: string }>("SELECT old_name, new_name FROM volume_renames"),
      dropRename: db.prepare<[string]>("DELETE FROM volume_renames WHERE old_name = ?"),
      rename: db.prepare<[string, string]>("UPDATE volumes SET name = ? WHERE name = ?"),
    };
  }

  /** Records the intent to rename, before the directory moves: recover() finishes or drops it. */
  beginRename(oldName: string, newName: string): void {
    this.statements.addRename.run(oldName, newName);
  }

  /** Renames the row and forgets the intent, in one transaction. */
  finishRename(oldName: string, newName: string): void {
    this.transaction(() => {
      this.statements.dropRename.run(oldName);
      this.statements.rename.run(newName, oldName);
    });
  }

  dropRename(oldName: string): void {
    this.statements.dropRename.run(oldName);
  }

  pendingRenames(): Array<{ oldName: string; newName: string }> {
    return this.statements.renames.all().map((row) => ({ oldName: row.old_name, newName: row.new_name }));
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  get(name: string): VolumeRecord | undefined {
    const row = this.statements.get.get(name);
    return row === undefined ? undefined : fromRow(row);
  }

  /** Every usable volume; raw rows because this runs over all volumes on every list. */
  listReady(): VolumeRecord[] {
    return (this.statements.listReady.all() as Array<[string, string, string | null, string | null, number]>).map(
      ([name, driver, labels, options, createdAt]) => ({
        name,
        driver,
        labels: labels === null ? null : JSON.parse(labels),
        options: options === null ? null : JSON.parse(options),
        createdAt,
        state: "ready",
      }),
    );
  }

  listInState(state: VolumeState): VolumeRecord[] {
    return this.statements.listInState.all(state).map(fromRow);
  }

  insert(record: VolumeRecord): void {
    this.statements.insert.run({
      ...record,
      labels: jsonOrNull(record.labels),
      options: jsonOrNull(record.options),
    });
  }

  setState(name: string, state: VolumeState): void {
    this.statements.setState.run(state, name);
  }

  delete(name: string): void {
    this.statements.delete.run(name);
  }

  /** Ids of the containers whose mounts reference the volume, from create until removal. */
  referencingContainers(name: string): string[] {
    return this.statements.referencingContainers.all(name).map((row) => row.container_id);
  }

  referenceCounts(): Map<string, number> {
    return new Map(this.statements.referenceCounts.all().map((row) => [row.volume_name, row.refs]));
  }

  /** Who has the volume's device mounted now (option volumes are mounted while used). */
  users(name: string): string[] {
    return this.statements.users.all(name).map((row) => row.user_id);
  }

  addUser(name: string, userId: string): void {
    this.statements.addUser.run(name, userId);
  }

  removeUser(name: string, userId: string): void {
    this.statements.removeUser.run(name, userId);
  }

  allUsers(): Array<{ volumeName: string; userId: string }> {
    return this.statements.allUsers.all().map((row) => ({ volumeName: row.volume_name, userId: row.user_id }));
  }
}
