// `mdl summary --depth N`: the per-layer rows folded into one row per block call, as torchinfo's
// depth does. A layer's name is the path of block calls it sits in (`layer1.0.conv1` is in block
// `layer1.0` of `layer1`), so at depth N consecutive rows that share the first N parts of their
// name become one row with their sums; a row whose name has N parts or fewer stays as it is.
import type { LayerRow } from './summary.js';

export interface BlockRow {
  readonly name: string;
  /** The op of a single layer; `block` for a row of several. */
  readonly op: string;
  /** How many layers the row holds. */
  readonly layers: number;
  /** The output shape of the row's last layer. */
  readonly output_shape: readonly number[];
  readonly params: number;
  readonly trainable: number;
  readonly macs: number;
  readonly flops: number;
  readonly activation_bytes: number;
}

/** The prefix a layer is folded under at `depth`, or its own name when it is not nested deeper. */
function blockOf(name: string, depth: number): string {
  const parts = name.split('.');
  return parts.length > depth ? parts.slice(0, depth).join('.') : name;
}

export function foldLayers(rows: readonly LayerRow[], depth: number): BlockRow[] {
  const out: BlockRow[] = [];
  let open: { key: string; row: BlockRow } | undefined;
  for (const l of rows) {
    const key = blockOf(l.name, depth);
    const folded = key !== l.name;
    if (open && folded && open.key === key) {
      const r = open.row;
      open.row = {
        ...r,
        op: 'block',
        layers: r.layers + 1,
        output_shape: l.output_shape,
        params: r.params + l.params,
        trainable: r.trainable + l.trainable,
        macs: r.macs + l.macs,
        flops: r.flops + l.flops,
        activation_bytes: r.activation_bytes + l.activation_bytes,
      };
      out[out.length - 1] = open.row;
      continue;
    }
    const row: BlockRow = {
      name: key,
      op: folded ? 'block' : l.op,
      layers: 1,
      output_shape: l.output_shape,
      params: l.params,
      trainable: l.trainable,
      macs: l.macs,
      flops: l.flops,
      activation_bytes: l.activation_bytes,
    };
    out.push(row);
    open = folded ? { key, row } : undefined;
  }
  return out;
}
