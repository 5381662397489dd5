import { randomUUID } from "node:crypto";
import type { EngineStore, ObjectCounts } from "../store/engine-store.ts";

/** Engine-wide facts for /info: a stable engine ID and object counts. */
export class SystemService {
  readonly engineId: string;

  constructor(private readonly store: EngineStore) {
    this.engineId = store.setting("engine-id", randomUUID);
  }

  counts(): ObjectCounts {
    return this.store.counts();
  }
}
