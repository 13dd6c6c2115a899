// The columns `mdl summary --columns` can show in the per-layer table, as torchinfo's
// `col_names` does: one entry per column, so a new one is a line here and `tsc` checks that the
// flag's help and the table agree on the names.
import { bytes, groupDigits } from './units.js';
import type { LayerRow } from './summary.js';

export interface LayerColumn {
  readonly head: string;
  /** Names and shapes read left-aligned; counts right-aligned. */
  readonly left: boolean;
  readonly cell: (l: LayerRow) => string;
}

const shape = (s: readonly number[]) => `[${s.join(', ')}]`;
const count = (n: number) => (n ? groupDigits(n) : '-');

export const LAYER_COLUMNS = {
  op: { head: 'op', left: true, cell: (l) => l.op },
  input: { head: 'input shape', left: true, cell: (l) => l.input_shapes.map(shape).join('; ') || '-' },
  output: { head: 'output shape', left: true, cell: (l) => shape(l.output_shape) },
  param_shapes: {
    head: 'param shapes',
    left: true,
    cell: (l) =>
      Object.entries(l.param_shapes)
        // `conv1.weight` on the row of conv1 reads `weight`.
        .map(([k, s]) => `${k.startsWith(l.name + '.') ? k.slice(l.name.length + 1) : k} ${shape(s)}`)
        .join(', ') || '-',
  },
  params: { head: 'params', left: false, cell: (l) => count(l.params) },
  trainable: { head: 'trainable', left: false, cell: (l) => (l.params ? groupDigits(l.trainable) : '-') },
  percent: { head: '% params', left: false, cell: (l) => (l.params ? l.params_percent.toFixed(2) : '-') },
  macs: { head: 'MACs', left: false, cell: (l) => count(l.macs) },
  flops: { head: 'FLOPs', left: false, cell: (l) => count(l.flops) },
  activations: { head: 'output bytes', left: false, cell: (l) => bytes(l.activation_bytes) },
} satisfies Record<string, LayerColumn>;

export type LayerColumnName = keyof typeof LAYER_COLUMNS;

export const COLUMN_NAMES = Object.keys(LAYER_COLUMNS) as LayerColumnName[];

/** The table without --columns (the layer's name always comes first). */
export const DEFAULT_COLUMNS: readonly LayerColumnName[] = ['op', 'output', 'params', 'macs', 'flops'];

export function isColumnName(s: string): s is LayerColumnName {
  return Object.hasOwn(LAYER_COLUMNS, s);
}
