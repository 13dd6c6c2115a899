// Source files and spans. Every diagnostic and every IR node points back here, so that
// errors, summaries and rewrite selectors can all speak in the user's own coordinates.

export interface SourceFile {
  /** The name shown to users (as given on the command line, or `std/…` for the stdlib). */
  readonly path: string;
  readonly text: string;
}

/** A half-open character range [start, end) in one file; line and column are 1-based. */
export interface Span {
  readonly file: string;
  readonly start: number;
  readonly end: number;
  readonly line: number;
  readonly col: number;
}

export const NO_SPAN: Span = { file: '<builtin>', start: 0, end: 0, line: 1, col: 1 };

/** Line starts are computed lazily and cached, since spans are rendered rarely. */
const lineStarts = new WeakMap<SourceFile, number[]>();

function starts(src: SourceFile): number[] {
  let s = lineStarts.get(src);
  if (!s) {
    s = [0];
    for (let i = 0; i < src.text.length; i++) if (src.text.charCodeAt(i) === 10) s.push(i + 1);
    lineStarts.set(src, s);
  }
  return s;
}

export function spanAt(src: SourceFile, start: number, end: number): Span {
  const s = starts(src);
  let lo = 0;
  let hi = s.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s[mid]! <= start) lo = mid;
    else hi = mid - 1;
  }
  return { file: src.path, start, end, line: lo + 1, col: start - s[lo]! + 1 };
}

export function lineText(src: SourceFile, line: number): string {
  const s = starts(src);
  const from = s[line - 1] ?? src.text.length;
  const to = line < s.length ? s[line]! - 1 : src.text.length;
  return src.text.slice(from, to).replace(/\r$/, '');
}

/** The smallest span covering both. */
export function joinSpans(a: Span, b: Span): Span {
  if (a.file !== b.file) return a;
  return a.start <= b.start ? { ...a, end: Math.max(a.end, b.end) } : { ...b, end: Math.max(a.end, b.end) };
}
