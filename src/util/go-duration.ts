const durationUnits: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration ("1h30m", "1.5s", "-2ms"), in nanoseconds, with its error texts. */
export function parseGoDuration(text: string): number {
  const quoted = JSON.stringify(text);
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw new Error(`time: invalid duration ${quoted}`);
  let total = 0;
  while (rest !== "") {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest)!;
    const [whole, integer, fraction] = number;
    if (integer === "" && (fraction ?? "") === "") throw new Error(`time: invalid duration ${quoted}`);
    rest = rest.slice(whole.length);
    const unitText = /^[^\d.]*/.exec(rest)![0];
    if (unitText === "") throw new Error(`time: missing unit in duration ${quoted}`);
    const unit = durationUnits[unitText];
    if (unit === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unitText)} in duration ${quoted}`);
    rest = rest.slice(unitText.length);
    // Go truncates the fraction's nanoseconds.
    total += Number(integer || "0") * unit + (fraction ? Math.trunc(Number(`0.${fraction}`) * unit) : 0);
  }
  return sign * total;
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
