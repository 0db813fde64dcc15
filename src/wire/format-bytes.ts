// Byte counts for people, in powers of 1000 as `ls -h --si` and browsers show them.

/** `1.2 kB`, `300 B`; `digits` decimals below 10 units (one fewer below 100, none above). */
export function formatBytes(n: number, digits = 2): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  do {
    v /= 1000;
    i++;
  } while (v >= 1000 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? digits : v < 100 ? Math.max(0, digits - 1) : 0)} ${units[i]}`;
}
