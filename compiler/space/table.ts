// Result files and ground-truth tables: JSON lines or CSV (RFC 4180 quoting), read and written.
import type { Row } from './evaluate.js';

/** Splits CSV text into records of fields (quoted fields may hold commas, quotes, newlines). */
export function parseCsv(source: string): string[][] {
  // A byte-order mark (spreadsheets write one) is not part of the first column's name.
  const text = source.startsWith('\uFEFF') ? source.slice(1) : source;
  const out: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.length > 1 || row[0] !== '') out.push(row);
      row = [];
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    out.push(row);
  }
  return out;
}

export function csvField(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface Table {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export function readCsvTable(text: string): Table {
  const [head, ...rows] = parseCsv(text);
  return { columns: head ?? [], rows };
}

/** Result rows from a file written by `mdl score` (JSON lines or CSV). A torn last line is ignored. */
export function readRows(text: string): Row[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    const rows: Row[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        rows.push(JSON.parse(line) as Row);
      } catch {
        // A line cut short by an interrupted run: it will be scored again.
      }
    }
    return rows;
  }
  const t = readCsvTable(text);
  return t.rows
    .filter((r) => r.length === t.columns.length)
    .map((r) => {
      const o: Record<string, number | string> = {};
      t.columns.forEach((c, i) => {
        const v = r[i]!;
        if (v === '') return;
        const text =
          c === 'arch' ||
          c === 'hash' ||
          c === 'error' ||
          !/^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(v) ||
          (c === 'index' && v.length > 15);
        o[c] = text ? v : Number(v);
      });
      return o as unknown as Row;
    });
}

export function csvHeader(proxies: readonly string[]): string {
  return ['index', 'arch', 'hash', ...proxies, 'error'].map(csvField).join(',');
}

export function csvRow(r: Row, proxies: readonly string[]): string {
  return [r.index, r.arch, r.hash, ...proxies.map((p) => r[p]), r.error].map(csvField).join(',');
}

/** Compares row indices numerically (they may be decimal strings beyond 2^53). */
export function compareIndex(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
