// Human-readable rendering of a Summary: the per-layer table and the totals.
import { bytes, groupDigits, siUnit } from './units.js';
import { DEFAULT_COLUMNS, LAYER_COLUMNS, type LayerColumnName } from './columns.js';
import type { Summary } from './summary.js';

// The number formats live in ./units.ts (the column registry uses them too); re-exported for callers.
export { bytes, groupDigits, siUnit } from './units.js';

/**
 * A text table: the header, a rule, the rows, a rule. The first `left` columns are left-aligned
 * (names), the rest right-aligned (numbers). Returns the lines.
 */
export function textTable(
  head: readonly string[],
  body: readonly (readonly string[])[],
  left: number | readonly boolean[],
): { header: string[]; rows: string[]; rule: string } {
  const isLeft = (i: number) => (typeof left === 'number' ? i < left : left[i] === true);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (isLeft(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return { header: [line(head), rule], rows: body.map(line), rule };
}

/**
 * The table hides scalar constants (operands of `x * 0.5`): they are not layers. `columns`
 * (./columns.ts) follow the layer's name.
 */
export function formatSummary(s: Summary, columns: readonly LayerColumnName[] = DEFAULT_COLUMNS): string {
  const rows = s.layers.filter((l) => l.op !== 'constant');
  const cols = columns.map((c) => LAYER_COLUMNS[c]);
  const head = ['layer', ...cols.map((c) => c.head)];
  const body = rows.map((l) => [l.name, ...cols.map((c) => c.cell(l))]);
  const table = textTable(head, body, [true, ...cols.map((c) => c.left)]);
  const dims = Object.entries(s.dims)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const out = [
    `model ${s.model}${dims ? ` (${dims})` : ''}`,
    `inputs: ${s.inputs.map((i) => `${i.name} [${i.shape.join(', ')}] ${i.dtype}`).join(', ')}`,
    '',
    ...table.header,
    ...table.rows,
    table.rule,
    `params       ${groupDigits(s.params.total)} (trainable ${groupDigits(s.params.trainable)}, non-trainable ${groupDigits(s.params.non_trainable)}; buffers ${groupDigits(s.params.buffers)})`,
    `weights      ${bytes(s.param_bytes)} (params and buffers, f32)`,
    `MACs         ${groupDigits(s.macs)} (${siUnit(s.macs)}) multiply-accumulates in conv, linear and matmul`,
    `FLOPs        ${groupDigits(s.flops)} (${siUnit(s.flops)}) all ops, 1 MAC = 2 FLOPs`,
    `activations  ${bytes(s.activation_bytes)} all layer outputs; ${bytes(s.activation_peak_bytes)} peak live (inference)`,
    `outputs: ${s.outputs.map((o) => `${o.name} [${o.shape.join(', ')}]`).join(', ')}`,
  ];
  return out.join('\n');
}

/** The training table (`mdl summary --train`): per-layer forward and backward MACs, kept activations, memory. */
export function formatTrainCost(t: import('./train-cost.js').TrainCost): string {
  const rows = t.layers.filter(
    (l) => l.op !== 'constant' && (l.forward.macs || l.backward.macs || l.backward.flops || l.kept_bytes),
  );
  const head = ['layer', 'op', 'fwd MACs', 'bwd MACs', 'bwd FLOPs', 'kept for bwd'];
  const body = rows.map((l) => [
    l.name,
    l.op,
    l.forward.macs ? groupDigits(l.forward.macs) : '-',
    l.backward.macs ? groupDigits(l.backward.macs) : '-',
    l.backward.flops ? groupDigits(l.backward.flops) : '-',
    l.kept_bytes ? bytes(l.kept_bytes) : '-',
  ]);
  const table = textTable(head, body, 2);
  const m = t.memory;
  const dims = Object.entries(t.dims)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return [
    `training step of ${t.model}${dims ? ` (${dims})` : ''}: forward, loss, backward, optimizer update`,
    '',
    ...table.header,
    ...table.rows,
    table.rule,
    `forward      ${groupDigits(t.forward.macs)} MACs, ${groupDigits(t.forward.flops)} FLOPs`,
    `backward     ${groupDigits(t.backward.macs)} MACs, ${groupDigits(t.backward.flops)} FLOPs (${(t.backward.macs / Math.max(1, t.forward.macs)).toFixed(2)}× forward MACs)`,
    `optimizer    ${groupDigits(t.optimizer_flops)} FLOPs`,
    `memory       ${bytes(m.total_bytes)} in all: params ${bytes(m.param_bytes)}, buffers ${bytes(m.buffer_bytes)}, gradients ${bytes(m.grad_bytes)}, optimizer state ${bytes(m.optimizer_state_bytes)}, activation peak ${bytes(m.activation_peak_bytes)} (kept for backward ${bytes(m.activations_kept_bytes)})`,
  ].join('\n');
}

/**
 * The table of `mdl summary --depth N`: one row per block (./blocks.ts) with its layer count,
 * output shape, parameters and their share of the model's, MACs and FLOPs, then the totals.
 */
export function formatBlocks(s: Summary, blocks: readonly import('./blocks.js').BlockRow[], depth: number): string {
  const head = ['block', 'op', 'layers', 'output shape', 'params', 'trainable', '% params', 'MACs', 'FLOPs'];
  const share = (n: number) => (s.params.total > 0 ? ((100 * n) / s.params.total).toFixed(2) : '0.00');
  const body = blocks
    .filter((b) => b.op !== 'constant')
    .map((b) => [
      b.name,
      b.op,
      String(b.layers),
      `[${b.output_shape.join(', ')}]`,
      b.params ? groupDigits(b.params) : '-',
      b.params ? groupDigits(b.trainable) : '-',
      b.params ? share(b.params) : '-',
      b.macs ? groupDigits(b.macs) : '-',
      b.flops ? groupDigits(b.flops) : '-',
    ]);
  const table = textTable(head, body, 2);
  const dims = Object.entries(s.dims)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return [
    `model ${s.model}${dims ? ` (${dims})` : ''}, block calls folded to depth ${depth}`,
    `inputs: ${s.inputs.map((i) => `${i.name} [${i.shape.join(', ')}] ${i.dtype}`).join(', ')}`,
    '',
    ...table.header,
    ...table.rows,
    table.rule,
    `params       ${groupDigits(s.params.total)} (trainable ${groupDigits(s.params.trainable)}, non-trainable ${groupDigits(s.params.non_trainable)}; buffers ${groupDigits(s.params.buffers)})`,
    `MACs         ${groupDigits(s.macs)} (${siUnit(s.macs)})`,
    `FLOPs        ${groupDigits(s.flops)} (${siUnit(s.flops)})`,
    `outputs: ${s.outputs.map((o) => `${o.name} [${o.shape.join(', ')}]`).join(', ')}`,
  ].join('\n');
}

/** The topology scores under the summary table. */
export function formatTopology(t: import('./topology-scores.js').TopologyScores): string {
  return [
    `NN-Mass      ${t.nn_mass.toFixed(2)}`,
    `NN-Degree    ${t.nn_degree.toFixed(2)}`,
    `DTMC path    ${t.dtmc_path_score.toPrecision(6)} (best path score, TIPS)`,
  ].join('\n');
}
