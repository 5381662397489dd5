import type { IncomingMessage } from "node:http";
import { MoorError } from "../errors.ts";
import type { Builder } from "../engine/build/builder.ts";
import { BuildStepError } from "../engine/build/errors.ts";
import type { ImageService } from "../engine/images/service.ts";
import { parseReference, taggedName } from "../engine/images/reference.ts";
import { goJsonLine } from "../util/go-json.ts";
import { queryBool } from "./http.ts";
import type { Router } from "./router.ts";

/**
 * `POST /build`, the classic builder's protocol: a tar context in, a stream of JSON messages
 * out (`stream` text, `aux` image IDs, `error` with `errorDetail`). Errors found before the
 * build starts (tags, Dockerfile syntax, missing Dockerfile) are plain 400 answers.
 */
export function addBuildRoutes(router: Router, builder: Builder, images: ImageService): void {
  router.add("POST", "/build", async ({ req, res, query }) => {
    if (query.get("remote")) throw new MoorError("invalid", "moor builds from the request body only: send the context as a tar stream (remote contexts are not supported)");
    if (query.get("version") === "2") throw new MoorError("invalid", "BuildKit is not supported by moor: use the classic builder (DOCKER_BUILDKIT=0 or `moor build`)");
    const tags = query.getAll("t").map((tag) => {
      try {
        const reference = parseReference(tag);
        if (reference.digest !== undefined) throw new Error("digest");
        return taggedName(reference);
      } catch {
        throw new MoorError("invalid", `invalid reference format: ${tag}`);
      }
    });
    const quiet = queryBool(query, "q");
    const prepared = await builder.prepare({
      context: req as IncomingMessage & AsyncIterable<Buffer>,
      dockerfile: query.get("dockerfile") ?? "",
      buildArgs: jsonParameter<Record<string, string | null>>(query.get("buildargs"), "buildargs"),
      target: query.get("target") ?? "",
      noCache: queryBool(query, "nocache"),
      labels: jsonParameter<Record<string, string>>(query.get("labels"), "labels"),
    });
    const abort = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    res.writeHead(200, { "Content-Type": "application/json" });
    const send = (message: unknown) => {
      if (!res.destroyed) res.write(`${goJsonLine(message)}\r\n`);
    };
    // With q, the steps' output is kept back: shown only if the build fails.
    const heldBack: string[] = [];
    const stream = (text: string) => (quiet ? heldBack.push(text) : send({ stream: text }));
    try {
      const imageId = await prepared.run(
        {
          stdout: stream,
          // dockerd shows a step's stderr in red.
          stderr: (text) => stream(`\u001b[91m${text}\u001b[0m`),
          aux: (id) => {
            if (!quiet) send({ aux: { ID: id } });
          },
        },
        abort.signal,
      );
      for (const tag of tags) images.tag(imageId, tag, "");
      if (quiet) send({ stream: `${imageId}\n` });
      else {
        send({ stream: `Successfully built ${imageId.slice("sha256:".length, "sha256:".length + 12)}\n` });
        for (const tag of tags) send({ stream: `Successfully tagged ${tag}\n` });
      }
    } catch (err) {
      for (const text of heldBack) send({ stream: text });
      const message = (err as Error).message;
      const code = err instanceof BuildStepError ? err.code : undefined;
      send({ errorDetail: { ...(code === undefined ? {} : { code }), message }, error: message });
    } finally {
      await prepared.dispose();
      res.end();
    }
  });
}

function jsonParameter<T>(text: string | null, name: string): T {
  if (text === null || text === "") return {} as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new MoorError("invalid", `invalid ${name} parameter: ${text}`);
  }
}
