import type { IncomingMessage, ServerResponse } from "node:http";
import { MoorError } from "../errors.ts";
import type { Image, ImageService } from "../engine/images/service.ts";
import type { WireImageInspect, WireImageSummary } from "../wire/images.ts";
import { parseFilters } from "./filters.ts";
import { queryBool, sendJson, sendNoContent } from "./http.ts";
import type { RequestContext, Router } from "./router.ts";
import { versionLessThan } from "../util/versions.ts";

export function toImageSummary(image: Image, apiVersion: string): WireImageSummary {
  return {
    Containers: -1,
    Created: image.createdAt,
    Id: image.id,
    Labels: image.config.config.Labels,
    ParentId: image.parent,
    RepoDigests: null,
    RepoTags: image.tags.length > 0 ? image.tags : null,
    SharedSize: -1,
    Size: image.size,
    // VirtualSize left the API in 1.44.
    ...(versionLessThan(apiVersion, "1.44") ? { VirtualSize: image.size } : {}),
  };
}

export function toImageInspect(image: Image, layerPaths: string[], apiVersion: string): WireImageInspect {
  const legacy = versionLessThan(apiVersion, "1.45");
  return {
    Id: image.id,
    RepoTags: image.tags,
    RepoDigests: [],
    Parent: image.parent,
    Comment: image.config.comment ?? "",
    Created: image.config.created,
    // Container and ContainerConfig left the API in 1.45.
    ...(legacy ? { Container: "", ContainerConfig: image.config.container_config ?? null } : {}),
    DockerVersion: image.config.docker_version ?? "",
    Author: image.config.author ?? "",
    Config: image.config.config,
    Architecture: image.config.architecture,
    Os: image.config.os,
    Size: image.size,
    ...(versionLessThan(apiVersion, "1.44") ? { VirtualSize: image.size } : {}),
    GraphDriver: { Data: { LowerDir: [...layerPaths].reverse().join(":") }, Name: "overlay" },
    RootFS: { Type: "layers", Layers: image.config.rootfs.diff_ids },
    Metadata: { LastTagTime: image.lastTagTime || "0001-01-01T00:00:00Z" },
  };
}

/** Image names may contain slashes (team/app), so image routes take the rest of the path. */
function imageRoute(ctx: RequestContext): { name: string; action: string } {
  const rest = ctx.params["*"];
  const slash = rest.lastIndexOf("/");
  return slash === -1 ? { name: rest, action: "" } : { name: rest.slice(0, slash), action: rest.slice(slash + 1) };
}

function notImplemented(ctx: RequestContext): never {
  const url = ctx.req.url ?? "";
  throw new MoorError("not_implemented", `${ctx.req.method} ${url.split("?")[0]} is not implemented by moor yet`);
}

/** Resolves every name first (a missing one is a 404 before anything is sent), then streams. */
async function sendArchive(res: ServerResponse, images: ImageService, names: string[]): Promise<void> {
  for (const name of names) images.resolve(name);
  res.writeHead(200, { "Content-Type": "application/x-tar" });
  await images.save(names, res);
  res.end();
}

export function addImageRoutes(router: Router, images: ImageService): void {
  router.add("POST", "/images/create", async ({ req, res, query }) => {
    if (query.get("fromImage")) {
      throw new MoorError(
        "not_found",
        `pull access denied for ${query.get("fromImage")}: moor cannot reach a registry; load the image with 'moor image load' or import a root filesystem with 'moor image import'`,
      );
    }
    if (query.get("fromSrc") !== "-") {
      throw new MoorError("invalid", `importing from ${JSON.stringify(query.get("fromSrc") ?? "")} is not supported: send the tarball as the request body with fromSrc=-`);
    }
    const image = await images.importRootfs({
      body: req as IncomingMessage & AsyncIterable<Buffer>,
      repository: query.get("repo") ?? "",
      tag: query.get("tag") ?? "",
      changes: query.getAll("changes"),
      message: query.get("message") ?? "",
    });
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(`${JSON.stringify({ status: image.id })}\r\n`);
  });

  router.add("POST", "/images/load", async ({ req, res }) => {
    const loaded = await images.load(req as IncomingMessage & AsyncIterable<Buffer>);
    const lines = loaded.flatMap((image) =>
      image.tags.length > 0 ? image.tags.map((tag) => `Loaded image: ${tag}\n`) : [`Loaded image ID: ${image.id}\n`],
    );
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(lines.map((line) => `${JSON.stringify({ stream: line })}\r\n`).join(""));
  });

  router.add("POST", "/images/prune", async ({ res, query }) => {
    const report = await images.prune(parseFilters(query.get("filters")));
    sendJson(res, 200, { ImagesDeleted: report.removed.length > 0 ? report.removed : null, SpaceReclaimed: report.spaceReclaimed });
  });

  router.add("GET", "/images/json", ({ res, query, apiVersion }) => {
    const filters = parseFilters(query.get("filters"));
    const list = images.list(filters, { all: queryBool(query, "all") }).map((image) => toImageSummary(image, apiVersion));
    sendJson(res, 200, list);
  });

  router.add("GET", "/images/get", async ({ res, query }) => {
    await sendArchive(res, images, query.getAll("names"));
  });

  router.add("GET", "/images/*", async (ctx) => {
    const { name, action } = imageRoute(ctx);
    if (action === "get") {
      await sendArchive(ctx.res, images, [name]);
      return;
    }
    if (action === "history") {
      sendJson(
        ctx.res,
        200,
        images.history(name).map((entry) => ({ Comment: entry.comment, Created: entry.created, CreatedBy: entry.createdBy, Id: entry.id, Size: entry.size, Tags: entry.tags })),
      );
      return;
    }
    if (action !== "json") notImplemented(ctx);
    const image = images.inspect(name);
    sendJson(ctx.res, 200, toImageInspect(image, images.layerPaths(image), ctx.apiVersion));
  });

  router.add("POST", "/images/*", (ctx) => {
    const { name, action } = imageRoute(ctx);
    if (action !== "tag") notImplemented(ctx);
    images.tag(name, ctx.query.get("repo") ?? "", ctx.query.get("tag") ?? "");
    sendNoContent(ctx.res, 201);
  });

  router.add("DELETE", "/images/*", async ({ res, params, query }) => {
    const removed = await images.remove(params["*"], { force: queryBool(query, "force"), prune: !queryBool(query, "noprune") });
    sendJson(res, 200, removed);
  });
}
