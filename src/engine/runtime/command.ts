import { execFile } from "node:child_process";
import { MoorError } from "../../errors.ts";

/**
 * The one place moor spawns host binaries (mount, umount, and later runc and conmon).
 * A non-zero exit becomes a MoorError carrying the tool's own message.
 */
export function runCommand(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: "utf8" }, (err, stdout, stderr) => {
      if (err === null) {
        resolve(stdout);
        return;
      }
      const detail = (stderr.trim() || err.message).replace(/\s+/g, " ");
      reject(new MoorError("internal", detail, { cause: err }));
    });
  });
}
