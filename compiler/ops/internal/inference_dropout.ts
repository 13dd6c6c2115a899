import { formatShape, sameDim } from '../../ir/shape.js';
import { fnv1a } from '../../../runtime/random/philox.js';
import type { OpDef, Tensor } from '../types.js';
import { opError } from '../types.js';
import { numelOf, props, str } from '../helpers.js';

/**
 * Inference-time dropout of one layer's output, for exploring a trained model's Rashomon set
 * (Hsu et al., ICLR 2024; compiler/rashomon/). Row r of x belongs to one sampled model and one
 * data sample: `keys[r] = (seed, model, sample)` (i32, read as u32), `rates[r] = (rate, scale)`.
 *
 * - `bernoulli`: y = x·scale where kept, 0 where dropped; dropped when the element's random word
 *   is below ⌈rate·2³²⌉ (scale = 1/(1 − rate), computed by the caller in float32);
 * - `gaussian`: y = x·(1 + rate·ξ), ξ a standard normal (rate is the standard deviation α).
 *
 * Element e (row-major within its row; n elements per row) of row r draws word e mod 2 of the
 * Threefry2x32-20 block (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011;
 * JAX's default generator) with counter (sample·⌈n/2⌉ + ⌊e/2⌋, model) and key (seed,
 * fnv1a(key)), so a sampled model's noise depends on (seed, model, layer, sample, element) only —
 * not on how rows are grouped into runs — and the kernels draw the same words
 * (compiler/kernels/lower/inference_dropout.ts). Threefry needs only 32-bit additions, rotations
 * and exclusive ors, which WGSL has; Philox's 32×32→64-bit products cost the kernels several times
 * more, and a LeNet-5 exploration draws a word for every element of every convolution output.
 * ξ = √2·erfinv(z) with z = (2k + 1 − 2²³)/2²³ from the word's top 23 bits k (z in (−1, 1), exact
 * in float32) and erfinv by Giles's single-precision approximation ("Approximating the erfinv
 * function", GPU Computing Gems, 2011), which the kernels evaluate in float32 and this reference in
 * float64.
 *
 * Rate 0 is the identity bit for bit (x·1). Linear in x for fixed keys: the VJP and JVP apply the
 * same noise. FLOPs: 1 per element (Bernoulli: the scaled mask) or 3 (Gaussian: 1 + α·ξ, then
 * the product); drawing the noise is integer work and not counted, as for dropout.
 */
export const inference_dropout: OpDef = {
  name: 'inference_dropout',
  kind: 'regularization',
  props: props(),
  doc: 'Inference-time Bernoulli or Gaussian noise on a layer output, keyed per row by (seed, model, sample).',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'keys', type: 'tensor' },
    { name: 'rates', type: 'tensor' },
    { name: 'kind', type: 'string', oneOf: ['bernoulli', 'gaussian'] },
    { name: 'key', type: 'string' },
  ],
  infer([x, keys, rates], a) {
    const kind = str(a, 'kind');
    if (kind !== 'bernoulli' && kind !== 'gaussian')
      opError('MDL3006', `inference_dropout: kind must be bernoulli or gaussian, got ${kind}`);
    const rows = x!.shape[0];
    const ok = (t: typeof keys, dtype: string, cols: number) =>
      t!.dtype === dtype &&
      t!.shape.length === 2 &&
      rows !== undefined &&
      sameDim(t!.shape[0]!, rows) &&
      t!.shape[1] === cols;
    if (x!.shape.length < 1 || !ok(keys, 'i32', 3) || !ok(rates, 'f32', 2))
      opError(
        'MDL4001',
        `inference_dropout: expects x [R, …], i32 keys [R, 3] and f32 rates [R, 2]; got ${formatShape(x!.shape)}, ${formatShape(keys!.shape)} ${keys!.dtype}, ${formatShape(rates!.shape)} ${rates!.dtype}`,
      );
    return [x!];
  },
  cost: (c) => ({ macs: 0, flops: (c.attrs['kind'] === 'gaussian' ? 3 : 1) * numelOf(c.outputs[0]!) }),
  eval([x, keys, rates], a, ctx) {
    const y = ctx.alloc(x!.shape);
    applyInferenceDropout(x!, keys!, rates!, str(a, 'kind') as NoiseKind, str(a, 'key'), y.data);
    return [y];
  },
  vjp: (b, n, [g], needs) => [
    needs[0] && g ? b.op1('inference_dropout', [g, n.inputs[1]!, n.inputs[2]!], n.attrs) : null,
    null,
    null,
  ],
  jvp: (b, n, [t]) => [t ? b.op1('inference_dropout', [t, n.inputs[1]!, n.inputs[2]!], n.attrs) : null],
};

export type NoiseKind = 'bernoulli' | 'gaussian';

/** 2³²: a word below ⌈rate·2³²⌉ drops its element. */
export const TWO32 = 4294967296;

/** The Bernoulli threshold of a rate (a float32 value): words below it are dropped. */
export const dropThreshold = (rate: number): number => Math.ceil(rate * TWO32);

/**
 * Giles's single-precision erfinv: w = −ln((1 − z)(1 + z)); for w < 5 the first polynomial in
 * w − 2.5, else the second in √w − 3; erfinv(z) ≈ p·z. Coefficients highest degree first.
 */
export const ERFINV_CENTRAL = [
  2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164,
  0.246640727, 1.50140941,
] as const;
export const ERFINV_TAIL = [
  -0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
  1.00167406, 2.83297682,
] as const;

/** erfinv(z) for z in (−1, 1) by Giles's approximation, in float64. */
export function erfinvGiles(z: number): number {
  let w = -Math.log((1 - z) * (1 + z));
  let c: readonly number[];
  if (w < 5) {
    w -= 2.5;
    c = ERFINV_CENTRAL;
  } else {
    w = Math.sqrt(w) - 3;
    c = ERFINV_TAIL;
  }
  let p = c[0]!;
  for (let i = 1; i < c.length; i++) p = c[i]! + p * w;
  return p * z;
}

/** The standard normal a 32-bit word stands for: √2·erfinv(z), z = (2·(word ≫ 9) + 1 − 2²³)/2²³. */
export function normalOfWord(word: number): number {
  const z = (2 * (word >>> 9) + 1 - 8388608) / 8388608;
  return Math.SQRT2 * erfinvGiles(z);
}

/** Threefry2x32's rotation constants (Random123). */
export const THREEFRY_ROTATIONS = [13, 15, 26, 6, 17, 29, 16, 24] as const;
/** Threefry's key-schedule parity constant for 32-bit words. */
export const THREEFRY_PARITY = 0x1bd11bda;
export const THREEFRY_ROUNDS = 20;

/** Threefry2x32 with 20 rounds: two u32 words from a 64-bit counter and a 64-bit key. */
export function threefry2x32(c0: number, c1: number, k0: number, k1: number): [number, number] {
  const ks = [k0 >>> 0, k1 >>> 0, (k0 ^ k1 ^ THREEFRY_PARITY) >>> 0];
  let x0 = (c0 + ks[0]!) >>> 0;
  let x1 = (c1 + ks[1]!) >>> 0;
  for (let r = 0; r < THREEFRY_ROUNDS; r++) {
    const n = THREEFRY_ROTATIONS[r % 8]!;
    x0 = (x0 + x1) >>> 0;
    x1 = ((x1 << n) | (x1 >>> (32 - n))) >>> 0;
    x1 = (x1 ^ x0) >>> 0;
    if (r % 4 === 3) {
      const j = (r + 1) / 4;
      x0 = (x0 + ks[j % 3]!) >>> 0;
      x1 = (x1 + ks[(j + 1) % 3]! + j) >>> 0;
    }
  }
  return [x0, x1];
}

/**
 * The words of a row with n elements: element e is word e mod 2 of the Threefry block with counter
 * ((sample·⌈n/2⌉ + ⌊e/2⌋) mod 2³², model) and key (seed, stream).
 */
export function noiseWords(n: number, seed: number, model: number, sample: number, stream: number): Uint32Array {
  const out = new Uint32Array(n);
  const n2 = Math.ceil(n / 2);
  const base = Math.imul(sample >>> 0, n2) >>> 0;
  for (let b = 0; b < n2; b++) {
    const w = threefry2x32((base + b) >>> 0, model >>> 0, seed >>> 0, stream);
    out[2 * b] = w[0];
    if (2 * b + 1 < n) out[2 * b + 1] = w[1];
  }
  return out;
}

/** Writes the noised x into `out` (the reference evaluation, in float64). */
export function applyInferenceDropout(
  x: Tensor,
  keys: Tensor,
  rates: Tensor,
  kind: NoiseKind,
  key: string,
  out: { [i: number]: number },
): void {
  const rows = x.shape[0]!;
  const n = rows === 0 ? 0 : x.data.length / rows;
  const stream = fnv1a(key);
  for (let r = 0; r < rows; r++) {
    const rate = rates.data[2 * r]!;
    const scale = rates.data[2 * r + 1]!;
    const words = noiseWords(n, keys.data[3 * r]!, keys.data[3 * r + 1]!, keys.data[3 * r + 2]!, stream);
    const threshold = dropThreshold(rate);
    for (let e = 0; e < n; e++) {
      const v = x.data[r * n + e]!;
      out[r * n + e] =
        kind === 'bernoulli' ? (words[e]! >= threshold ? v * scale : 0) : v * (1 + rate * normalOfWord(words[e]!));
    }
  }
}
