import Database from "better-sqlite3";
import { migrations } from "./migrations.ts";

export type Db = Database.Database;

/**
 * Opens the metadata database in WAL mode and brings its schema up to date.
 * synchronous=NORMAL: in WAL mode a commit survives a crash of the engine process (kill -9);
 * only a power loss may drop the newest commits, never corrupt the file.
 */
export function openDatabase(file: string): Db {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return db;
}

export function migrate(db: Db): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(
      `the metadata database has schema version ${current}, newer than this moor knows (${migrations.length}): run a newer moor`,
    );
  }
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version]);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
