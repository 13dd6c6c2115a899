// What an exploration writes: JSON lines (one per ε with every metric, one per rate, one for the
// run), a text table of the metrics against ε, and SVG curves of each metric against ε, one
// line per method (the experiment draws dropout and re-training together).
import { textTable } from '../analysis/format.js';
import type { Distribution, EpsilonMetrics } from './metrics.js';

const dist = (d: Distribution) => ({ mean: d.mean, p50: d.p50, p90: d.p90, p99: d.p99, max: d.max });

/** One JSON line per ε. */
export function epsilonRow(method: string, m: EpsilonMetrics): Record<string, unknown> {
  return {
    kind: 'epsilon',
    method,
    epsilon: m.epsilon,
    models: m.models,
    ambiguity: m.ambiguity,
    discrepancy: m.discrepancy,
    disagreement: dist(m.disagreement),
    vpr: dist(m.vpr),
    score_variance: dist(m.scoreVariance),
    rashomon_capacity: dist(m.capacity),
  };
}

const fx = (v: number, d = 4) => v.toFixed(d);
const sci = (v: number) => (v === 0 ? '0' : v < 1e-3 ? v.toExponential(2) : v.toFixed(4));

/** The metrics against ε (per-sample metrics as their mean over the samples). */
export function metricsTable(rows: readonly EpsilonMetrics[]): string[] {
  const t = textTable(
    ['ε', 'models', 'ambiguity', 'discrepancy', 'disagreement', 'VPR', 'score var', '2^RC'],
    rows.map((r) => [
      fx(r.epsilon, 3),
      String(r.models),
      fx(r.ambiguity),
      fx(r.discrepancy),
      fx(r.disagreement.mean),
      fx(r.vpr.mean),
      sci(r.scoreVariance.mean),
      fx(r.capacity.mean),
    ]),
    0,
  );
  return [...t.header, ...t.rows, t.rule];
}

export interface Series {
  readonly name: string;
  readonly rows: readonly EpsilonMetrics[];
}

const PANELS: readonly { title: string; y: (m: EpsilonMetrics) => number }[] = [
  { title: 'ambiguity', y: (m) => m.ambiguity },
  { title: 'discrepancy', y: (m) => m.discrepancy },
  { title: 'disagreement (mean)', y: (m) => m.disagreement.mean },
  { title: 'viable prediction range (mean)', y: (m) => m.vpr.mean },
  { title: 'score variance (mean)', y: (m) => m.scoreVariance.mean },
  { title: 'Rashomon capacity 2^RC (mean)', y: (m) => m.capacity.mean },
];

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const W = 300;
const H = 220;
const PAD = { l: 56, r: 12, t: 26, b: 36 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const tick = (v: number) => (Math.abs(v) >= 1e-3 || v === 0 ? `${+v.toPrecision(3)}` : v.toExponential(1));

/** Six panels (each metric against ε), one polyline per series. */
export function curvesSvg(series: readonly Series[], title: string): string {
  const cols = 3;
  const width = cols * W;
  const legend = 22;
  const height = Math.ceil(PANELS.length / cols) * H + legend + 24;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  series.forEach((s, k) => {
    const x = 10 + k * 190;
    out.push(
      `<line x1="${x}" y1="${34}" x2="${x + 24}" y2="${34}" stroke="${COLORS[k % COLORS.length]}" stroke-width="2"/>`,
      `<text x="${x + 30}" y="${38}" font-size="12">${esc(s.name)}</text>`,
    );
  });
  PANELS.forEach((p, i) => {
    const ox = (i % cols) * W;
    const oy = 24 + legend + Math.floor(i / cols) * H;
    const w = W - PAD.l - PAD.r;
    const h = H - PAD.t - PAD.b;
    const pts = series.flatMap((s) => s.rows.map((m) => [m.epsilon, p.y(m)] as const));
    const xs = pts.map((q) => q[0]);
    const ys = pts.map((q) => q[1]);
    const x0 = Math.min(...xs, 0);
    const x1 = Math.max(...xs, x0 + 1e-9);
    const y0 = Math.min(...ys, p.title.startsWith('Rashomon') ? 1 : 0);
    let y1 = Math.max(...ys);
    if (!(y1 > y0)) y1 = y0 + 1;
    const X = (x: number) => ox + PAD.l + ((x - x0) / (x1 - x0)) * w;
    const Y = (y: number) => oy + PAD.t + h - ((y - y0) / (y1 - y0)) * h;
    out.push(`<text x="${ox + PAD.l}" y="${oy + 16}" font-size="12" font-weight="bold">${esc(p.title)}</text>`);
    out.push(`<rect x="${ox + PAD.l}" y="${oy + PAD.t}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
    for (let k = 0; k <= 4; k++) {
      const xv = x0 + ((x1 - x0) * k) / 4;
      const yv = y0 + ((y1 - y0) * k) / 4;
      out.push(
        `<text x="${X(xv).toFixed(1)}" y="${oy + PAD.t + h + 13}" font-size="10" text-anchor="middle">${tick(xv)}</text>`,
        `<text x="${ox + PAD.l - 4}" y="${(Y(yv) + 3).toFixed(1)}" font-size="10" text-anchor="end">${tick(yv)}</text>`,
      );
    }
    out.push(
      `<text x="${ox + PAD.l + w / 2}" y="${oy + H - 6}" font-size="11" text-anchor="middle">Rashomon parameter ε</text>`,
    );
    series.forEach((s, k) => {
      const c = COLORS[k % COLORS.length];
      const line = s.rows.map((m) => `${X(m.epsilon).toFixed(1)},${Y(p.y(m)).toFixed(1)}`).join(' ');
      out.push(`<polyline points="${line}" fill="none" stroke="${c}" stroke-width="1.8"/>`);
      for (const m of s.rows)
        out.push(`<circle cx="${X(m.epsilon).toFixed(1)}" cy="${Y(p.y(m)).toFixed(1)}" r="2.2" fill="${c}"/>`);
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
