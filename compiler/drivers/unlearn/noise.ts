// The noise images the teacher sees in place of forget images, drawn in pixel space ([0, 1]) as
// the official i2i-unlearning code draws them: `gaussian` is clamp(N(μ, σ), 0, 1) per pixel with
// μ and σ the mean and standard deviation of the batch's pixels; `uniform` is U(0, 1). The
// stream is seeded by (seed, step), so a step's noise is the same whichever run draws it.
import type { NoiseKind } from '../../train/teacher-student.js';
import { rng } from '../../../runtime/data/batches.js';

/** Noise of the batch `pixels` (values in [0, 1]), the same length. */
export function noiseLike(pixels: Float32Array, kind: NoiseKind, seed: number, step: number): Float32Array {
  const r = rng((seed * 0x9e3779b1) ^ ((step + 1) * 0x27d4eb2f));
  const out = new Float32Array(pixels.length);
  if (kind === 'uniform') {
    for (let i = 0; i < out.length; i++) out[i] = r();
    return out;
  }
  let s = 0;
  let s2 = 0;
  for (const v of pixels) {
    s += v;
    s2 += v * v;
  }
  const n = pixels.length;
  const mean = s / n;
  // torch.std: the unbiased estimate.
  const std = Math.sqrt(Math.max(0, (s2 - n * mean * mean) / Math.max(1, n - 1)));
  for (let i = 0; i < n; i += 2) {
    // Box–Muller: two normals per pair of uniforms.
    const u = Math.max(r(), 1e-12);
    const v = r();
    const rad = Math.sqrt(-2 * Math.log(u));
    out[i] = clamp01(mean + std * rad * Math.cos(2 * Math.PI * v));
    if (i + 1 < n) out[i + 1] = clamp01(mean + std * rad * Math.sin(2 * Math.PI * v));
  }
  return out;
}

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);
