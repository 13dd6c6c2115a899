// How the summaries write numbers: digit groups, SI prefixes, bytes in binary units.

export function groupDigits(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function siUnit(n: number, unit = ''): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [v, s] of units) if (Math.abs(n) >= v) return `${(n / v).toFixed(2)} ${s}${unit}`;
  return `${n} ${unit}`.trim();
}

export function bytes(n: number): string {
  const units: [number, string][] = [
    [2 ** 30, 'GiB'],
    [2 ** 20, 'MiB'],
    [2 ** 10, 'KiB'],
  ];
  for (const [v, s] of units) if (n >= v) return `${(n / v).toFixed(2)} ${s}`;
  return `${n} B`;
}
