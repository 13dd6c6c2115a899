// token_mask(x, keep, key): the random masking of a masked autoencoder (He et al., 2022, as
// their random_masking): for each sample of x [N, L, …], a uniformly random subset of `keep`
// of its L tokens, drawn by ranking one Philox word per token (ties by position). It returns
// the indices, not the tokens: `keep_ids` i32 [N, keep] (the kept tokens in the order of their
// draw: gather(x, keep_ids) are the kept tokens), `restore_ids` i32 [N, L] (each token's rank:
// gathering the kept tokens followed by the removed ones with it restores the order) and `mask`
// f32 [N, L] (1 where a token is removed). The words come from the stream keyed by the run's
// seed and `key` (the node's name when empty) at counter (n·L + l, step): calls with the same
// key draw the same subset in a step — several models can mask alike — and a new one each step.
import { fnv1a, philox4x32 } from '../../runtime/random/philox.js';
import { int, known, props, requireMinRank, str } from './helpers.js';
import { opError, type OpDef } from './types.js';

/** Every token's rank in its sample's draw: [N·L], ranks 0..L−1 per sample. */
export function tokenRanks(n: number, l: number, seed: number, key: string, step: number): Int32Array {
  const k1 = fnv1a(key);
  const ranks = new Int32Array(n * l);
  for (let s = 0; s < n; s++) {
    const w = Array.from({ length: l }, (_, t) => philox4x32(s * l + t, step >>> 0, 0, 0, seed >>> 0, k1)[0]!);
    for (let t = 0; t < l; t++) {
      let r = 0;
      for (let m = 0; m < l; m++) if (w[m]! < w[t]! || (w[m] === w[t] && m < t)) r++;
      ranks[s * l + t] = r;
    }
  }
  return ranks;
}

export const token_mask: OpDef = {
  name: 'token_mask',
  kind: 'regularization',
  props: props(),
  doc: 'A random subset of keep tokens per sample of [N, L, …]: keep_ids, restore_ids, mask (as MAE).',
  args: [
    { name: 'x', type: 'tensor', doc: '[N, L, …]: only its shape is read' },
    { name: 'keep', type: 'int', doc: 'tokens kept per sample' },
    { name: 'key', type: 'string', default: '', doc: "the random stream's name (empty: the layer's)" },
  ],
  outputs: () => 3,
  infer([x], a) {
    requireMinRank(x!, 2, 'token_mask', '[N, L, …]');
    const L = known(x!.shape[1]!, 'the token dimension', x!.shape, 'token_mask');
    const keep = int(a, 'keep');
    if (keep < 0 || keep > L) opError('MDL3006', `token_mask: keep must be in [0, ${L}], got ${keep}`);
    const n = x!.shape[0]!;
    return [
      { shape: [n, keep], dtype: 'i32' },
      { shape: [n, L], dtype: 'i32' },
      { shape: [n, L], dtype: 'f32' },
    ];
  },
  cost: () => ({ macs: 0, flops: 0 }),
  eval([x], a, ctx) {
    const [N, L] = x!.shape as [number, number];
    const keep = int(a, 'keep');
    const ranks = tokenRanks(N, L, ctx.seed, str(a, 'key') || ctx.node, ctx.step);
    const [ids, restore, mask] = [ctx.allocInt([N, keep]), ctx.allocInt([N, L]), ctx.alloc([N, L])];
    for (let s = 0; s < N; s++)
      for (let t = 0; t < L; t++) {
        const r = ranks[s * L + t]!;
        restore.data[s * L + t] = r;
        mask.data[s * L + t] = r < keep ? 0 : 1;
        if (r < keep) ids.data[s * keep + r] = t;
      }
    return [ids, restore, mask];
  },
  // The outputs do not depend on x's values: no gradient reaches x (the mask may still sit
  // in a differentiated loss).
  vjp: () => [null],
  jvp: () => [null, null, null],
};
