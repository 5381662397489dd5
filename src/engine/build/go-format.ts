import type { HealthConfig } from "../images/image-config.ts";
import { goDurationString } from "../../util/go-duration.ts";

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

/** `%q` of a *HealthConfig: `&{["CMD-SHELL" "x"] "5s" "0s" "0s" "0s" '\x00'}`. */
export function healthcheckComment(health: HealthConfig): string {
  const durations = [health.Interval, health.Timeout, health.StartPeriod, health.StartInterval].map((d) => goQuote(goDurationString(d ?? 0)));
  const retries = health.Retries ?? 0;
  return `&{${goQuoteSlice(health.Test ?? [])} ${durations.join(" ")} '\\x${retries.toString(16).padStart(2, "0")}'}`;
}
