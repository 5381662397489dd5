import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { constants as fsConstants, readdirSync, readFileSync, rmdirSync, watch, type FSWatcher } from "node:fs";
import { lstat, mkdir, open, readlink, rm, symlink, unlink, writeFile, type FileHandle } from "node:fs/promises";
import { basename, join } from "node:path";
import { Readable, type Writable } from "node:stream";
import { MoorError, type ErrorKind } from "../../errors.ts";
import { sigkill } from "../signals.ts";

/**
 * Runs containers the way podman does: one conmon process per container holds the container's
 * stdio, writes its output to a k8s-file log, serves an attach socket and writes the exit code to
 * an exit file; runc does the namespaces. conmon double-forks and calls setsid, so a container and
 * its monitor outlive the engine that started them, and an exit that happens while the engine is
 * down is still on disk when it comes back.
 *
 * Lifecycle, per container id (ids are `[A-Za-z0-9][A-Za-z0-9_.-]*`):
 *
 *   create → start → (running: kill, state, attach, resize) → exit → exitCode/waitForExit → delete
 *
 * - `create` spawns conmon, which runs `runc create`; it resolves with the container's init pid once
 *   runc has created the container (the process waits on runc's exec fifo and runs nothing of the
 *   image yet). A failed create leaves nothing behind. Errors: `conflict` when the id exists,
 *   `invalid` when the command cannot be run (not found, permission denied: a user error, as dockerd
 *   answers), `internal` otherwise.
 * - `start` does what `runc start` does (through runc's exec FIFO): the image's command begins.
 *   `conflict` if already started/stopped.
 * - `kill` sends a signal to the init process runc recorded, as `runc kill` does. `conflict` when
 *   the container is not running, `not_found` when runc does not know it.
 * - `state` asks runc. `not_found` for an unknown id.
 * - `exitCode` is undefined until conmon has written the exit file; `waitForExit` resolves with it.
 *   A process killed by signal N exits with 128+N (conmon's get_exit_status).
 * - `delete` removes runc's state and every file this class or conmon made for the id. Idempotent.
 *   Without `force` a running container is a `conflict`; with `force` it is killed first.
 *
 * The engine re-adopts containers at start with `state`, `exitCode` and `conmonPid`; no state is
 * kept in memory here, so any number of instances over the same exec root agree.
 *
 * On disk, under the exec root:
 *
 *   runc/<id>/            runc --root
 *   exits/<id>            exit code, decimal, no newline (conmon --exit-dir)
 *   conmon/<id>/          conmon's working and persist dir: pidfile (init pid), conmon.pid,
 *                         oci-log (runc's JSON log), exit, oom, bundle → the bundle dir
 *   exec/<exec id>/       an exec session's bundle: process.json (and conmon's socket and fifos);
 *                         its conmon dir is conmon/<exec id>/, which also receives its exit file
 *   attach/<id>           symlink to the bundle dir, made and removed by conmon (--socket-dir-path),
 *                         so that attach/<id>/attach is short enough for a unix socket address
 *
 * conmon also makes `attach` (socket), `ctl` and `winsz` (fifos) in the bundle dir; `delete`
 * removes them.
 */
export interface ConmonRuntimeOptions {
  /** Exec root, e.g. /run/moor. Created if missing. */
  execRoot: string;
  runcPath?: string;
  conmonPath?: string;
  /** perl relays the attach socket (SOCK_SEQPACKET, which node:net cannot open). */
  perlPath?: string;
  /** conmon --log-level; its messages go to syslog. */
  logLevel?: "error" | "warn" | "info" | "debug" | "trace";
  /** Pass --syslog to conmon (podman does). Default true. */
  syslog?: boolean;
  /** How long create waits for conmon's answer. Default 60 s. */
  createTimeoutMs?: number;
  /**
   * Called with the first conmon process's pid before conmon forks anything (it blocks on
   * _OCI_STARTPIPE until this returns). The place to move conmon out of the engine's cgroup, so
   * that stopping the engine's service does not take the containers with it (podman does the same).
   */
  placeConmon?: (conmonPid: number) => Promise<void> | void;
}

export interface CreateSpec {
  id: string;
  /** OCI bundle: a directory holding config.json. */
  bundleDir: string;
  /** k8s-file log path (conmon -l k8s-file:PATH). */
  logPath: string;
  /** Allocate a pty (the spec's process.terminal must agree). */
  terminal: boolean;
  /** Keep a pipe to the container's stdin, writable through the attach socket. */
  stdin: boolean;
  /**
   * Docker's StdinOnce: close the container's stdin when an attached client closes its side.
   * When false (Docker's default), stdin stays open across attach sessions (--leave-stdin-open).
   */
  stdinOnce?: boolean;
}

export interface ExecSpec {
  containerId: string;
  /** The session's own id: names its conmon files, attach socket and exit file beside containers'. */
  execId: string;
  /** The OCI process to run (runc exec --process). */
  process: object;
  terminal: boolean;
  /** Keep a pipe to the process's stdin; the attached client's half-close closes it. */
  stdin: boolean;
}

/** An exec session whose conmon is ready and whose attach socket is listening; nothing runs yet. */
export interface PreparedExec {
  /** Runs the process; resolves with its pid. Attach first to see every byte of its output. */
  start(): Promise<number>;
  /** Gives up on a session that will not be started: its conmon goes, and its files. */
  abort(): Promise<void>;
}

export interface Created {
  /** The container's init process, in the host pid namespace. */
  pid: number;
  /** The conmon that monitors it. */
  conmonPid: number;
}

export type RuncStatus = "creating" | "created" | "running" | "paused" | "stopped";

export interface RuncState {
  id: string;
  pid: number;
  status: RuncStatus;
  bundle: string;
  rootfs: string;
  created: string;
}

export type LogStream = "stdout" | "stderr";

export interface LogEntry {
  /** The timestamp as conmon wrote it: RFC 3339, nanoseconds, local offset. */
  time: string;
  /** The same instant in nanoseconds since the Unix epoch. */
  unixNano: bigint;
  stream: LogStream;
  /** The line without its newline. */
  text: string;
  /** True when the line continues in the next entry of the same stream (conmon's `P`). */
  partial: boolean;
}

export interface AttachChunk {
  stream: LogStream;
  data: Buffer;
}

export interface AttachSession {
  /** Output as conmon reads it (one chunk per read, at most 8192 bytes), in objectMode. Ends when the container's stdio closes or on detach. */
  readonly output: Readable;
  /** The container's stdin, when attached with stdin; end() closes it if the container is StdinOnce. */
  readonly stdin: Writable | null;
  /** Drop the connection. The container keeps running. */
  detach(): void;
  /** Settles when the connection is gone. */
  readonly closed: Promise<void>;
}

const idPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

// conmon's attach protocol: the first byte of each packet names the pipe (conmon src/utils.h stdpipe_t).
const pipeStdout = 2;
const pipeStderr = 3;

// conmon's ctl fifo message types (conmon src/config.h).
const ctlResize = 1;
const ctlReopenLogs = 2;

export class ConmonRuntime {
  readonly execRoot: string;
  private readonly runcPath: string;
  private readonly conmonPath: string;
  private readonly perlPath: string;
  private readonly logLevel: string;
  private readonly syslog: boolean;
  private readonly createTimeoutMs: number;
  private readonly placeConmon?: (conmonPid: number) => Promise<void> | void;

  constructor(options: ConmonRuntimeOptions) {
    this.execRoot = options.execRoot;
    this.runcPath = options.runcPath ?? "/usr/sbin/runc";
    this.conmonPath = options.conmonPath ?? "/usr/bin/conmon";
    this.perlPath = options.perlPath ?? "/usr/bin/perl";
    this.logLevel = options.logLevel ?? "error";
    this.syslog = options.syslog ?? true;
    this.createTimeoutMs = options.createTimeoutMs ?? 60_000;
    this.placeConmon = options.placeConmon;
  }

  private get runcRoot(): string {
    return join(this.execRoot, "runc");
  }
  private get exitsDir(): string {
    return join(this.execRoot, "exits");
  }
  private get attachDir(): string {
    return join(this.execRoot, "attach");
  }
  private stateDir(id: string): string {
    return join(this.execRoot, "conmon", id);
  }
  /** An exec session's bundle: its process.json, and conmon's attach socket and fifos. */
  private execDir(execId: string): string {
    return join(this.execRoot, "exec", execId);
  }
  exitFilePath(id: string): string {
    checkId(id);
    return join(this.exitsDir, id);
  }
  attachSocketPath(id: string): string {
    checkId(id);
    return join(this.attachDir, id, "attach");
  }
  controlFifoPath(id: string): string {
    checkId(id);
    return join(this.attachDir, id, "ctl");
  }

  /** The conmon argv for a create (without the binary), as podman builds it (libpod/oci_conmon_common.go). */
  conmonArgs(spec: CreateSpec): string[] {
    const args = this.sharedConmonArgs(spec.id, spec.id, spec.bundleDir, `k8s-file:${spec.logPath}`);
    if (spec.terminal) args.push("-t");
    if (spec.stdin) {
      args.push("-i");
      if (!spec.stdinOnce) args.push("--leave-stdin-open");
    }
    return args;
  }

  /** The conmon argv for an exec session (podman's startExec); its output goes to the attach socket only. */
  execConmonArgs(spec: ExecSpec): string[] {
    const args = this.sharedConmonArgs(spec.containerId, spec.execId, this.execDir(spec.execId), "none:");
    args[args.indexOf("--exit-dir") + 1] = this.stateDir(spec.execId);
    if (spec.terminal) args.push("-t");
    if (spec.stdin) args.push("-i");
    args.push("-e", "--exec-attach", "--exec-process-spec", join(this.execDir(spec.execId), "process.json"));
    return args;
  }

  /** `sessionId` names conmon's files (-u): the container's id for its main process, an exec's own id for an exec. */
  private sharedConmonArgs(containerId: string, sessionId: string, bundleDir: string, logPath: string): string[] {
    const dir = this.stateDir(sessionId);
    const args = [
      "--api-version", "1",
      "-c", containerId,
      "-u", sessionId,
      "-r", this.runcPath,
      "-b", bundleDir,
      "-p", join(dir, "pidfile"),
      "-P", join(dir, "conmon.pid"),
      "--exit-dir", this.exitsDir,
      "--persist-dir", dir,
      "--socket-dir-path", this.attachDir,
      "-l", logPath,
      "--log-level", this.logLevel,
      "--runtime-arg", "--root", "--runtime-arg", this.runcRoot,
      "--runtime-arg", "--log-format=json",
      "--runtime-arg", "--log", "--runtime-arg", join(dir, "oci-log"),
    ];
    if (this.syslog) args.push("--syslog");
    return args;
  }

  async create(spec: CreateSpec): Promise<Created> {
    checkId(spec.id);
    const dir = this.stateDir(spec.id);
    await Promise.all(
      [this.runcRoot, this.exitsDir, this.attachDir, join(this.execRoot, "conmon")].map((d) =>
        mkdir(d, { recursive: true, mode: 0o700 }),
      ),
    );
    // runc keeps a container's state in <root>/<id>: looking saves a `runc state` process.
    if (await pathExists(join(this.runcRoot, spec.id))) {
      throw new MoorError("conflict", `container with id ${spec.id} already exists`);
    }
    // Leftovers of a create or delete that a crash interrupted.
    await rm(dir, { recursive: true, force: true });
    await rm(join(this.exitsDir, spec.id), { force: true });
    await mkdir(dir, { mode: 0o700 });
    await symlink(spec.bundleDir, join(dir, "bundle"));

    try {
      return await this.spawnConmon(spec);
    } catch (err) {
      await this.removeLeftovers(spec.id, true);
      throw err;
    }
  }

  private async spawnConmon(spec: CreateSpec): Promise<Created> {
    const dir = this.stateDir(spec.id);
    const child = spawnBinary(this.conmonPath, this.conmonArgs(spec), {
      cwd: dir, // conmon also writes an `oom` file into its working directory
      env: conmonEnvironment({ _OCI_SYNCPIPE: "3", _OCI_STARTPIPE: "4" }),
      stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"],
      detached: true,
    });
    const output: Buffer[] = [];
    child.stdout?.on("data", (b: Buffer) => output.push(b));
    child.stderr?.on("data", (b: Buffer) => output.push(b));
    const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
    // The first conmon process writes conmon.pid right after its fork, then exits.
    const forked = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const syncPipe = child.stdio[3] as Readable;
    const startPipe = child.stdio[4] as Writable;
    startPipe.on("error", () => {}); // EPIPE when conmon failed before reading it
    const spawnError = new Promise<never>((_, reject) =>
      child.once("error", (err) =>
        reject(new MoorError("internal", `conmon: ${err.message}`, { cause: err })),
      ),
    );
    spawnError.catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    try {
      if (this.placeConmon && child.pid !== undefined) await this.placeConmon(child.pid);
      startPipe.end(Buffer.of(0));
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new MoorError("internal", `container creation timeout (${this.createTimeoutMs} ms)`)),
          this.createTimeoutMs,
        );
      });
      const line = await Promise.race([readLine(syncPipe), spawnError, timeout]);
      if (line === undefined) {
        // conmon died before answering: its own complaint is on its stdout/stderr.
        await settledWithin(exited, 1000);
        const text = Buffer.concat(output).toString("utf8").trim();
        const runcText = lastRuncError(join(dir, "oci-log"));
        throw runtimeError(runcText ?? (text || "conmon exited without reporting the container pid"));
      }
      const message = parseSyncMessage(line);
      if (message.data < 0) {
        const runcText = lastRuncError(join(dir, "oci-log"));
        throw runtimeError(runcText ?? message.message ?? "container create failed");
      }
      await settledWithin(forked, 5000);
      const conmonPid = readPid(join(dir, "conmon.pid"));
      if (conmonPid === undefined) throw new MoorError("internal", "conmon did not write its pid file");
      return { pid: message.data, conmonPid };
    } catch (err) {
      const conmonPid = readPid(join(dir, "conmon.pid"));
      if (conmonPid !== undefined && this.isConmon(conmonPid, spec.id)) {
        try {
          process.kill(conmonPid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      throw err;
    } finally {
      clearTimeout(timer);
      syncPipe.destroy();
      startPipe.destroy();
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.unref();
    }
  }

  /**
   * Readies an exec session in a running container: conmon starts, opens the session's attach
   * socket (attach(execId) connects to it) and waits. `start` then runs the process; its exit
   * code arrives like a container's (exitCode/waitForExit with the exec id), and `deleteExec`
   * removes its files.
   */
  async prepareExec(spec: ExecSpec): Promise<PreparedExec> {
    checkId(spec.containerId);
    checkId(spec.execId);
    const dir = this.stateDir(spec.execId);
    const bundle = this.execDir(spec.execId);
    await Promise.all(
      [this.exitsDir, this.attachDir, join(this.execRoot, "conmon"), join(this.execRoot, "exec")].map((d) => mkdir(d, { recursive: true, mode: 0o700 })),
    );
    await this.removeExecFiles(spec.execId);
    await mkdir(dir, { mode: 0o700 });
    await mkdir(bundle, { mode: 0o700 });
    await writeFile(join(bundle, "process.json"), JSON.stringify(spec.process));
    const child = spawnBinary(this.conmonPath, this.execConmonArgs(spec), {
      cwd: dir,
      env: conmonEnvironment({ _OCI_SYNCPIPE: "3", _OCI_STARTPIPE: "4", _OCI_ATTACHPIPE: "5" }),
      stdio: ["ignore", "pipe", "pipe", "pipe", "pipe", "pipe"],
      detached: true,
    });
    const output: Buffer[] = [];
    child.stdout?.on("data", (b: Buffer) => output.push(b));
    child.stderr?.on("data", (b: Buffer) => output.push(b));
    const syncPipe = child.stdio[3] as Readable;
    const startPipe = child.stdio[4] as Writable;
    const attachPipe = (child.stdio as unknown as Readable[])[5];
    startPipe.on("error", () => {}); // EPIPE when conmon failed before reading it
    const spawnError = new Promise<never>((_, reject) =>
      child.once("error", (err) => reject(new MoorError("internal", `conmon: ${err.message}`, { cause: err }))),
    );
    spawnError.catch(() => {});
    const release = (): void => {
      syncPipe.destroy();
      startPipe.destroy();
      attachPipe.destroy();
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.unref();
    };
    const abort = async (): Promise<void> => {
      const conmonPid = await this.conmonPid(spec.execId);
      if (conmonPid !== undefined) process.kill(conmonPid, "SIGKILL");
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      release();
      await this.waitConmonGone(spec.execId, 5000);
      await this.removeExecFiles(spec.execId);
    };
    // conmon's answers on a pipe: a JSON line, or nothing when it died (its complaint is on its stdout/stderr).
    const answer = async (pipe: Readable, what: string): Promise<number> => {
      const line = await withTimeout(Promise.race([readLine(pipe), spawnError]), this.createTimeoutMs, `exec ${what} timeout (${this.createTimeoutMs} ms)`);
      if (line === undefined) {
        const runcText = lastRuncError(join(dir, "oci-log"));
        throw runtimeError(runcText ?? (Buffer.concat(output).toString("utf8").trim() || `conmon exited before the exec ${what}`));
      }
      const message = parseSyncMessage(line);
      if (message.data < 0) {
        const runcText = lastRuncError(join(dir, "oci-log"));
        throw runtimeError(runcText ?? message.message ?? `exec ${what} failed`);
      }
      return message.data;
    };
    try {
      if (this.placeConmon && child.pid !== undefined) await this.placeConmon(child.pid);
      startPipe.write(Buffer.of(0));
      await answer(attachPipe, "attach");
    } catch (err) {
      await abort();
      throw err;
    }
    return {
      start: async () => {
        try {
          startPipe.end(Buffer.of(0));
          return await answer(syncPipe, "start");
        } catch (err) {
          await abort();
          throw err;
        } finally {
          release();
        }
      },
      abort,
    };
  }

  /** Removes an exec session's files once its exit code has been read. Idempotent. */
  async deleteExec(execId: string): Promise<void> {
    checkId(execId);
    await this.waitConmonGone(execId, 5000);
    await this.removeExecFiles(execId);
  }

  private async removeExecFiles(execId: string): Promise<void> {
    const link = join(this.attachDir, execId);
    try {
      if ((await lstat(link)).isSymbolicLink()) await unlink(link);
    } catch {
      // conmon removed it when the process exited
    }
    await rm(join(this.exitsDir, execId), { force: true });
    await rm(this.stateDir(execId), { recursive: true, force: true });
    await rm(this.execDir(execId), { recursive: true, force: true });
  }

  /**
   * Runs the image's command in the created container, as `runc start` does, without starting a
   * runc process (10 ms or more of every start). runc create leaves the container's init blocked
   * opening the exec FIFO in runc's state directory for writing; once the FIFO is open for
   * reading, the init writes a byte and execs the command, which closes its end; the FIFO is
   * then removed, which is how runc tells a running container from a created one (runc's exec
   * and handleFifoResult).
   */
  async start(id: string): Promise<void> {
    checkId(id);
    const pid = this.runningInit(id);
    if (pid === undefined) throw runtimeError("cannot start a container that has stopped");
    const fifo = join(this.runcRoot, id, "exec.fifo");
    if (!(await pathExists(fifo))) throw runtimeError("cannot start an already running container");
    const initGone = (): boolean => {
      try {
        return this.runningInit(id) !== pid;
      } catch {
        return true; // runc's state is gone with it
      }
    };
    const { handle, writerGone } = await openFifoForReading(fifo, initGone);
    let written: Buffer;
    try {
      written = await handle.readFile();
    } finally {
      await handle.close();
    }
    // The init's byte means it ran on to its command, whatever happened to it since.
    if (written.length === 0) throw runtimeError(writerGone ? "container process is already dead" : "cannot start an already running container");
    await unlink(fifo);
  }

  /**
   * Sends a signal (its number) to the container's init process. runc kill does only that, after
   * checking that the process is still the one it started (its start time, against pid reuse);
   * the same check and signal here spare every stop and kill a runc process (10 ms or more).
   */
  async kill(id: string, signal: number): Promise<void> {
    checkId(id);
    const pid = this.initPid(id);
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") throw runtimeError("container not running");
      throw err;
    }
  }

  /**
   * The container's init process as runc's state file records it, if it still runs (runc's
   * errors otherwise): alive, not a zombie, and started when runc recorded (so not a reused pid).
   */
  private initPid(id: string): number {
    const pid = this.runningInit(id);
    if (pid === undefined) throw runtimeError("container not running");
    return pid;
  }

  /** The pid of the init process runc recorded if it still runs (see initPid); not_found when runc does not know the container. */
  private runningInit(id: string): number | undefined {
    const state = readControlFile(join(this.runcRoot, id, "state.json"));
    if (state === undefined) throw runtimeError("container does not exist");
    return liveInit(JSON.parse(state) as RuncStateFile);
  }

  /** Freezes every process of the container (the cgroup freezer). */
  async pause(id: string): Promise<void> {
    checkId(id);
    await this.runc(["pause", id]);
  }

  async resume(id: string): Promise<void> {
    checkId(id);
    await this.runc(["resume", id]);
  }

  async state(id: string): Promise<RuncState> {
    checkId(id);
    const out = await this.runc(["state", id]);
    const raw = JSON.parse(out) as Record<string, unknown>;
    return {
      id: String(raw.id),
      pid: Number(raw.pid),
      status: raw.status as RuncStatus,
      bundle: String(raw.bundle),
      rootfs: String(raw.rootfs),
      created: String(raw.created),
    };
  }

  /**
   * The exit code conmon wrote, or undefined while the process has not exited. conmon names the
   * exit-dir file after the container (-c), so an exec's conmon gets its own state dir as exit
   * dir; every conmon also writes the code to `exit` in its persist dir, which is read for execs.
   */
  async exitCode(id: string): Promise<number | undefined> {
    const text = readControlFile(this.exitFilePath(id)) ?? readControlFile(join(this.stateDir(id), "exit"));
    if (text === undefined) return undefined;
    const code = Number.parseInt(text.trim(), 10);
    if (!Number.isInteger(code)) {
      throw new MoorError("internal", `exit file of container ${id} holds ${JSON.stringify(text)}`);
    }
    return code;
  }

  /** Whether the kernel OOM-killed a process of the container (conmon's `oom` file). */
  async oomKilled(id: string): Promise<boolean> {
    checkId(id);
    return readControlFile(join(this.stateDir(id), "oom")) !== undefined;
  }

  /** The pid of the conmon monitoring the container, if that conmon is still alive. */
  async conmonPid(id: string): Promise<number | undefined> {
    checkId(id);
    const pid = readPid(join(this.stateDir(id), "conmon.pid"));
    if (pid === undefined) return undefined;
    return this.isConmon(pid, id) ? pid : undefined;
  }

  private isConmon(pid: number, id: string): boolean {
    // Guard against pid reuse: the process must be a conmon for this id (its -u: a container's
    // id, or an exec session's).
    const cmdline = readControlFile(`/proc/${pid}/cmdline`);
    if (cmdline === undefined) return false;
    const argv = cmdline.split("\0");
    if (basename(argv[0] ?? "") !== basename(this.conmonPath)) return false;
    const u = argv.indexOf("-u");
    return u >= 0 && argv[u + 1] === id;
  }

  /**
   * Resolves with the exit code once conmon writes it. Rejects if conmon is gone without writing
   * one (it was killed), or with the signal's reason when aborted.
   */
  waitForExit(id: string, options: { signal?: AbortSignal; pollMs?: number } = {}): Promise<number> {
    checkId(id);
    return new Promise<number>((resolve, reject) => {
      let settled = false;
      let checking = false;
      let again = false;
      const watchers: FSWatcher[] = [];
      const finish = (err: unknown, code?: number): void => {
        if (settled) return;
        settled = true;
        for (const watcher of watchers) watcher.close();
        clearInterval(timer);
        options.signal?.removeEventListener("abort", onAbort);
        if (err !== undefined) reject(err);
        else resolve(code as number);
      };
      const onAbort = (): void => finish(options.signal?.reason ?? new Error("aborted"));
      const check = async (): Promise<void> => {
        if (settled) return;
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        try {
          do {
            again = false;
            const code = await this.exitCode(id);
            if (code !== undefined) return finish(undefined, code);
            if ((await this.conmonPid(id)) === undefined) {
              // conmon writes the exit file before it exits: read once more to close the race.
              const last = await this.exitCode(id);
              if (last !== undefined) return finish(undefined, last);
              if (readControlFile(join(this.stateDir(id), "conmon.pid")) === undefined) {
                return finish(new MoorError("not_found", `no such container: ${id}`));
              }
              return finish(new MoorError("internal", `container ${id} has no monitor and no exit code`));
            }
          } while (again);
        } catch (err) {
          finish(err);
        } finally {
          checking = false;
        }
      };
      // An exec's code lands in its state dir, a container's in the exits dir.
      for (const [dir, name] of [[this.exitsDir, id], [this.stateDir(id), "exit"]]) {
        try {
          const watcher = watch(dir, (_event, filename) => {
            if (filename === null || filename === name) void check();
          });
          watcher.on("error", () => {}); // the interval below still polls
          watchers.push(watcher);
        } catch {
          // dir missing: rely on polling
        }
      }
      const timer = setInterval(() => void check(), options.pollMs ?? 1000);
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener("abort", onAbort);
      void check();
    });
  }

  /**
   * Remove the container from runc and every file made for it. Idempotent. Without force a
   * running container is a conflict; with force it is killed and its exit awaited (so conmon does
   * not write an exit file after we removed it).
   */
  async delete(id: string, options: { force?: boolean } = {}): Promise<void> {
    checkId(id);
    // Never created, or deleted already (the state directory goes last): nothing to remove.
    if (!(await pathExists(this.stateDir(id))) && !(await pathExists(join(this.runcRoot, id)))) return;
    if (options.force && (await this.conmonPid(id)) !== undefined) {
      try {
        await this.kill(id, sigkill);
      } catch (err) {
        if (!(err instanceof MoorError) || (err.kind !== "conflict" && err.kind !== "not_found")) throw err;
      }
      await this.waitForExit(id, { signal: AbortSignal.timeout(10_000), pollMs: 100 }).catch(() => {});
    }
    if ((await pathExists(join(this.runcRoot, id))) && !(await this.forgetStopped(id))) {
      try {
        await this.runc(options.force ? ["delete", "--force", id] : ["delete", id]);
      } catch (err) {
        if (!(err instanceof MoorError) || err.kind !== "not_found") throw err;
      }
    }
    await this.waitConmonGone(id, 5000);
    await this.removeLeftovers(id, false);
  }

  /**
   * What `runc delete` does for a stopped container, done here to spare every exit a runc
   * process (some 10 ms of CPU): its cgroups removed (sub-cgroups first), then its state
   * directory. Only for a container whose init has exited in a PID namespace of its own (the
   * kernel ended its other processes with it) and that has no hooks; false (runc must do it)
   * otherwise, or when a cgroup stays busy.
   */
  private async forgetStopped(id: string): Promise<boolean> {
    const stateDir = join(this.runcRoot, id);
    const text = readControlFile(join(stateDir, "state.json"));
    if (text === undefined) return false;
    const state = JSON.parse(text) as RuncStateFile;
    const ownPidNamespace = state.config?.namespaces?.some((ns) => ns.type === "NEWPID" && ns.path === "") ?? false;
    const hooks = Object.values(state.config?.Hooks ?? {}).some((list) => Array.isArray(list) && list.length > 0);
    if (!ownPidNamespace || hooks || state.intel_rdt_path || liveInit(state) !== undefined) return false;
    for (const path of new Set(Object.values(state.cgroup_paths ?? {}))) {
      if (!(await removeCgroup(path))) return false;
    }
    await rm(stateDir, { recursive: true, force: true });
    return true;
  }

  private async waitConmonGone(id: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    // conmon exits right after writing the exit code: a short poll costs little.
    while (Date.now() < deadline && (await this.conmonPid(id)) !== undefined) await delay(2);
  }

  private async removeLeftovers(id: string, afterFailedCreate: boolean): Promise<void> {
    if (afterFailedCreate) {
      try {
        await this.runc(["delete", "--force", id]);
      } catch {
        // runc never got as far as recording the container
      }
    }
    const dir = this.stateDir(id);
    const bundle = await readlink(join(dir, "bundle")).catch(() => undefined);
    if (bundle !== undefined) {
      // conmon's socket and fifos, named by conmon (src/conn_sock.c, src/ctrl.c).
      for (const name of ["attach", "ctl", "winsz"]) await rm(join(bundle, name), { force: true });
    }
    const link = join(this.attachDir, id);
    try {
      if ((await lstat(link)).isSymbolicLink()) await unlink(link);
    } catch {
      // conmon removed it when the container exited
    }
    await rm(join(this.exitsDir, id), { force: true });
    await rm(dir, { recursive: true, force: true });
  }

  /** Resize the container's pty through conmon's ctl fifo. */
  async resize(id: string, size: { height: number; width: number }): Promise<void> {
    await this.writeControl(id, `${ctlResize} ${Math.trunc(size.height)} ${Math.trunc(size.width)}\n`);
  }

  /** Ask conmon to reopen the log file (after it was moved away). */
  async reopenLog(id: string): Promise<void> {
    await this.writeControl(id, `${ctlReopenLogs} 0 0\n`);
  }

  private async writeControl(id: string, line: string): Promise<void> {
    let handle;
    try {
      handle = await open(this.controlFifoPath(id), fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENXIO") {
        throw new MoorError("conflict", `container ${id} is not running`, { cause: err });
      }
      throw new MoorError("internal", `open control fifo of container ${id}: ${(err as Error).message}`, { cause: err });
    }
    try {
      await handle.write(line);
    } finally {
      await handle.close();
    }
  }

  /**
   * Connect to the container's attach socket. Resolves once connected, so no output produced
   * after that moment is missed. With `stdin`, the returned stdin writes to the container.
   * With `awaitSocket`, it may be called before `create`: it connects once conmon listens, and
   * the signal's abort gives up (a create that failed).
   */
  async attach(id: string, options: { stdin?: boolean; awaitSocket?: AbortSignal } = {}): Promise<AttachSession> {
    checkId(id);
    const withStdin = options.stdin ?? false;
    const waitMs = options.awaitSocket === undefined ? 0 : this.createTimeoutMs;
    const relay = spawnBinary(this.perlPath, ["-e", relayScript, "--", join(this.attachDir, id), withStdin ? "1" : "0", String(waitMs)], {
      stdio: [withStdin ? "pipe" : "ignore", "pipe", "pipe"],
    });
    const abandon = () => relay.kill("SIGKILL");
    options.awaitSocket?.addEventListener("abort", abandon, { once: true });
    const errText: Buffer[] = [];
    relay.stderr?.on("data", (b: Buffer) => errText.push(b));
    relay.stdin?.on("error", () => {}); // EPIPE after the container exited
    const closed = new Promise<void>((resolve) => relay.once("close", () => resolve()));

    const output = new Readable({
      objectMode: true,
      read() {
        relay.stdout?.resume();
      },
    });
    let pending: Buffer = Buffer.alloc(0);
    let connected = false;
    let onConnected: () => void = () => {};
    const connectedPromise = new Promise<void>((resolve) => (onConnected = resolve));
    relay.stdout?.on("data", (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const length = pending.readUInt32BE(0);
        if (pending.length < 4 + length) break;
        const packet = pending.subarray(4, 4 + length);
        pending = pending.subarray(4 + length);
        if (length === 0) {
          connected = true;
          onConnected();
          continue;
        }
        const stream = packet[0] === pipeStderr ? "stderr" : packet[0] === pipeStdout ? "stdout" : undefined;
        if (stream === undefined) continue; // conmon sends only stdout and stderr
        if (!output.push({ stream, data: Buffer.from(packet.subarray(1)) } satisfies AttachChunk)) {
          relay.stdout?.pause();
        }
      }
    });
    relay.stdout?.on("end", () => output.push(null));

    const failure = new Promise<never>((_, reject) => {
      relay.once("error", (err) => reject(new MoorError("internal", `attach ${id}: ${err.message}`, { cause: err })));
      void closed.then(() => {
        if (connected) return;
        const text = Buffer.concat(errText).toString("utf8").trim();
        const notRunning = /No such file or directory|Connection refused/.test(text);
        reject(new MoorError(notRunning ? "conflict" : "internal", notRunning ? `container ${id} is not running` : `attach ${id}: ${text}`));
      });
    });
    failure.catch(() => {}); // after connecting, failures show as the output ending
    try {
      await Promise.race([connectedPromise, failure]);
    } finally {
      options.awaitSocket?.removeEventListener("abort", abandon);
    }
    return {
      output,
      stdin: relay.stdin ?? null,
      detach: () => {
        if (relay.exitCode === null && relay.signalCode === null) relay.kill("SIGTERM");
      },
      closed,
    };
  }

  private async runc(args: readonly string[]): Promise<string> {
    const result = await runToEnd(this.runcPath, ["--root", this.runcRoot, "--log-format", "json", ...args]);
    if (result.code === 0) return result.stdout;
    throw runtimeError(runcErrorText(result.stderr) || `runc ${args[0]} failed (exit status ${result.code})`);
  }
}

/**
 * relay attach socket ↔ stdio. conmon's attach socket is SOCK_SEQPACKET, which libuv (and so
 * node:net) cannot open; perl (perl-base is Essential in Debian) can, with core modules only.
 * Arguments: the attach dir, 1 to relay stdin, and how many milliseconds to wait for the socket
 * to appear (a relay started with the container's create connects as soon as conmon listens).
 * Output: a zero-length frame once connected, then each packet as [u32 BE length][packet], the
 * packet being conmon's [pipe id][bytes]. Input: stdin bytes become packets; stdin EOF half-closes
 * the socket, which conmon takes as "close the container's stdin" (unless --leave-stdin-open).
 */
const relayScript = String.raw`
use strict; use warnings;
use Socket qw(AF_UNIX SOCK_SEQPACKET pack_sockaddr_un SHUT_WR);
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
use Errno qw(EINTR EAGAIN);
$SIG{PIPE} = 'IGNORE';
my ($dir, $with_stdin, $wait_ms) = @ARGV;
my ($s, $tries) = (undef, 0);
while (1) {
  socket($s, AF_UNIX, SOCK_SEQPACKET, 0) or die "socket: $!\n";
  last if chdir($dir) && connect($s, pack_sockaddr_un("attach"));
  die "connect $dir/attach: $!\n" if ($tries += 2) > $wait_ms;
  close($s);
  select(undef, undef, undef, 0.002);
}
binmode STDOUT;
sub out { my $d = shift; while (length $d) { my $n = syswrite(STDOUT, $d); if (!defined $n) { next if $! == EINTR; exit 0; } substr($d, 0, $n) = ''; } }
out(pack("N", 0));
fcntl($s, F_SETFL, fcntl($s, F_GETFL, 0) | O_NONBLOCK) or die "fcntl: $!\n";
my $in_open = $with_stdin ? 1 : 0; binmode STDIN if $in_open;
my @queue; my $shut = 0;
while (1) {
  my ($r, $w) = ('', '');
  vec($r, fileno($s), 1) = 1;
  vec($r, fileno(STDIN), 1) = 1 if $in_open && @queue < 64;
  vec($w, fileno($s), 1) = 1 if @queue;
  my $n = select(my $ro = $r, my $wo = $w, undef, undef);
  if ($n < 0) { next if $! == EINTR; die "select: $!\n"; }
  if (vec($ro, fileno($s), 1)) {
    my $got = sysread($s, my $buf, 65536);
    if (!defined $got) { next if $! == EAGAIN || $! == EINTR; last; }
    last if $got == 0;
    out(pack("N", $got) . $buf);
  }
  if (@queue && vec($wo, fileno($s), 1)) {
    my $sent = syswrite($s, $queue[0]);
    if (defined $sent) { shift @queue; } elsif ($! != EAGAIN && $! != EINTR) { last; }
  }
  if ($in_open && vec($ro, fileno(STDIN), 1)) {
    my $got = sysread(STDIN, my $buf, 8192);
    if (!defined $got) { next if $! == EINTR; $got = 0; }
    if ($got == 0) { $in_open = 0; } else { push @queue, $buf; }
  }
  if ($with_stdin && !$in_open && !@queue && !$shut) { shutdown($s, SHUT_WR); $shut = 1; }
}
`;

/** Kind and Docker exit code for a runtime error text; see classifyRuntimeError. */
export interface RuntimeErrorClass {
  kind: ErrorKind;
  /** The exit code dockerd records for a container whose start failed this way. */
  exitCode?: number;
}

/**
 * The one classifier of runc's messages. The start-failure rules are dockerd's
 * (moby daemon/errors.go translateContainerdStartErr): a command that is not found is the user's
 * error (400, exit code 127), one that cannot be executed too (400, 126).
 */
export function classifyRuntimeError(message: string): RuntimeErrorClass {
  const m = message.toLowerCase();
  if (m.includes("does not exist")) return { kind: "not_found" };
  if (m.includes("executable file not found") || m.includes("no such file or directory")) {
    return { kind: "invalid", exitCode: 127 };
  }
  if (m.includes("permission denied") || m.includes("is a directory") || m.includes("exec format error")) {
    return { kind: "invalid", exitCode: 126 };
  }
  if (m.includes("not a directory")) return { kind: "invalid", exitCode: 127 };
  if (m.includes("not running") || m.includes("not stopped") || m.includes("already exists") || m.includes("is paused") || m.includes("cannot start")) {
    return { kind: "conflict" };
  }
  return { kind: "internal" };
}

function runtimeError(message: string): MoorError {
  const text = message.trim();
  return new MoorError(classifyRuntimeError(text).kind, text);
}

/** The message of the last error in runc's JSON log lines; plain lines are taken as they are. */
export function runcErrorText(stderr: string): string {
  let last = "";
  for (const line of stderr.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    try {
      const entry = JSON.parse(trimmed) as { level?: string; msg?: string };
      if (entry.level === "error" || entry.level === "fatal") last = entry.msg ?? last;
    } catch {
      last = trimmed;
    }
  }
  return last;
}

function lastRuncError(ociLogPath: string): string | undefined {
  const text = readControlFile(ociLogPath);
  if (text === undefined) return undefined;
  return runcErrorText(text) || undefined;
}

/**
 * conmon's sync message: `{"data": N}` or `{"data": N, "message": "..."}` (src/parent_pipe_fd.c).
 * conmon escapes by hand and leaves 0x1f raw, so retry with control characters escaped.
 */
export function parseSyncMessage(line: string): { data: number; message?: string } {
  let parsed: { data?: unknown; message?: unknown };
  try {
    parsed = JSON.parse(line);
  } catch {
    try {
      parsed = JSON.parse(line.replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
    } catch (err) {
      throw new MoorError("internal", `conmon sent ${JSON.stringify(line)}`, { cause: err });
    }
  }
  if (typeof parsed.data !== "number") throw new MoorError("internal", `conmon sent ${JSON.stringify(line)}`);
  return typeof parsed.message === "string" ? { data: parsed.data, message: parsed.message } : { data: parsed.data };
}

/**
 * Parse k8s-file log text (conmon src/ctr_logging.c): one entry per line,
 * `<RFC 3339 nano time> <stdout|stderr> <F|P> <text>`. A final line without a newline is a write
 * in progress and is left out.
 */
export function parseK8sLog(data: Buffer | string): LogEntry[] {
  const text = typeof data === "string" ? data : data.toString("utf8");
  const entries: LogEntry[] = [];
  let start = 0;
  for (;;) {
    const end = text.indexOf("\n", start);
    if (end < 0) break;
    const entry = parseK8sLogLine(text.slice(start, end));
    if (entry !== undefined) entries.push(entry);
    start = end + 1;
  }
  return entries;
}

const logLinePattern = /^(\S+) (stdout|stderr) ([FP]) ?(.*)$/s;

export function parseK8sLogLine(line: string): LogEntry | undefined {
  const match = logLinePattern.exec(line);
  if (match === null) return undefined;
  const unixNano = parseRfc3339Nano(match[1]);
  if (unixNano === undefined) return undefined;
  return { time: match[1], unixNano, stream: match[2] as LogStream, partial: match[3] === "P", text: match[4] };
}

/**
 * A container's log read as it grows: each next() gives the entries completed since the one
 * before (the first, all of them), reading only the bytes added since. A missing log has none yet.
 */
export class LogFollower {
  private offset = 0;

  constructor(private readonly path: string) {}

  async next(): Promise<LogEntry[]> {
    let handle: FileHandle;
    try {
      handle = await open(this.path, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    try {
      const { size } = await handle.stat();
      if (size <= this.offset) return [];
      const added = Buffer.allocUnsafe(size - this.offset);
      let read = 0;
      while (read < added.length) {
        const { bytesRead } = await handle.read(added, read, added.length - read, this.offset + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      // An entry is complete at its newline: one being written stays for the next call.
      const end = added.subarray(0, read).lastIndexOf(0x0a);
      if (end < 0) return [];
      this.offset += end + 1;
      return parseK8sLog(added.subarray(0, end + 1));
    } finally {
      await handle.close();
    }
  }
}

const rfc3339Pattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/;

/** Nanoseconds since the epoch for an RFC 3339 time with up to nine fraction digits. */
export function parseRfc3339Nano(time: string): bigint | undefined {
  const m = rfc3339Pattern.exec(time);
  if (m === null) return undefined;
  const seconds = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000;
  let offset = 0;
  if (m[8] !== "Z") offset = (m[9] === "-" ? -1 : 1) * (+m[10] * 3600 + +m[11] * 60);
  const nanos = BigInt((m[7] ?? "").padEnd(9, "0"));
  return BigInt(seconds - offset) * 1_000_000_000n + nanos;
}

// --- spawning ---------------------------------------------------------------------------------

interface SpawnSpec {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
  detached?: boolean;
}

/** The one place this module starts a process (runc, conmon, the attach relay). */
function spawnBinary(file: string, args: readonly string[], spec: SpawnSpec = {}): ChildProcess {
  return spawn(file, args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    stdio: spec.stdio ?? ["ignore", "pipe", "pipe"],
    detached: spec.detached ?? false,
  });
}

function runToEnd(file: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnBinary(file, args);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on("data", (b: Buffer) => stdout.push(b));
    child.stderr?.on("data", (b: Buffer) => stderr.push(b));
    child.once("error", (err) => reject(new MoorError("internal", `${file}: ${err.message}`, { cause: err })));
    child.once("close", (code, signal) =>
      resolve({
        code: code ?? (signal === null ? -1 : 128),
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      }),
    );
  });
}

// --- small helpers ----------------------------------------------------------------------------

/** The engine's environment for conmon, with the pipes it is told about. */
function conmonEnvironment(pipes: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // A supervisor's notify socket or socket activation must not reach the containers.
    if (key === "NOTIFY_SOCKET" || key.startsWith("LISTEN_")) continue;
    env[key] = value;
  }
  return { ...env, ...pipes };
}

function checkId(id: string): void {
  if (!idPattern.test(id)) throw new MoorError("invalid", `invalid container id ${JSON.stringify(id)}`);
}

/** The first line from a stream, or undefined if it ends first. */
function readLine(stream: Readable): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = "";
    const onData = (chunk: Buffer): void => {
      text += chunk.toString("utf8");
      const newline = text.indexOf("\n");
      if (newline >= 0) {
        cleanup();
        resolve(text.slice(0, newline));
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve(text.trim() === "" ? undefined : text);
    };
    const cleanup = (): void => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("close", onEnd);
      stream.off("error", onEnd);
    };
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("close", onEnd);
    stream.on("error", onEnd);
  });
}

/**
 * Opens a FIFO for reading, which waits for its writer. A writer that dies before opening its
 * end would leave that wait hanging: as runc does, `writerGone` is asked every 100 ms, and once
 * it answers true the writing end is opened (and closed) here, which ends the wait; the reader
 * then finds nothing to read.
 */
export async function openFifoForReading(path: string, writerGone: () => boolean): Promise<{ handle: FileHandle; writerGone: boolean }> {
  let gone = false;
  const watch = setInterval(() => {
    if (gone || !writerGone()) return;
    gone = true;
    void open(path, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK)
      .then((writer) => writer.close())
      .catch(() => undefined);
  }, 100);
  try {
    const handle = await open(path, fsConstants.O_RDONLY);
    return { handle, writerGone: gone };
  } finally {
    clearInterval(watch);
  }
}

/** What moor reads of runc's state.json (libcontainer's State). */
interface RuncStateFile {
  init_process_pid: number;
  init_process_start: number | string;
  cgroup_paths?: Record<string, string>;
  intel_rdt_path?: string;
  config?: { namespaces?: Array<{ type: string; path: string }>; Hooks?: Record<string, unknown> | null };
}

/** The init process runc recorded, if it still runs: alive, not a zombie, and started when runc recorded (so not a reused pid). */
function liveInit({ init_process_pid: pid, init_process_start: start }: RuncStateFile): number | undefined {
  const stat = readControlFile(`/proc/${pid}/stat`);
  // After the command name (in parentheses, which may hold anything): state, then 18 more fields up to starttime.
  const fields = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields === undefined || fields[0] === "Z" || fields[0] === "X" || fields[19] !== String(start)) return undefined;
  return pid;
}

/**
 * Removes a cgroup directory and the cgroups made under it (cgroupfs holds only directories that
 * rmdir removes); false if one stays busy (its last processes may take a moment to leave, so
 * like runc it tries again for a while) or cannot be removed. cgroupfs answers from memory, so
 * each call is made at once rather than handed to a worker thread: an exit removes a dozen.
 */
async function removeCgroup(path: string): Promise<boolean> {
  let children;
  try {
    children = readdirSync(path, { withFileTypes: true });
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT";
  }
  for (const child of children) {
    if (child.isDirectory() && !(await removeCgroup(join(path, child.name)))) return false;
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      rmdirSync(path);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return true;
      if (code !== "EBUSY") return false;
      await delay(5 * (attempt + 1));
    }
  }
  return false;
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * A control file of a few bytes (runc's state, conmon's pid and exit files on the exec root,
 * /proc entries), undefined if it does not exist: read at once on the engine's thread rather
 * than queued in libuv's pool of four threads behind other file work. A stop's kill, which reads
 * two of them first, waited up to 14 ms there while a deploy diffed the replacement container.
 */
function readControlFile(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "ESRCH") return undefined;
    throw err;
  }
}

function readPid(path: string): number | undefined {
  const text = readControlFile(path);
  if (text === undefined) return undefined;
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The promise's value, or a MoorError saying `what` if it takes longer than ms. */
async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new MoorError("internal", what)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Wait for promise, but no longer than ms; the timer is cleared so it never holds the process open. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
