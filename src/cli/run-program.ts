/**
 * The one place the CLI runs programs. The CLI otherwise only speaks to the engine's socket;
 * `moor image bootstrap` is the exception (debootstrap, tar, umount, rm on the engine's machine).
 * The engine's own binaries are spawned in src/engine/runtime, which the CLI may not import.
 */
import { spawn } from "node:child_process";
import { CommandError } from "./command.ts";

export interface ProgramResult {
  code: number | null;
  /** The last lines of its output, for error messages. */
  lastLines: string[];
}

const keptLines = 20;

/**
 * Runs a program to its end with LC_ALL=C (its output is read as text), each line of stdout and
 * stderr handed to `onLine`. It gets a process group of its own, so that aborting `signal` stops
 * all of it (debootstrap's chroot and dpkg children too), SIGTERM then SIGKILL, and resolves
 * only once the whole group is gone: the caller may then remove what it was writing.
 */
export function runProgram(file: string, args: string[], options: { signal?: AbortSignal; onLine?: (line: string) => void } = {}): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env, LC_ALL: "C" } });
    const lastLines: string[] = [];
    const lineReader = () => {
      let pending = "";
      return (chunk: Buffer) => {
        pending += chunk.toString("utf8");
        const lines = pending.split("\n");
        pending = lines.pop()!;
        for (const line of lines) {
          lastLines.push(line);
          if (lastLines.length > keptLines) lastLines.shift();
          options.onLine?.(line);
        }
      };
    };
    child.stdout!.on("data", lineReader());
    child.stderr!.on("data", lineReader());
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      if (child.pid === undefined) return;
      const signalGroup = (signal: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // the group has already exited
        }
      };
      signalGroup("SIGTERM");
      killTimer = setTimeout(() => signalGroup("SIGKILL"), 10_000);
    };
    if (options.signal?.aborted) stop();
    options.signal?.addEventListener("abort", stop, { once: true });
    child.on("error", (err) => {
      options.signal?.removeEventListener("abort", stop);
      reject(new CommandError(`running ${file}: ${err.message}`));
    });
    child.on("close", (code) => {
      options.signal?.removeEventListener("abort", stop);
      // After an abort the leader may be gone while its children still die: wait for the whole group.
      const settle = () => {
        if (killTimer !== undefined && processExists(-child.pid!)) {
          setTimeout(settle, 50);
          return;
        }
        clearTimeout(killTimer);
        resolve({ code, lastLines });
      };
      settle();
    });
  });
}

/** Whether a process (or, for a negative number, a process group) still exists. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
