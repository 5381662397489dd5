const binaryMultipliers: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * docker/go-units RAMInBytes (v0.5.0): a number (Go float syntax), an optional space, then an
 * optional case-insensitive b, k, kb, kib, ... p suffix, in binary multiples ("64m", "1.5g",
 * "10 KiB"). Errors read `invalid size: '<text>'` as dockerd's do.
 */
export function ramInBytes(text: string): number {
  const invalid = () => new Error(`invalid size: '${text}'`);
  let sep = -1;
  for (let i = text.length - 1; i >= 0; i--) {
    if ("0123456789. ".includes(text[i])) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw invalid();
  const number = text[sep] === " " ? text.slice(0, sep) : text.slice(0, sep + 1);
  let suffix = text.slice(sep + 1);
  let size = goParseFloat(number);
  if (size === undefined || size < 0) throw invalid();
  if (suffix !== "") {
    if (Buffer.byteLength(suffix) > 3) throw invalid();
    suffix = suffix.toLowerCase();
    if (suffix[0] === "b") {
      if (suffix.length > 1) throw invalid();
    } else {
      const multiplier = binaryMultipliers[suffix[0]];
      if (multiplier === undefined) throw invalid();
      size *= multiplier;
      const length = Buffer.byteLength(suffix);
      if ((length === 2 && suffix[1] !== "b") || (length === 3 && suffix.slice(1) !== "ib")) throw invalid();
    }
  }
  return goInt64(size);
}

/** strconv.ParseFloat(text, 64): decimal, hexadecimal with a p exponent, inf and nan; undefined on error (overflow included). */
function goParseFloat(text: string): number | undefined {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    const value = Number(text);
    return Number.isFinite(value) ? value : undefined;
  }
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(text);
  if (hex !== null && (hex[2] !== "" || (hex[3] ?? "") !== "")) {
    const digits = `${hex[2]}${hex[3] ?? ""}`;
    const value = Number(BigInt(`0x${digits}`)) * 2 ** (Number(hex[4]) - 4 * (hex[3] ?? "").length);
    if (!Number.isFinite(value)) return undefined;
    return hex[1] === "-" ? -value : value;
  }
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (special !== null) return special[2].toLowerCase() === "nan" ? Number.NaN : special[1] === "-" ? -Infinity : Infinity;
  return undefined;
}

/** Go's int64(float64) on amd64: truncation, and the minimum int64 for what does not fit. */
function goInt64(value: number): number {
  return Math.abs(value) < 2 ** 63 ? Math.trunc(value) : -(2 ** 63);
}

const decimalUnits = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/**
 * docker/go-units HumanSizeWithPrecision: decimal units, `precision` significant digits
 * (HumanSize is precision 4: "13B", "1.5kB", "2MB").
 */
export function humanSize(bytes: number, precision = 4): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < decimalUnits.length - 1) {
    size /= 1000;
    unit++;
  }
  return `${Number(size.toPrecision(precision))}${decimalUnits[unit]}`;
}

const binaryUnits = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

/** docker/go-units BytesSize: binary units, 4 significant digits ("23.54GiB"). */
export function bytesSize(bytes: number): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < binaryUnits.length - 1) {
    size /= 1024;
    unit++;
  }
  return `${Number(size.toPrecision(4))}${binaryUnits[unit]}`;
}

/** docker/go-units HumanDuration: "Less than a second", "About a minute", "3 days". */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.trunc(milliseconds / 1000);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(milliseconds / 3_600_000 + 0.5);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(milliseconds / 3_600_000 / 24 / 365)} years`;
}
