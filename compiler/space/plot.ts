// `mdl score --plot FILE.svg`: one panel per proxy (proxy against the truth column, with its
// Spearman ρ), and a panel of the Pareto front of truth against cost (MACs when scored, else
// parameters): the candidates no other beats on both. Large runs are drawn as a density
// grid, so the file stays small however many candidates there are; the front is drawn exactly.
import type { AgainstReport } from './against.js';

const PANEL_W = 320;
const PANEL_H = 240;
const PAD = { l: 58, r: 14, t: 30, b: 40 };
const GRID = 90;
const DENSE = 2000;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function fmtTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

/**
 * Tick values a reader takes in at a glance: multiples of 1, 2, 2.5 or 5 × 10^k, about
 * `target` of them, inside [lo, hi].
 */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw * 0.999)!;
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++)
    out.push(Number((k * step).toPrecision(12)));
  return out;
}

/** The value below which `percent` % of the values lie (nearest rank). */
export function percentile(values: readonly number[], percent: number): number {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((percent / 100) * v.length) - 1))]!;
}

/** One chart: points, and an optional front drawn over them as a red line. */
export interface Panel {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly points: readonly (readonly [number, number])[];
  readonly front?: readonly (readonly [number, number])[];
  /** The y axis starts here; points below it are left out (and counted in the title). */
  readonly yFrom?: number;
}

function panel(given: Panel, ox: number, oy: number): string {
  const w = PANEL_W - PAD.l - PAD.r;
  const h = PANEL_H - PAD.t - PAD.b;
  const from = given.yFrom;
  const below = from === undefined ? 0 : given.points.filter((q) => q[1] < from).length;
  const p: Panel =
    from === undefined || below === 0
      ? given
      : {
          ...given,
          title: `${given.title}; ${below} below ${fmtTick(from)}`,
          points: given.points.filter((q) => q[1] >= from),
          ...(given.front ? { front: given.front.filter((q) => q[1] >= from) } : {}),
        };
  const xs = p.points.map((q) => q[0]);
  const ys = p.points.map((q) => q[1]);
  const range = (v: number[]) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of v) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    if (!Number.isFinite(lo)) return [0, 1] as const;
    return lo === hi ? ([lo - 1, hi + 1] as const) : ([lo, hi] as const);
  };
  const [x0, x1] = range(xs);
  const [y0, y1] = range(ys);
  const X = (x: number) => ox + PAD.l + ((x - x0) / (x1 - x0)) * w;
  const Y = (y: number) => oy + PAD.t + h - ((y - y0) / (y1 - y0)) * h;
  const out: string[] = [];
  out.push(`<text x="${ox + PAD.l}" y="${oy + 18}" font-size="13" font-weight="bold">${esc(p.title)}</text>`);
  out.push(`<rect x="${ox + PAD.l}" y="${oy + PAD.t}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  // Round values, with a tick mark on the frame: 0.86 and 0.9, not 0.8537 and 0.8795.
  for (const xv of niceTicks(x0, x1))
    out.push(
      `<line x1="${X(xv).toFixed(1)}" x2="${X(xv).toFixed(1)}" y1="${oy + PAD.t + h}" y2="${oy + PAD.t + h + 4}" stroke="#999"/>`,
      `<text x="${X(xv).toFixed(1)}" y="${oy + PAD.t + h + 14}" font-size="10" text-anchor="middle">${fmtTick(xv)}</text>`,
    );
  for (const yv of niceTicks(y0, y1))
    out.push(
      `<line x1="${ox + PAD.l - 4}" x2="${ox + PAD.l}" y1="${Y(yv).toFixed(1)}" y2="${Y(yv).toFixed(1)}" stroke="#999"/>`,
      `<text x="${ox + PAD.l - 6}" y="${(Y(yv) + 3).toFixed(1)}" font-size="10" text-anchor="end">${fmtTick(yv)}</text>`,
    );
  out.push(
    `<text x="${ox + PAD.l + w / 2}" y="${oy + PANEL_H - 6}" font-size="11" text-anchor="middle">${esc(p.xLabel)}</text>`,
  );
  out.push(
    `<text transform="translate(${ox + 12},${oy + PAD.t + h / 2}) rotate(-90)" font-size="11" text-anchor="middle">${esc(p.yLabel)}</text>`,
  );
  if (p.points.length > DENSE) {
    const counts = new Map<number, number>();
    for (const [x, y] of p.points) {
      const i = Math.min(GRID - 1, Math.floor(((x - x0) / (x1 - x0)) * GRID));
      const j = Math.min(GRID - 1, Math.floor(((y - y0) / (y1 - y0)) * GRID));
      counts.set(i * GRID + j, (counts.get(i * GRID + j) ?? 0) + 1);
    }
    const max = Math.max(...counts.values());
    const cw = w / GRID;
    const ch = h / GRID;
    for (const [c, n] of counts) {
      const i = Math.floor(c / GRID);
      const j = c % GRID;
      const a = 0.15 + 0.85 * Math.sqrt(n / max);
      out.push(
        `<rect x="${(ox + PAD.l + i * cw).toFixed(1)}" y="${(oy + PAD.t + h - (j + 1) * ch).toFixed(1)}" width="${cw.toFixed(2)}" height="${ch.toFixed(2)}" fill="#1f77b4" fill-opacity="${a.toFixed(2)}"/>`,
      );
    }
  } else {
    for (const [x, y] of p.points)
      out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="1.8" fill="#1f77b4" fill-opacity="0.5"/>`);
  }
  if (p.front && p.front.length > 0) {
    const pts = p.front.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="#d62728" stroke-width="1.5"/>`);
    for (const [x, y] of p.front)
      out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="2.5" fill="#d62728"/>`);
  }
  return out.join('\n');
}

/** The Pareto front of (cost, truth): lowest cost, highest truth, sorted by cost. */
export function paretoFront(points: readonly (readonly [number, number])[]): [number, number][] {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const front: [number, number][] = [];
  let best = -Infinity;
  for (const [x, y] of sorted) {
    if (y > best) {
      front.push([x, y]);
      best = y;
    }
  }
  return front;
}

/**
 * `clipPercent`: the truth axis starts at this percentile of the truth values, so a few outliers
 * (NAS-Bench-201's ~10 % networks) do not squash the band where most candidates are.
 */
export function plotSvg(r: AgainstReport, proxies: readonly string[], clipPercent?: number): string {
  const yFrom =
    clipPercent === undefined
      ? undefined
      : percentile(
          r.pairs.map((p) => p.truth),
          clipPercent,
        );
  const panels: Panel[] = [];
  for (const rep of r.reports) {
    const points = r.pairs
      .filter((p) => typeof p.row[rep.proxy] === 'number')
      .map((p) => [p.row[rep.proxy] as number, p.truth] as const);
    panels.push({
      title: `${rep.proxy} (ρ = ${rep.spearman.toFixed(3)}, τ = ${rep.kendall.toFixed(3)})`,
      xLabel: rep.proxy,
      yLabel: r.truth,
      points,
      ...(yFrom !== undefined ? { yFrom } : {}),
    });
  }
  const cost = ['macs', 'params', 'flops'].find((c) => proxies.includes(c));
  if (cost) {
    const points = r.pairs
      .filter((p) => typeof p.row[cost] === 'number')
      .map((p) => [p.row[cost] as number, p.truth] as const);
    panels.push({
      title: `Pareto front: ${r.truth} vs ${cost}`,
      xLabel: cost,
      yLabel: r.truth,
      points,
      front: paretoFront(points),
      ...(yFrom !== undefined ? { yFrom } : {}),
    });
  }
  return panelsSvg(panels);
}

/** Panels in a grid of up to three columns, as one SVG document. */
export function panelsSvg(panels: readonly Panel[]): string {
  const cols = Math.max(1, Math.min(3, panels.length));
  const rowsN = Math.ceil(panels.length / cols);
  const W = cols * PANEL_W;
  const H = rowsN * PANEL_H + 10;
  const body = panels.map((p, i) => panel(p, (i % cols) * PANEL_W, Math.floor(i / cols) * PANEL_H + 10)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}
