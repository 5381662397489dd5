/**
 * The health gate a new container must pass before a deploy goes on: its healthcheck says
 * healthy; or, with no healthcheck, it stays up (no exit, no restart) for a settle time; or, for
 * a one-shot service others wait on, it exits 0.
 */
import type { EngineClient } from "../client/client.ts";

export type Gate = { kind: "health"; timeout: number } | { kind: "settle"; duration: number } | { kind: "completion"; timeout: number };

export type GateResult = { passed: true; detail: string } | { passed: false; reason: string };

interface InspectedState {
  State: {
    Status: string;
    Running: boolean;
    Restarting: boolean;
    ExitCode: number;
    Health?: { Status: string; Log?: Array<{ ExitCode: number; Output: string }> | null } | null;
  };
  RestartCount: number;
  Config: { Healthcheck?: { Test?: string[] | null } | null };
}

const pollInterval = 200;

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

export async function passGate(client: EngineClient, container: string, gate: Gate, signal?: AbortSignal): Promise<GateResult> {
  const started = Date.now();
  const limit = gate.kind === "settle" ? gate.duration : gate.timeout;
  let restarts: number | undefined;
  for (;;) {
    const inspected = (await client.containerInspect(container)) as unknown as InspectedState;
    const state = inspected.State;
    const elapsed = Date.now() - started;
    restarts ??= inspected.RestartCount;
    if (gate.kind === "completion") {
      if (!state.Running && !state.Restarting) {
        return state.ExitCode === 0 ? { passed: true, detail: `completed in ${seconds(elapsed)}` } : { passed: false, reason: `exited with code ${state.ExitCode}` };
      }
    } else {
      if (!state.Running || state.Restarting) return { passed: false, reason: `exited with code ${state.ExitCode}${gate.kind === "settle" ? ` within ${seconds(elapsed)}` : " before it was healthy"}` };
      if (inspected.RestartCount !== restarts) return { passed: false, reason: `restarted ${inspected.RestartCount - restarts} time(s) within ${seconds(elapsed)}` };
      if (gate.kind === "health") {
        const health = state.Health?.Status;
        if (health === "healthy") return { passed: true, detail: `healthy after ${seconds(elapsed)}` };
        if (health === "unhealthy") {
          const last = state.Health?.Log?.at(-1);
          const output = last?.Output.trim();
          return { passed: false, reason: `unhealthy${last === undefined ? "" : `: its healthcheck exited ${last.ExitCode}${output ? ` (${output.split("\n").at(-1)})` : ""}`}` };
        }
      } else if (elapsed >= gate.duration) {
        return { passed: true, detail: `up for ${seconds(elapsed)}` };
      }
    }
    if (gate.kind !== "settle" && elapsed >= limit) {
      return { passed: false, reason: gate.kind === "health" ? `not healthy after ${seconds(limit)} (x-moor health_timeout)` : `still running after ${seconds(limit)} (x-moor health_timeout)` };
    }
    if (signal?.aborted) return { passed: false, reason: "interrupted" };
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollInterval, Math.max(1, limit - elapsed))));
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
