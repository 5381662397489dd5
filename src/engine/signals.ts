/**
 * Signals as dockerd takes them (moby/sys/signal for Linux): a name with or without SIG
 * (RTMIN+n and RTMAX-n included) or a number, and the numbers the platform has a name for.
 */
const standard: Record<string, number> = {
  ABRT: 6, ALRM: 14, BUS: 7, CHLD: 17, CLD: 17, CONT: 18, FPE: 8, HUP: 1, ILL: 4, INT: 2, IO: 29, IOT: 6, KILL: 9, PIPE: 13, POLL: 29, PROF: 27, PWR: 30,
  QUIT: 3, SEGV: 11, STKFLT: 16, STOP: 19, SYS: 31, TERM: 15, TRAP: 5, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, USR1: 10, USR2: 12, VTALRM: 26,
  WINCH: 28, XCPU: 24, XFSZ: 25,
};
export const sigkill = standard.KILL;
export const sigterm = standard.TERM;

const realTimeMin = 34;
const realTimeMax = 64;

/** The signal's number; a name dockerd does not know, or 0, is `Invalid signal: <raw>`. */
export function parseSignal(raw: string): number | undefined {
  if (/^\d+$/.test(raw)) return Number(raw) === 0 ? undefined : Number(raw);
  const name = raw.toUpperCase().replace(/^SIG/, "");
  if (Object.hasOwn(standard, name)) return standard[name];
  const realTime = /^RT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (realTime === null) return undefined;
  const [, base, sign, offset] = realTime;
  // RTMIN+1..+15 and RTMAX-14..-1, the names Go's table has.
  if (sign === undefined) return base === "MIN" ? realTimeMin : realTimeMax;
  const n = Number(offset);
  if (base === "MIN" && sign === "+" && n >= 1 && n <= 15) return realTimeMin + n;
  if (base === "MAX" && sign === "-" && n >= 1 && n <= 14) return realTimeMax - n;
  return undefined;
}

/** Whether Linux (as dockerd counts it) has this signal: 1 to 31 and the real-time ones, 34 to 64. */
export function isPlatformSignal(signal: number): boolean {
  return (signal >= 1 && signal <= 31) || (signal >= realTimeMin && signal <= realTimeMax);
}
