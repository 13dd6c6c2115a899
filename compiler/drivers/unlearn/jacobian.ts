// Per-sample, per-logit Jacobians of a classifier's logits with respect to a parameter subset,
// computed on a proxy backend (WebGPU kernels, or the float64 reference interpreter), in
// inference mode (batchnorm with its running statistics, so samples do not interact):
//
// - forward mode (compiler/autodiff/jvp.ts): one run per parameter per batch of samples; the
//   tangent of a one-hot parameter direction is that parameter's column for every sample of
//   the batch at once. P·⌈n/B⌉ runs.
// - reverse mode (compiler/autodiff/grad.ts with cotangents): a batch of one sample, one run per
//   logit with a one-hot cotangent (a batched reverse pass would sum the samples' gradients).
//   n·C runs.
//
// - batchnorm mode, for a subset of batchnorm affine parameters only (Fast-NTK's default): one
//   batched reverse pass per logit with that logit's one-hot cotangent on every sample, read
//   back as the cotangent of each batchnorm's output, which is per sample because inference-mode
//   samples do not interact. In inference y = γ·x̂ + β with x̂ = (x − mean)/√(var + eps) from the
//   running statistics, so ∂f_c/∂β_k = Σ_hw ∂f_c/∂y_k and ∂f_c/∂γ_k = Σ_hw ∂f_c/∂y_k · x̂_k, per
//   sample. C·⌈n/B⌉ runs.
//
// `auto` takes the mode with the fewest runs: batchnorm mode where it applies, forward for a
// small subset, reverse when the subset is large and the sample set small.
import { buildGradient } from '../../autodiff/grad.js';
import { buildJvp } from '../../autodiff/jvp.js';
import type { Graph, Node } from '../../ir/types.js';
import type { Jacobian } from '../../unlearn/ntk.js';
import type { ProxyBackend } from '../proxies/backend.js';

export type JacobianMode = 'forward' | 'reverse' | 'batchnorm';
export const JACOBIAN_MODES: readonly (JacobianMode | 'auto')[] = ['auto', 'forward', 'reverse', 'batchnorm'];

/** A parameter of the subset: its name and element count, in the Jacobian's column order. */
export interface SubsetParam {
  readonly name: string;
  readonly size: number;
}

export interface JacobianRequest {
  readonly graph: Graph;
  readonly backend: ProxyBackend;
  /** Every parameter and buffer of the model. */
  readonly params: ReadonlyMap<string, Float64Array>;
  readonly subset: readonly SubsetParam[];
  /** Normalised samples, n × per values. */
  readonly x: Float32Array;
  readonly samples: number;
  readonly sampleShape: readonly number[];
  readonly classes: number;
  /** Samples per forward-mode run. */
  readonly batch: number;
}

export function inputName(g: Graph): string {
  const d = g.values[g.inputs[0]!]!.def;
  return d.kind === 'input' ? d.name : 'x';
}

type Sizing = Pick<JacobianRequest, 'graph' | 'subset' | 'samples' | 'classes' | 'batch'>;

/** How many runs each mode takes (undefined: the mode does not apply to this subset). */
export function modeRuns(r: Sizing): Record<JacobianMode, number | undefined> {
  const P = r.subset.reduce((a, s) => a + s.size, 0);
  const batches = Math.ceil(r.samples / r.batch);
  return {
    forward: P * batches,
    reverse: r.samples * r.classes,
    batchnorm: batchnormRoles(r.graph, r.subset) ? r.classes * batches : undefined,
  };
}

export class ModeUnavailable extends Error {}

/** The mode asked for, or with `auto` the one with the fewest runs; an error where it does not apply. */
export function chooseMode(mode: JacobianMode | 'auto', r: Sizing): JacobianMode {
  const runs = modeRuns(r);
  if (mode !== 'auto') {
    if (runs[mode] === undefined)
      throw new ModeUnavailable(`${mode} mode takes the weights and biases of batchnorm2d layers only`);
    return mode;
  }
  const modes = (Object.keys(runs) as JacobianMode[]).filter((m) => runs[m] !== undefined);
  return modes.reduce((a, b) => (runs[b]! < runs[a]! ? b : a));
}

export async function jacobian(r: JacobianRequest, mode: JacobianMode): Promise<Jacobian> {
  return mode === 'forward' ? forwardJacobian(r) : mode === 'reverse' ? reverseJacobian(r) : batchnormJacobian(r);
}

async function forwardJacobian(r: JacobianRequest): Promise<Jacobian> {
  const { graph: g, subset, samples: n, classes: C } = r;
  const P = subset.reduce((a, s) => a + s.size, 0);
  const per = r.sampleShape.reduce((a, d) => a * d, 1);
  const jvp = buildJvp(g, { params: subset.map((s) => s.name), training: false });
  const out = `tan:${g.outputs[0]!.name}`;
  const B = Math.min(r.batch, n);
  const prog = await r.backend.compile({ graph: jvp.graph, batch: B, training: false, params: r.params });
  const x = inputName(g);
  const tangents = subset.map((s) => new Float32Array(s.size));
  const data = new Float64Array(n * C * P);
  try {
    for (let start = 0; start < n; start += B) {
      const size = Math.min(B, n - start);
      const xb = new Float32Array(B * per);
      xb.set(r.x.subarray(start * per, (start + size) * per));
      let col = 0;
      for (let t = 0; t < subset.length; t++) {
        const tan = tangents[t]!;
        for (let e = 0; e < tan.length; e++, col++) {
          tan[e] = 1;
          const inputs: Record<string, Float32Array> = { [x]: xb };
          subset.forEach((s, k) => (inputs[`tan:${s.name}`] = tangents[k]!));
          const res = await prog.run(inputs);
          tan[e] = 0;
          const y = res.outputs.get(out)!;
          for (let i = 0; i < size; i++)
            for (let c = 0; c < C; c++) data[((start + i) * C + c) * P + col] = y[i * C + c]!;
        }
      }
    }
  } finally {
    prog.dispose();
  }
  return { samples: n, classes: C, params: P, data };
}

async function reverseJacobian(r: JacobianRequest): Promise<Jacobian> {
  const { graph: g, subset, samples: n, classes: C } = r;
  const P = subset.reduce((a, s) => a + s.size, 0);
  const per = r.sampleShape.reduce((a, d) => a * d, 1);
  const wanted = new Set(subset.map((s) => s.name));
  const frozen = g.params.filter((p) => !wanted.has(p.name)).map((p) => p.name);
  const gg = buildGradient(g, { loss: { kind: 'cotangents' }, training: false, frozen });
  const prog = await r.backend.compile({ graph: gg.graph, batch: 1, training: false, params: r.params });
  const x = inputName(g);
  const cotName = `cot:${g.outputs[0]!.name}`;
  const cot = new Float32Array(C);
  const data = new Float64Array(n * C * P);
  try {
    for (let i = 0; i < n; i++) {
      const xi = r.x.subarray(i * per, (i + 1) * per);
      for (let c = 0; c < C; c++) {
        cot[c] = 1;
        const res = await prog.run({ [x]: xi, [cotName]: cot });
        cot[c] = 0;
        let col = 0;
        const row = (i * C + c) * P;
        for (const s of subset) {
          const gr = res.outputs.get(`grad:${s.name}`)!;
          for (let e = 0; e < s.size; e++, col++) data[row + col] = gr[e]!;
        }
      }
    }
  } finally {
    prog.dispose();
  }
  return { samples: n, classes: C, params: P, data };
}

interface BatchnormRole {
  readonly node: Node;
  readonly role: 'weight' | 'bias';
}

/** Each subset parameter's batchnorm layer and role; undefined when some parameter is not a batchnorm's γ or β. */
function batchnormRoles(g: Graph, subset: readonly SubsetParam[]): Map<string, BatchnormRole> | undefined {
  const roles = new Map<string, BatchnormRole>();
  const uses = new Map<string, number>();
  for (const n of g.nodes) {
    for (const v of n.inputs) {
      const d = g.values[v]!.def;
      if (d.kind === 'param') uses.set(g.params[d.param]!.name, (uses.get(g.params[d.param]!.name) ?? 0) + 1);
    }
    if (n.op !== 'batchnorm2d' || n.attrs['affine'] === false) continue;
    (['weight', 'bias'] as const).forEach((role, k) => {
      const d = g.values[n.inputs[1 + k]!]!.def;
      if (d.kind === 'param') roles.set(g.params[d.param]!.name, { node: n, role });
    });
  }
  // A parameter shared by two layers would need both layers' contributions.
  if (subset.length === 0 || subset.some((s) => !roles.has(s.name) || uses.get(s.name) !== 1)) return undefined;
  return roles;
}

async function batchnormJacobian(r: JacobianRequest): Promise<Jacobian> {
  const { graph: g, subset, samples: n, classes: C } = r;
  const roles = batchnormRoles(g, subset)!;
  const P = subset.reduce((a, s) => a + s.size, 0);
  const per = r.sampleShape.reduce((a, d) => a * d, 1);
  const nodes = [...new Set(subset.map((s) => roles.get(s.name)!.node))];
  const gg = buildGradient(g, {
    loss: { kind: 'cotangents' },
    training: false,
    params: false,
    wrtValues: nodes.map((nd) => nd.outputs[0]!),
  });
  const B = Math.min(r.batch, n);
  const prog = await r.backend.compile({
    graph: gg.graph,
    batch: B,
    training: false,
    params: r.params,
    keep: nodes.map((nd) => nd.inputs[0]!),
  });
  const x = inputName(g);
  const cotName = `cot:${g.outputs[0]!.name}`;
  const paramName = (nd: Node, k: number) => {
    const d = g.values[nd.inputs[k]!]!.def;
    return d.kind === 'param' ? g.params[d.param]!.name : '';
  };
  // The column of each subset parameter's first element.
  const col = new Map<string, number>();
  let at = 0;
  for (const s of subset) {
    col.set(s.name, at);
    at += s.size;
  }
  const data = new Float64Array(n * C * P);
  try {
    for (let start = 0; start < n; start += B) {
      const size = Math.min(B, n - start);
      const xb = new Float32Array(B * per);
      xb.set(r.x.subarray(start * per, (start + size) * per));
      // Each layer's x̂ for this batch, the same in every run of it.
      let xhat: Float64Array[] | undefined;
      for (let c = 0; c < C; c++) {
        const cot = new Float32Array(B * C);
        for (let i = 0; i < size; i++) cot[i * C + c] = 1;
        const res = await prog.run({ [x]: xb, [cotName]: cot });
        xhat ??= nodes.map((nd) => {
          const [, K, H, W] = g.values[nd.inputs[0]!]!.type.shape as number[];
          const hw = H! * W!;
          const mean = r.params.get(paramName(nd, 3))!;
          const variance = r.params.get(paramName(nd, 4))!;
          const eps = nd.attrs['eps'] as number;
          const xin = res.kept.get(nd.inputs[0]!)!;
          const out = new Float64Array(size * K! * hw);
          for (let i = 0; i < size * K!; i++) {
            const k = i % K!;
            const inv = 1 / Math.sqrt(variance[k]! + eps);
            for (let e = 0; e < hw; e++) out[i * hw + e] = (xin[i * hw + e]! - mean[k]!) * inv;
          }
          return out;
        });
        nodes.forEach((nd, li) => {
          const [, K, H, W] = g.values[nd.inputs[0]!]!.type.shape as number[];
          const hw = H! * W!;
          const dy = res.outputs.get(`grad:value:${nd.outputs[0]!}`)!;
          const xh = xhat![li]!;
          const wCol = col.get(paramName(nd, 1));
          const bCol = col.get(paramName(nd, 2));
          for (let i = 0; i < size; i++) {
            const row = ((start + i) * C + c) * P;
            for (let k = 0; k < K!; k++) {
              const o = (i * K! + k) * hw;
              let sb = 0;
              let sg = 0;
              for (let e = 0; e < hw; e++) {
                sb += dy[o + e]!;
                sg += dy[o + e]! * xh[o + e]!;
              }
              if (wCol !== undefined) data[row + wCol + k] = sg;
              if (bCol !== undefined) data[row + bCol + k] = sb;
            }
          }
        });
      }
    }
  } finally {
    prog.dispose();
  }
  return { samples: n, classes: C, params: P, data };
}
