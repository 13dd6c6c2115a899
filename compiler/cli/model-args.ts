// `--arg NAME=VALUE`: a model's compile-time arguments from the command line, shared by every
// command that elaborates a model. A value is written as in a .mdl file — `9`, `0.5`, `1e-3`,
// `true`, `none`, `"relu"`, `[16, 32]`, `(3, 3)` — and a bare word is a string (`act=gelu`), so
// the shell's quotes are not needed. Which names a model accepts is checked by the compiler
// (compile.ts), against the model's parameters.
import { BOOL, FLOAT, INT, LIST, NONE, STR, TUPLE, type V } from '../elaborate/values.js';
import { UsageError, type FlagKind, type ParsedArgs } from './args.js';

/** The flag's entry in a command's spec. */
export const ARG_FLAG: Readonly<Record<'arg', FlagKind>> = { arg: 'strings' };

/** Its part of a usage line. */
export const ARG_USAGE = '[--arg NAME=VALUE]...';

const EXAMPLE = 'for example --arg blocks_per_stage=9, --arg widths=[16,32,64] or --arg act=gelu';

/** The `--arg` flags of a command line as the elaborator's arguments (undefined when none). */
export function modelArgs(args: ParsedArgs): ReadonlyMap<string, V> | undefined {
  const given = args.flags.get('arg') as readonly string[] | undefined;
  if (!given || given.length === 0) return undefined;
  const out = new Map<string, V>();
  for (const text of given) {
    const [name, value] = parseModelArg(text);
    if (out.has(name)) throw new UsageError(`--arg ${name} is given twice`, 'give each argument once');
    out.set(name, value);
  }
  return out;
}

/** `NAME=VALUE` → the name and its compile-time value. */
export function parseModelArg(text: string): [string, V] {
  const m = /^([A-Za-z_]\w*)=(.*)$/s.exec(text);
  if (!m) throw new UsageError(`--arg takes NAME=VALUE, got "${text}"`, EXAMPLE);
  const p = new ValueParser(m[2]!, m[1]!);
  const v = p.value();
  p.end();
  return [m[1]!, v];
}

/** A recursive-descent reader of one literal value. */
class ValueParser {
  private i = 0;

  constructor(
    private readonly s: string,
    private readonly name: string,
  ) {}

  private fail(what: string): never {
    throw new UsageError(`--arg ${this.name}: ${what} in "${this.s}"`, EXAMPLE);
  }

  private skip(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  end(): void {
    this.skip();
    if (this.i < this.s.length) this.fail(`unexpected "${this.s.slice(this.i)}"`);
  }

  value(): V {
    this.skip();
    const c = this.s[this.i];
    if (c === undefined) this.fail('a value is missing');
    if (c === '[' || c === '(') return this.sequence(c === '[' ? ']' : ')');
    if (c === '"') return this.quoted();
    const start = this.i;
    while (this.i < this.s.length && !/[\s,\])[(]/.test(this.s[this.i]!)) this.i++;
    const word = this.s.slice(start, this.i);
    if (word === '') this.fail(`unexpected "${c}"`);
    if (word === 'true' || word === 'false') return BOOL(word === 'true');
    if (word === 'none') return NONE;
    if (/^[-+]?\d[\d_]*$/.test(word)) return INT(Number(word.replace(/_/g, '')));
    if (/^[-+]?\d[\d_]*(\.\d[\d_]*)?([eE][-+]?\d+)?$/.test(word)) return FLOAT(Number(word.replace(/_/g, '')));
    return STR(word);
  }

  private quoted(): V {
    let out = '';
    for (this.i++; this.i < this.s.length; this.i++) {
      const c = this.s[this.i]!;
      if (c === '"') {
        this.i++;
        return STR(out);
      }
      if (c === '\\' && this.i + 1 < this.s.length) {
        const e = this.s[++this.i]!;
        out += e === 'n' ? '\n' : e === 't' ? '\t' : e;
      } else out += c;
    }
    return this.fail('a string is not closed');
  }

  private sequence(close: ']' | ')'): V {
    this.i++;
    const items: V[] = [];
    let comma = false;
    for (;;) {
      this.skip();
      if (this.s[this.i] === close) {
        this.i++;
        break;
      }
      items.push(this.value());
      this.skip();
      comma = this.s[this.i] === ',';
      if (comma) this.i++;
      else if (this.s[this.i] !== close) this.fail(`"${close}" or "," expected`);
    }
    // `(3)` is a parenthesised value, `(3,)` a tuple of one, as in the language.
    if (close === ')') return items.length === 1 && !comma ? items[0]! : TUPLE(items);
    return LIST(items);
  }
}
