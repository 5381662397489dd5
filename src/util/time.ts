/**
 * Go's time.RFC3339 in the process's local zone, seconds precision: the format dockerd uses
 * for a volume's CreatedAt ("2026-11-28T00:34:09Z" with TZ=UTC, "+01:00" elsewhere).
 */
export function rfc3339Seconds(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000);
  const offsetMinutes = zoneOffsetMinutes(epochSeconds, date);
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const base = local.toISOString().slice(0, 19);
  if (offsetMinutes === 0) return `${base}Z`;
  const sign = offsetMinutes > 0 ? "+" : "-";
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${base}${sign}${hh}:${mm}`;
}

// Zone offsets change only at quarter-hour boundaries; looking one up is the slow part of
// formatting (thousands of volumes per list), so offsets are remembered per quarter hour.
const offsetsByQuarterHour = new Map<number, number>();

function zoneOffsetMinutes(epochSeconds: number, date: Date): number {
  const quarter = Math.floor(epochSeconds / 900);
  let offset = offsetsByQuarterHour.get(quarter);
  if (offset === undefined) {
    if (offsetsByQuarterHour.size > 10_000) offsetsByQuarterHour.clear();
    offset = -date.getTimezoneOffset();
    offsetsByQuarterHour.set(quarter, offset);
  }
  return offset;
}

/** Go's time.RFC3339Nano in UTC, as JSON carries times: trailing zeros of the fraction dropped. */
export function rfc3339Nano(date: Date): string {
  return date.toISOString().replace(/\.?0*Z$/, "Z");
}
