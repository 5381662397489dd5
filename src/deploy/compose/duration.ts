/**
 * Compose durations (`interval: 1m30s`, `stop_grace_period: 1d`), read as compose-go reads them
 * with xhit/go-str2duration: Go's time.ParseDuration plus "d" (24h) and "w" (7d), same errors.
 */
const units: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9, d: 86400e9, w: 604800e9 };

/** Nanoseconds. */
export function parseComposeDuration(text: string): number {
  const invalid = () => new Error(`time: invalid duration "${text}"`);
  let rest = text;
  let negative = false;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    negative = rest.startsWith("-");
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw invalid();
  let total = 0;
  while (rest !== "") {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest)!;
    const [whole, integer, fraction] = number;
    if (!/^[0-9.]/.test(rest) || (integer === "" && (fraction ?? "") === "")) throw invalid();
    rest = rest.slice(whole.length);
    const unitText = /^[^0-9.]*/.exec(rest)![0];
    if (unitText === "") throw new Error(`time: missing unit in duration "${text}"`);
    const unit = units[unitText];
    if (unit === undefined) throw new Error(`time: unknown unit "${unitText}" in duration "${text}"`);
    rest = rest.slice(unitText.length);
    // The fraction's nanoseconds are truncated, as Go's int64 conversion does.
    total += Number(integer || "0") * unit + (fraction ? Math.trunc(Number(`0.${fraction}`) * unit) : 0);
    if (total > 2 ** 63 - 1) throw invalid();
  }
  return negative ? -total : total;
}
