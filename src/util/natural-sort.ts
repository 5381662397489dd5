/**
 * fvbommel/sortorder NaturalLess, the order `docker volume ls` prints names in: runs of digits
 * compare as numbers (v2 before v10), everything else byte by byte, digits before other bytes.
 */
export function naturalCompare(a: string, b: string): number {
  if (a === b) return 0;
  return naturalLess(a, b) ? -1 : 1;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function naturalLess(s1: string, s2: string): boolean {
  const a = Buffer.from(s1);
  const b = Buffer.from(s2);
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const digitA = isDigit(a[i]);
    const digitB = isDigit(b[j]);
    if (digitA !== digitB) return digitA;
    if (!digitA) {
      if (a[i] !== b[j]) return a[i] < b[j];
      i++;
      j++;
      continue;
    }
    while (i < a.length && a[i] === 48) i++;
    while (j < b.length && b[j] === 48) j++;
    const startA = i;
    const startB = j;
    while (i < a.length && isDigit(a[i])) i++;
    while (j < b.length && isDigit(b[j])) j++;
    if (i - startA !== j - startB) return i - startA < j - startB;
    const numberA = a.subarray(startA, i).toString();
    const numberB = b.subarray(startB, j).toString();
    if (numberA !== numberB) return numberA < numberB;
    if (startA !== startB) return startA < startB;
  }
  return a.length < b.length;
}
