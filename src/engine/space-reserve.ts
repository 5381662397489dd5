import { closeSync, openSync, statfsSync, statSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "./logger.ts";

/**
 * A file of zeros that holds some of the disk for the engine's own metadata. Every change the
 * engine records, a removal too, writes to its database first; on a disk that a container or a
 * volume filled up, not even a removal, which would free space, could be recorded. Before each
 * request the engine looks at the room left on the disk: with less than the reserve holds, the
 * reserve is given up, so that the removals that free space work; once there is room again
 * (twice what the reserve holds: not at once after giving it up), it is made again.
 */
export class SpaceReserve {
  private present: boolean;

  constructor(
    private readonly path: string,
    private readonly bytes: number,
    private readonly log: Logger,
  ) {
    this.present = statSync(path, { throwIfNoEntry: false })?.size === bytes;
  }

  /** Gives the reserve up or makes it again, as the room on the disk says; never throws (a failure is logged). */
  check(): void {
    try {
      const free = this.free();
      if (this.present && free < this.bytes) {
        this.present = false;
        unlinkSync(this.path);
        this.log.warn({ path: this.path, free }, "the disk holding moor's data is full: gave up the space reserved for the engine's metadata, so that removals can free space");
      } else if (!this.present && free > 2 * this.bytes) {
        this.make();
      }
    } catch (err) {
      this.log.warn({ path: this.path, err: String(err) }, "could not check the space reserved for the engine's metadata");
    }
  }

  /** Bytes free on the disk for the engine (root may use the blocks reserved for it). */
  private free(): number {
    const stats = statfsSync(dirname(this.path));
    return stats.bfree * stats.bsize;
  }

  /** Writes the reserve; if room runs out meanwhile, none is left, and the next check with room tries again. */
  private make(): void {
    const zeros = Buffer.alloc(1024 * 1024);
    const fd = openSync(this.path, "w", 0o600);
    try {
      for (let written = 0; written < this.bytes; ) written += writeSync(fd, zeros, 0, Math.min(zeros.length, this.bytes - written));
      this.present = true;
    } finally {
      closeSync(fd);
      if (!this.present) unlinkSync(this.path);
    }
  }
}
