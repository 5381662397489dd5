/**
 * Go's string order (sort.Strings, <): bytewise, which for UTF-8 is code point order, not
 * UTF-16 order. It is also the order of docker's help and listings, and unlike localeCompare it
 * costs nothing to start (the first localeCompare loads ICU's collator, some 20 ms of a CLI's
 * start-up).
 */
export function compareGoStrings(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}
