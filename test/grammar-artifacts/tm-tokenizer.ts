// A small TextMate tokenizer for tests: enough of the engine editors run (vscode-textmate) to
// apply grammar/mdl.tmLanguage.json to text and ask which scopes cover a character. It
// implements match, begin/end (with contentName), captures / beginCaptures / endCaptures,
// patterns and include (#name, $self), with the engine's rules: at each position the earliest
// match wins, ties go to the first pattern, and a region's end pattern wins ties with its
// inner patterns. Regexes run under JavaScript, which is why the grammar avoids Oniguruma-only
// syntax. Not implemented (the grammar does not use them): backreferences in `end`, `while`,
// applyEndPatternLast, injections, captures with their own patterns, `$n` in scope names.

export interface TmRule {
  readonly include?: string;
  readonly match?: string;
  readonly begin?: string;
  readonly end?: string;
  readonly name?: string;
  readonly contentName?: string;
  readonly captures?: Readonly<Record<string, { readonly name?: string }>>;
  readonly beginCaptures?: Readonly<Record<string, { readonly name?: string }>>;
  readonly endCaptures?: Readonly<Record<string, { readonly name?: string }>>;
  readonly patterns?: readonly TmRule[];
}

export interface TmGrammar {
  readonly scopeName: string;
  readonly patterns: readonly TmRule[];
  readonly repository: Readonly<Record<string, TmRule>>;
}

interface Frame {
  readonly rule: TmRule;
  /** Scopes of the region itself (its `name`), and of its content (`contentName` added). */
  readonly scopes: readonly string[];
  readonly inner: readonly string[];
  readonly end: RegExp | undefined;
  readonly patterns: readonly TmRule[];
}

const split = (name: string | undefined): string[] => (name ? name.split(/\s+/).filter(Boolean) : []);

export class TmTokenizer {
  private readonly cache = new Map<string, RegExp>();

  constructor(private readonly grammar: TmGrammar) {}

  regex(source: string): RegExp {
    let re = this.cache.get(source);
    if (!re) {
      re = new RegExp(source, 'gd');
      this.cache.set(source, re);
    }
    return re;
  }

  /** The match/begin rules a list of patterns stands for, includes resolved in order. */
  private flatten(patterns: readonly TmRule[], seen = new Set<TmRule>()): TmRule[] {
    const out: TmRule[] = [];
    for (const p of patterns) {
      if (p.include !== undefined) {
        const target =
          p.include === '$self' || p.include === '$base'
            ? { patterns: this.grammar.patterns }
            : this.grammar.repository[p.include.replace(/^#/, '')];
        if (!target) throw new Error(`include of an unknown rule ${p.include}`);
        if (seen.has(target)) continue;
        seen.add(target);
        if (target.match !== undefined || target.begin !== undefined) out.push(target);
        else out.push(...this.flatten(target.patterns ?? [], seen));
        seen.delete(target);
      } else if (p.match !== undefined || p.begin !== undefined) out.push(p);
      else if (p.patterns) out.push(...this.flatten(p.patterns, seen));
    }
    return out;
  }

  /** Scopes per character of `text` (newlines get the scopes of the line's end). */
  tokenize(text: string): string[][] {
    const out: string[][] = [];
    const root: Frame = {
      rule: {},
      scopes: [this.grammar.scopeName],
      inner: [this.grammar.scopeName],
      end: undefined,
      patterns: this.flatten(this.grammar.patterns),
    };
    const stack: Frame[] = [root];
    for (const line of text.split('\n')) {
      const scopes: string[][] = Array.from({ length: line.length }, () => []);
      this.line(line, stack, scopes);
      out.push(...scopes, [...stack[stack.length - 1]!.inner]);
    }
    out.pop();
    return out;
  }

  private line(line: string, stack: Frame[], scopes: string[][]): void {
    let pos = 0;
    let stuck = 0;
    let lastPos = -1;
    for (;;) {
      if (pos === lastPos) {
        if (++stuck > 50) throw new Error(`the grammar loops at column ${pos + 1} of: ${line}`);
      } else stuck = 0;
      lastPos = pos;
      const frame = stack[stack.length - 1]!;
      let best: { m: RegExpExecArray; rule: TmRule | undefined } | undefined;
      if (frame.end) {
        const m = this.exec(frame.end, line, pos);
        if (m) best = { m, rule: undefined };
      }
      for (const rule of frame.patterns) {
        const m = this.exec(this.regex(rule.match ?? rule.begin!), line, pos);
        if (m && (!best || m.index < best.m.index)) best = { m, rule };
      }
      if (!best) {
        this.paint(scopes, pos, line.length, frame.inner);
        return;
      }
      const { m, rule } = best;
      this.paint(scopes, pos, m.index, frame.inner);
      const end = m.index + m[0].length;
      if (rule === undefined) {
        // The region ends: its end match has the region's scopes, not its content's.
        this.paint(scopes, m.index, end, frame.scopes);
        this.captures(scopes, m, frame.scopes, frame.rule.endCaptures ?? frame.rule.captures);
        stack.pop();
      } else if (rule.match !== undefined) {
        const s = [...frame.inner, ...split(rule.name)];
        this.paint(scopes, m.index, end, s);
        this.captures(scopes, m, s, rule.captures);
        if (m[0].length === 0) {
          // A zero-width match cannot make progress; step over one character.
          this.paint(scopes, end, Math.min(end + 1, line.length), frame.inner);
          if (end >= line.length) return;
          pos = end + 1;
          continue;
        }
      } else {
        const s = [...frame.inner, ...split(rule.name)];
        this.paint(scopes, m.index, end, s);
        this.captures(scopes, m, s, rule.beginCaptures ?? rule.captures);
        stack.push({
          rule,
          scopes: s,
          inner: [...s, ...split(rule.contentName)],
          end: this.regex(rule.end ?? '(?!)'),
          patterns: this.flatten(rule.patterns ?? []),
        });
      }
      pos = end;
      if (pos > line.length) return;
    }
  }

  private exec(re: RegExp, line: string, pos: number): RegExpExecArray | null {
    if (pos > line.length) return null;
    re.lastIndex = pos;
    return re.exec(line);
  }

  private paint(scopes: string[][], from: number, to: number, s: readonly string[]): void {
    for (let i = from; i < to && i < scopes.length; i++) scopes[i] = [...s];
  }

  private captures(scopes: string[][], m: RegExpExecArray, base: readonly string[], caps: TmRule['captures']): void {
    if (!caps || !m.indices) return;
    for (const [k, v] of Object.entries(caps).sort(([a], [b]) => Number(a) - Number(b))) {
      const range = m.indices[Number(k)];
      if (!range || !v.name) continue;
      for (let i = range[0]; i < range[1] && i < scopes.length; i++)
        scopes[i] = [...(Number(k) === 0 ? base : scopes[i]!), ...split(v.name)];
    }
  }
}

/** Every regex source of a grammar (match, begin, end), with where it sits. */
export function grammarRegexes(g: TmGrammar): { where: string; source: string; kind: 'match' | 'begin' | 'end' }[] {
  const out: { where: string; source: string; kind: 'match' | 'begin' | 'end' }[] = [];
  const walk = (r: TmRule, where: string) => {
    for (const kind of ['match', 'begin', 'end'] as const)
      if (r[kind] !== undefined) out.push({ where, source: r[kind]!, kind });
    r.patterns?.forEach((p, i) => walk(p, `${where}.patterns[${i}]`));
  };
  g.patterns.forEach((p, i) => walk(p, `patterns[${i}]`));
  for (const [name, r] of Object.entries(g.repository)) walk(r, `repository.${name}`);
  return out;
}
