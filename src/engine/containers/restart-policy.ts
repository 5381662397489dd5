/** HostConfig.RestartPolicy as the API carries it. */
export interface RestartPolicy {
  Name?: string;
  MaximumRetryCount?: number;
}

const firstDelayMs = 100;
const maximumDelayMs = 60_000;
/** A run at least this long resets the backoff (moby restartmanager). */
const steadyRunMs = 10_000;

/**
 * Whether a container that just exited is restarted, by dockerd's rules (moby
 * restartmanager.ShouldRestart): never after a user stopped or killed it; `always` and
 * `unless-stopped` otherwise; `on-failure` for a non-zero exit, at most MaximumRetryCount times
 * when that is set.
 */
export function shouldRestart(policy: RestartPolicy | undefined, exit: { exitCode: number; manuallyStopped: boolean; restartCount: number }): boolean {
  if (exit.manuallyStopped) return false;
  switch (policy?.Name ?? "") {
    case "always":
    case "unless-stopped":
      return true;
    case "on-failure": {
      const maximum = policy?.MaximumRetryCount ?? 0;
      return exit.exitCode !== 0 && (maximum === 0 || exit.restartCount < maximum);
    }
    default:
      return false;
  }
}

/**
 * Whether an engine that starts brings back a container found exited (dockerd's restore with
 * AutoRestart): `always` ones, even when a user stopped them, and `unless-stopped` ones that a
 * user did not stop.
 */
export function restartsWithEngine(policy: RestartPolicy | undefined, manuallyStopped: boolean): boolean {
  const name = policy?.Name ?? "";
  return name === "always" || (name === "unless-stopped" && !manuallyStopped);
}

/** The wait before the next restart: 100 ms, doubled each time up to a minute, reset by a run of ten seconds. */
export function nextRestartDelay(previousDelayMs: number, ranForMs: number): number {
  if (ranForMs >= steadyRunMs || previousDelayMs === 0) return firstDelayMs;
  return Math.min(previousDelayMs * 2, maximumDelayMs);
}
