import { closeSync, openSync, readSync } from "node:fs";
import { nameText } from "./name-text.ts";

/**
 * GNU tar's verbose listing (`tar -c -v`, here sent to a file of its own with --index-file):
 * one line per member, written unbuffered as tar opens it, before reading it (a directory's
 * line comes after tar listed its entries). So when a member's line arrives, tar is done with
 * the member before it.
 */

/**
 * Splits the listing into member names as its chunks arrive: a directory's trailing "/" is
 * dropped, and tar's quoting ("escape" style: `\\`, `\n` and the like, `\ooo` octal bytes) undone.
 */
export class TarListing {
  private partial: Buffer = Buffer.alloc(0);

  /** The names of the lines this chunk completes. */
  push(chunk: Buffer): string[] {
    const data = this.partial.length === 0 ? chunk : Buffer.concat([this.partial, chunk]);
    const names: string[] = [];
    let start = 0;
    for (let end = data.indexOf(0x0a); end !== -1; end = data.indexOf(0x0a, start)) {
      names.push(unquoteListingName(data.subarray(start, end)));
      start = end + 1;
    }
    this.partial = Buffer.from(data.subarray(start));
    return names;
  }
}

const escapedBytes: Record<string, number> = { a: 0x07, b: 0x08, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b, "\\": 0x5c };

/** A listing line as the member's name (see TarListing). */
export function unquoteListingName(line: Buffer): string {
  const bytes: number[] = [];
  for (let i = 0; i < line.length; i++) {
    const byte = line[i];
    if (byte !== 0x5c || i + 1 >= line.length) {
      bytes.push(byte);
      continue;
    }
    const octal = /^[0-7]{3}/.exec(line.subarray(i + 1, i + 4).toString("latin1"));
    if (octal !== null) {
      bytes.push(Number.parseInt(octal[0], 8));
      i += 3;
      continue;
    }
    const escaped = escapedBytes[String.fromCharCode(line[i + 1])];
    if (escaped === undefined) {
      bytes.push(byte);
      continue;
    }
    bytes.push(escaped);
    i += 1;
  }
  const name = nameText(Buffer.from(bytes));
  return name.length > 1 && name.endsWith("/") ? name.slice(0, -1) : name;
}

/**
 * Follows the listing tar writes into `path` (--index-file) while it runs: read() takes what tar
 * has added since (nothing before tar made the file) and calls `passed` with the members tar is
 * done with; readToEnd(), once tar has exited, takes the rest, its last member included.
 */
export class TarListingFollower {
  private fd: number | undefined;
  private readonly lines = new TarListing();
  private last: string | undefined;
  private readonly buffer = Buffer.allocUnsafe(64 * 1024);

  constructor(
    private readonly path: string,
    private readonly passed: (names: string[]) => void,
  ) {}

  read(): void {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.path, "r");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
        throw err;
      }
    }
    for (let read = readSync(this.fd, this.buffer); read > 0; read = readSync(this.fd, this.buffer)) {
      const names = this.lines.push(this.buffer.subarray(0, read));
      if (names.length === 0) continue;
      const done = this.last === undefined ? names.slice(0, -1) : [this.last, ...names.slice(0, -1)];
      this.last = names.at(-1);
      if (done.length > 0) this.passed(done);
    }
  }

  readToEnd(): void {
    this.read();
    if (this.last !== undefined) this.passed([this.last]);
    this.last = undefined;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
