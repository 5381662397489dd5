import type { HealthConfig } from "../images/image-config.ts";

/**
 * Go's fmt verbs as dockerd uses them in the history comments of build steps, so `docker
 * history` reads the same: %q of a []string, of a HealthConfig pointer.
 */

/** Go's strconv.Quote for the common case; JSON's escapes agree with Go's for ASCII. */
export function goQuote(text: string): string {
  return JSON.stringify(text).replace(/\\u00([0-9a-f]{2})/g, "\\x$1");
}

/** `%q` of a []string: `["a" "b"]`. */
export function goQuoteSlice(items: readonly string[]): string {
  return `[${items.map(goQuote).join(" ")}]`;
}

/** Go's time.Duration.String for whole nanoseconds: "1m30s", "500ms", "0s". */
export function goDurationString(nanoseconds: number): string {
  if (nanoseconds === 0) return "0s";
  const sign = nanoseconds < 0 ? "-" : "";
  let ns = Math.abs(nanoseconds);
  if (ns < 1e9) {
    const [unit, size] = ns < 1e3 ? ["ns", 1] : ns < 1e6 ? ["µs", 1e3] : ["ms", 1e6];
    return `${sign}${trimFraction(ns / (size as number))}${unit}`;
  }
  const hours = Math.floor(ns / 3600e9);
  ns -= hours * 3600e9;
  const minutes = Math.floor(ns / 60e9);
  ns -= minutes * 60e9;
  const seconds = `${trimFraction(ns / 1e9)}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}

function trimFraction(value: number): string {
  return value.toFixed(9).replace(/\.?0+$/, "");
}

/** `%q` of a *HealthConfig: `&{["CMD-SHELL" "x"] "5s" "0s" "0s" "0s" '\x00'}`. */
export function healthcheckComment(health: HealthConfig): string {
  const durations = [health.Interval, health.Timeout, health.StartPeriod, health.StartInterval].map((d) => goQuote(goDurationString(d ?? 0)));
  const retries = health.Retries ?? 0;
  return `&{${goQuoteSlice(health.Test ?? [])} ${durations.join(" ")} '\\x${retries.toString(16).padStart(2, "0")}'}`;
}
