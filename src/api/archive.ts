import type { ServerResponse } from "node:http";
import { MoorError } from "../errors.ts";
import { drainedOrClosed } from "../util/drain.ts";
import { archiveContainerPath, exportContainer, extractToContainer, statContainerPath } from "../engine/containers/archive.ts";
import type { PathStat } from "../engine/tree-archive.ts";
import type { ContainerService } from "../engine/containers/service.ts";
import { archiveVolumePath, extractToVolume, statVolumePath } from "../engine/volumes/archive.ts";
import type { VolumeService } from "../engine/volumes/service.ts";
import { goJson, queryBool } from "./http.ts";
import type { Router } from "./router.ts";

/**
 * `docker cp`'s endpoints: HEAD stats a path, GET archives it, PUT extracts into a directory.
 * moor answers the same three for a volume's data under `/moor/volumes/{name}/archive`, for
 * `moor volume cp`, with the same stat header. And `docker export`'s: a container's root
 * filesystem as a tar stream.
 */
export function addArchiveRoutes(router: Router, containers: ContainerService, volumes: VolumeService): void {
  const targets = [
    {
      prefix: "/containers/:id/archive",
      stat: (id: string, path: string) => statContainerPath(containers, id, path),
      archive: (id: string, path: string, send: SendArchive) => archiveContainerPath(containers, id, path, send),
      extract: (id: string, path: string, input: AsyncIterable<Buffer>, query: URLSearchParams) =>
        extractToContainer(containers, id, path, input, { noOverwriteDirNonDir: queryBool(query, "noOverwriteDirNonDir"), copyUIDGID: queryBool(query, "copyUIDGID") }),
    },
    {
      prefix: "/moor/volumes/:name/archive",
      stat: (name: string, path: string) => statVolumePath(volumes, name, path),
      archive: (name: string, path: string, send: SendArchive) => archiveVolumePath(volumes, name, path, send),
      extract: (name: string, path: string, input: AsyncIterable<Buffer>, query: URLSearchParams) =>
        extractToVolume(volumes, name, path, input, { noOverwriteDirNonDir: queryBool(query, "noOverwriteDirNonDir") }),
    },
  ];
  router.add("GET", "/containers/:id/export", async ({ res, params }) => {
    await exportContainer(containers, params.id ?? "", async (tar) => {
      res.writeHead(200, { "Content-Type": "application/x-tar" });
      // As for an archive: a failure on the way reaches the client as a cut answer.
      res.flushHeaders();
      await writeAll(res, tar);
      res.end();
    });
  });
  for (const target of targets) {
    // The route's one parameter: a container's id or name, or a volume's name.
    const subject = (params: Record<string, string>) => Object.values(params)[0] ?? "";
    router.add("HEAD", target.prefix, async ({ res, params, query }) => {
      const stat = await target.stat(subject(params), archivePath(query));
      res.writeHead(200, { "X-Docker-Container-Path-Stat": encodePathStat(stat) });
      res.end();
    });

    router.add("GET", target.prefix, async ({ res, params, query }) => {
      await target.archive(subject(params), archivePath(query), async (stat, tar) => {
        res.writeHead(200, { "X-Docker-Container-Path-Stat": encodePathStat(stat), "Content-Type": "application/x-tar" });
        // Sent now, so that an archive that fails on its way reaches the client as a cut answer
        // (the router destroys it) rather than as no answer at all.
        res.flushHeaders();
        await writeAll(res, tar);
        res.end();
      });
    });

    router.add("PUT", target.prefix, async ({ req, res, params, query }) => {
      try {
        await target.extract(subject(params), archivePath(query), req, query);
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
}

type SendArchive = (stat: PathStat, tar: AsyncIterable<Buffer>) => Promise<void>;

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
    if (!res.write(chunk)) await drainedOrClosed(res);
  }
}
