// Judging proxies against ground truth: rows are matched to a table's rows by architecture
// name (a key column, found automatically when not given), and each proxy's values, times its
// sign, are compared with the truth column by Kendall τ, Spearman ρ and top-k overlap.
import type { Row } from './evaluate.js';
import { getProxy } from './proxies.js';
import { kendall, spearman, topKOverlap } from './stats.js';
import type { Table } from './table.js';

export interface ProxyReport {
  readonly proxy: string;
  readonly sign: 1 | -1;
  readonly n: number;
  readonly kendall: number;
  readonly spearman: number;
  /** Top-k overlap at k = 1 % and 10 % of the matched candidates (at least 1). */
  readonly top: readonly { readonly k: number; readonly share: string; readonly overlap: number }[];
}

export interface AgainstReport {
  readonly key: string;
  readonly truth: string;
  readonly matched: number;
  readonly rows: number;
  readonly reports: readonly ProxyReport[];
  /** Matched pairs, for plots: the row and its truth value. */
  readonly pairs: readonly { readonly row: Row; readonly truth: number }[];
}

export class AgainstError extends Error {}

const isNumeric = (s: string) => s.trim() !== '' && Number.isFinite(Number(s));

/** A truth table's key and truth columns, and the truth by candidate name. */
export interface TruthLookup {
  readonly key: string;
  readonly truth: string;
  readonly byName: ReadonlyMap<string, number>;
}

/**
 * Finds a table's key column (the one whose values name the most of `names`, or `opts.key`) and
 * its truth column (the first numeric one besides the key, or `opts.truth`). The key is looked
 * for in the first 500 rows, or in all of them with `opts.scanAll` (when `names` are a few
 * candidates of a large space, not the rows of a run).
 */
export function truthLookup(
  table: Table,
  names: ReadonlySet<string>,
  opts: { key?: string; truth?: string; scanAll?: boolean } = {},
): TruthLookup {
  const col = (name: string, what: string) => {
    const i = table.columns.indexOf(name);
    if (i < 0)
      throw new AgainstError(`the table has no ${what} column "${name}"; its columns: ${table.columns.join(', ')}`);
    return i;
  };
  let key: number;
  if (opts.key !== undefined) key = col(opts.key, 'key');
  else {
    // The column whose values name the most of our candidates.
    const sample = opts.scanAll ? table.rows : table.rows.slice(0, 500);
    let best = -1;
    let hits = 0;
    table.columns.forEach((_, i) => {
      const h = sample.filter((r) => names.has(r[i] ?? '')).length;
      if (h > hits) {
        best = i;
        hits = h;
      }
    });
    if (best < 0)
      throw new AgainstError("no column of the table holds the candidates' names; name it with --key COLUMN");
    key = best;
  }
  let truth: number;
  if (opts.truth !== undefined) truth = col(opts.truth, 'truth');
  else {
    truth = table.columns.findIndex(
      (_, i) =>
        i !== key &&
        table.rows.length > 0 &&
        table.rows.filter((r) => isNumeric(r[i] ?? '')).length >= 0.9 * table.rows.length,
    );
    if (truth < 0)
      throw new AgainstError('the table has no numeric column to compare with; name one with --truth COLUMN');
  }
  const byName = new Map<string, number>();
  for (const r of table.rows) {
    const v = r[truth];
    if (v !== undefined && isNumeric(v)) byName.set(r[key]!, Number(v));
  }
  return { key: table.columns[key]!, truth: table.columns[truth]!, byName };
}

export function against(
  rows: readonly Row[],
  table: Table,
  proxies: readonly string[],
  opts: { key?: string; truth?: string } = {},
): AgainstReport {
  const { key, truth, byName } = truthLookup(table, new Set(rows.map((r) => r.arch)), opts);
  const pairs: { row: Row; truth: number }[] = [];
  for (const r of rows) {
    const t = byName.get(r.arch);
    if (t !== undefined && r.error === undefined) pairs.push({ row: r, truth: t });
  }
  const reports = proxies.map((p): ProxyReport => {
    const sign = getProxy(p)?.sign ?? 1;
    const ok = pairs.filter((x) => typeof x.row[p] === 'number');
    const xs = ok.map((x) => sign * (x.row[p] as number));
    const ys = ok.map((x) => x.truth);
    const ks = [
      { share: '1%', k: Math.max(1, Math.round(ok.length / 100)) },
      { share: '10%', k: Math.max(1, Math.round(ok.length / 10)) },
    ];
    return {
      proxy: p,
      sign,
      n: ok.length,
      kendall: kendall(xs, ys),
      spearman: spearman(xs, ys),
      top: ks.map((k) => ({ ...k, overlap: topKOverlap(xs, ys, k.k) })),
    };
  });
  return {
    key,
    truth,
    matched: pairs.length,
    rows: rows.length,
    reports,
    pairs,
  };
}

export function formatAgainst(r: AgainstReport, table: string): string {
  const lines = [
    `against ${table}: ${r.matched.toLocaleString('en')} of ${r.rows.toLocaleString('en')} candidates matched on column ${r.key}; truth: ${r.truth}`,
  ];
  const head = [
    'proxy',
    'sign',
    'n',
    'Kendall τ',
    'Spearman ρ',
    ...(r.reports[0]?.top ?? []).map((t) => `top-${t.share} (k=${t.k})`),
  ];
  const body = r.reports.map((p) => [
    p.proxy,
    p.sign > 0 ? '+' : '−',
    String(p.n),
    p.kendall.toFixed(4),
    p.spearman.toFixed(4),
    ...p.top.map((t) => t.overlap.toFixed(3)),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  lines.push(fmt(head), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(fmt));
  lines.push('(sign: + higher proxy predicts better, − lower; τ, ρ and overlaps use sign × proxy)');
  return lines.join('\n');
}
