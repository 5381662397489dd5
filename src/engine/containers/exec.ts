import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { MoorError } from "../../errors.ts";
import { randomId } from "../../util/ids.ts";
import type { Logger } from "../logger.ts";
import type { ConmonRuntime } from "../runtime/conmon.ts";
import { classifyRuntimeError } from "../runtime/conmon.ts";
import { KNOWN_CAPABILITIES, processUser, replaceOrAppendEnvValues, type OciProcess } from "./oci-spec.ts";
import { resolveUser } from "./rootfs.ts";
import type { ContainerService } from "./service.ts";

/** `POST /containers/{id}/exec` as the API carries it. */
export interface ExecConfig {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

export interface ExecSession {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  /** null until the process has run and exited (or failed to start: 126). */
  exitCode: number | null;
  pid: number;
}

/** A started exec's streams; `exited` settles once its exit code is recorded (inspect shows it). */
export interface ExecAttachment {
  output: Readable;
  stdin: Writable | null;
  exited: Promise<number>;
  detach(): void;
}

/** The exit code dockerd records for an exec that could not start. */
const startFailureExitCode = 126;

/**
 * Exec sessions: extra processes in a running container, each supervised by a conmon of its
 * own. Sessions live in memory, as dockerd's do: an engine restart forgets them (their processes
 * run on, and their files are removed when they exit). A session whose container is gone is gone.
 */
export class ExecService {
  private readonly sessions = new Map<string, ExecSession>();

  constructor(
    private readonly containers: ContainerService,
    private readonly runtime: ConmonRuntime,
    private readonly log: Logger,
  ) {}

  create(containerNameOrId: string, config: ExecConfig): string {
    const container = this.containers.inspect(containerNameOrId);
    if ((config.Cmd ?? []).length === 0) throw new MoorError("invalid", "No exec command specified");
    assertRunning(container.id, container.state.status);
    const id = randomId();
    this.sessions.set(id, { id, containerId: container.id, config, running: false, exitCode: null, pid: 0 });
    return id;
  }

  inspect(execId: string): ExecSession {
    const session = this.sessions.get(execId);
    if (session !== undefined) {
      try {
        this.containers.inspect(session.containerId);
        return session;
      } catch {
        this.sessions.delete(execId);
      }
    }
    throw new MoorError("not_found", `No such exec instance: ${execId}`);
  }

  /** The session, if it can be started now: not started before, and its container running. */
  startable(execId: string): ExecSession {
    const session = this.inspect(execId);
    if (session.running) throw new MoorError("conflict", `Error: Exec command ${execId} is already running`);
    if (session.exitCode !== null) throw new MoorError("conflict", `Error: Exec command ${execId} has already run`);
    const container = this.containers.inspect(session.containerId);
    assertRunning(container.id, container.state.status);
    return session;
  }

  /** The ids of a container's exec sessions that are running (inspect's ExecIDs). */
  runningIds(containerId: string): string[] {
    return [...this.sessions.values()].filter((s) => s.containerId === containerId && s.running).map((s) => s.id);
  }

  /**
   * Runs the session's command. With `attach`, resolves with its streams, connected before the
   * process starts so no output is lost; otherwise with undefined once it runs. A command that
   * cannot run rejects with the runtime's message as dockerd words it, and records exit code 126.
   */
  async start(execId: string, { attach }: { attach: boolean }): Promise<ExecAttachment | undefined> {
    const session = this.startable(execId);
    const container = this.containers.inspect(session.containerId);
    session.running = true;
    const { config } = session;
    let attachment: ExecAttachment | undefined;
    try {
      const process = await this.processSpec(container.id, container.dir, config);
      const prepared = await this.runtime.prepareExec({ containerId: container.id, execId, process, terminal: Boolean(config.Tty), stdin: Boolean(config.AttachStdin) });
      if (attach) {
        const stdio = await this.runtime.attach(execId, { stdin: Boolean(config.AttachStdin) }).catch(async (err: unknown) => {
          await prepared.abort();
          throw err;
        });
        attachment = { output: stdio.output, stdin: stdio.stdin, detach: stdio.detach, exited: Promise.resolve(0) };
      }
      session.pid = await prepared.start();
    } catch (err) {
      attachment?.detach();
      session.running = false;
      session.exitCode = startFailureExitCode;
      await this.runtime.deleteExec(execId).catch(() => undefined);
      throw execError(err);
    }
    const exited = this.runtime
      .waitForExit(execId)
      .catch((err: unknown) => {
        this.log.warn({ exec: execId, err: String(err) }, "lost track of an exec session");
        return 255;
      })
      .then(async (code) => {
        session.running = false;
        session.exitCode = code;
        await this.runtime.deleteExec(execId).catch((err: unknown) => this.log.warn({ exec: execId, err: String(err) }, "exec cleanup failed"));
        return code;
      });
    if (attachment === undefined) return undefined;
    return { ...attachment, exited };
  }

  async resize(execId: string, size: { height: number; width: number }): Promise<void> {
    const session = this.inspect(execId);
    if (!session.running) throw new MoorError("conflict", `Exec session ${execId} is not running`);
    await this.runtime.resize(execId, size);
  }

  /**
   * At engine start: sessions of a previous engine are unknown now; the files of those that
   * ended are removed, and those still running are removed when they end.
   */
  async recover(): Promise<void> {
    const entries = await readdir(join(this.runtime.execRoot, "exec")).catch(() => [] as string[]);
    for (const execId of entries) {
      if ((await this.runtime.conmonPid(execId)) === undefined) await this.runtime.deleteExec(execId);
      else void this.runtime.waitForExit(execId).catch(() => undefined).then(() => this.runtime.deleteExec(execId));
    }
  }

  /** The container's own process (capabilities, rlimits, seccomp...) with the exec's command, env, user and cwd. */
  private async processSpec(containerId: string, containerDir: string, config: ExecConfig): Promise<OciProcess> {
    const spec = JSON.parse(await readFile(join(this.runtime.execRoot, "bundles", containerId, "config.json"), "utf8")) as { process: OciProcess };
    const base = spec.process;
    const tty = Boolean(config.Tty);
    const env = base.env.filter((entry) => !entry.startsWith("TERM="));
    if (tty) env.push("TERM=xterm");
    const user = config.User ? await resolveUser(join(containerDir, "rootfs"), config.User) : undefined;
    const process: OciProcess = {
      ...base,
      terminal: tty,
      args: config.Cmd ?? [],
      env: replaceOrAppendEnvValues(env, config.Env ?? []),
      cwd: config.WorkingDir || base.cwd,
      user: user === undefined ? base.user : processUser(user),
    };
    if (config.Privileged) {
      const all = [...KNOWN_CAPABILITIES];
      process.capabilities = { bounding: all, effective: all, permitted: all };
    }
    return process;
  }
}

function assertRunning(containerId: string, status: string): void {
  if (status === "paused") throw new MoorError("conflict", `Container ${containerId} is paused, unpause the container before exec`);
  if (status === "restarting") throw new MoorError("conflict", `Container ${containerId} is restarting, wait until the container is running`);
  if (status !== "running") throw new MoorError("conflict", `Container ${containerId} is not running`);
}

/** dockerd's words for an exec that could not start: the runtime's message, as containerd wraps it. */
function execError(err: unknown): MoorError {
  if (!(err instanceof MoorError)) return new MoorError("internal", String(err));
  if (/^unable to find (user|group)/.test(err.message)) return err;
  const { exitCode } = classifyRuntimeError(err.message);
  return new MoorError(exitCode === undefined ? "internal" : "invalid", `OCI runtime exec failed: ${err.message}: unknown`);
}
