// An SVG of the accuracy–MACs curves of anytime networks: each sub-network a dot, each series'
// staircase (the best accuracy available within a budget) a line.
import { paretoFront, type CurvePoint } from './curve.js';

export interface CurveSeries {
  readonly label: string;
  readonly points: readonly CurvePoint[];
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function curveSvg(series: readonly CurveSeries[], title: string): string {
  const W = 640;
  const H = 360;
  const [L, R, T, B] = [56, 150, 30, 44];
  const all = series.flatMap((s) => s.points);
  const lo = Math.min(...all.map((p) => p.macs));
  const hi = Math.max(...all.map((p) => p.macs));
  const amin = Math.max(0, Math.floor(Math.min(...all.map((p) => p.accuracy)) * 10) / 10);
  const amax = Math.min(1, Math.ceil(Math.max(...all.map((p) => p.accuracy)) * 10) / 10);
  const x = (m: number) => L + ((W - L - R) * (m - lo)) / Math.max(hi - lo, 1);
  const y = (a: number) => T + ((H - T - B) * (amax - a)) / Math.max(amax - amin, 1e-9);
  const f = (v: number) => v.toFixed(1);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="18" font-size="13">${escape(title)}</text>`,
  ];
  for (let a = amin; a <= amax + 1e-9; a += 0.1)
    parts.push(
      `<line x1="${L}" x2="${W - R}" y1="${f(y(a))}" y2="${f(y(a))}" stroke="#eee"/>`,
      `<text x="${L - 6}" y="${f(y(a) + 4)}" text-anchor="end">${(a * 100).toFixed(0)} %</text>`,
    );
  for (let k = 0; k <= 4; k++) {
    const m = lo + ((hi - lo) * k) / 4;
    parts.push(`<text x="${f(x(m))}" y="${H - B + 16}" text-anchor="middle">${(m / 1e6).toFixed(2)} M</text>`);
  }
  parts.push(
    `<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">MACs per sample</text>`,
    `<text x="14" y="${(T + H - B) / 2}" transform="rotate(-90 14 ${(T + H - B) / 2})" text-anchor="middle">test accuracy</text>`,
  );
  series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length]!;
    const front = paretoFront(s.points);
    const path: string[] = [];
    front.forEach((p, j) => {
      const next = j + 1 < front.length ? front[j + 1]!.macs : hi;
      path.push(`${j === 0 ? 'M' : 'L'}${f(x(p.macs))},${f(y(p.accuracy))}`, `L${f(x(next))},${f(y(p.accuracy))}`);
    });
    parts.push(`<path d="${path.join(' ')}" fill="none" stroke="${c}" stroke-width="1.5"/>`);
    for (const p of s.points)
      parts.push(`<circle cx="${f(x(p.macs))}" cy="${f(y(p.accuracy))}" r="2.5" fill="${c}" fill-opacity="0.6"/>`);
    parts.push(
      `<line x1="${W - R + 10}" x2="${W - R + 26}" y1="${T + 8 + 16 * i}" y2="${T + 8 + 16 * i}" stroke="${c}" stroke-width="2"/>`,
      `<text x="${W - R + 30}" y="${T + 12 + 16 * i}">${escape(s.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
