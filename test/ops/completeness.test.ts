// Registering an op without one of its parts must not compile. The `@ts-expect-error` lines
// below are checked by `tsc` (npm test compiles the tests first): if the registry's types ever
// stop requiring a part, the directive is unused and the build fails.
import { describe, expect, it } from 'vitest';
import { LOWERINGS, type AnyOpName, type LoweringEntry } from '../../compiler/kernels/table.js';
import { activation } from '../../compiler/ops/pointwise/fn.js';
import { ALL_OPS } from '../../compiler/ops/registry.js';
import type { OpDef } from '../../compiler/ops/types.js';

const base = {
  name: 'half',
  kind: 'elementwise',
  doc: 'x / 2.',
  args: [{ name: 'x', type: 'tensor' }],
  infer: ([x]) => [x!],
  cost: () => ({ macs: 0, flops: 0 }),
  eval: () => [],
  vjp: null,
  jvp: null,
} satisfies Omit<OpDef, 'props'>;

// @ts-expect-error an op without its algebraic properties
export const withoutProps: OpDef = base;

export const complete: OpDef = {
  ...base,
  props: { zeroPreserving: true, channelTransparent: true, homogeneous: true, commutative: false },
};

// @ts-expect-error an activation without its second derivative
export const withoutD2f = activation({
  name: 'half',
  doc: 'x / 2.',
  f: (s, x) => s.mul(x, s.lit(0.5)),
  df: (s) => s.lit(0.5),
  flops: { f: 1, df: 1, d2f: 1 },
  zeroPreserving: true,
  homogeneous: true,
});

// A lowering table that lacks an op's entry.
const { conv2d: _conv2d, ...withoutConv } = LOWERINGS;
// @ts-expect-error the table's type names every op: conv2d is missing
export const table: { readonly [K in AnyOpName]: LoweringEntry } = withoutConv;

describe('the registries are complete', () => {
  it('every op of the IR has a lowering (missing names listed)', () => {
    const missing = Object.keys(ALL_OPS).filter((k) => !(k in LOWERINGS));
    expect(missing).toEqual([]);
  });

  it('every op states its algebraic properties (missing names listed)', () => {
    const missing = Object.values(ALL_OPS)
      .filter((op) => typeof op.props?.zeroPreserving !== 'boolean')
      .map((op) => op.name);
    expect(missing).toEqual([]);
    expect(complete.props.homogeneous).toBe(true);
  });
});
