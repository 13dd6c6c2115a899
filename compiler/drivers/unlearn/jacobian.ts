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
// `auto` takes the mode with fewer runs: forward for a small subset (batchnorm affine
// parameters), reverse when the subset is large and the sample set small.
import { buildGradient } from '../../autodiff/grad.js';
import { buildJvp } from '../../autodiff/jvp.js';
import type { Graph } from '../../ir/types.js';
import type { Jacobian } from '../../unlearn/ntk.js';
import type { ProxyBackend } from '../proxies/backend.js';

export type JacobianMode = 'forward' | 'reverse';
export const JACOBIAN_MODES: readonly (JacobianMode | 'auto')[] = ['auto', 'forward', 'reverse'];

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

/** How many runs each mode takes; `auto` picks the smaller. */
export function modeRuns(
  r: Pick<JacobianRequest, 'subset' | 'samples' | 'classes' | 'batch'>,
): Record<JacobianMode, number> {
  const P = r.subset.reduce((a, s) => a + s.size, 0);
  return { forward: P * Math.ceil(r.samples / r.batch), reverse: r.samples * r.classes };
}

export function chooseMode(
  mode: JacobianMode | 'auto',
  r: Pick<JacobianRequest, 'subset' | 'samples' | 'classes' | 'batch'>,
): JacobianMode {
  if (mode !== 'auto') return mode;
  const runs = modeRuns(r);
  return runs.forward <= runs.reverse ? 'forward' : 'reverse';
}

export async function jacobian(r: JacobianRequest, mode: JacobianMode): Promise<Jacobian> {
  return mode === 'forward' ? forwardJacobian(r) : reverseJacobian(r);
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
