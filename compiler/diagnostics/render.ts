// Renders diagnostics the way compilers people trust do: a located header line, the source
// line with a caret underline, then a hint. The format is pinned by golden tests.
//
// What is printed comes partly from the user (paths, source lines, strings of the program): a
// control character or a bidirectional override in it is shown escaped (`\u{1b}`), so a
// diagnostic can neither drive the terminal nor make its text read otherwise than it is, and a
// very long source line is shown as a window around the caret.
import { lineText, type SourceFile } from '../source.js';
import type { Diagnostic } from './diagnostic.js';

/** C0 and C1 controls (tab aside), DEL, and the bidirectional formatting characters. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\0-\x08\n-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Text safe to print on a terminal: every unsafe character as `\u{hex}`. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

/** A message longer than this (one quoting a huge value) is cut short. */
const MAX_MESSAGE = 1000;
const clip = (m: string): string => (m.length > MAX_MESSAGE ? m.slice(0, MAX_MESSAGE) + '…' : m);

/** Source lines longer than this are shown as a window of this width around the caret. */
const MAX_LINE = 160;

export function renderDiagnostic(d: Diagnostic, sources: ReadonlyMap<string, SourceFile>): string {
  const out: string[] = [];
  const where = d.span ? `${escapeControls(d.span.file)}:${d.span.line}:${d.span.col}: ` : '';
  out.push(`${where}${d.severity} ${d.code}: ${escapeControls(clip(d.message))}`);
  if (d.span) out.push(...excerpt(d.span, sources));
  for (const n of d.notes) {
    const nw = n.span ? `${escapeControls(n.span.file)}:${n.span.line}:${n.span.col}: ` : '';
    out.push(`  note: ${nw}${escapeControls(n.message)}`);
  }
  if (d.hint) out.push(`  hint: ${escapeControls(d.hint)}`);
  return out.join('\n');
}

function excerpt(span: NonNullable<Diagnostic['span']>, sources: ReadonlyMap<string, SourceFile>): string[] {
  const src = sources.get(span.file);
  if (!src) return [];
  const raw = lineText(src, span.line);
  const gutter = String(span.line);
  const pad = ' '.repeat(gutter.length);
  const caretStart = span.col - 1;
  // Underline the span, clipped to the first line; at least one caret.
  const rawWidth = Math.max(1, Math.min(span.end - span.start, raw.length - caretStart));
  let before = escapeControls(raw.slice(0, caretStart));
  let under = escapeControls(raw.slice(caretStart, caretStart + rawWidth));
  let after = escapeControls(raw.slice(caretStart + rawWidth));
  if (before.length + under.length + after.length > MAX_LINE) {
    under = under.slice(0, MAX_LINE / 2);
    if (before.length > MAX_LINE / 4) before = '…' + before.slice(before.length - MAX_LINE / 4);
    const room = Math.max(0, MAX_LINE - before.length - under.length);
    if (after.length > room) after = after.slice(0, room) + '…';
  }
  const lead = before.replace(/[^\t]/g, ' ');
  // A span past the end of the line (a missing token) still gets one caret.
  return [` ${gutter} | ${before}${under}${after}`, ` ${pad} | ${lead}${'^'.repeat(Math.max(1, under.length))}`];
}

export function renderAll(ds: readonly Diagnostic[], sources: ReadonlyMap<string, SourceFile>): string {
  return ds.map((d) => renderDiagnostic(d, sources)).join('\n\n');
}
