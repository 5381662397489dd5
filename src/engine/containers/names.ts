import { randomInt } from "node:crypto";
import { MoorError } from "../../errors.ts";

const validName = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** A name as given (`web` or `/web`) in dockerd's stored form (`/web`), or dockerd's 400. */
export function normalizeContainerName(name: string): string {
  if (!validName.test(name)) {
    throw new MoorError("invalid", `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name.startsWith("/") ? name : `/${name}`;
}

// moor's own words for generated names (dockerd's pair an adjective with a scientist):
// calm harbours and the things found in them.
const adjectives = [
  "anchored", "brave", "breezy", "bright", "calm", "clever", "deep", "eager", "fair", "gentle",
  "hardy", "keen", "kind", "lucid", "mellow", "misty", "nimble", "patient", "quiet", "ready",
  "salty", "serene", "silent", "snug", "steady", "still", "sturdy", "sunny", "swift", "tidal",
  "trusty", "warm",
];
const nouns = [
  "anchor", "bay", "beacon", "berth", "bollard", "buoy", "cove", "dinghy", "dock", "estuary",
  "ferry", "fjord", "harbor", "haven", "hull", "inlet", "jetty", "keel", "lagoon", "lighthouse",
  "marina", "mooring", "oar", "pier", "quay", "rudder", "sail", "skiff", "slipway", "tide",
  "wharf", "yawl",
];

/** A readable random name such as `calm_harbor`; `taken` is asked until one is free. */
export function generateContainerName(taken: (name: string) => boolean): string {
  for (let attempt = 0; ; attempt++) {
    const base = `${adjectives[randomInt(adjectives.length)]}_${nouns[randomInt(nouns.length)]}`;
    const name = attempt < 10 ? base : `${base}${randomInt(1000)}`;
    if (!taken(`/${name}`)) return `/${name}`;
  }
}
