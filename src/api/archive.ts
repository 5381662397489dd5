import type { ServerResponse } from "node:http";
import { MoorError } from "../errors.ts";
import { archiveContainerPath, extractToContainer, statContainerPath, type PathStat } from "../engine/containers/archive.ts";
import type { ContainerService } from "../engine/containers/service.ts";
import { goJson, queryBool } from "./http.ts";
import type { Router } from "./router.ts";

/** `docker cp`'s endpoints: HEAD stats a path, GET archives it, PUT extracts into a directory. */
export function addArchiveRoutes(router: Router, containers: ContainerService): void {
  router.add("HEAD", "/containers/:id/archive", async ({ res, params, query }) => {
    const stat = await statContainerPath(containers, params.id, archivePath(query));
    res.writeHead(200, { "X-Docker-Container-Path-Stat": encodePathStat(stat) });
    res.end();
  });

  router.add("GET", "/containers/:id/archive", async ({ res, params, query }) => {
    await archiveContainerPath(containers, params.id, archivePath(query), async (stat, tar) => {
      res.writeHead(200, { "X-Docker-Container-Path-Stat": encodePathStat(stat), "Content-Type": "application/x-tar" });
      await writeAll(res, tar);
      res.end();
    });
  });

  router.add("PUT", "/containers/:id/archive", async ({ req, res, params, query }) => {
    try {
      await extractToContainer(containers, params.id, archivePath(query), req, {
        noOverwriteDirNonDir: queryBool(query, "noOverwriteDirNonDir"),
        copyUIDGID: queryBool(query, "copyUIDGID"),
      });
    } catch (err) {
      // The archive is read to its end before the error is answered: a client still uploading
      // would otherwise meet a closed connection (EPIPE) instead of the error.
      for await (const _ of req);
      throw err;
    }
    res.writeHead(200, { "Content-Length": 0 });
    res.end();
  });
}

function archivePath(query: URLSearchParams): string {
  const path = query.get("path") ?? "";
  // moby's ArchiveFormValues (20.10 says "pathcannot be empty", a typo master has fixed).
  if (path === "") throw new MoorError("invalid", "bad parameter: path cannot be empty");
  return path;
}

/** base64 of the stat's JSON, as dockerd's setContainerPathStatHeader encodes it. */
export function encodePathStat(stat: PathStat): string {
  const { name, size, mode, mtime, linkTarget } = stat;
  return Buffer.from(goJson({ name, size, mode, mtime, linkTarget }).trimEnd()).toString("base64");
}

/** Writes a stream with backpressure; stops when the client goes away (so the container's lock is freed). */
export async function writeAll(res: ServerResponse, chunks: AsyncIterable<Buffer>): Promise<void> {
  for await (const chunk of chunks) {
    if (res.destroyed) return;
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.on("drain", done);
        res.on("close", done);
      });
    }
  }
}
