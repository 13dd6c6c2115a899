// The evaluation of an unlearnt encoder–decoder (a masked autoencoder: outputs `pred`
// [N, L, p·p·C] and `mask` [N, L]): on a set of images, the reconstruction error (the mean
// squared error over the removed patches, per image, in the model's normalised input space, as
// MAE's loss) and an FID-style feature distance — the Fréchet distance between the features of
// the reconstructions (removed patches predicted, kept ones pasted back, as an inpainting output)
// and of the original images, the features being a fixed classifier's penultimate activations
// (a LeNet-5 trained on the same data). Masks come from the run's seed at step 0, so every model
// evaluated with the same seed sees the same masks on the same images. With `noise` the encoder
// sees the images' noise batches (drawn as teacher–student training draws them) in place of
// the images while the error and the reconstructions still compare with the images: scored with
// the original weights this is the decoder fed the teacher's noise embeddings, the furthest
// any unlearning of the encoder alone could push the outputs on those images.
import type { Graph, ValueId } from '../../ir/types.js';
import { frechetDistance } from '../../unlearn/frechet.js';
import type { Dataset } from '../../../runtime/data/dataset.js';
import type { Normalisation } from '../../../runtime/data/batches.js';
import type { ProxyBackend } from '../proxies/backend.js';
import type { NoiseKind } from '../../train/teacher-student.js';
import { noiseBatch } from './embedding-probe.js';
import { gatherImages, normalise } from './teacher-student.js';

export interface FeatureClassifier {
  readonly graph: Graph;
  readonly params: ReadonlyMap<string, ArrayLike<number>>;
  readonly norm: Normalisation;
}

export interface ReconstructionScore {
  /** Mean over the images of their masked reconstruction error. */
  readonly error: number;
  /** Fréchet distance between the classifier features of reconstructions and originals. */
  readonly featureDistance: number;
}

/** The classifier's penultimate activations: the data input of its last linear layer. */
export function featureValue(g: Graph): ValueId {
  const last = [...g.nodes].reverse().find((n) => n.op === 'linear');
  if (!last) throw new RangeError(`${g.name} has no linear layer whose input could serve as features`);
  return last.inputs[0]!;
}

const f64 = (m: ReadonlyMap<string, ArrayLike<number>>) =>
  new Map([...m].map(([k, v]) => [k, Float64Array.from(v)] as const));

/**
 * Scores models of one architecture: the autoencoder's and the classifier's programs are
 * compiled once, and each model's weights are swapped in.
 */
export async function reconstructionScorer(r: {
  readonly backend: ProxyBackend;
  readonly model: Graph;
  readonly norm: Normalisation;
  readonly classifier: FeatureClassifier;
  readonly batch: number;
}): Promise<{
  score(
    params: ReadonlyMap<string, ArrayLike<number>>,
    data: Dataset,
    samples: readonly number[],
    opts?: { readonly noise?: { readonly kind: NoiseKind; readonly seed: number } },
  ): Promise<ReconstructionScore>;
  dispose(): void;
}> {
  const d = r.model.values[r.model.inputs[0]!]!.def;
  const input = d.kind === 'input' ? d.name : 'x';
  const init = new Map(r.model.params.map((p) => [p.name, new Float64Array(p.shape.reduce((a, x) => a * x, 1))]));
  const mae = await r.backend.compile({ graph: r.model, batch: r.batch, training: false, params: init });
  const feat = featureValue(r.classifier.graph);
  const cls = await r.backend.compile({
    graph: r.classifier.graph,
    batch: r.batch,
    training: false,
    params: f64(r.classifier.params),
    keep: [feat],
  });
  const cd = r.classifier.graph.values[r.classifier.graph.inputs[0]!]!.def;
  const clsInput = cd.kind === 'input' ? cd.name : 'x';
  return {
    async score(params, data, samples, opts = {}) {
      mae.setParams(f64(params));
      const [C, H, W] = data.shape;
      const per = C * H * W;
      const n = samples.length;
      let dim = 0;
      const fx: number[] = [];
      const fy: number[] = [];
      let errSum = 0;
      for (let start = 0, b = 0; start < n; start += r.batch, b++) {
        const size = Math.min(r.batch, n - start);
        const idx = Array.from({ length: r.batch }, (_, k) => samples[start + Math.min(k, size - 1)]!);
        const { x, pixels } = gatherImages(data, idx, r.norm);
        const fed = opts.noise ? noiseBatch(pixels, opts.noise.kind, opts.noise.seed, b, r.norm, H * W) : x;
        const out = await mae.run({ [input]: fed });
        const pred = out.outputs.get('pred')!;
        const mask = out.outputs.get('mask')!;
        const L = mask.length / r.batch;
        const P = pred.length / (r.batch * L);
        const p = Math.round(Math.sqrt(P / C));
        const gw = W / p;
        const recon = new Float32Array(r.batch * per);
        for (let s = 0; s < r.batch; s++) {
          let se = 0;
          let removed = 0;
          for (let l = 0; l < L; l++) {
            const m = mask[s * L + l]!;
            const [pi, pj] = [Math.floor(l / gw), l % gw];
            let e = 0;
            for (let a = 0; a < p; a++)
              for (let b = 0; b < p; b++)
                for (let c = 0; c < C; c++) {
                  const j = c * H * W + (pi * p + a) * W + (pj * p + b);
                  const y = pred[(s * L + l) * P + (a * p + b) * C + c]!;
                  e += (y - x[s * per + j]!) ** 2;
                  // Back to pixels in [0, 1]: predicted where removed, the original where kept.
                  const v = m > 0 ? y * r.norm.std[c]! + r.norm.mean[c]! : pixels[s * per + j]!;
                  recon[s * per + j] = Math.min(1, Math.max(0, v));
                }
            se += (m * e) / P;
            removed += m;
          }
          if (s < size) errSum += se / Math.max(1, removed);
        }
        for (const [imgs, into] of [
          [pixels, fx],
          [recon, fy],
        ] as const) {
          const got = await cls.run({ [clsInput]: normalise(imgs, r.classifier.norm, H * W) });
          const f = got.kept.get(feat)!;
          dim = f.length / r.batch;
          for (let i = 0; i < size * dim; i++) into.push(f[i]!);
        }
      }
      return { error: errSum / n, featureDistance: frechetDistance(fx, n, fy, n, dim) };
    },
    dispose() {
      mae.dispose();
      cls.dispose();
    },
  };
}
