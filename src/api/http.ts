import type { IncomingMessage, ServerResponse } from "node:http";
import { MoorError, messages } from "../errors.ts";
import { goJsonDecode } from "../util/go-json.ts";

/**
 * JSON as Go's json.Encoder writes it: HTML-sensitive characters escaped, a trailing newline.
 * Clients never depend on the escaping, but byte-equal bodies make comparisons with dockerd simple.
 */
export function goJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (!htmlSensitive.test(json)) return `${json}\n`;
  return `${json.replace(htmlSensitiveGlobal, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}\n`;
}

const htmlSensitive = /[<>&\u2028\u2029]/;
const htmlSensitiveGlobal = /[<>&\u2028\u2029]/g;

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendRawJson(res, status, goJson(value));
}

/** Sends JSON text already encoded as goJson encodes it. */
export function sendRawJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

export function sendNoContent(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** moby httputils.CheckForJSON: a body must be JSON; no Content-Type is fine only without one. */
function checkForJson(req: IncomingMessage, body: string): void {
  const contentType = req.headers["content-type"] ?? "";
  if (contentType === "" && body.length === 0) return;
  const mediaType = contentType.split(";")[0].trim().toLowerCase();
  if (mediaType === "application/json") return;
  throw new MoorError("invalid", messages.contentTypeNotJson(contentType));
}

/**
 * Reads a JSON request body the way moby's handlers do (json.NewDecoder(r.Body).Decode):
 * the first JSON value counts, an empty body is `got EOF while reading request body`.
 */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  checkForJson(req, body);
  const decoded = goJsonDecode(body);
  if ("value" in decoded) return decoded.value;
  throw new MoorError("invalid", decoded.error === "EOF" ? "got EOF while reading request body" : decoded.error);
}

/** Booleans in query strings arrive as 1/0/true/false (moby httputils.BoolValue). */
export function queryBool(query: URLSearchParams, key: string): boolean {
  const value = (query.get(key) ?? "").trim().toLowerCase();
  return !(value === "" || value === "0" || value === "no" || value === "false" || value === "none");
}
