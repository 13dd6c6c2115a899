// Lowerings of the ops the backward rewrites emit (compiler/rewrites/): the per-patch
// Walsh–Hadamard projection and its reconstruction. The projection with non-DC bases is a fast
// WHT per patch (projectFast); otherwise one thread per output element.
//
// Signs come from bit arithmetic, not tables: the 1-D Walsh function with natural row a has
// the sign (−1)^popcount(a & i) at position i (ops/walsh.ts). In the projection the basis index
// k is per thread (a select chain over the kept bases gives its natural rows) and the patch
// position is unrolled, so each sign is a sum of bits of a at fixed positions; in the
// reconstruction k is unrolled and the position is per thread. The projection is separable —
// Σ_i h_r[i]·Σ_j h_c[j]·x[i, j] — and the DC basis (all ones: gradient filtering) needs no
// signs at all, so it compiles to a plain patch sum or mean.
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { AnchorCtx, KernelLowering } from '../lowering.js';
import { perElement } from './schedule.js';
import { asPair } from '../../ops/helpers.js';
import { log2, naturalRow, unflattenBasis } from '../../reference/walsh.js';

const { i32, f32 } = E;

/** bit b of a non-negative i32 expression. */
const bit = (v: Expr, b: number): Expr => E.mod(E.div(v, i32(1 << b)), i32(2));

/** (−1)^(Σ bits) as f32, for a sum of 0/1 i32 terms. */
function signOf(bits: Expr[]): Expr {
  if (bits.length === 0) return f32(1);
  const parity = E.mod(
    bits.reduce((a, x) => E.add(a, x)),
    i32(2),
  );
  return E.sub(f32(1), E.mul(f32(2), E.cast('f32', parity)));
}

/** Reflect padding's source index (ops/walsh.ts `reflectIndex`, as a kernel expression). */
const reflectAt = (i: Expr, size: number): Expr => E.sel(E.lt(i, i32(size)), i, E.sub(i32(2 * (size - 1)), i));

/** Set bit positions of a constant. */
const setBits = (a: number): number[] => Array.from({ length: 31 }, (_, b) => b).filter((b) => (a >> b) & 1);

/**
 * The fast path for non-DC bases: one thread per (n, patch, c) loads the patch once, runs the
 * 2-D fast Walsh–Hadamard transform on it in registers (log2 p butterfly stages per axis, p²
 * adds each, in natural Hadamard order) and writes the K kept coefficients: p²·(1 + 2·log2 p)
 * operations and p² loads for all K, instead of K·p² multiply-adds and loads.
 */
function projectFast(
  ctx: AnchorCtx,
  H: number,
  W: number,
  ph: number,
  pw: number,
  bases: readonly (readonly [number, number])[],
  nhwc: boolean,
  mean: boolean,
): void {
  const { b } = ctx;
  const x = ctx.inputs[0]!;
  const out = ctx.outShapes[0]! as [number, number, number, number, number];
  const [N, , Ph, Pw, C] = out;
  const threads: [number, number, number, number] = [N, Ph, Pw, C];
  perElement(ctx, N * Ph * Pw * C, (id) => {
    const [n, P, Q, c] = E.unflatten(id, threads).map((e) => b.let(e, 'ix')) as [Expr, Expr, Expr, Expr];
    const rows: Expr[] = [];
    for (let i = 0; i < ph; i++) {
      const h = E.add(E.mul(P, i32(ph)), i32(i));
      rows.push(b.let(reflectAt(h, H), 'h'));
    }
    const cols: Expr[] = [];
    for (let j = 0; j < pw; j++) {
      const w = E.add(E.mul(Q, i32(pw)), i32(j));
      cols.push(b.let(reflectAt(w, W), 'w'));
    }
    let v: Expr[][] = rows.map((h) => cols.map((w) => b.let(x.at(nhwc ? [n, h, w, c] : [n, c, h, w]), 'x')));
    const butterfly = (line: Expr[]): Expr[] => {
      let cur = line;
      for (let len = 1; len < cur.length; len *= 2) {
        const next = [...cur];
        for (let i = 0; i < cur.length; i += 2 * len)
          for (let j = i; j < i + len; j++) {
            next[j] = b.let(E.add(cur[j]!, cur[j + len]!), 'u');
            next[j + len] = b.let(E.sub(cur[j]!, cur[j + len]!), 'u');
          }
        cur = next;
      }
      return cur;
    };
    v = v.map(butterfly); // along each row (w)
    const t = Array.from({ length: pw }, (_, j) => butterfly(v.map((r) => r[j]!))); // along each column (h)
    const scale = mean ? 1 / (ph * pw) : 1;
    bases.forEach(([r, cc], k) => {
      const e = t[naturalRow(cc, pw)]![naturalRow(r, ph)]!;
      ctx.emit(0, [n, i32(k), P, Q, c], scale === 1 ? e : E.mul(e, f32(scale)));
    });
  });
}

export const patchProject: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx: AnchorCtx) {
    const { b } = ctx;
    const x = ctx.inputs[0]!;
    const out = ctx.outShapes[0]! as [number, number, number, number, number];
    const nhwc = ctx.attrs['layout'] === 'nhwc';
    const [, d1, d2, d3] = x.shape as [number, number, number, number];
    const [H, W] = nhwc ? [d1, d2] : [d2, d3];
    const [ph, pw] = asPair(ctx.attrs['patch'] as number[]);
    const bases = unflattenBasis(ctx.attrs['basis'] as number[]);
    const reflect = ctx.attrs['border'] === 'reflect';
    const mean = ctx.attrs['mean'] as boolean;
    const dcOnly = bases.every(([r, c]) => r === 0 && c === 0);
    if (!dcOnly && reflect) return projectFast(ctx, H, W, ph, pw, bases, nhwc, mean);
    perElement(
      ctx,
      out.reduce((a, d) => a * d, 1),
      (id) => {
        const [n, k, P, Q, c] = E.unflatten(id, out).map((e) => b.let(e, 'ix')) as [Expr, Expr, Expr, Expr, Expr];
        // The natural Hadamard rows of this thread's basis (k is per thread).
        const pick = (which: 0 | 1, n2: number): Expr => {
          let e: Expr = i32(naturalRow(bases[bases.length - 1]![which], n2));
          for (let q = bases.length - 2; q >= 0; q--)
            e = E.sel(E.eq(k, i32(q)), i32(naturalRow(bases[q]![which], n2)), e);
          return b.let(e, which === 0 ? 'ar' : 'ac');
        };
        const ar = dcOnly ? i32(0) : pick(0, ph);
        const ac = dcOnly ? i32(0) : pick(1, pw);
        const h0 = b.let(E.mul(P, i32(ph)), 'h0');
        const w0 = b.let(E.mul(Q, i32(pw)), 'w0');
        const acc = b.var(f32(0), 'acc');
        const rowSign = (i: number) => (dcOnly ? f32(1) : b.let(signOf(setBits(i).map((bb) => bit(ar, bb))), 'sr'));
        const colSigns = Array.from({ length: pw }, (_, j) =>
          dcOnly ? f32(1) : b.let(signOf(setBits(j).map((bb) => bit(ac, bb))), 'sc'),
        );
        for (let i = 0; i < ph; i++) {
          const hRaw = b.let(E.add(h0, i32(i)), 'h');
          const hOk = b.let(E.lt(hRaw, i32(H)), 'hin');
          const h = reflect ? b.let(reflectAt(hRaw, H), 'hr') : b.let(E.min(hRaw, i32(H - 1)), 'hc');
          const row = b.var(f32(0), 'row');
          for (let j = 0; j < pw; j++) {
            const wRaw = E.add(w0, i32(j));
            const wOk = E.lt(wRaw, i32(W));
            const w = reflect ? reflectAt(wRaw, W) : E.min(wRaw, i32(W - 1));
            const wv = b.let(w, 'w');
            let v = x.at(nhwc ? [n, h, wv, c] : [n, c, h, wv]);
            if (!reflect) v = E.sel(b.let(wOk, 'win'), v, f32(0));
            b.set(row, dcOnly ? v : E.mul(colSigns[j]!, v), '+');
          }
          let r: Expr = E.ref(row, 'f32');
          if (!reflect) r = E.sel(hOk, r, f32(0));
          b.set(acc, dcOnly ? r : E.mul(rowSign(i), r), '+');
        }
        let v: Expr = E.ref(acc, 'f32');
        if (mean) {
          if (reflect) v = E.mul(v, f32(1 / (ph * pw)));
          else {
            const cnt = E.mul(
              E.sub(E.min(E.add(h0, i32(ph)), i32(H)), h0),
              E.sub(E.min(E.add(w0, i32(pw)), i32(W)), w0),
            );
            v = E.div(v, E.cast('f32', E.max(cnt, i32(1))));
          }
        }
        ctx.emit(0, [n, k, P, Q, c], v);
      },
    );
  },
};

export const patchReconstruct: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx: AnchorCtx) {
    const { b } = ctx;
    const z = ctx.inputs[0]!;
    const [, K, Ph, Pw] = z.shape as [number, number, number, number, number];
    const out = ctx.outShapes[0]! as [number, number, number, number];
    const nhwc = ctx.attrs['layout'] === 'nhwc';
    const [ph, pw] = asPair(ctx.attrs['patch'] as number[]);
    const bases = unflattenBasis(ctx.attrs['basis'] as number[]);
    perElement(
      ctx,
      out.reduce((a, d) => a * d, 1),
      (id) => {
        const ix = E.unflatten(id, out).map((e) => b.let(e, 'ix')) as [Expr, Expr, Expr, Expr];
        const [n, c, h, w] = nhwc ? [ix[0], ix[3], ix[1], ix[2]] : ix;
        const P = b.let(E.div(h, i32(ph)), 'P');
        const Q = b.let(E.div(w, i32(pw)), 'Q');
        const ok = b.let(E.and(E.lt(P, i32(Ph)), E.lt(Q, i32(Pw))), 'in');
        const Pc = b.let(E.min(P, i32(Ph - 1)), 'Pc');
        const Qc = b.let(E.min(Q, i32(Pw - 1)), 'Qc');
        const i = b.let(E.mod(h, i32(ph)), 'i');
        const j = b.let(E.mod(w, i32(pw)), 'j');
        const ib = Array.from({ length: ph > 1 ? log2(ph) : 0 }, (_, q) => b.let(bit(i, q), 'ib'));
        const jb = Array.from({ length: pw > 1 ? log2(pw) : 0 }, (_, q) => b.let(bit(j, q), 'jb'));
        const acc = b.var(f32(0), 'acc');
        for (let k = 0; k < K; k++) {
          const [r, cc] = bases[k]!;
          const s = signOf([
            ...setBits(naturalRow(r, ph)).map((q) => ib[q]!),
            ...setBits(naturalRow(cc, pw)).map((q) => jb[q]!),
          ]);
          const v = z.at([n, i32(k), Pc, Qc, c]);
          b.set(acc, E.isLit(s, 1) ? v : E.mul(s, v), '+');
        }
        ctx.emit(0, ix, E.sel(ok, E.ref(acc, 'f32'), f32(0)));
      },
    );
  },
};
