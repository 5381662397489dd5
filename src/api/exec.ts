import type { ExecConfig, ExecService, ExecSession } from "../engine/containers/exec.ts";
import { MoorError } from "../errors.ts";
import { rawStream, streamExec } from "./attach.ts";
import { readJsonBody, sendJson } from "./http.ts";
import type { Router } from "./router.ts";

/** `GET /exec/{id}/json` as dockerd shapes it. */
export function toExecInspect(session: ExecSession): Record<string, unknown> {
  const [entrypoint = "", ...args] = session.config.Cmd ?? [];
  return {
    ID: session.id,
    Running: session.running,
    ExitCode: session.exitCode,
    ProcessConfig: {
      tty: Boolean(session.config.Tty),
      entrypoint,
      arguments: args,
      privileged: Boolean(session.config.Privileged),
      ...(session.config.User ? { user: session.config.User } : {}),
    },
    OpenStdin: Boolean(session.config.AttachStdin),
    OpenStderr: Boolean(session.config.AttachStderr),
    OpenStdout: Boolean(session.config.AttachStdout),
    CanRemove: false,
    ContainerID: session.containerId,
    DetachKeys: session.config.DetachKeys ?? "",
    Pid: session.pid,
  };
}

export function addExecRoutes(router: Router, execs: ExecService): void {
  router.add("POST", "/containers/:id/exec", async ({ req, res, params }) => {
    const body = (await readJsonBody(req)) as ExecConfig | null;
    if (body === null || typeof body !== "object") throw new MoorError("invalid", "No exec command specified");
    sendJson(res, 201, { Id: execs.create(params.id, body) });
  });

  router.add("GET", "/exec/:id/json", ({ res, params }) => {
    sendJson(res, 200, toExecInspect(execs.inspect(params.id)));
  });

  router.add("POST", "/exec/:id/resize", async ({ res, params, query }) => {
    const height = Number.parseInt(query.get("h") ?? "", 10);
    const width = Number.parseInt(query.get("w") ?? "", 10);
    if (!Number.isInteger(height) || !Number.isInteger(width)) throw new MoorError("invalid", "invalid resize dimensions");
    await execs.resize(params.id, { height, width });
    res.writeHead(200, { "Content-Length": "0" });
    res.end();
  });

  // Without an Upgrade header (the upgraded form is in attach.ts): detached, or the output as the response body.
  router.add("POST", "/exec/:id/start", async ({ req, res, params }) => {
    const options = ((await readJsonBody(req)) ?? {}) as { Detach?: boolean };
    if (options.Detach) {
      await execs.start(params.id, { attach: false });
      res.writeHead(200, { "Content-Length": "0" });
      res.end();
      return;
    }
    const session = execs.startable(params.id);
    const tty = Boolean(session.config.Tty);
    // dockerd hijacks the connection here too: the stream is the rest of it, unframed by HTTP.
    req.socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${rawStream}\r\nConnection: close\r\n\r\n`);
    await streamExec(execs, params.id, req.socket, { tty });
  });
}
