/**
 * Go's time.RFC3339 in the process's local zone, seconds precision: the format dockerd uses
 * for a volume's CreatedAt ("2026-11-28T00:34:09Z" with TZ=UTC, "+01:00" elsewhere).
 */
export function rfc3339Seconds(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000);
  const offsetMinutes = -date.getTimezoneOffset();
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const base = local.toISOString().slice(0, 19);
  if (offsetMinutes === 0) return `${base}Z`;
  const sign = offsetMinutes > 0 ? "+" : "-";
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${base}${sign}${hh}:${mm}`;
}
