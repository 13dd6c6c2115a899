// Matrix products: one register-blocked kernel generator for linear, matmul (batched, with
// broadcast batch dims) and linear's weight gradient (all in matmul.ts), which is the same
// product with other strides.
//
// The kernel computes out[p, r, c] = Σ_k U[p, r, k] · V[p, c, k] for R rows, C columns and a
// batch p, where both operands are strided views of buffers. The strategy follows
// shared/research/webgpu-on-cpu.md: the lane dimension is on output columns (each lane owns TN
// consecutive columns), the rows of a workgroup (TM of them) are the same for all its lanes, so
// every load of U is workgroup-uniform (one scalar load and a broadcast on a CPU adapter); V is
// loaded as vec4 along the columns when they are contiguous, or along k when k is. Each lane
// keeps a TM×TN block of accumulators in registers; the k loop is unrolled by 4. The tile is
// chosen per adapter and shape (`gemmTiles`). Rows and columns may each be several dims
// (a linear layer's leading dims), flattened.
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { AnchorCtx, View } from '../lowering.js';
import { KernelError } from '../lowering.js';
import type { Target } from '../target.js';

const { i32, f32 } = E;

/** One operand: element (p, r, k) lies at batchOffset(p) + Σ unflatten(r, rows)·rowStrides + k·kStride. */
export interface Operand {
  readonly view: View;
  /** Per output batch dim: the stride (0 where this operand is broadcast). */
  readonly batchStrides: readonly number[];
  readonly rows: readonly number[];
  readonly rowStrides: readonly number[];
  readonly kStride: number;
}

export interface GemmProblem {
  readonly batch: readonly number[];
  readonly R: number;
  readonly C: number;
  readonly K: number;
  readonly u: Operand;
  readonly v: Operand;
  /** Writes the result at (batch index p, row r, column c). */
  emit(p: Expr, r: Expr, c: Expr, value: Expr): void;
}

export interface GemmTiles {
  /** Rows per workgroup (uniform). */
  readonly tm: number;
  /** Columns per lane. */
  readonly tn: number;
  /** Lanes per workgroup. */
  readonly lanes: number;
}

const mult4 = (n: number): boolean => n % 4 === 0;

function aligned4(o: Operand): boolean {
  return (
    mult4(o.view.offset) && o.batchStrides.every(mult4) && o.rows.every((d, i) => d === 1 || mult4(o.rowStrides[i]!))
  );
}

/** vec4 loads along k: k contiguous, K a multiple of 4, every row start aligned. */
const kVec = (o: Operand, K: number): boolean => o.kStride === 1 && mult4(K) && aligned4(o);

/** vec4 loads along the rows (the lane operand's columns): one contiguous row dim, 4-aligned. */
function rowVec(o: Operand, C: number, tn: number): boolean {
  const dims = o.rows.filter((d) => d !== 1);
  const stride = o.rows.length === 1 ? o.rowStrides[0] : o.rowStrides[o.rows.findIndex((d) => d !== 1)];
  return (
    dims.length <= 1 &&
    stride === 1 &&
    mult4(C) &&
    mult4(tn) &&
    mult4(o.kStride) &&
    mult4(o.view.offset) &&
    o.batchStrides.every(mult4)
  );
}

/**
 * The tile for a problem on a target (measured on llvmpipe, shared/research/webgpu-on-cpu.md):
 * 8 uniform rows × 4 columns per lane, 32 lanes, balanced so the last group of columns is not
 * mostly empty. Two operand layouts do better with wider lanes, measured on the MLP 784-256-10
 * step at batch 128 with the thread not spinning (runtime/wait.ts), against the default tile:
 * - V read along k (a linear layer's forward, x · Wᵀ): 8 columns per lane, 16 lanes
 *   (4.1 → 3.6 ms for 128×256×784);
 * - U read along its rows (a weight gradient's transposed dy): 8 × 8 per lane, 8 lanes
 *   (4.6 → 4.3 ms for 256×784×128).
 * A 1024³ matmul (both operands in their natural layout) is the same with either tile.
 */
export function gemmTiles(
  R: number,
  C: number,
  target: Target,
  layout: 'plain' | 'uAlongRows' | 'vAlongK' = 'plain',
): GemmTiles {
  const wide = target.software && layout !== 'plain' && C >= 32;
  const tm = Math.min(8, R);
  const tn = C < 4 ? C : wide ? 8 : 4;
  const lanesFor = !target.software ? 64 : !wide ? 32 : layout === 'uAlongRows' ? 8 : 16;
  const maxLanes = Math.min(lanesFor, target.limits.maxComputeInvocationsPerWorkgroup);
  const groups = Math.ceil(C / (tn * maxLanes));
  const lanes = Math.max(1, Math.min(maxLanes, Math.ceil(Math.ceil(C / (tn * groups)) / 8) * 8));
  return { tm, tn, lanes };
}

/** Element offset of row `r` (an expression) of an operand, batch offset excluded. */
function rowAddr(o: Operand, r: Expr): Expr {
  if (o.rows.length === 1) return E.mul(r, i32(o.rowStrides[0]!));
  return E.linear(E.unflatten(r, o.rows), o.rowStrides);
}

export function buildGemm(ctx: AnchorCtx, g: GemmProblem, tiles?: GemmTiles): void {
  const lim = ctx.target.limits;
  const sharedFits =
    lim.maxComputeInvocationsPerWorkgroup >= 256 &&
    lim.maxComputeWorkgroupSizeX >= 16 &&
    lim.maxComputeWorkgroupStorageSize >= 8192;
  if (!ctx.target.software && sharedFits && !tiles && !ctx.tiles?.['gemm'] && g.R * g.C >= 64 * 64)
    return buildGemmShared(ctx, g);
  const { b, target } = ctx;
  const { R, C, K } = g;
  // The operands' layouts (decided again below with the tile): U read along its rows when k
  // is strided but rows are contiguous; V read along k when its columns are not contiguous.
  const uAlongRows = !(mult4(K) && kVec(g.u, K)) && R % 4 === 0 && rowVec(g.u, R, 4);
  const vAlongK = mult4(K) && !rowVec(g.v, C, 4) && kVec(g.v, K);
  const layout = uAlongRows ? 'uAlongRows' : vAlongK ? 'vAlongK' : 'plain';
  const t = { ...(tiles ?? gemmTiles(R, C, target, layout)), ...(ctx.tiles?.['gemm'] ?? {}) } as GemmTiles;
  const { tm, tn, lanes } = t;
  const nb = g.batch.reduce((a, d) => a * d, 1);
  const gx = Math.ceil(C / (lanes * tn));
  const gy = Math.ceil(R / tm);
  const max = target.limits.maxComputeWorkgroupsPerDimension;
  if (gx > max || gy > max || nb > max)
    throw new KernelError(
      `${ctx.node.name}: a ${R}×${C} (batch ${nb}) product needs more workgroups than the adapter's ${max} per dimension`,
    );
  ctx.grid([gx, gy, nb], [lanes, 1, 1]);

  const ku = mult4(K) ? 4 : 1;
  const uv = ku === 4 && kVec(g.u, K);
  // U along its rows (4 rows per vec4, uniform) when k is strided but rows are contiguous.
  const uRv = !uv && tm % 4 === 0 && R % 4 === 0 && rowVec(g.u, R, tm);
  const vRow = ku === 4 && rowVec(g.v, C, tn);
  const vk = ku === 4 && !vRow && kVec(g.v, K);
  b.comment(
    `gemm ${nb}×${R}×${C}×${K}: ${tm} rows per workgroup (uniform), ${tn} columns per lane, ${lanes} lanes; U ${uv ? 'vec4 along k' : uRv ? 'vec4 along rows' : 'scalar'}, V ${vRow ? 'vec4 along columns' : vk ? 'vec4 along k' : 'scalar'}`,
  );

  const p = nb > 1 ? b.let(E.builtin('wid', 2), 'p') : i32(0);
  const pIdx = nb > 1 ? E.unflatten(p, g.batch) : g.batch.map(() => i32(0));
  const batchOff = (o: Operand) => b.let(E.linear(pIdx, o.batchStrides, o.view.offset), 'bo');
  const r0 = b.let(E.mul(E.builtin('wid', 1), i32(tm)), 'r0');
  const c0 = b.let(E.mul(E.add(E.mul(E.builtin('wid', 0), i32(lanes)), E.builtin('lid', 0)), i32(tn)), 'c0');

  const ub = batchOff(g.u);
  const vb = batchOff(g.v);
  const uBuf = ctx.bind(g.u.view, uv || uRv ? 'vec4f' : 'f32');
  const vBuf = ctx.bind(g.v.view, vRow || vk ? 'vec4f' : 'f32');
  // Row starts (clamped into range, so edge tiles load valid memory; their results are not stored).
  const uRow = Array.from({ length: tm }, (_, r) =>
    b.let(E.add(ub, rowAddr(g.u, E.min(E.add(r0, i32(r)), i32(R - 1)))), 'ur'),
  );
  const vCols = vRow
    ? [b.let(E.add(vb, rowAddr(g.v, E.min(c0, i32(C - 4)))), 'vc')]
    : Array.from({ length: tn }, (_, j) => b.let(E.add(vb, rowAddr(g.v, E.min(E.add(c0, i32(j)), i32(C - 1)))), 'vc'));

  // Accumulators: vec4 over 4 columns when V is loaded along columns, scalars otherwise.
  const acc: string[][] = [];
  for (let r = 0; r < tm; r++) {
    const row: string[] = [];
    if (vRow) for (let j = 0; j < tn / 4; j++) row.push(b.var(E.vec4(f32(0)), `acc${r}_${j}`));
    else for (let j = 0; j < tn; j++) row.push(b.var(f32(0), `acc${r}_${j}`));
    acc.push(row);
  }

  // vec4 operands are addressed in vec4 units (row starts are multiples of 4): no division in the loop.
  const uRow4 = uv ? uRow.map((ur) => b.let(E.div(ur, i32(4)), 'ur4')) : [];
  const uBlock4 = uRv
    ? Array.from({ length: tm / 4 }, (_, q) =>
        b.let(E.div(E.add(ub, rowAddr(g.u, E.min(E.add(r0, i32(4 * q)), i32(R - 4)))), i32(4)), 'ub4'),
      )
    : [];
  const vCols4 = vRow || vk ? vCols.map((vc) => b.let(E.div(vc, i32(4)), 'vc4')) : [];
  b.for(
    i32(0),
    i32(K / ku),
    (kq) => {
      const k = E.mul(kq, i32(ku));
      // U: tm rows × ku values of k, uniform.
      const blocks = uBlock4.map((u4) =>
        Array.from({ length: ku }, (_, kk) =>
          b.let(E.load(uBuf, 'vec4f', E.add(u4, E.mul(E.add(k, i32(kk)), i32(g.u.kStride / 4)))), 'u'),
        ),
      );
      const uval: Expr[][] = uRow.map((ur, r) => {
        if (uRv) return Array.from({ length: ku }, (_, kk) => E.lane(blocks[r >> 2]![kk]!, r & 3));
        if (uv) {
          const q = b.let(E.load(uBuf, 'vec4f', E.add(uRow4[r]!, kq)), 'u');
          return [0, 1, 2, 3].map((i) => E.lane(q, i));
        }
        return Array.from({ length: ku }, (_, kk) =>
          b.let(E.load(uBuf, 'f32', E.add(ur, E.mul(E.add(k, i32(kk)), i32(g.u.kStride)))), 'u'),
        );
      });
      if (vRow) {
        const ks4 = g.v.kStride / 4;
        for (let kk = 0; kk < ku; kk++) {
          const base = E.add(vCols4[0]!, E.add(E.mul(kq, i32(4 * ks4)), i32(kk * ks4)));
          const vv = Array.from({ length: tn / 4 }, (_, j) => b.let(E.load(vBuf, 'vec4f', E.add(base, i32(j))), 'v'));
          for (let r = 0; r < tm; r++)
            for (let j = 0; j < tn / 4; j++) b.set(acc[r]![j]!, E.mul(uval[r]![kk]!, vv[j]!), '+');
        }
        return;
      }
      const vval: Expr[][] = vCols.map((vc, j) => {
        if (vk) {
          const q = b.let(E.load(vBuf, 'vec4f', E.add(vCols4[j]!, kq)), 'v');
          return [0, 1, 2, 3].map((i) => E.lane(q, i));
        }
        return Array.from({ length: ku }, (_, kk) =>
          b.let(E.load(vBuf, 'f32', E.add(vc, E.mul(E.add(k, i32(kk)), i32(g.v.kStride)))), 'v'),
        );
      });
      for (let kk = 0; kk < ku; kk++)
        for (let r = 0; r < tm; r++)
          for (let j = 0; j < tn; j++) b.set(acc[r]![j]!, E.mul(uval[r]![kk]!, vval[j]![kk]!), '+');
    },
    1,
    'kq',
  );

  // Epilogue: each valid (row, column) through the fused consumer chain.
  const rowsExact = R % tm === 0;
  const colsExact = C % (lanes * tn) === 0;
  for (let r = 0; r < tm; r++) {
    const row = b.let(E.add(r0, i32(r)), 'row');
    b.if(rowsExact ? E.bool(true) : E.lt(row, i32(R)), () => {
      for (let j = 0; j < tn; j++) {
        const col = b.let(E.add(c0, i32(j)), 'col');
        const v = vRow ? E.lane(E.ref(acc[r]![j >> 2]!, 'vec4f'), j & 3) : E.ref(acc[r]![j]!, 'f32');
        b.if(colsExact ? E.bool(true) : E.lt(col, i32(C)), () => g.emit(p, row, col, v));
      }
    });
  }
}

/** The operand of a matrix [..., rows, k] (or with rows/k in other positions) from a view. */
export function operand(
  view: View,
  batchStrides: readonly number[],
  rowDims: readonly number[],
  kDim: number,
): Operand {
  return {
    view,
    batchStrides,
    rows: rowDims.map((d) => view.shape[d]!),
    rowStrides: rowDims.map((d) => view.strides[d]!),
    kStride: view.strides[kDim]!,
  };
}

/** Batch strides of `view`'s leading `n` dims right-aligned to an output batch shape (0 where broadcast). */
export function batchStridesOf(view: View, n: number, batch: readonly number[]): number[] {
  const lead = batch.length - n;
  return batch.map((d, i) => (i < lead || (view.shape[i - lead] === 1 && d !== 1) ? 0 : view.strides[i - lead]!));
}

/** Whether to put lanes on the output's rows instead (many rows, few columns). */
export function swapForLanes(M: number, N: number): boolean {
  return N < 64 && M > N;
}

/**
 * The classic GPU recipe, for adapters that are real GPUs: a 64×64 output tile per workgroup
 * of 16×16 lanes (4×4 outputs each), both operands staged through workgroup memory 16 values
 * of k at a time, loads arranged so that neighbouring lanes read neighbouring addresses.
 */
export function buildGemmShared(ctx: AnchorCtx, g: GemmProblem): void {
  const { b, target } = ctx;
  const { R, C, K } = g;
  const BM = 64;
  const BN = 64;
  const BK = 16;
  const T = 16;
  const nb = g.batch.reduce((a, d) => a * d, 1);
  const gx = Math.ceil(C / BN);
  const gy = Math.ceil(R / BM);
  const max = target.limits.maxComputeWorkgroupsPerDimension;
  if (gx > max || gy > max || nb > max)
    throw new KernelError(
      `${ctx.node.name}: a ${R}×${C} (batch ${nb}) product needs more workgroups than the adapter's ${max} per dimension`,
    );
  ctx.grid([gx, gy, nb], [T, T, 1]);
  b.comment(`gemm ${nb}×${R}×${C}×${K}: ${BM}×${BN} tiles through workgroup memory, k by ${BK}, 4×4 outputs per lane`);
  const As = b.shared('f32', BK * BM, 'As');
  const Bs = b.shared('f32', BK * BN, 'Bs');
  const p = nb > 1 ? b.let(E.builtin('wid', 2), 'p') : i32(0);
  const pIdx = nb > 1 ? E.unflatten(p, g.batch) : g.batch.map(() => i32(0));
  const ub = b.let(E.linear(pIdx, g.u.batchStrides, g.u.view.offset), 'ub');
  const vb = b.let(E.linear(pIdx, g.v.batchStrides, g.v.view.offset), 'vb');
  const r0 = b.let(E.mul(E.builtin('wid', 1), i32(BM)), 'r0');
  const c0 = b.let(E.mul(E.builtin('wid', 0), i32(BN)), 'c0');
  const tx = b.let(E.builtin('lid', 0), 'tx');
  const ty = b.let(E.builtin('lid', 1), 'ty');
  const tid = b.let(E.add(E.mul(ty, i32(T)), tx), 'tid');
  const uBuf = ctx.bind(g.u.view, 'f32');
  const vBuf = ctx.bind(g.v.view, 'f32');
  const acc = Array.from({ length: 4 }, (_, i) => Array.from({ length: 4 }, (_, j) => b.var(f32(0), `acc${i}_${j}`)));
  // Each lane stages 4 elements of each tile: k fastest when the operand is contiguous along k.
  const stage = (o: Operand, rows: number, n0: Expr, extent: number, sh: string, k0: Expr) => {
    const kFast = o.kStride === 1;
    for (let e = 0; e < (BK * (o === g.u ? BM : BN)) / (T * T); e++) {
      const idx = E.add(E.mul(i32(e), i32(T * T)), tid);
      const kk = kFast ? E.mod(idx, i32(BK)) : E.div(idx, i32(rows));
      const rr = kFast ? E.div(idx, i32(BK)) : E.mod(idx, i32(rows));
      const row = E.add(n0, rr);
      const k = E.add(k0, kk);
      const ok = b.let(E.and(E.lt(row, i32(extent)), E.lt(k, i32(K))), 'ok');
      const addr = E.add(
        E.add(o === g.u ? ub : vb, rowAddr(o, E.min(row, i32(extent - 1)))),
        E.mul(E.min(k, i32(K - 1)), i32(o.kStride)),
      );
      const v = E.sel(ok, E.load(o === g.u ? uBuf : vBuf, 'f32', addr), f32(0));
      b.setElem(sh, E.add(E.mul(kk, i32(rows)), rr), v);
    }
  };
  b.for(
    i32(0),
    i32(Math.ceil(K / BK)),
    (kt) => {
      const k0 = b.let(E.mul(kt, i32(BK)), 'k0');
      stage(g.u, BM, r0, R, As, k0);
      stage(g.v, BN, c0, C, Bs, k0);
      b.barrier();
      b.for(
        i32(0),
        i32(BK),
        (kk) => {
          const a = Array.from({ length: 4 }, (_, i) =>
            b.let(E.elem(As, 'f32', E.add(E.mul(kk, i32(BM)), E.add(E.mul(ty, i32(4)), i32(i)))), 'a'),
          );
          const v = Array.from({ length: 4 }, (_, j) =>
            b.let(E.elem(Bs, 'f32', E.add(E.mul(kk, i32(BN)), E.add(tx, i32(j * T)))), 'bv'),
          );
          for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) b.set(acc[i]![j]!, E.mul(a[i]!, v[j]!), '+');
        },
        1,
        'kk',
      );
      b.barrier();
    },
    1,
    'kt',
  );
  for (let i = 0; i < 4; i++) {
    const row = b.let(E.add(r0, E.add(E.mul(ty, i32(4)), i32(i))), 'row');
    for (let j = 0; j < 4; j++) {
      const col = b.let(E.add(c0, E.add(tx, i32(j * T))), 'col');
      b.if(E.and(E.lt(row, i32(R)), E.lt(col, i32(C))), () => g.emit(p, row, col, E.ref(acc[i]![j]!, 'f32')));
    }
  }
}
