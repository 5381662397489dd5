import { connect, type Socket } from "node:net";
import type { Readable } from "node:stream";

export interface RawResponse {
  status: number;
  /** Header names in lower case. */
  headers: Map<string, string>;
  body: Buffer;
}

/**
 * The engine could not be reached at all (no socket, nobody listening), or, `lost`, the
 * connection broke before the engine answered (it stopped or died meanwhile).
 */
export class ConnectionError extends Error {
  constructor(
    readonly host: string,
    cause: unknown,
    readonly lost = false,
  ) {
    super(lost ? `lost the connection to ${host} before the engine answered` : `cannot connect to ${host}`, { cause });
    this.name = "ConnectionError";
  }
}

/**
 * The engine ended a streamed answer before its end: an error after the answer began (an
 * archive that cannot be made whole), which HTTP cannot carry; the engine's log says which.
 */
export class TransferCutError extends Error {
  constructor(
    readonly host: string,
    cause: unknown,
  ) {
    super(`the engine at ${host} ended the transfer before it was complete`, { cause });
    this.name = "TransferCutError";
  }
}

const crlfcrlf = Buffer.from("\r\n\r\n");

/**
 * Keep-alive connections to one unix socket, each carrying one request at a time: a request
 * takes an idle connection, or opens another while the others are busy (up to `size`, then it
 * waits for one), so that calls made together, such as a deploy's stop of an old container
 * beside the write of its revision's record, do not queue behind each other.
 */
export class UnixHttpPool {
  private readonly idle: UnixHttpConnection[] = [];
  private readonly all: UnixHttpConnection[] = [];
  private readonly waiting: Array<(connection: UnixHttpConnection) => void> = [];

  constructor(
    private readonly socketPath: string,
    private readonly host: string,
    private readonly size = 6,
  ) {}

  async request(method: string, path: string, headers: Record<string, string | number>, body?: Buffer): Promise<RawResponse> {
    const connection = await this.take();
    try {
      return await connection.request(method, path, headers, body);
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next(connection);
      else this.idle.push(connection);
    }
  }

  close(): void {
    for (const connection of this.all) connection.close();
  }

  private take(): Promise<UnixHttpConnection> {
    const idle = this.idle.pop();
    if (idle !== undefined) return Promise.resolve(idle);
    if (this.all.length < this.size) {
      const connection = new UnixHttpConnection(this.socketPath, this.host);
      this.all.push(connection);
      return Promise.resolve(connection);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

/**
 * HTTP/1.1 over one keep-alive unix-socket connection, requests one at a time: what the CLI
 * needs and no more. node:http does the same but costs the CLI about ten milliseconds of
 * start-up in lazily compiled internals before its first request, and a short-lived command
 * spends most of its life starting up. Bodies: Content-Length, chunked, or until close.
 */
export class UnixHttpConnection {
  private socket: Socket | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  private closed = true;
  private failure: Error | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly socketPath: string,
    private readonly host: string,
  ) {}

  request(method: string, path: string, headers: Record<string, string | number>, body?: Buffer): Promise<RawResponse> {
    const result = this.queue.then(() => this.exchange(method, path, headers, body));
    this.queue = result.catch(() => undefined);
    return result;
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
    this.closed = true;
  }

  private async exchange(method: string, path: string, headers: Record<string, string | number>, body?: Buffer): Promise<RawResponse> {
    if (this.closed) await this.open();
    let head = `${method} ${path} HTTP/1.1\r\nHost: moor\r\n`;
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    if (body !== undefined) head += `Content-Length: ${body.length}\r\n`;
    this.socket!.write(body === undefined ? `${head}\r\n` : Buffer.concat([Buffer.from(`${head}\r\n`), body]));

    const headEnd = await this.readUntil(() => this.buffered.indexOf(crlfcrlf));
    const lines = this.buffered.subarray(0, headEnd).toString("latin1").split("\r\n");
    this.buffered = this.buffered.subarray(headEnd + 4);
    const status = Number.parseInt(lines[0].split(" ")[1] ?? "", 10);
    const responseHeaders = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) responseHeaders.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }

    let responseBody: Buffer;
    const length = responseHeaders.get("content-length");
    if (method === "HEAD" || status === 204 || status === 304 || (status >= 100 && status < 200)) {
      responseBody = Buffer.alloc(0);
    } else if (responseHeaders.get("transfer-encoding")?.toLowerCase() === "chunked") {
      responseBody = await this.readChunked();
    } else if (length !== undefined) {
      const size = Number.parseInt(length, 10);
      await this.readUntil(() => (this.buffered.length >= size ? size : -1));
      responseBody = this.buffered.subarray(0, size);
      this.buffered = this.buffered.subarray(size);
    } else {
      await this.readUntil(() => (this.closed ? this.buffered.length : -1));
      responseBody = this.buffered;
      this.buffered = Buffer.alloc(0);
    }
    if (responseHeaders.get("connection")?.toLowerCase() === "close") this.close();
    return { status, headers: responseHeaders, body: responseBody };
  }

  private async readChunked(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = await this.readUntil(() => this.buffered.indexOf("\r\n"));
      const size = Number.parseInt(this.buffered.subarray(0, lineEnd).toString("latin1"), 16);
      this.buffered = this.buffered.subarray(lineEnd + 2);
      await this.readUntil(() => (this.buffered.length >= size + 2 ? size : -1));
      if (size === 0) {
        this.buffered = this.buffered.subarray(2);
        return Buffer.concat(parts);
      }
      parts.push(this.buffered.subarray(0, size));
      this.buffered = this.buffered.subarray(size + 2);
    }
  }

  /** Waits for data until `found()` gives an index (not -1); fails if the connection drops first. */
  private async readUntil(found: () => number): Promise<number> {
    for (;;) {
      const index = found();
      if (index !== -1) return index;
      if (this.failure) throw this.failure;
      if (this.closed) throw new ConnectionError(this.host, new Error("the engine closed the connection"), true);
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  private open(): Promise<void> {
    this.buffered = Buffer.alloc(0);
    this.failure = undefined;
    return new Promise((resolve, reject) => {
      const socket = connect(this.socketPath);
      const wake = () => {
        const waiting = this.waiting;
        this.waiting = undefined;
        waiting?.();
      };
      socket.once("connect", () => {
        this.socket = socket;
        this.closed = false;
        resolve();
      });
      socket.on("data", (chunk: Buffer) => {
        this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
        wake();
      });
      socket.on("error", (err) => {
        this.failure = new ConnectionError(this.host, err, this.socket === socket);
        reject(this.failure);
        wake();
      });
      socket.on("close", () => {
        this.closed = true;
        wake();
      });
    });
  }
}

/** The engine answered an upgrade request with an error instead of 101. */
export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`unable to upgrade to tcp, received ${status}: ${body.trim()}`);
    this.name = "UpgradeRefused";
  }
}

/**
 * A request answered by 101 and a hijacked connection (attach, exec start): resolves with the
 * socket, positioned after the response head and paused (the caller resumes it once it
 * listens). An error answer rejects with UpgradeRefused.
 */
export function upgrade(socketPath: string, host: string, method: string, path: string, body?: Buffer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let buffered = Buffer.alloc(0);
    let refusal: { status: number; length: number; bodyStart: number } | undefined;
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (refusal === undefined) {
        const end = buffered.indexOf(crlfcrlf);
        if (end === -1) return;
        const head = buffered.subarray(0, end).toString("latin1");
        const status = Number.parseInt(head.split(" ")[1] ?? "", 10);
        if (status === 101) {
          socket.off("data", onData);
          // Without a listener a flowing socket would drop what came with the answer or after it.
          socket.pause();
          const rest = buffered.subarray(end + 4);
          if (rest.length > 0) socket.unshift(rest);
          resolve(socket);
          return;
        }
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        refusal = { status, length: length === null ? Infinity : Number(length[1]), bodyStart: end + 4 };
      }
      if (buffered.length - refusal.bodyStart >= refusal.length) refuse();
    };
    const refuse = () => {
      socket.destroy();
      reject(new UpgradeRefused(refusal!.status, buffered.subarray(refusal!.bodyStart).toString("utf8")));
    };
    socket.on("data", onData);
    socket.once("end", () => refusal !== undefined && refuse());
    socket.once("error", (err) => reject(new ConnectionError(host, err)));
    socket.once("connect", () => {
      const type = body === undefined ? "" : "Content-Type: application/json\r\n";
      socket.write(`${method} ${path} HTTP/1.1\r\nHost: moor\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n${type}Content-Length: ${body?.length ?? 0}\r\n\r\n`);
      if (body !== undefined) socket.write(body);
    });
  });
}

/**
 * A request whose response body arrives over time (logs --follow): a connection of its own,
 * closed by the engine at the end; `onData` gets the body as it comes, de-chunked.
 */
export function streamRequest(socketPath: string, host: string, path: string, onData: (chunk: Buffer) => void): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let head: Buffer | undefined;
    let pending: Buffer = Buffer.alloc(0);
    let status = 0;
    let chunked = false;
    let errorBody = "";
    const deliver = (data: Buffer) => (status >= 400 ? (errorBody += data.toString("utf8")) : onData(data));
    const drainChunks = () => {
      for (;;) {
        const lineEnd = pending.indexOf("\r\n");
        if (lineEnd === -1) return;
        const size = Number.parseInt(pending.subarray(0, lineEnd).toString("latin1"), 16);
        if (pending.length < lineEnd + 2 + size + 2) return;
        if (size > 0) deliver(pending.subarray(lineEnd + 2, lineEnd + 2 + size));
        pending = pending.subarray(lineEnd + 2 + size + 2);
        if (size === 0) socket.end();
      }
    };
    socket.on("data", (chunk: Buffer) => {
      if (head === undefined) {
        pending = Buffer.concat([pending, chunk]);
        const end = pending.indexOf(crlfcrlf);
        if (end === -1) return;
        head = pending.subarray(0, end);
        const lines = head.toString("latin1").split("\r\n");
        status = Number.parseInt(lines[0].split(" ")[1] ?? "", 10);
        chunked = lines.some((line) => /^transfer-encoding:\s*chunked/i.test(line));
        chunk = pending.subarray(end + 4);
        pending = Buffer.alloc(0);
      }
      if (chunked) {
        pending = Buffer.concat([pending, chunk]);
        drainChunks();
      } else if (chunk.length > 0) {
        deliver(chunk);
      }
    });
    socket.once("error", (err) => reject(new ConnectionError(host, err)));
    socket.once("close", () => resolve({ status, body: errorBody }));
    socket.once("connect", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: moor\r\nConnection: close\r\n\r\n`));
  });
}

export interface StreamingResponse {
  status: number;
  /** Header names in lower case. */
  headers: Map<string, string>;
  /** The response body as it arrives; destroy it to stop reading early. */
  body: Readable;
}

/**
 * A request whose body and response body are both streams (docker cp's archives), on a
 * connection of its own. node:http does the chunked upload, the early answer to an upload and
 * the backpressure; it is loaded only here, so other commands do not pay its start-up.
 */
export async function streamingRequest(
  socketPath: string,
  host: string,
  method: string,
  path: string,
  body?: AsyncIterable<Buffer>,
  headers: Record<string, string> = {},
): Promise<StreamingResponse> {
  const [{ request }, stream] = await Promise.all([import("node:http"), import("node:stream")]);
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, agent: false, headers: { Host: "moor", ...headers } }, (res) => {
      const status = res.statusCode ?? 0;
      const responseHeaders = new Map<string, string>();
      for (const [name, value] of Object.entries(res.headers)) responseHeaders.set(name, Array.isArray(value) ? value.join(", ") : (value ?? ""));
      if (status < 400) {
        // A body cut short reaches its reader as a TransferCutError, not as node's "aborted" or "socket hang up".
        const body = new stream.PassThrough();
        const cut = (err: unknown) => body.destroy(new TransferCutError(host, err));
        res.on("error", cut);
        req.on("error", cut);
        body.on("close", () => res.destroy());
        // A reader that has not started yet meets the error when it does (the stream keeps it);
        // until then it must not end the process as an unhandled 'error' event.
        body.on("error", () => undefined);
        res.pipe(body);
        resolve({ status, headers: responseHeaders, body });
        return;
      }
      // An error can come before the upload is done (no such container); the engine then closes
      // the connection, and the upload's EPIPE must not cost the error's text: it is read first,
      // and the upload stopped.
      const chunks: Buffer[] = [];
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        req.destroy();
        resolve({ status, headers: responseHeaders, body: stream.Readable.from(chunks) });
      };
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", finish);
      res.on("error", finish);
      res.on("close", finish);
    });
    req.on("error", (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      // ECONNRESET here: the engine closed the connection without answering.
      reject(code === "ENOENT" || code === "ECONNREFUSED" ? new ConnectionError(host, err) : code === "ECONNRESET" ? new ConnectionError(host, err, true) : err);
    });
    if (body === undefined) req.end();
    // A source that fails (a local file unreadable) aborts the request (pipeline destroys it), and
    // its error is the command's; so does an early answer.
    else stream.pipeline(stream.Readable.from(body), req, (err) => (err ? reject(err) : undefined));
  });
}
