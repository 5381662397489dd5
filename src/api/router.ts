import type { IncomingMessage, ServerResponse } from "node:http";
import FindMyWay from "find-my-way";
import { MoorError, kindOf, statusOfKind, messages } from "../errors.ts";
import { dockerEndpoints } from "./docker-endpoints.ts";
import { sendJson } from "./http.ts";
import { compareVersions } from "../util/versions.ts";
import { apiVersions, splitVersionPrefix } from "./version.ts";

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The API version the client asked for (the path prefix), or the newest one. */
  apiVersion: string;
}

export type Handler = (ctx: RequestContext) => void | Promise<void>;
export type Method = "GET" | "HEAD" | "POST" | "PUT" | "DELETE";

export interface ErrorReporter {
  (err: unknown, req: IncomingMessage): void;
}

/**
 * The route table: paths are matched without their `/v1.NN` prefix; a matched route gets
 * dockerd's common headers, its version checked against the supported range, and errors
 * turned into `{"message": ...}` with the status of their kind.
 */
export class Router {
  // Volume names have no length limit in dockerd; find-my-way would cut params at 100 characters.
  private readonly table = FindMyWay({ ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 65536 });

  constructor(
    private readonly commonHeaders: Record<string, string>,
    private readonly reportError: ErrorReporter,
  ) {
    for (const [method, path] of dockerEndpoints) {
      this.add(method as Method, path, ({ req }) => {
        throw new MoorError("not_implemented", messages.notImplemented(method, stripQuery(req.url ?? path)));
      });
    }
  }

  /** Registers a route; later registrations of the same method and path replace earlier ones. */
  add(method: Method, path: string, handler: Handler): void {
    if (this.table.hasRoute(method, path)) this.table.off(method, path);
    // The handler travels in the route's store: handle() runs it with the URL it parsed.
    this.table.on(method, path, () => undefined, { handler });
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://moor");
    const { version, path } = splitVersionPrefix(url.pathname);
    const found = this.table.find(req.method as Method, path);
    if (found === null) {
      sendJson(res, 404, { message: messages.pageNotFound() });
      return;
    }
    const { handler } = found.store as { handler: Handler };
    void this.run(handler, { req, res, params: found.params as Record<string, string>, query: url.searchParams, apiVersion: version ?? apiVersions.max });
  }

  private async run(handler: Handler, ctx: RequestContext): Promise<void> {
    const { req, res, apiVersion } = ctx;
    for (const [name, value] of Object.entries(this.commonHeaders)) res.setHeader(name, value);
    try {
      if (compareVersions(apiVersion, apiVersions.min) < 0) {
        throw new MoorError("invalid", messages.clientTooOld(apiVersion, apiVersions.min));
      }
      if (compareVersions(apiVersion, apiVersions.max) > 0) {
        throw new MoorError("invalid", messages.clientTooNew(apiVersion, apiVersions.max));
      }
      await handler(ctx);
    } catch (err) {
      const status = statusOfKind(kindOf(err));
      // A client that hung up before its request's body was read is no failure of the engine.
      const clientLeft = req.destroyed && (err as NodeJS.ErrnoException).code === "ECONNRESET";
      if (status >= 500 && status !== 501 && !clientLeft) this.reportError(err, req);
      if (res.headersSent) {
        res.destroy(err instanceof Error ? err : undefined);
        return;
      }
      sendJson(res, status, { message: err instanceof Error ? err.message : String(err) });
    }
  }
}

function stripQuery(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}
