// The evaluation of an unlearned classifier against the original and the baselines: accuracy on
// the forget, retain and test sets, and the loss-threshold membership-inference attack on the
// forget set against held-out test samples of the same classes, each model with the input
// normalisation it was trained with; wall time as measured by whoever produced the model.
import type { Graph } from '../../ir/types.js';
import { accuracy, crossEntropies, lossThresholdAttack } from '../../unlearn/metrics.js';
import type { Dataset } from '../../../runtime/data/dataset.js';
import type { ProxyBackend } from '../proxies/backend.js';
import { predict } from './predict.js';

export interface Normalisation {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export interface EvaluatedModel {
  readonly name: string;
  readonly params: ReadonlyMap<string, Float64Array>;
  readonly norm: Normalisation;
  readonly seconds: number;
}

export interface EvaluationRow {
  readonly name: string;
  readonly forget: number;
  readonly retain: number;
  readonly test: number;
  readonly mia: { readonly auc: number; readonly accuracy: number };
  readonly seconds: number;
}

export interface EvaluationRequest {
  readonly graph: Graph;
  readonly backend: ProxyBackend;
  readonly classes: number;
  readonly batch: number;
  readonly trainSet: Dataset;
  readonly test: Dataset;
  readonly forget: ReadonlySet<number>;
  readonly retain: readonly number[];
  readonly models: readonly EvaluatedModel[];
  /** At most this many retain and test samples are scored (default all). */
  readonly cap?: number;
}

function gather(d: Dataset, idx: readonly number[], norm: Normalisation): { x: Float32Array; y: Int32Array } {
  const per = d.shape[0] * d.shape[1] * d.shape[2];
  const hw = d.shape[1] * d.shape[2];
  const x = new Float32Array(idx.length * per);
  const y = new Int32Array(idx.length);
  idx.forEach((i, k) => {
    for (let j = 0; j < per; j++) {
      const ch = Math.floor(j / hw);
      x[k * per + j] = (d.images[i * per + j]! - norm.mean[ch]!) / norm.std[ch]!;
    }
    y[k] = d.labels[i]!;
  });
  return { x, y };
}

export async function evaluateModels(r: EvaluationRequest): Promise<EvaluationRow[]> {
  const cap = r.cap ?? Infinity;
  const forgetIdx = [...r.forget].sort((a, b) => a - b);
  const retainIdx = r.retain.slice(0, cap);
  const testIdx = Array.from({ length: Math.min(r.test.count, cap) }, (_, i) => i);
  // Held-out samples for the attack: test samples of the forget set's classes, as many as it has.
  const forgetClasses = new Set(forgetIdx.map((i) => r.trainSet.labels[i]!));
  const heldIdx: number[] = [];
  for (let i = 0; i < r.test.count && heldIdx.length < forgetIdx.length; i++)
    if (forgetClasses.has(r.test.labels[i]!)) heldIdx.push(i);
  const rows: EvaluationRow[] = [];
  for (const m of r.models) {
    const score = async (d: Dataset, idx: readonly number[]) => {
      const { x, y } = gather(d, idx, m.norm);
      const logits = await predict(r.backend, r.graph, m.params, x, idx.length, r.classes, r.batch);
      return { acc: accuracy(logits, y, r.classes), losses: crossEntropies(logits, y, r.classes) };
    };
    const f = await score(r.trainSet, forgetIdx);
    const re = await score(r.trainSet, retainIdx);
    const te = await score(r.test, testIdx);
    const held = await score(r.test, heldIdx);
    rows.push({
      name: m.name,
      forget: f.acc,
      retain: re.acc,
      test: te.acc,
      mia: lossThresholdAttack(f.losses, held.losses),
      seconds: m.seconds,
    });
  }
  return rows;
}

const pct = (x: number) => (Number.isNaN(x) ? '—' : `${(100 * x).toFixed(2)}%`);

/** The rows as a plain-text table. */
export function formatEvaluation(rows: readonly EvaluationRow[]): string {
  const head = ['model', 'forget acc', 'retain acc', 'test acc', 'MIA AUC', 'MIA acc', 'seconds'];
  const body = rows.map((r) => [
    r.name,
    pct(r.forget),
    pct(r.retain),
    pct(r.test),
    Number.isNaN(r.mia.auc) ? '—' : r.mia.auc.toFixed(3),
    pct(r.mia.accuracy),
    r.seconds.toFixed(2),
  ]);
  const w = head.map((h, k) => Math.max(h.length, ...body.map((b) => b[k]!.length)));
  return [head, ...body].map((row) => row.map((c, k) => c.padEnd(w[k]!)).join('  ')).join('\n');
}
