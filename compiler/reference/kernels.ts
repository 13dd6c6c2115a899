// Reference CPU kernels shared by several ops' `eval` rules: convolutions, pooling windows,
// reductions and broadcasting. Plain loops in float64 (results are stored into the output
// arrays, which round them for float32 runs). Written to be checked by eye, then made fast
// enough for small models.
import { broadcastIndex, size, type Tensor, type TensorData } from './tensor.js';

export interface ConvGeom {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly O: number;
  readonly Ho: number;
  readonly Wo: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly ph: number;
  readonly pw: number;
  readonly dh: number;
  readonly dw: number;
  readonly groups: number;
}

/** Output columns `ow` whose input column ow·s − p + k·d lies in [0, W): [lo, hi). */
function validRange(k: number, s: number, p: number, d: number, inSize: number, outSize: number): [number, number] {
  // need 0 ≤ o·s − p + k·d < inSize
  const off = k * d - p;
  const lo = Math.max(0, Math.ceil(-off / s));
  const hi = Math.min(outSize, Math.floor((inSize - 1 - off) / s) + 1);
  return [lo, Math.max(lo, hi)];
}

/** y = conv(x, w) + b, y of shape [N, O, Ho, Wo]. */
export function conv2dForward(x: TensorData, w: TensorData, b: TensorData | null, g: ConvGeom, y: TensorData): void {
  const { N, C, H, W, O, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, groups } = g;
  const cg = C / groups;
  const og = O / groups;
  const acc = new Float64Array(Ho * Wo);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      acc.fill(b ? b[o]! : 0);
      const grp = Math.floor(o / og);
      for (let ci = 0; ci < cg; ci++) {
        const c = grp * cg + ci;
        const xb = (n * C + c) * H * W;
        for (let i = 0; i < kh; i++) {
          const [ohLo, ohHi] = validRange(i, sh, ph, dh, H, Ho);
          for (let j = 0; j < kw; j++) {
            const wv = w[((o * cg + ci) * kh + i) * kw + j]!;
            const [owLo, owHi] = validRange(j, sw, pw, dw, W, Wo);
            for (let oh = ohLo; oh < ohHi; oh++) {
              const xr = xb + (oh * sh - ph + i * dh) * W - pw + j * dw;
              const ar = oh * Wo;
              for (let ow = owLo; ow < owHi; ow++) acc[ar + ow]! += wv * x[xr + ow * sw]!;
            }
          }
        }
      }
      const yb = (n * O + o) * Ho * Wo;
      for (let k = 0; k < Ho * Wo; k++) y[yb + k] = acc[k]!;
    }
}

/** dx = the adjoint of conv(·, w) applied to dy; dx of shape [N, C, H, W]. */
export function conv2dGradInput(dy: TensorData, w: TensorData, g: ConvGeom, dx: TensorData): void {
  const { N, C, H, W, O, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, groups } = g;
  const cg = C / groups;
  const og = O / groups;
  const acc = new Float64Array(C * H * W);
  for (let n = 0; n < N; n++) {
    acc.fill(0);
    for (let o = 0; o < O; o++) {
      const grp = Math.floor(o / og);
      const yb = (n * O + o) * Ho * Wo;
      for (let ci = 0; ci < cg; ci++) {
        const xb = (grp * cg + ci) * H * W;
        for (let i = 0; i < kh; i++) {
          const [ohLo, ohHi] = validRange(i, sh, ph, dh, H, Ho);
          for (let j = 0; j < kw; j++) {
            const wv = w[((o * cg + ci) * kh + i) * kw + j]!;
            const [owLo, owHi] = validRange(j, sw, pw, dw, W, Wo);
            for (let oh = ohLo; oh < ohHi; oh++) {
              const xr = xb + (oh * sh - ph + i * dh) * W - pw + j * dw;
              const yr = yb + oh * Wo;
              for (let ow = owLo; ow < owHi; ow++) acc[xr + ow * sw]! += wv * dy[yr + ow]!;
            }
          }
        }
      }
    }
    const xo = n * C * H * W;
    for (let k = 0; k < C * H * W; k++) dx[xo + k] = acc[k]!;
  }
}

/** dw[o, ci, i, j] = Σ_{n, oh, ow} dy[n, o, oh, ow] · x[n, c, ih, iw]; dw of shape [O, C/groups, kh, kw]. */
export function conv2dGradWeight(dy: TensorData, x: TensorData, g: ConvGeom, dw_: TensorData): void {
  const { N, C, H, W, O, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, groups } = g;
  const cg = C / groups;
  const og = O / groups;
  for (let o = 0; o < O; o++) {
    const grp = Math.floor(o / og);
    for (let ci = 0; ci < cg; ci++)
      for (let i = 0; i < kh; i++) {
        const [ohLo, ohHi] = validRange(i, sh, ph, dh, H, Ho);
        for (let j = 0; j < kw; j++) {
          const [owLo, owHi] = validRange(j, sw, pw, dw, W, Wo);
          let s = 0;
          for (let n = 0; n < N; n++) {
            const xb = (n * C + grp * cg + ci) * H * W;
            const yb = (n * O + o) * Ho * Wo;
            for (let oh = ohLo; oh < ohHi; oh++) {
              const xr = xb + (oh * sh - ph + i * dh) * W - pw + j * dw;
              const yr = yb + oh * Wo;
              for (let ow = owLo; ow < owHi; ow++) s += dy[yr + ow]! * x[xr + ow * sw]!;
            }
          }
          dw_[((o * cg + ci) * kh + i) * kw + j] = s;
        }
      }
  }
}

export interface PoolGeom {
  readonly NC: number;
  readonly H: number;
  readonly W: number;
  readonly Ho: number;
  readonly Wo: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly ph: number;
  readonly pw: number;
  readonly dh: number;
  readonly dw: number;
}

/**
 * The flat input index of each max-pooling window's maximum, as PyTorch picks it: the first
 * element in window order that is greater than every one before it (NaN wins).
 */
export function maxpoolArgmax(x: TensorData, g: PoolGeom): Int32Array {
  const { NC, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw } = g;
  const arg = new Int32Array(NC * Ho * Wo);
  let k = 0;
  for (let p = 0; p < NC; p++) {
    const base = p * H * W;
    for (let oh = 0; oh < Ho; oh++)
      for (let ow = 0; ow < Wo; ow++) {
        let best = -Infinity;
        let at = -1;
        for (let i = 0; i < kh; i++) {
          const ih = oh * sh - ph + i * dh;
          if (ih < 0 || ih >= H) continue;
          for (let j = 0; j < kw; j++) {
            const iw = ow * sw - pw + j * dw;
            if (iw < 0 || iw >= W) continue;
            const v = x[base + ih * W + iw]!;
            if (at < 0 || v > best || Number.isNaN(v)) {
              best = v;
              at = base + ih * W + iw;
              if (Number.isNaN(v)) break;
            }
          }
        }
        arg[k++] = at;
      }
  }
  return arg;
}

export interface AvgGeom extends PoolGeom {
  readonly countIncludePad: boolean;
}

/** Each average-pooling window as [hStart, hEnd, wStart, wEnd, divisor], PyTorch's rule. */
export function avgWindows(g: AvgGeom): Float64Array {
  const { H, W, Ho, Wo, kh, kw, sh, sw, ph, pw } = g;
  const out = new Float64Array(Ho * Wo * 5);
  let k = 0;
  for (let oh = 0; oh < Ho; oh++)
    for (let ow = 0; ow < Wo; ow++) {
      let hs = oh * sh - ph;
      let ws = ow * sw - pw;
      let he = Math.min(hs + kh, H + ph);
      let we = Math.min(ws + kw, W + pw);
      const poolSize = (he - hs) * (we - ws);
      hs = Math.max(hs, 0);
      ws = Math.max(ws, 0);
      he = Math.min(he, H);
      we = Math.min(we, W);
      out[k++] = hs;
      out[k++] = he;
      out[k++] = ws;
      out[k++] = we;
      out[k++] = g.countIncludePad ? poolSize : (he - hs) * (we - ws);
    }
  return out;
}

/** Sums `x` (of `shape`) into `out` of `outShape`, which broadcasts to `shape` (dims of 1 or missing are summed). */
export function sumInto(
  x: TensorData,
  shape: readonly number[],
  outShape: readonly number[],
  out: TensorData,
  scale = 1,
): void {
  const map = broadcastIndex(outShape, shape);
  const acc = new Float64Array(size(outShape));
  for (let k = 0; k < map.length; k++) acc[map[k]!]! += x[k]!;
  for (let k = 0; k < acc.length; k++) out[k] = acc[k]! * scale;
}

/** Broadcasts `x` (of `shape`) to `out` of `outShape`, multiplied by `scale`. */
export function broadcastInto(
  x: TensorData,
  shape: readonly number[],
  outShape: readonly number[],
  out: TensorData,
  scale = 1,
): void {
  const map = broadcastIndex(shape, outShape);
  for (let k = 0; k < map.length; k++) out[k] = x[map[k]!]! * scale;
}

/** The shape with `axes` set to 1 (a reduction with keepdim). */
export function keepShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Elementwise map of one tensor into a new array of the output's kind. */
export function map1(x: Tensor, out: Tensor, f: (v: number) => number): Tensor {
  const a = x.data;
  const o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = f(a[i]!);
  return out;
}

/** Elementwise map of two tensors with broadcasting into `out`. */
export function map2(a: Tensor, b: Tensor, out: Tensor, f: (x: number, y: number) => number): Tensor {
  const o = out.data;
  const ad = a.data;
  const bd = b.data;
  if (
    a.shape.length === out.shape.length &&
    b.shape.length === out.shape.length &&
    ad.length === o.length &&
    bd.length === o.length
  ) {
    for (let i = 0; i < o.length; i++) o[i] = f(ad[i]!, bd[i]!);
    return out;
  }
  const ia = broadcastIndex(a.shape, out.shape);
  const ib = broadcastIndex(b.shape, out.shape);
  for (let i = 0; i < o.length; i++) o[i] = f(ad[ia[i]!]!, bd[ib[i]!]!);
  return out;
}
