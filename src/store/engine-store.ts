import type { Db } from "./database.ts";

export interface ObjectCounts {
  containers: number;
  containersRunning: number;
  containersPaused: number;
  containersStopped: number;
  images: number;
}

/** Engine-wide facts: settings that survive restarts and counts for /info. */
export class EngineStore {
  constructor(private readonly db: Db) {}

  /** The stored value, or `initial()` stored now when there is none yet. */
  setting(key: string, initial: () => string): string {
    return this.db.transaction(() => {
      const row = this.db.prepare<[string], { value: string }>("SELECT value FROM engine_settings WHERE key = ?").get(key);
      if (row !== undefined) return row.value;
      const value = initial();
      this.db.prepare("INSERT INTO engine_settings (key, value) VALUES (?, ?)").run(key, value);
      return value;
    }).immediate();
  }

  counts(): ObjectCounts {
    const byStatus = this.db
      .prepare<[], { status: string; n: number }>("SELECT status, COUNT(*) AS n FROM container_state GROUP BY status")
      .all();
    const count = (status: string) => byStatus.find((row) => row.status === status)?.n ?? 0;
    const containers = this.db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM containers").get()!.n;
    const images = this.db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM images").get()!.n;
    const running = count("running");
    const paused = count("paused");
    return {
      containers,
      containersRunning: running,
      containersPaused: paused,
      containersStopped: containers - running - paused,
      images,
    };
  }
}
