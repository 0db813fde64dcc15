// Byte counts, counts and rates for people, as the CLI, the listing and the page all show them.

/** `1.2 kB`, `300 B`: powers of 1000 as `ls -h --si` and browsers show them; `digits` decimals below 10 units (one fewer below 100, none above). */
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

const counts = new Intl.NumberFormat('en-US');

/** `12,345`. */
export function formatCount(n: number): string {
  return counts.format(n);
}

/** A rate in bytes per second, short: `1.2 kB/s`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}
