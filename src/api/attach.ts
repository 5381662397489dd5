import type { IncomingMessage } from "node:http";
import type { Readable, Duplex, Writable } from "node:stream";
import { MoorError, kindOf, statusOfKind } from "../errors.ts";
import type { ContainerService } from "../engine/containers/service.ts";
import type { ExecService } from "../engine/containers/exec.ts";
import { versionLessThan } from "../util/versions.ts";
import { apiVersions, splitVersionPrefix } from "./version.ts";

/** The 8-byte header of Docker's multiplexed stream: stream type, then the payload size. */
export function frame(stream: "stdout" | "stderr", data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream === "stdout" ? 1 : 2;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

/**
 * The media type of an upgraded attach or exec stream and of logs: dockerd names the framed
 * (non-TTY) stream multiplexed only from API 1.42, and raw before, as it names every stream
 * it answers with a plain 200 on a taken-over connection.
 */
export function streamContentType(tty: boolean, apiVersion: string): string {
  return tty || versionLessThan(apiVersion, "1.42") ? rawStream : "application/vnd.docker.multiplexed-stream";
}

export const rawStream = "application/vnd.docker.raw-stream";

/** A process's stdio as the engine hands it to a connection. */
export interface StdioSession {
  output: Readable;
  stdin: Writable | null;
  detach(): void;
}

export interface StreamOptions {
  tty: boolean;
  stdout: boolean;
  stderr: boolean;
  /** Bytes of stdin that arrived with the request. */
  early?: Buffer;
  /** Settles before the connection is closed at the end of the output (an exec's exit code). */
  beforeEnd?: Promise<unknown>;
}

/**
 * Copies a session's output to a connection (multiplexed unless TTY) and, when the session has
 * stdin, the connection's bytes to it; the client's half-close closes stdin.
 */
export function pipeSession(session: StdioSession, socket: Duplex, options: StreamOptions): void {
  // A client that hung up while the session was being set up sends no close event any more.
  if (socket.destroyed) {
    session.detach();
    return;
  }
  session.output.on("data", (chunk: { stream: "stdout" | "stderr"; data: Buffer }) => {
    if ((chunk.stream === "stdout" && !options.stdout) || (chunk.stream === "stderr" && !options.stderr)) return;
    socket.write(options.tty ? chunk.data : frame(chunk.stream, chunk.data));
  });
  session.output.on("end", () => {
    void Promise.resolve(options.beforeEnd).finally(() => socket.end());
  });
  if (session.stdin !== null) {
    if (options.early !== undefined && options.early.length > 0) session.stdin.write(options.early);
    socket.on("data", (data: Buffer) => session.stdin!.write(data));
    socket.on("end", () => session.stdin!.end());
  }
  socket.on("error", () => session.detach());
  socket.on("close", () => session.detach());
  // Flowing even without stdin, so that a client hanging up is noticed.
  socket.resume();
}

/**
 * The hijacked endpoints, on an upgraded connection as the docker CLI and dockerode use them:
 * `POST /containers/{id}/attach` and `POST /exec/{id}/start`. Answers 101, then streams.
 * Resolves false for any other upgrade request.
 */
export async function handleUpgrade(
  services: { containers: ContainerService; execs: ExecService },
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<boolean> {
  const url = new URL(req.url ?? "/", "http://moor");
  const { version, path } = splitVersionPrefix(url.pathname);
  const apiVersion = version ?? apiVersions.max;
  const attach = /^\/containers\/([^/]+)\/attach$/.exec(path);
  const execStart = /^\/exec\/([^/]+)\/start$/.exec(path);
  if (req.method !== "POST" || (attach === null && execStart === null)) return false;
  // The request's body (dockerode's attach options, the exec start options) precedes stdin.
  const { body, rest } = await readBody(req, socket, head);
  try {
    if (attach !== null) await attachContainer(services.containers, decodeURIComponent(attach[1]), url.searchParams, socket, { upgraded: true, early: rest, apiVersion });
    else await startExec(services.execs, decodeURIComponent(execStart![1]), body, socket, rest, apiVersion);
  } catch (err) {
    const body = `${JSON.stringify({ message: err instanceof MoorError ? err.message : String(err) })}\n`;
    socket.end(`HTTP/1.1 ${statusOfKind(kindOf(err))} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }
  return true;
}

function upgraded(socket: Duplex, tty: boolean, apiVersion: string): void {
  socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${streamContentType(tty, apiVersion)}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
}

/**
 * `POST /containers/{id}/attach` on a connection taken over from HTTP. Upgraded (the docker CLI,
 * dockerode's `hijack: true`) it answers 101 and carries stdin both ways. A plain request
 * (dockerode's default attach, and so `docker.run()`) is taken over too, as dockerd does, and
 * answered 200 with the stream as the rest of the connection; it carries output only, since the
 * HTTP parser still reads that connection's input.
 */
export async function attachContainer(
  containers: ContainerService,
  name: string,
  query: URLSearchParams,
  socket: Duplex,
  mode: { upgraded: true; early: Buffer; apiVersion: string } | { upgraded: false },
): Promise<void> {
  const flag = (key: string) => ["1", "true"].includes((query.get(key) ?? "").toLowerCase());
  const container = containers.inspect(name);
  const tty = Boolean(container.config.Tty);
  if (mode.upgraded) upgraded(socket, tty, mode.apiVersion);
  else socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${rawStream}\r\nConnection: close\r\n\r\n`);
  const withStdin = mode.upgraded && flag("stdin");
  const session = await containers.attach(container.id, withStdin);
  if (session === undefined) {
    socket.end();
    return;
  }
  // An attach that did not ask for stdin neither feeds nor closes it (a container attached
  // before its start gets a stdin connection whenever it has OpenStdin).
  const stdio = withStdin ? session : { output: session.output, stdin: null, detach: () => session.detach() };
  pipeSession(stdio, socket, { tty, stdout: flag("stdout"), stderr: flag("stderr"), early: mode.upgraded ? mode.early : undefined });
}

async function startExec(execs: ExecService, execId: string, body: Buffer, socket: Duplex, early: Buffer, apiVersion: string): Promise<void> {
  const options = parseJson(body) as { Detach?: boolean };
  const session = execs.inspect(execId);
  const tty = Boolean(session.config.Tty);
  if (options.Detach) {
    await execs.start(execId, { attach: false });
    socket.end("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    return;
  }
  // Refusals (already running, already run, container stopped) are still plain HTTP errors.
  execs.startable(execId);
  upgraded(socket, tty, apiVersion);
  await streamExec(execs, execId, socket, { tty, early });
}

/**
 * Runs an exec with its streams on `socket` (headers already sent). As dockerd does, a command
 * that cannot start is reported in the stream, as output, and the connection closes.
 */
export async function streamExec(execs: ExecService, execId: string, socket: Duplex, { tty, early }: { tty: boolean; early?: Buffer }): Promise<void> {
  const { config } = execs.inspect(execId);
  let attachment;
  try {
    attachment = await execs.start(execId, { attach: true });
  } catch (err) {
    const text = Buffer.from(`${err instanceof Error ? err.message : String(err)}\r\n`);
    socket.end(tty ? text : frame("stdout", text));
    return;
  }
  pipeSession(attachment!, socket, { tty, stdout: Boolean(config.AttachStdout), stderr: Boolean(config.AttachStderr), early, beforeEnd: attachment!.exited });
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw new MoorError("invalid", (err as Error).message);
  }
}

/** The request body by its Content-Length, from the bytes read with the headers and then the socket; the rest is stdin. */
async function readBody(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<{ body: Buffer; rest: Buffer }> {
  const length = Number.parseInt(String(req.headers["content-length"] ?? "0"), 10) || 0;
  let received = head;
  while (received.length < length) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (data: Buffer) => {
        socket.off("end", onEnd);
        socket.pause();
        resolve(data);
      };
      const onEnd = () => {
        socket.off("data", onData);
        resolve(null);
      };
      socket.once("data", onData);
      socket.once("end", onEnd);
      socket.resume();
    });
    if (chunk === null) break;
    received = Buffer.concat([received, chunk]);
  }
  return { body: received.subarray(0, length), rest: received.subarray(Math.min(length, received.length)) };
}
