import { randomBytes } from "node:crypto";

/** A random 64-hex-character id, the shape dockerd gives anonymous volumes and containers. */
export function randomId(): string {
  return randomBytes(32).toString("hex");
}

export function isFullId(s: string): boolean {
  return /^[0-9a-f]{64}$/.test(s);
}
