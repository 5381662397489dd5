import { execFile, spawn, type ChildProcess } from "node:child_process";
import type { Writable } from "node:stream";
import { MoorError } from "../../errors.ts";
import { drainedOrClosed } from "../../util/drain.ts";

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

/**
 * Runs a binary with `input` streamed to its stdin (its stdout discarded, or written to the open
 * file `stdout`); a non-zero exit becomes a MoorError.
 */
export function runWithInput(file: string, args: readonly string[], input: AsyncIterable<Buffer> | Iterable<Buffer>, { stdout }: { stdout?: number } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["pipe", stdout ?? "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new MoorError("internal", stderr.trim().replace(/\s+/g, " ") || `${file} exited with ${code}`));
    });
    feedInput(child.stdin!, input, (err) => {
      child.kill("SIGKILL");
      reject(err);
    });
  });
}

/**
 * Writes `chunks` into a tool's `stdin` as they come, with backpressure, and ends it after the
 * last. If the tool exits early, writes fail with EPIPE and are let go: its exit status reports
 * the failure. A failure to read `chunks` goes to `failed`, which stops the tool.
 */
export function feedInput(stdin: Writable, chunks: AsyncIterable<Buffer> | Iterable<Buffer>, failed: (err: unknown) => void): void {
  stdin.on("error", () => {});
  void (async () => {
    try {
      for await (const chunk of chunks) {
        if (!stdin.write(chunk)) await drainedOrClosed(stdin);
      }
      stdin.end();
    } catch (err) {
      failed(err);
    }
  })();
}

/** Runs a binary with its stdout streamed into `output`; a non-zero exit becomes a MoorError. */
export function runWithOutput(file: string, args: readonly string[], output: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.pipe(output, { end: false });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new MoorError("internal", stderr.trim().replace(/\s+/g, " ") || `${file} exited with ${code}`));
    });
  });
}

/**
 * A binary's stdout as a stream, `input` (when given) fed to its stdin as it is read; a
 * non-zero exit is thrown after the last chunk, as is a failure to read `input`. Stopping
 * early kills the binary.
 */
export async function* streamOutput(file: string, args: readonly string[], input?: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncGenerator<Buffer> {
  const child = spawn(file, args, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
  let inputError: unknown;
  if (input !== undefined) {
    feedInput(child.stdin!, input, (err) => {
      inputError = err;
      child.kill("SIGKILL");
    });
  }
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  let finished = false;
  try {
    yield* child.stdout!;
    const code = await exited;
    finished = true;
    if (inputError !== undefined) throw inputError;
    if (code !== 0) throw new MoorError("internal", stderr.trim().replace(/\s+/g, " ") || `${file} exited with ${code}`);
  } finally {
    if (!finished) {
      child.kill("SIGKILL");
      await exited.catch(() => undefined);
    }
  }
}

/** How a pipeline is followed and ended (see startPipeline). */
export interface PipelineOptions {
  /** Called with the producer's pid once it runs, to follow it. */
  started?: (producerPid: number | undefined) => void;
  /**
   * Bytes for the consumer after the producer's, made once the producer has exited successfully;
   * throwing there stops the pipeline with that error.
   */
  trailer?: () => Promise<Buffer>;
}

/**
 * `producer | consumer` with the pipe between them held by the two binaries alone: the engine
 * never reads or copies what passes (it writes only the trailer, if any, after the producer
 * ended). The consumer's stdout is ignored, written into the open file `stdout`, or (`"pipe"`)
 * returned as `output`. `done` settles once both have exited; a non-zero exit becomes a
 * MoorError with its message: the producer's, unless it was stopped because the consumer
 * failed; a trailer's failure comes first. `stop` kills both.
 */
function startPipeline(producer: [string, readonly string[]], consumer: [string, readonly string[]], stdout: "ignore" | "pipe" | number, { started, trailer }: PipelineOptions) {
  const second = startCommand(consumer[0], consumer[1], ["pipe", stdout, "pipe"]);
  const first = startCommand(producer[0], producer[1], ["ignore", second.child.stdin!, "pipe"]);
  started?.(first.child.pid);
  const stop = () => {
    first.child.kill("SIGKILL");
    second.child.kill("SIGKILL");
  };
  const input = second.child.stdin!;
  // If the consumer exits early, writes fail with EPIPE; its exit status reports the failure.
  input.on("error", () => {});
  let trailerFailure: { error: unknown } | undefined;
  if (trailer === undefined) {
    // The producer holds the pipe's writing end now: the consumer sees its end once the producer exits.
    input.destroy();
  } else {
    first.done.then(
      async () => {
        try {
          input.end(await trailer());
        } catch (err) {
          trailerFailure = { error: err };
          stop();
        }
      },
      // The producer failed: the consumer gets the end of its input, and the producer's error is the one reported.
      () => input.end(),
    );
  }
  // A consumer that fails early leaves the producer writing into a closed pipe: stop it.
  let producerStopped = false;
  second.done.catch(() => {
    producerStopped = true;
    first.child.kill("SIGKILL");
  });
  const done = Promise.allSettled([first.done, second.done]).then(([a, b]) => {
    if (a.status === "rejected" && !producerStopped) throw a.reason;
    if (trailerFailure !== undefined) throw trailerFailure.error;
    if (b.status === "rejected") throw b.reason;
  });
  return { output: second.child.stdout, done, stop };
}

type StdioOption = "ignore" | "pipe" | number | Writable;

/** Runs `producer | consumer` to their end (see startPipeline), the consumer's stdout ignored or written into the open file `stdout`. */
export function pipeCommands(producer: [string, readonly string[]], consumer: [string, readonly string[]], { stdout, ...options }: PipelineOptions & { stdout?: number } = {}): Promise<void> {
  return startPipeline(producer, consumer, stdout ?? "ignore", options).done;
}

/** `producer | consumer` (see startPipeline) with the consumer's stdout as a stream; stopping early kills both. */
export async function* streamPipeline(producer: [string, readonly string[]], consumer: [string, readonly string[]], options: PipelineOptions = {}): AsyncGenerator<Buffer> {
  const { output, done, stop } = startPipeline(producer, consumer, "pipe", options);
  let finished = false;
  try {
    yield* output!;
    await done;
    finished = true;
  } finally {
    if (!finished) {
      stop();
      await done.catch(() => undefined);
    }
  }
}

/**
 * Runs a binary that is handed one open descriptor as its fd 3, so it can work relative to a
 * directory the engine holds open (`/proc/self/fd/3/<name>`) instead of a path that could be
 * swapped for a symlink meanwhile.
 */
export function runCommandWithFd(file: string, args: readonly string[], fd: number): Promise<void> {
  return runWithStdio(file, args, ["ignore", "ignore", "pipe", fd]);
}

/** Runs a binary with its stdout written straight into the open file `fd`. */
export function runIntoFile(file: string, args: readonly string[], fd: number): Promise<void> {
  return runWithStdio(file, args, ["ignore", fd, "pipe"]);
}

/** Runs a binary to its end with the given stdio (stderr a pipe); a non-zero exit becomes a MoorError with its message. */
function runWithStdio(file: string, args: readonly string[], stdio: ["ignore", "ignore" | number, "pipe", ...number[]]): Promise<void> {
  return startCommand(file, args, stdio).done;
}

/**
 * Starts a binary with the given stdio (stderr a pipe, kept for its message): `done` settles
 * once it has exited, a non-zero exit becoming a MoorError with its message. Descriptors given
 * as numbers are the child's from here on: the caller closes its own copies.
 */
export function startCommand(file: string, args: readonly string[], stdio: [StdioOption, StdioOption, "pipe", ...number[]]): { child: ChildProcess; done: Promise<void> } {
  const child = spawn(file, args, { stdio });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<void>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new MoorError("internal", stderr.trim().replace(/\s+/g, " ") || `${file} exited with ${code}`))));
  });
  return { child, done };
}
