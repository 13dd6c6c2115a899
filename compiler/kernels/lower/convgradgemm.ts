// The GPU strategy for a convolution's weight gradient (target.ts convBackwardStrategy:
// `implicit-gemm`, real GPUs only). The weight gradient is a GEMM whose reduction is long and
// whose output is small:
//   dw[o, q] = Σ_k dy[o, k] · col[q, k],  q = (c′, i, j) a weight column, k = (n, oh, ow),
// with col the implicit im2col of x (x[n, g·cg + c′, oh·sh − ph + i·dh, ow·sw − pw + j·dw], zero
// outside), never materialised. For ResNet-20's first stage at batch 128 that is 16 × 144
// outputs from 131 072-long sums. The direct kernel (convgradweight.ts) gives a lane a few outputs and
// the whole sum: right for a CPU adapter's handful of threads, but on a GPU that is ~100 lanes
// for the whole layer. Here a workgroup owns a TO × TQ tile of outputs; its L lanes split the
// sum (lane l takes k = l, l + L, …, so consecutive lanes read consecutive output columns: the
// loads of dy and x coalesce), each keeping TO·TQ partial sums in registers; the partials are
// then added up in workgroup memory by a tree of log₂ L steps, and the first TO·TQ lanes write
// the tile. Grouped and depthwise convolutions are tiles within one group.
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import { KernelError, type AnchorCtx, type View } from '../lowering.js';
import { convGeometry } from './conv.js';

const { i32, f32 } = E;

/** The largest power of two ≤ n (n ≥ 1). */
const pow2Below = (n: number): number => 2 ** Math.floor(Math.log2(Math.max(1, n)));

export interface GradWeightTiles {
  /** Output channels and weight columns per workgroup. */
  readonly to: number;
  readonly tq: number;
  /** Lanes per workgroup (a power of two), splitting the reduction. */
  readonly lanes: number;
}

export function gradWeightTiles(
  og: number,
  Q: number,
  K: number,
  ctx: Pick<AnchorCtx, 'target' | 'tiles'>,
): GradWeightTiles {
  const over = ctx.tiles?.['conv_grad_weight'] ?? {};
  const to = over['to'] ?? Math.min(4, og);
  const tq = over['tq'] ?? Math.min(Math.floor(16 / to), Q);
  const lim = ctx.target.limits;
  let lanes =
    over['lanes'] ??
    Math.min(
      128,
      pow2Below(lim.maxComputeInvocationsPerWorkgroup),
      pow2Below(lim.maxComputeWorkgroupSizeX),
      Math.max(32, 2 ** Math.ceil(Math.log2(K))),
    );
  while (lanes > 1 && to * tq * lanes * 4 > lim.maxComputeWorkgroupStorageSize) lanes /= 2;
  return { to, tq, lanes };
}

export function buildConvGradWeightGemm(ctx: AnchorCtx, dy: View, x: View): void {
  const wShape = ctx.outShapes[0]!;
  const g = convGeometry(x.shape, wShape, dy.shape, { ...ctx.attrs });
  const { b, target } = ctx;
  const og = g.O / g.groups;
  const cg = g.C / g.groups;
  const kk = g.kh * g.kw;
  const Q = cg * kk;
  const K = g.N * g.Ho * g.Wo;
  const { to, tq, lanes: L } = gradWeightTiles(og, Q, K, ctx);
  const oTiles = Math.ceil(og / to);
  const gx = oTiles * g.groups;
  const gy = Math.ceil(Q / tq);
  const max = target.limits.maxComputeWorkgroupsPerDimension;
  if (gx > max || gy > max)
    throw new KernelError(`${ctx.node.name}: needs more workgroups than the adapter's ${max} per dimension`);
  ctx.grid([gx, gy, 1], [L, 1, 1]);
  b.comment(`conv2d_grad_weight (implicit GEMM): ${to}×${tq} outputs per workgroup, ${L} lanes splitting ${K} terms`);
  const lane = b.let(E.builtin('lid', 0), 'lane');
  const wx = b.let(E.builtin('wid', 0), 'wx');
  const gi = b.let(E.div(wx, i32(oTiles)), 'gi');
  const ol = b.let(E.mul(E.mod(wx, i32(oTiles)), i32(to)), 'ol');
  const q0 = b.let(E.mul(E.builtin('wid', 1), i32(tq)), 'q0');
  const DY = ctx.bind(dy, 'f32');
  const X = ctx.bind(x, 'f32');
  const [yN, yC, yH, yW] = dy.strides as [number, number, number, number];
  const [xN, xC, xH, xW] = x.strides as [number, number, number, number];
  // Per tile row and column, uniform over the workgroup: dy channel offsets (clamped, the
  // extra rows of a partial tile are never written) and each column's channel and kernel offsets.
  const yo = Array.from({ length: to }, (_, t) =>
    b.let(
      E.add(E.mul(E.add(E.mul(gi, i32(og)), E.min(E.add(ol, i32(t)), i32(og - 1))), i32(yC)), i32(dy.offset)),
      'yo',
    ),
  );
  const cols = Array.from({ length: tq }, (_, u) => {
    const q = b.let(E.min(E.add(q0, i32(u)), i32(Q - 1)), 'q');
    const c = E.div(q, i32(kk));
    const i = E.mod(E.div(q, i32(g.kw)), i32(g.kh));
    const j = E.mod(q, i32(g.kw));
    return {
      xc: b.let(E.add(E.mul(E.add(E.mul(gi, i32(cg)), c), i32(xC)), i32(x.offset)), 'xc'),
      dh: b.let(E.sub(E.mul(i, i32(g.dh)), i32(g.ph)), 'dh'),
      dw: b.let(E.sub(E.mul(j, i32(g.dw)), i32(g.pw)), 'dw'),
    };
  });
  const acc = Array.from({ length: to * tq }, (_, v) => b.var(f32(0), `acc${v}`));
  b.for(
    lane,
    i32(K),
    (k) => {
      const ow = b.let(E.mod(k, i32(g.Wo)), 'ow');
      const r = b.let(E.div(k, i32(g.Wo)), 'r');
      const oh = b.let(E.mod(r, i32(g.Ho)), 'oh');
      const n = b.let(E.div(r, i32(g.Ho)), 'n');
      const yb = b.let(E.add(E.add(E.mul(n, i32(yN)), E.mul(oh, i32(yH))), E.mul(ow, i32(yW))), 'yb');
      const dyv = yo.map((o) => b.let(E.load(DY, 'f32', E.add(o, yb)), 'dy'));
      const xb = b.let(E.mul(n, i32(xN)), 'xb');
      const ihb = b.let(E.mul(oh, i32(g.sh)), 'ihb');
      const iwb = b.let(E.mul(ow, i32(g.sw)), 'iwb');
      const xv = cols.map((col) => {
        const ih = b.let(E.add(ihb, col.dh), 'ih');
        const iw = b.let(E.add(iwb, col.dw), 'iw');
        const ok = E.and(E.and(E.ge(ih, i32(0)), E.lt(ih, i32(g.H))), E.and(E.ge(iw, i32(0)), E.lt(iw, i32(g.W))));
        const at = E.add(
          E.add(E.add(col.xc, xb), E.mul(E.call('clamp', ih, i32(0), i32(g.H - 1)), i32(xH))),
          E.mul(E.call('clamp', iw, i32(0), i32(g.W - 1)), i32(xW)),
        );
        return b.let(E.sel(ok, E.load(X, 'f32', at), f32(0)), 'x');
      });
      for (let t = 0; t < to; t++) for (let u = 0; u < tq; u++) b.set(acc[t * tq + u]!, E.mul(dyv[t]!, xv[u]!), '+');
    },
    L,
    'k',
  );
  // The partial sums of all lanes, added up by a tree (barriers in uniform control flow).
  const sh = b.shared('f32', to * tq * L, 'part');
  const slot = (v: number, l: Expr) => E.add(i32(v * L), l);
  for (let v = 0; v < to * tq; v++) b.setElem(sh, slot(v, lane), E.ref(acc[v]!, 'f32'));
  b.barrier();
  for (let s = L / 2; s >= 1; s /= 2) {
    b.if(E.lt(lane, i32(s)), () => {
      for (let v = 0; v < to * tq; v++)
        b.setElem(
          sh,
          slot(v, lane),
          E.add(E.elem(sh, 'f32', slot(v, lane)), E.elem(sh, 'f32', slot(v, E.add(lane, i32(s))))),
        );
    });
    b.barrier();
  }
  // Lane v writes tile element v = (t, u).
  b.if(E.lt(lane, i32(to * tq)), () => {
    const t = b.let(E.div(lane, i32(tq)), 't');
    const u = b.let(E.mod(lane, i32(tq)), 'u');
    const ow = b.let(E.add(ol, t), 'ot');
    const q = b.let(E.add(q0, u), 'qq');
    b.if(E.and(E.lt(ow, i32(og)), E.lt(q, i32(Q))), () => {
      const o = b.let(E.add(E.mul(gi, i32(og)), ow), 'o');
      const c = b.let(E.div(q, i32(kk)), 'c');
      const i = b.let(E.mod(E.div(q, i32(g.kw)), i32(g.kh)), 'i');
      const j = b.let(E.mod(q, i32(g.kw)), 'j');
      ctx.emit(0, [o, c, i, j], E.elem(sh, 'f32', E.mul(lane, i32(L))));
    });
  });
}
