import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { MoorError, kindOf, statusOfKind } from "../errors.ts";
import type { ContainerService } from "../engine/containers/service.ts";
import { splitVersionPrefix } from "./version.ts";

/** The 8-byte header of Docker's multiplexed stream: stream type, then the payload size. */
export function frame(stream: "stdout" | "stderr", data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream === "stdout" ? 1 : 2;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

/**
 * `POST /containers/{id}/attach` on an upgraded (hijacked) connection, as the docker CLI and
 * dockerode use it: 101, then the container's output (multiplexed unless it has a TTY) and, with
 * stdin=1, whatever the client sends becomes the container's stdin; the client's half-close
 * closes it.
 */
export async function handleAttachUpgrade(containers: ContainerService, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<boolean> {
  const url = new URL(req.url ?? "/", "http://moor");
  const match = /^\/containers\/([^/]+)\/attach$/.exec(splitVersionPrefix(url.pathname).path);
  if (req.method !== "POST" || match === null) return false;
  const query = url.searchParams;
  const flag = (name: string) => ["1", "true"].includes((query.get(name) ?? "").toLowerCase());
  let container;
  try {
    container = containers.inspect(decodeURIComponent(match[1]));
  } catch (err) {
    const status = statusOfKind(kindOf(err));
    const body = `${JSON.stringify({ message: err instanceof MoorError ? err.message : String(err) })}\n`;
    socket.end(`HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    return true;
  }
  const tty = Boolean(container.config.Tty);
  socket.write(
    `HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.${tty ? "raw-stream" : "multiplexed-stream"}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
  );
  // dockerode sends its options as a small body on the upgrade request: not stdin.
  const bodyLength = Number.parseInt(String(req.headers["content-length"] ?? "0"), 10) || 0;
  const early = head.subarray(Math.min(bodyLength, head.length));
  const session = await containers.attach(container.id, flag("stdin"));
  if (session === undefined) {
    socket.end();
    return true;
  }
  const wantStdout = flag("stdout");
  const wantStderr = flag("stderr");
  session.output.on("data", (chunk: { stream: "stdout" | "stderr"; data: Buffer }) => {
    if ((chunk.stream === "stdout" && !wantStdout) || (chunk.stream === "stderr" && !wantStderr)) return;
    socket.write(tty ? chunk.data : frame(chunk.stream, chunk.data));
  });
  session.output.on("end", () => socket.end());
  if (session.stdin !== null) {
    if (early.length > 0) session.stdin.write(early);
    socket.on("data", (data: Buffer) => session.stdin!.write(data));
    socket.on("end", () => session.stdin!.end());
  }
  socket.on("error", () => session.detach());
  socket.on("close", () => session.detach());
  return true;
}
