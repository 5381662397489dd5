import { MoorError } from "../errors.ts";
import type { Volume, VolumeService } from "../engine/volumes/service.ts";
import { rfc3339Seconds } from "../util/time.ts";
import type { WireVolume, WireVolumeCreateRequest, WireVolumePruneReport } from "../wire/volumes.ts";
import { parseFilters, goJsonType } from "./filters.ts";
import { goJson, queryBool, readJsonBody, sendJson, sendNoContent, sendRawJson } from "./http.ts";
import type { Router } from "./router.ts";
import { versionLessThan } from "../util/versions.ts";

export function toWireVolume(volume: Volume): WireVolume {
  return {
    CreatedAt: rfc3339Seconds(volume.createdAt),
    Driver: volume.driver,
    Labels: sortedKeys(volume.labels),
    Mountpoint: volume.mountpoint,
    Name: volume.name,
    Options: sortedKeys(volume.options),
    Scope: volume.scope,
  };
}

/** Go marshals maps with their keys sorted. */
function sortedKeys(map: Record<string, string> | null): Record<string, string> | null {
  if (map === null) return null;
  const keys = Object.keys(map);
  if (keys.every((key, i) => i === 0 || keys[i - 1] < key)) return map;
  return Object.fromEntries(keys.sort().map((key) => [key, map[key]]));
}

export function addVolumeRoutes(router: Router, volumes: VolumeService): void {
  // Volumes never change once created, so each one's JSON is made once; lists of thousands of
  // volumes are then mostly a string join.
  const jsonByVolume = new WeakMap<Volume, string>();
  const volumeJson = (volume: Volume): string => {
    let json = jsonByVolume.get(volume);
    if (json === undefined) {
      json = goJson(toWireVolume(volume)).trimEnd();
      jsonByVolume.set(volume, json);
    }
    return json;
  };

  router.add("GET", "/volumes", ({ res, query }) => {
    let filters;
    try {
      filters = parseFilters(query.get("filters"));
    } catch (err) {
      throw new MoorError("invalid", `error reading volume filters: ${(err as Error).message}`);
    }
    const listed = volumes.list(filters).map(volumeJson);
    // The shape of WireVolumeListResponse, written out from the cached parts.
    sendRawJson(res, 200, `{"Volumes":[${listed.join(",")}],"Warnings":null}\n`);
  });

  router.add("POST", "/volumes/create", async ({ req, res }) => {
    const request = decodeCreateRequest(await readJsonBody(req));
    const volume = await volumes.create({
      name: request.Name,
      driver: request.Driver,
      driverOptions: request.DriverOpts,
      labels: request.Labels,
    });
    sendJson(res, 201, toWireVolume(volume));
  });

  router.add("GET", "/volumes/:name", ({ res, params }) => {
    sendJson(res, 200, toWireVolume(volumes.inspect(params.name)));
  });

  router.add("DELETE", "/volumes/:name", async ({ res, params, query }) => {
    await volumes.remove(params.name, { force: queryBool(query, "force") });
    sendNoContent(res);
  });

  router.add("POST", "/volumes/prune", async ({ res, query, apiVersion }) => {
    let filters = parseFilters(query.get("filters"));
    // Before API 1.42 prune removed every unused volume; the router keeps that for old clients
    // (moby daemon/server/router/volume/volume_routes.go).
    if (versionLessThan(apiVersion, "1.42")) filters = filters.add("all", "true");
    const report = await volumes.prune(filters);
    const body: WireVolumePruneReport = { VolumesDeleted: report.deleted, SpaceReclaimed: report.spaceReclaimed };
    sendJson(res, 200, body);
  });
}

const createRequestFields = {
  Name: "string",
  Driver: "string",
  DriverOpts: "map",
  Labels: "map",
} as const;

/**
 * Go's encoding/json into VolumeCreateBody: field names match case-insensitively, unknown
 * fields and nulls are ignored, a wrong type is a 400 with Go's text.
 */
function decodeCreateRequest(body: unknown): WireVolumeCreateRequest {
  if (body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) {
    throw new MoorError("invalid", `json: cannot unmarshal ${goJsonType(body)} into Go value of type volume.VolumeCreateBody`);
  }
  const request: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const field = (Object.keys(createRequestFields) as Array<keyof typeof createRequestFields>).find(
      (name) => name.toLowerCase() === key.toLowerCase(),
    );
    if (field === undefined || value === null) continue;
    const fieldError = (jsonType: string, goType: string) =>
      new MoorError("invalid", `json: cannot unmarshal ${jsonType} into Go struct field VolumeCreateBody.${field} of type ${goType}`);
    if (createRequestFields[field] === "string") {
      if (typeof value !== "string") throw fieldError(goJsonType(value), "string");
      request[field] = value;
      continue;
    }
    if (typeof value !== "object" || Array.isArray(value)) throw fieldError(goJsonType(value), "map[string]string");
    const map: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null) {
        map[k] = "";
        continue;
      }
      if (typeof v !== "string") throw fieldError(goJsonType(v), "string");
      map[k] = v;
    }
    request[field] = map;
  }
  return request as WireVolumeCreateRequest;
}
