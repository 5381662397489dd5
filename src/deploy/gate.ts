/**
 * The health gate a new container must pass before a deploy goes on: its healthcheck says
 * healthy; or, with no healthcheck, it stays up (no exit, no restart) for a settle time; or, for
 * a one-shot service others wait on, it exits 0.
 */
import type { EngineClient } from "../client/client.ts";

export type Gate = { kind: "health"; timeout: number } | { kind: "settle"; duration: number } | { kind: "completion"; timeout: number };

/** A passed gate gives the container's inspection that passed it. */
export type GateResult = { passed: true; detail: string; inspected: Record<string, unknown> } | { passed: false; reason: string };

interface InspectedState {
  State: {
    Status: string;
    Running: boolean;
    Restarting: boolean;
    ExitCode: number;
    StartedAt?: string;
    Health?: { Status: string; Log?: Array<{ ExitCode: number; Output: string }> | null } | null;
  };
  RestartCount: number;
  Config: { Healthcheck?: { Test?: string[] | null } | null };
}

const pollInterval = 200;
/** How early a timer is set to end, in ms, for sleepUntil to hit its deadline. */
const timerSlack = 2;

/** Which gate a container gets: from its inspect data (the image's healthcheck counts too). */
export function gateFor(inspected: Record<string, unknown>, settings: { settle: number; healthTimeout: number }, completes: boolean): Gate {
  if (completes) return { kind: "completion", timeout: settings.healthTimeout };
  const test = (inspected as unknown as InspectedState).Config.Healthcheck?.Test;
  const hasHealthcheck = Array.isArray(test) && test.length > 0 && test[0] !== "NONE";
  return hasHealthcheck ? { kind: "health", timeout: settings.healthTimeout } : { kind: "settle", duration: settings.settle };
}

export function gateText(gate: Gate): string {
  if (gate.kind === "health") return "waiting for its healthcheck";
  if (gate.kind === "completion") return "waiting for it to complete";
  return `checking it stays up for ${seconds(gate.duration)}`;
}

/** When a start was asked for and when it returned, in performance.now() time. */
export interface StartWindow {
  requested: number;
  returned: number;
}

/**
 * Watches a container from its start until it passes or fails its gate. The start is the
 * engine's State.StartedAt, read from the first inspection: the engine is on this host (a unix
 * socket), so its clock is this one; the time is checked against `window` all the same. Each inspection
 * is timed by when it was asked for: the state it returns holds from then on, so a settle passes
 * on the first inspection asked for once the settle time since the start has gone by, and the
 * last wait ends exactly there.
 */
export async function passGate(client: EngineClient, container: string, gate: Gate, window: StartWindow, signal?: AbortSignal): Promise<GateResult> {
  const limit = gate.kind === "settle" ? gate.duration : gate.timeout;
  let restarts: number | undefined;
  let startedAt: number | undefined;
  for (;;) {
    const askedAt = performance.now();
    const raw = await client.containerInspect(container);
    const inspected = raw as unknown as InspectedState;
    const state = inspected.State;
    restarts ??= inspected.RestartCount;
    startedAt ??= startOnThisClock(state.StartedAt, window);
    const elapsed = askedAt - startedAt;
    if (gate.kind === "completion") {
      if (!state.Running && !state.Restarting) {
        return state.ExitCode === 0 ? { passed: true, detail: `completed in ${seconds(elapsed)}`, inspected: raw } : { passed: false, reason: `exited with code ${state.ExitCode}` };
      }
    } else {
      if (!state.Running || state.Restarting) return { passed: false, reason: `exited with code ${state.ExitCode}${gate.kind === "settle" ? ` within ${seconds(elapsed)}` : " before it was healthy"}` };
      if (inspected.RestartCount !== restarts) return { passed: false, reason: `restarted ${inspected.RestartCount - restarts} time(s) within ${seconds(elapsed)}` };
      if (gate.kind === "health") {
        const health = state.Health?.Status;
        if (health === "healthy") return { passed: true, detail: `healthy after ${seconds(elapsed)}`, inspected: raw };
        if (health === "unhealthy") {
          const last = state.Health?.Log?.at(-1);
          const output = last?.Output.trim();
          return { passed: false, reason: `unhealthy${last === undefined ? "" : `: its healthcheck exited ${last.ExitCode}${output ? ` (${output.split("\n").at(-1)})` : ""}`}` };
        }
      } else if (elapsed >= gate.duration) {
        return { passed: true, detail: `up for ${seconds(elapsed)}`, inspected: raw };
      }
    }
    if (gate.kind !== "settle" && elapsed >= limit) {
      return { passed: false, reason: gate.kind === "health" ? `not healthy after ${seconds(limit)} (x-moor health_timeout)` : `still running after ${seconds(limit)} (x-moor health_timeout)` };
    }
    if (signal?.aborted) return { passed: false, reason: "interrupted" };
    await sleepUntil(Math.min(performance.now() + pollInterval, startedAt + limit));
  }
}

/**
 * The engine's StartedAt (RFC 3339, to the microsecond) on performance.now()'s clock when it
 * falls within `window`; otherwise (no time, or one this start cannot have) when the start
 * returned, which is never before the container's start.
 */
function startOnThisClock(startedAt: string | undefined, window: StartWindow): number {
  const wall = Date.parse(startedAt ?? "");
  if (Number.isNaN(wall)) return window.returned;
  const belowMillisecond = Number(`0.${/\.\d{3}(\d{1,3})/.exec(startedAt!)?.[1] ?? "0"}`);
  const onClock = wall + belowMillisecond - performance.timeOrigin;
  return onClock >= window.requested && onClock <= window.returned ? onClock : window.returned;
}

/**
 * Resolves once performance.now() has reached `deadline`. Timers wake up to a millisecond or two
 * late here (node and libuv count them in whole milliseconds of the event loop's cached time), so
 * the timer is set to end short of it, and the last stretch (timerSlack ms at most) is slept in
 * the thread with Atomics.wait. Spinning the event loop for it instead made this function hot
 * enough for V8 to optimize: some 10 ms of compiling, on two cores, in the deploy's tail.
 */
async function sleepUntil(deadline: number): Promise<void> {
  const left = deadline - performance.now();
  if (left > timerSlack) await new Promise((resolve) => setTimeout(resolve, left - timerSlack));
  const rest = deadline - performance.now();
  if (rest > 0) Atomics.wait(sleeper, 0, 0, rest);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
