// The AST as stable, readable text (`mdl print --stage ast`): one S-expression per node,
// indented by depth, positions left out so the text changes only when the meaning does.
import type { Program } from './ast.js';

const SKIP = new Set(['span', 'opSpan', 'nameSpan', 'pathSpan', 'kind', 'file', 'comments', 'raw', 'text']);

function render(v: unknown, depth: number): string {
  const pad = '  '.repeat(depth);
  if (Array.isArray(v))
    return v.length === 0 ? '()' : `(\n${v.map((x) => pad + '  ' + render(x, depth + 1)).join('\n')})`;
  if (v === null || typeof v !== 'object') return typeof v === 'string' ? JSON.stringify(v) : String(v);
  const o = v as Record<string, unknown>;
  const kind = typeof o['kind'] === 'string' ? (o['kind'] as string) : 'node';
  const fields = Object.entries(o).filter(([k, x]) => !SKIP.has(k) && x !== undefined);
  const simple = fields.every(([, x]) => x === null || typeof x !== 'object');
  if (simple) return `(${kind}${fields.map(([k, x]) => ` ${k}=${render(x, 0)}`).join('')})`;
  return `(${kind}${fields.map(([k, x]) => `\n${pad}  ${k}=${render(x, depth + 1)}`).join('')})`;
}

export function printAst(p: Program): string {
  return p.items.map((i) => render(i, 0)).join('\n') + '\n';
}
