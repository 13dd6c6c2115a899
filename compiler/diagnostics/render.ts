// Renders diagnostics the way compilers people trust do: a located header line, the source
// line with a caret underline, then a hint. The format is pinned by golden tests.
import { lineText, type SourceFile } from '../source.js';
import type { Diagnostic } from './diagnostic.js';

export function renderDiagnostic(d: Diagnostic, sources: ReadonlyMap<string, SourceFile>): string {
  const out: string[] = [];
  const where = d.span ? `${d.span.file}:${d.span.line}:${d.span.col}: ` : '';
  out.push(`${where}${d.severity} ${d.code}: ${d.message}`);
  if (d.span) out.push(...excerpt(d.span, sources));
  for (const n of d.notes) {
    const nw = n.span ? `${n.span.file}:${n.span.line}:${n.span.col}: ` : '';
    out.push(`  note: ${nw}${n.message}`);
  }
  if (d.hint) out.push(`  hint: ${d.hint}`);
  return out.join('\n');
}

function excerpt(span: NonNullable<Diagnostic['span']>, sources: ReadonlyMap<string, SourceFile>): string[] {
  const src = sources.get(span.file);
  if (!src) return [];
  const text = lineText(src, span.line);
  const gutter = String(span.line);
  const pad = ' '.repeat(gutter.length);
  const caretStart = span.col - 1;
  // Underline the span, clipped to the first line; at least one caret.
  const width = Math.max(1, Math.min(span.end - span.start, text.length - caretStart));
  const lead = text.slice(0, caretStart).replace(/[^\t]/g, ' ');
  return [` ${gutter} | ${text}`, ` ${pad} | ${lead}${'^'.repeat(width)}`];
}

export function renderAll(ds: readonly Diagnostic[], sources: ReadonlyMap<string, SourceFile>): string {
  return ds.map((d) => renderDiagnostic(d, sources)).join('\n\n');
}
