// A small, strict command-line parser: every command declares its flags, and anything else is
// a usage error with a hint (never a stack trace).
import type { DiagnosticCode } from '../diagnostics/codes.js';
import { CliError } from './errors.js';

/**
 * `int`: a positive whole number; `count`: a whole number that may be 0 (`--warmup 0`);
 * `strings`: a repeatable flag whose values are collected in order (`--arg a=1 --arg b=2`).
 */
export type FlagKind = 'bool' | 'string' | 'int' | 'count' | 'float' | 'kv' | 'strings';

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagKind>>;
  /** How many positional arguments: [min, max]. */
  readonly positional: readonly [number, number];
  /** One-letter aliases of flags: `{ o: 'out' }` makes `-o DIR` mean `--out DIR`. */
  readonly short?: Readonly<Record<string, string>>;
}

export interface ParsedArgs {
  readonly positional: string[];
  readonly flags: Map<string, string | boolean | number | Record<string, number> | readonly string[]>;
}

type UsageCode = Extract<DiagnosticCode, 'MDL7001' | 'MDL7002' | 'MDL7003' | 'MDL7004' | 'MDL7005'>;

/** Bad usage (exit status 2): MDL7001 unless a more precise code is given. */
export class UsageError extends CliError {
  declare readonly code: UsageCode;

  constructor(message: string, hint?: string, code: UsageCode = 'MDL7001') {
    super(code, message, hint);
  }
}

export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | boolean | number | Record<string, number> | readonly string[]>();
  for (let i = 0; i < argv.length; i++) {
    const alias = /^-([A-Za-z])$/.exec(argv[i]!)?.[1];
    const a = alias !== undefined && spec.short?.[alias] ? `--${spec.short[alias]}` : argv[i]!;
    if (!a.startsWith('--') || a === '--') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const kind = spec.flags[name];
    if (!kind) {
      const known = Object.keys(spec.flags).map((f) => `--${f}`);
      throw new UsageError(
        `unknown flag --${name} for \`mdl ${spec.name}\``,
        known.length ? `its flags: ${known.join(' ')}` : `\`mdl ${spec.name}\` takes no flags`,
        'MDL7003',
      );
    }
    if (kind === 'bool') {
      if (eq > 0) throw new UsageError(`--${name} takes no value`, `write --${name} alone`);
      flags.set(name, true);
      continue;
    }
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--')))
      throw new UsageError(`--${name} needs a value`, `usage: ${spec.usage}`);
    if (kind === 'float') {
      const x = Number(value);
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value) || !Number.isFinite(x))
        throw new UsageError(
          `--${name} must be a number, got "${value}"`,
          `for example --${name} 0.5 or --${name} 1e-3`,
        );
      flags.set(name, x);
    } else if (kind === 'int') {
      if (!/^\d+$/.test(value) || Number(value) <= 0 || !Number.isSafeInteger(Number(value)))
        throw new UsageError(`--${name} must be a positive integer, got "${value}"`, `for example --${name} 32`);
      flags.set(name, Number(value));
    } else if (kind === 'count') {
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
        throw new UsageError(`--${name} must be a whole number (0 or more), got "${value}"`, `for example --${name} 0`);
      flags.set(name, Number(value));
    } else if (kind === 'kv') {
      const m = /^([A-Za-z_]\w*)=(\d+)$/.exec(value);
      if (!m || Number(m[2]) <= 0 || !Number.isSafeInteger(Number(m[2])))
        throw new UsageError(
          `--${name} takes NAME=N with N a positive integer, got "${value}"`,
          `for example --${name} T=16`,
        );
      const prev = (flags.get(name) as Record<string, number> | undefined) ?? {};
      flags.set(name, { ...prev, [m[1]!]: Number(m[2]) });
    } else if (kind === 'strings')
      flags.set(name, [...((flags.get(name) as readonly string[] | undefined) ?? []), value]);
    else flags.set(name, value);
  }
  const [min, max] = spec.positional;
  if (positional.length < min)
    throw new UsageError(
      `\`mdl ${spec.name}\` needs ${min === 1 ? 'a file' : `${min} arguments`}`,
      `usage: ${spec.usage}`,
      'MDL7004',
    );
  if (positional.length > max)
    throw new UsageError(
      `\`mdl ${spec.name}\` takes at most ${max} argument${max === 1 ? '' : 's'}, got ${positional.length}`,
      `usage: ${spec.usage}`,
      'MDL7004',
    );
  return { positional, flags };
}
