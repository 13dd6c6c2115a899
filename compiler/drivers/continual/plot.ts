// An SVG of accuracy along the stream: the accuracy on all classes seen so far at each
// evaluation point, task starts as dashed grey lines and plateaus (consolidations) as red ones.
import type { Evaluation } from './metrics.js';

export interface PlotInput {
  readonly title: string;
  readonly evals: readonly Evaluation[];
  readonly plateaus: readonly number[];
  readonly taskStarts: readonly number[];
  readonly total: number;
}

export function accuracySvg(p: PlotInput): string {
  const W = 640;
  const H = 320;
  const L = 50;
  const R = 20;
  const T = 30;
  const B = 40;
  const x = (s: number) => L + ((W - L - R) * s) / Math.max(p.total, 1);
  const y = (a: number) => T + (H - T - B) * (1 - a);
  const f = (v: number) => v.toFixed(1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="18" font-size="13">${escape(p.title)}</text>`,
  ];
  for (const a of [0, 0.25, 0.5, 0.75, 1])
    parts.push(
      `<line x1="${L}" x2="${W - R}" y1="${f(y(a))}" y2="${f(y(a))}" stroke="#eee"/>`,
      `<text x="${L - 6}" y="${f(y(a) + 4)}" text-anchor="end">${Math.round(a * 100)}%</text>`,
    );
  for (const s of p.taskStarts.slice(1))
    parts.push(`<line x1="${f(x(s))}" x2="${f(x(s))}" y1="${T}" y2="${H - B}" stroke="#999" stroke-dasharray="4 3"/>`);
  for (const s of p.plateaus)
    parts.push(`<line x1="${f(x(s))}" x2="${f(x(s))}" y1="${T}" y2="${H - B}" stroke="#d62728" stroke-width="1"/>`);
  const pts = p.evals.map((e) => `${f(x(e.samples))},${f(y(e.accuracy))}`).join(' ');
  parts.push(`<polyline points="${pts}" fill="none" stroke="#1f77b4" stroke-width="2"/>`);
  for (const e of p.evals)
    parts.push(`<circle cx="${f(x(e.samples))}" cy="${f(y(e.accuracy))}" r="2.5" fill="#1f77b4"/>`);
  parts.push(
    `<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="black"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">training samples seen (of ${p.total}); grey dashed: task starts, red: plateaus</text>`,
    `<text x="${L}" y="${H - B + 14}">0</text>`,
    `<text x="${W - R}" y="${H - B + 14}" text-anchor="end">${p.total}</text>`,
    '</svg>',
  );
  return parts.join('\n') + '\n';
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
