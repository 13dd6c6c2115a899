// Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers: as
// easy as 1, 2, 3", SC 2011), the generator of JAX and of PyTorch's CUDA backend. A draw is a
// pure function of (key, counter), so any element of any stream can be computed independently,
// in any order, on the CPU or in a GPU kernel — a dropout mask is regenerated in the backward
// pass instead of being stored, and the same seed gives the same numbers everywhere.
//
// Streams used by mdl:
// - parameter initialisation: key = (seed, fnv1a(parameter name)), counter = (i, attempt, 0, 0)
//   for element i (attempt > 0 only for rejection sampling in trunc_normal);
// - dropout: key = (seed, fnv1a(node name)), counter = (⌊i/4⌋, step, 0, 0), lane i mod 4.
// A uniform float64 in [0, 1) takes 53 bits of two words: (w0 >>> 5)·2²⁶ + (w1 >>> 6), / 2⁵³.

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

// The multipliers' 16-bit halves: a·m is taken as a·m_hi·2¹⁶ + a·m_lo, two products below
// 2⁴⁸ that doubles hold exactly (scaling by 2⁻¹⁶ is exact too), so the high word of the 64-bit
// product needs neither an allocation nor four 16×16-bit pieces. The generator runs once per
// parameter element at initialisation: about 20 % faster than the pieces, measured on 10⁶ draws.
const M0_HI = M0 >>> 16;
const M0_LO = M0 & 0xffff;
const M1_HI = M1 >>> 16;
const M1_LO = M1 & 0xffff;
const INV16 = 1 / 65536;

/** Philox4x32-10's four output words, written by `philoxInto` (read them before the next call). */
const WORDS = new Uint32Array(4);

/** Philox4x32 with 10 rounds into WORDS. */
function philoxInto(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number): Uint32Array {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let r = 0; r < 10; r++) {
    // hi = ⌊(a·m_hi·2¹⁶ + a·m_lo) / 2³²⌋ = ⌊(a·m_hi + ⌊a·m_lo / 2¹⁶⌋) / 2¹⁶⌋, every term exact.
    const hi0 = Math.floor((x0 * M0_HI + Math.floor(x0 * M0_LO * INV16)) * INV16);
    const hi1 = Math.floor((x2 * M1_HI + Math.floor(x2 * M1_LO * INV16)) * INV16);
    const lo0 = Math.imul(M0, x0) >>> 0;
    const lo1 = Math.imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x1 = lo1;
    x3 = lo0;
    key0 = (key0 + W0) >>> 0;
    key1 = (key1 + W1) >>> 0;
  }
  WORDS[0] = x0;
  WORDS[1] = x1;
  WORDS[2] = x2;
  WORDS[3] = x3;
  return WORDS;
}

/** Philox4x32 with 10 rounds: four u32 words from a 128-bit counter and a 64-bit key. */
export function philox4x32(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
): [number, number, number, number] {
  const w = philoxInto(c0, c1, c2, c3, k0, k1);
  return [w[0]!, w[1]!, w[2]!, w[3]!];
}

/** FNV-1a over the UTF-16 code units of `s`: the stream id of a name. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const TWO53 = 9007199254740992;

/** A uniform double in [0, 1) from two u32 words. */
export function toUniform(w0: number, w1: number): number {
  return ((w0 >>> 5) * 67108864 + (w1 >>> 6)) / TWO53;
}

/** A keyed stream: element i of it, and the words behind it. */
export class Stream {
  readonly k0: number;
  readonly k1: number;
  constructor(seed: number, name: string) {
    this.k0 = seed >>> 0;
    this.k1 = fnv1a(name);
  }
  /** Uniform [0, 1) for element i (attempt: a second counter word for rejection sampling). */
  uniform(i: number, attempt = 0): number {
    const w = philoxInto(i >>> 0, attempt >>> 0, Math.floor(i / 4294967296) >>> 0, 0, this.k0, this.k1);
    return toUniform(w[0]!, w[1]!);
  }
  /** A standard normal for element i (Box–Muller on the block's four words). */
  normal(i: number, attempt = 0): number {
    const w = philoxInto(i >>> 0, attempt >>> 0, Math.floor(i / 4294967296) >>> 0, 0, this.k0, this.k1);
    const u1 = 1 - toUniform(w[0]!, w[1]!); // (0, 1]
    const u2 = toUniform(w[2]!, w[3]!);
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

/**
 * The dropout keep-mask value of element i: 1/(1−p) when kept, 0 when dropped. Element i uses
 * word i mod 4 of block ⌊i/4⌋ of the node's stream at counter word 1 = step; it is dropped when
 * word / 2³² < p.
 */
export function dropoutMask(n: number, p: number, seed: number, key: string, step: number): Float64Array {
  const out = new Float64Array(n);
  const k0 = seed >>> 0;
  const k1 = fnv1a(key);
  const scale = 1 / (1 - p);
  for (let b = 0; b * 4 < n; b++) {
    const w = philoxInto(b, step >>> 0, 0, 0, k0, k1);
    for (let l = 0; l < 4 && b * 4 + l < n; l++) out[b * 4 + l] = w[l]! / 4294967296 < p ? 0 : scale;
  }
  return out;
}
