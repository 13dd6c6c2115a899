// The IR as stable, readable text (`mdl print --stage ir`), pinned by golden tests. Values are
// named after what defines them: `%x` for an input, `@conv1.weight` for a parameter, `%conv1`
// for a node's output (`%split.1` for the second output of a multi-output node). Attributes
// equal to their op's default are left out (the op registry knows the defaults, so the caller
// passes them: compiler/ops/registry.ts `defaultAttrs`).
import type { Attrs, AttrValue, Graph, Init, TensorType, ValueId } from './types.js';

function fmtNum(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}

function fmtAttr(a: AttrValue): string {
  if (a === null) return 'none';
  if (Array.isArray(a)) return `[${a.map(fmtAttr).join(', ')}]`;
  if (typeof a === 'number') return fmtNum(a);
  if (typeof a === 'string') return JSON.stringify(a);
  return String(a);
}

export function fmtType(t: TensorType): string {
  return `${t.dtype}[${t.shape.join(', ')}]`;
}

export function fmtInit(i: Init): string {
  switch (i.kind) {
    case 'zeros':
    case 'ones':
      return i.kind;
    case 'constant':
      return `constant(${fmtNum(i.value)})`;
    case 'uniform':
      return `uniform(${fmtNum(i.low)}, ${fmtNum(i.high)})`;
    case 'normal':
      return `normal(mean=${fmtNum(i.mean)}, std=${fmtNum(i.std)})`;
    case 'trunc_normal':
      return `trunc_normal(std=${fmtNum(i.std)}, a=${fmtNum(i.a)}, b=${fmtNum(i.b)})`;
    case 'kaiming_uniform':
      return `kaiming_uniform(a=${fmtNum(i.a)}, fan_in=${i.fanIn})`;
    case 'kaiming_normal':
      return `kaiming_normal(fan_out=${i.fanOut})`;
  }
}

export function valueNames(g: Graph): string[] {
  return g.values.map((v) => {
    switch (v.def.kind) {
      case 'input':
        return `%${v.def.name}`;
      case 'param':
        return `@${g.params[v.def.param]!.name}`;
      case 'node': {
        const n = g.nodes[v.def.node]!;
        return n.outputs.length === 1 ? `%${n.name}` : `%${n.name}.${v.def.index}`;
      }
    }
  });
}

export interface PrintOptions {
  /** A `# file:line:col` comment after each node. */
  readonly spans?: boolean;
  /** Each op's default attributes: attributes equal to them are not printed. */
  readonly defaults?: (op: string) => Attrs | undefined;
}

export function printGraph(g: Graph, opts: PrintOptions = {}): string {
  const name = valueNames(g);
  const ty = (v: ValueId) => fmtType(g.values[v]!.type);
  const out: string[] = [];
  const ins = g.inputs.map((v) => `${name[v]!.slice(1)}: ${ty(v)}`).join(', ');
  const outs = g.outputs.map((o) => `${o.name}: ${ty(o.value)}`).join(', ');
  out.push(`graph ${g.name}(${ins}) -> (${outs}) {`);
  for (const p of g.params)
    out.push(
      `  ${p.buffer ? 'buffer' : 'param'} @${p.name}: ${ty(p.value)} = ${fmtInit(p.init)}${p.trainable || p.buffer ? '' : ' frozen'}`,
    );
  for (const n of g.nodes) {
    const lhs = n.outputs.map((o) => `${name[o]}: ${ty(o)}`).join(', ');
    const defaults = opts.defaults?.(n.op);
    const attrs = Object.entries(n.attrs)
      .filter(([k, v]) => !(defaults && k in defaults && fmtAttr(defaults[k]!) === fmtAttr(v)))
      .map(([k, v]) => `${k}=${fmtAttr(v)}`)
      .join(', ');
    const where = opts.spans ? `  # ${n.span.file}:${n.span.line}:${n.span.col}` : '';
    out.push(`  ${lhs} = ${n.op}(${n.inputs.map((i) => name[i]).join(', ')})${attrs ? ` {${attrs}}` : ''}${where}`);
  }
  out.push(`  return ${g.outputs.map((o) => name[o.value]).join(', ')}`);
  out.push('}');
  return out.join('\n') + '\n';
}
