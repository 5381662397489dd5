import type { Logger } from "../logger.ts";
import type { HealthConfig } from "../images/image-config.ts";
import { goDurationString } from "../../util/go-duration.ts";
import { rfc3339Nano } from "../../util/time.ts";
import type { ExecService, ExecSession } from "./exec.ts";
import type { ContainerService } from "./service.ts";

export type HealthStatus = "starting" | "healthy" | "unhealthy";

export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** State.Health as dockerd shows it. */
export interface HealthState {
  Status: HealthStatus;
  FailingStreak: number;
  Log: HealthLogEntry[];
}

// moby daemon/health.go's defaults and limits.
const defaultInterval = 30e9;
const defaultTimeout = 30e9;
const defaultStartInterval = 5e9;
const defaultRetries = 3;
const maxOutputBytes = 4096;
const maxLogEntries = 5;

/**
 * Runs containers' health checks (HEALTHCHECK / --health-cmd) as dockerd does: the test runs
 * in the container (an exec) every interval, or every start interval while the start period
 * lasts; exit 0 is healthy; a failure counts once the start period is over or the container
 * was healthy once, and `retries` failures in a row make it unhealthy. A probe that outlasts its
 * timeout is killed and counts as failed. A container that exits shows as unhealthy, as with
 * dockerd. State lives in memory: an engine restart starts the checks of running containers
 * over from "starting", and exited containers show none.
 */
export class HealthMonitor {
  private readonly states = new Map<string, HealthState>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly containers: ContainerService,
    private readonly execs: ExecService,
    private readonly log: Logger,
  ) {
    containers.onLifecycle((event) => {
      if (event.type === "start") this.begin(event.id);
      else if (event.type === "exit") this.halt(event.id);
      else if (event.type === "pause") this.stopProbes(event.id);
      else if (event.type === "unpause") this.resumeProbes(event.id);
      else this.forget(event.id);
    });
  }

  /** The container's health, or undefined for one without a health check. */
  state(id: string): HealthState | undefined {
    return this.states.get(id);
  }

  /** Stops every check (engine shutdown). */
  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private config(id: string): HealthConfig | undefined {
    const health = this.containers.inspect(id).config.Healthcheck ?? undefined;
    const test = health?.Test ?? [];
    if (test.length === 0 || test[0] === "NONE") return undefined;
    return health;
  }

  /** A (re)start: starting again, the failing streak reset, the log kept (moby initHealthMonitor). */
  private begin(id: string): void {
    this.stopProbes(id);
    const config = this.config(id);
    if (config === undefined) return;
    const state = this.states.get(id);
    this.states.set(id, { Status: "starting", FailingStreak: 0, Log: state?.Log ?? [] });
    this.schedule(id, config);
  }

  /** After a pause: probes again, the health so far kept (moby's updateHealthMonitor). */
  private resumeProbes(id: string): void {
    const config = this.config(id);
    if (config !== undefined && this.states.has(id)) this.schedule(id, config);
  }

  /** An exit: no more probes, and unhealthy, as dockerd reports a stopped monitor for compatibility. */
  private halt(id: string): void {
    this.stopProbes(id);
    const state = this.states.get(id);
    if (state !== undefined) state.Status = "unhealthy";
  }

  private forget(id: string): void {
    this.stopProbes(id);
    this.states.delete(id);
  }

  private stopProbes(id: string): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
  }

  private schedule(id: string, config: HealthConfig): void {
    const state = this.states.get(id);
    if (state === undefined) return;
    const startedAt = Date.parse(this.containers.inspect(id).state.startedAt);
    const inStartPeriod = state.Status === "starting" && Date.now() - startedAt < (config.StartPeriod ?? 0) / 1e6;
    const delay = inStartPeriod ? config.StartInterval || defaultStartInterval : config.Interval || defaultInterval;
    const timer = setTimeout(() => {
      this.timers.delete(id);
      void this.probe(id, config).then(
        () => {
          if (this.states.has(id) && this.containers.inspect(id).state.status === "running") this.schedule(id, config);
        },
        (err: unknown) => this.log.warn({ container: id, err: String(err) }, "health check could not run"),
      );
    }, delay / 1e6);
    this.timers.set(id, timer);
  }

  /**
   * Kills a probe that outlasted its timeout. Its container may have been removed meanwhile
   * (its processes went with it, and so did the session): then there is nothing to kill.
   */
  private killProbe(execId: string): void {
    let session: ExecSession;
    try {
      session = this.execs.inspect(execId);
    } catch {
      return;
    }
    if (!session.running || session.pid <= 0) return;
    try {
      process.kill(session.pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }

  private async probe(id: string, config: HealthConfig): Promise<void> {
    const container = this.containers.inspect(id);
    const test = config.Test ?? [];
    const shell = Array.isArray(container.config.Shell) && container.config.Shell.length > 0 ? (container.config.Shell as string[]) : ["/bin/sh", "-c"];
    const cmd = test[0] === "CMD-SHELL" ? [...shell, test[1] ?? ""] : test.slice(1);
    const start = new Date();
    const timeout = config.Timeout || defaultTimeout;
    let output = "";
    let exitCode: number;
    try {
      const execId = this.execs.create(id, { Cmd: cmd, AttachStdout: true, AttachStderr: true });
      const attachment = (await this.execs.start(execId, { attach: true }))!;
      attachment.output.on("data", (chunk: { data: Buffer }) => {
        if (output.length < maxOutputBytes) output += chunk.data.toString();
      });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<number>((resolve) => {
        timer = setTimeout(() => {
          this.killProbe(execId);
          output = `Health check exceeded timeout (${goDurationString(timeout)})`;
          resolve(-1);
        }, timeout / 1e6);
      });
      exitCode = await Promise.race([attachment.exited, timedOut]);
      clearTimeout(timer);
    } catch (err) {
      exitCode = -1;
      output = (err as Error).message;
    }
    const state = this.states.get(id);
    if (state === undefined || this.containers.inspect(id).state.status !== "running") return;
    state.Log = [...state.Log, { Start: rfc3339Nano(start), End: rfc3339Nano(new Date()), ExitCode: exitCode, Output: output.slice(0, maxOutputBytes) }].slice(-maxLogEntries);
    if (exitCode === 0) {
      state.FailingStreak = 0;
      state.Status = "healthy";
      return;
    }
    const startedAt = Date.parse(container.state.startedAt);
    if (state.Status === "starting" && start.getTime() - startedAt < (config.StartPeriod ?? 0) / 1e6) return;
    state.FailingStreak++;
    if (state.FailingStreak >= (config.Retries || defaultRetries)) state.Status = "unhealthy";
  }
}
