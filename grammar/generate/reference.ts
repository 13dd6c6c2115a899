// The parts of docs/language.md that restate a registry: the op table (from the op registry),
// the standard library (from stdlib/*.mdl), the keyword list (from the lexer) and the
// diagnostic codes (from compiler/diagnostics/codes.ts). Each lives between
//   <!-- BEGIN GENERATED: name -->  and  <!-- END GENERATED: name -->
// and is rewritten by `npm run grammar:generate`; the rest of the page is written by hand.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIAGNOSTICS, type DiagnosticInfo } from '../../compiler/diagnostics/codes.js';
import { signature } from '../../compiler/elaborate/bind.js';
import type { Attrs } from '../../compiler/ir/types.js';
import type { Activation } from '../../compiler/ops/pointwise/fn.js';
import { ACTIVATIONS } from '../../compiler/ops/pointwise/index.js';
import { defaultAttrs, OPS } from '../../compiler/ops/registry.js';
import type { OpDef, OpProps } from '../../compiler/ops/types.js';
import type { Definition } from '../ast.js';
import { parse } from '../parse.js';
import { repoRoot } from './paths.js';
import { KEYWORD_SCOPES, keywordWords } from './textmate.js';

/** Markdown table cells: pipes escaped, code kept on one line. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
}

function code(s: string): string {
  return '`' + s + '`';
}

export function opsSection(): string {
  const rows = Object.values(OPS).map(
    (op) => `| ${code(cell(signature(op.name, op.args)))} | ${op.kind} | ${cell(op.doc)} |`,
  );
  return ['| op | kind | |', '|---|---|---|', ...rows].join('\n');
}

const PROPERTY_NAMES: readonly [keyof OpProps, string][] = [
  ['zeroPreserving', 'f(0) = 0'],
  ['channelTransparent', 'per channel'],
  ['homogeneous', 'f(s·x) = s·f(x)'],
  ['commutative', 'commutative'],
];

/** FLOPs per output element of an op on the probe shape, when its cost is that linear (elementwise ops). */
function flopsPerElement(op: OpDef, attrs: Attrs): number | undefined {
  const tensors = op.args.filter((a) => a.type === 'tensor').length;
  const at = (n: number) => {
    const s = [n, 3, 4, 5];
    return op.cost({ inputs: Array.from({ length: tensors }, () => s), params: [], outputs: [s], attrs }).flops;
  };
  const one = at(1) / 60;
  return at(2) / 120 === one ? one : undefined;
}

/**
 * The cost convention's per-element counts and the algebraic properties, read off the registry:
 * every elementwise op and activation (with default attributes), and every pointwise function
 * with the counts of its derivative ops (act_grad: g·f′, act_grad2: g·f″).
 */
export function flopsSection(): string {
  const props = (p: OpProps) =>
    PROPERTY_NAMES.filter(([k]) => p[k])
      .map(([, s]) => s)
      .join(', ');
  const ops = Object.values(OPS as Readonly<Record<string, OpDef>>).flatMap((op) => {
    if (op.kind !== 'elementwise' && op.kind !== 'activation') return [];
    const f = flopsPerElement(op, defaultAttrs(op.name) ?? {});
    return f === undefined ? [] : [`| ${code(op.name)} | ${f} | ${props(op.props)} |`];
  });
  const fns = Object.values(ACTIVATIONS as Readonly<Record<string, Activation>>).flatMap((a) =>
    a.fns.map((fn) => `| ${code(fn.name)} | ${fn.flops.f} | ${fn.flops.df} | ${fn.flops.d2f} |`),
  );
  return [
    '| op | FLOPs per element | properties |',
    '|---|---|---|',
    ...ops,
    '',
    '| pointwise function | f | g·f′ (act_grad) | g·f″ (act_grad2) |',
    '|---|---|---|---|',
    ...fns,
  ].join('\n');
}

export function diagnosticsSection(): string {
  const rows = Object.entries(DIAGNOSTICS).map(
    ([c, info]: [string, DiagnosticInfo]) => `| ${c} | ${cell(info.title)} | ${info.hint ? cell(info.hint) : ''} |`,
  );
  return ['| code | meaning | default hint |', '|---|---|---|', ...rows].join('\n');
}

const KEYWORD_GROUPS: readonly [string, (scope: string) => boolean][] = [
  ['definitions', (s) => s.startsWith('storage.type')],
  ['imports and layer names', (s) => s.startsWith('keyword.control.import')],
  ['control', (s) => s.startsWith('keyword.control.flow')],
  ['operators', (s) => s.startsWith('keyword.operator')],
  ['constants', (s) => s.startsWith('constant.language')],
  ['train-section rules', (s) => s.startsWith('keyword.other.rule')],
];

export function keywordsSection(): string {
  const words = keywordWords();
  const lines = KEYWORD_GROUPS.map(([label, test]) => {
    const ws = words.filter((w) => test(KEYWORD_SCOPES[w] ?? ''));
    return `- ${label}: ${ws.map(code).join(' ')}`;
  });
  const rest = words.filter((w) => !KEYWORD_GROUPS.some(([, test]) => test(KEYWORD_SCOPES[w] ?? '')));
  if (rest.length) lines.push(`- other: ${rest.map(code).join(' ')}`);
  return lines.join('\n');
}

/** The comment lines directly above a definition, joined into one paragraph. */
function leadingComment(
  text: string,
  def: Definition,
  comments: readonly { text: string; span: { line: number } }[],
): string {
  const byLine = new Map(comments.map((c) => [c.span.line, c.text]));
  const out: string[] = [];
  for (let line = def.span.line - 1; byLine.has(line); line--) out.unshift(byLine.get(line)!.replace(/^#\s?/, ''));
  return out.join(' ');
}

export function stdlibSection(root = repoRoot()): string {
  const dir = join(root, 'stdlib');
  const rows: string[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.mdl'))
    .sort()) {
    const text = readFileSync(join(dir, file), 'utf8');
    const module = `std/${file.slice(0, -4)}`;
    const r = parse({ path: module, text });
    if (!r.program) throw new Error(`${module} does not parse`);
    for (const item of r.program.items) {
      if (item.kind !== 'block') continue;
      const params = item.params.map((p) => text.slice(p.span.start, p.span.end)).join(', ');
      rows.push(
        `| ${code(module)} | ${code(cell(`${item.name}(${params})`))} | ${cell(leadingComment(text, item, r.program.comments))} |`,
      );
    }
  }
  return ['| module | block | |', '|---|---|---|', ...rows].join('\n');
}

export const SECTIONS: Readonly<Record<string, () => string>> = {
  keywords: keywordsSection,
  ops: opsSection,
  flops: flopsSection,
  stdlib: () => stdlibSection(),
  diagnostics: diagnosticsSection,
};

/** Rewrites every generated section of a page; throws when a marker is missing or unbalanced. */
export function updateGenerated(page: string): string {
  let out = page;
  for (const [name, make] of Object.entries(SECTIONS)) {
    const begin = `<!-- BEGIN GENERATED: ${name} -->`;
    const end = `<!-- END GENERATED: ${name} -->`;
    const a = out.indexOf(begin);
    const b = out.indexOf(end);
    if (a < 0 || b < a)
      throw new Error(`docs/language.md: missing or misordered markers for the generated section "${name}"`);
    out = `${out.slice(0, a + begin.length)}\n${make()}\n${out.slice(b)}`;
  }
  return out;
}
