import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { posix } from "node:path";
import { gunzip } from "../../util/gunzip.ts";
import { streamOutput } from "../runtime/command.ts";
import { BuildStepError } from "./errors.ts";

/** ADD's remote and archive sources. */

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** ADD of a URL: fetched by the engine, named after the URL's last path component, dated by Last-Modified. */
export async function fetchUrl(url: string, signal: AbortSignal): Promise<{ name: string; data: Buffer; mtime: number }> {
  const name = posix.basename(new URL(url).pathname);
  if (name === "" || name === "/") throw new BuildStepError(`cannot determine filename for source ${url}`);
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: "follow" });
  } catch (err) {
    throw new BuildStepError(`failed to GET ${url}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
  }
  if (!response.ok) throw new BuildStepError(`failed to GET ${url} with status ${response.status} ${response.statusText}: ${(await response.text()).slice(0, 200)}`);
  const data = Buffer.from(await response.arrayBuffer());
  const modified = Date.parse(response.headers.get("last-modified") ?? "");
  return { name, data, mtime: Number.isNaN(modified) ? Math.floor(Date.now() / 1000) : Math.floor(modified / 1000) };
}

type Compression = "none" | "gzip" | "bzip2" | "xz" | "zstd";

/** What a stream's first bytes (up to 512) say it is: compressed (taken as a tar), or a plain tar by its ustar magic. */
export function archiveKind(head: Buffer): { compression: Compression; tar: boolean } {
  if (head[0] === 0x1f && head[1] === 0x8b) return { compression: "gzip", tar: true };
  if (head.subarray(0, 3).toString("latin1") === "BZh") return { compression: "bzip2", tar: true };
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return { compression: "xz", tar: true };
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return { compression: "zstd", tar: true };
  return { compression: "none", tar: head.length >= 262 && head.subarray(257, 262).toString("latin1") === "ustar" };
}

async function sniff(path: string): Promise<{ compression: Compression; tar: boolean }> {
  const handle = await open(path, "r");
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, 512, 0);
    return archiveKind(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** Whether ADD unpacks the file: a tar archive, plain or compressed (dockerd judges by content, not name). */
export async function isArchive(path: string): Promise<boolean> {
  return (await sniff(path)).tar;
}

/** The archive at `path`, decompressed. */
export async function* decompressedFile(path: string): AsyncGenerator<Buffer> {
  const { compression } = await sniff(path);
  if (compression === "none") yield* createReadStream(path);
  else if (compression === "gzip") yield* gunzip(createReadStream(path));
  else yield* streamOutput(compression === "bzip2" ? "bzip2" : compression === "xz" ? "xz" : "zstd", ["-d", "-c", path]);
}
