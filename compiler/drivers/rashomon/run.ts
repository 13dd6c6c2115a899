// One exploration, end to end: the base model's test scores, then either the dropout
// exploration (every rate × every model, many models per run) or the re-training baseline
// (K models trained from other seeds with the training machinery), then the multiplicity
// metrics at every ε, with the wall time of each part. The command line and the experiment
// both call this.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph } from '../../ir/types.js';
import type { NoiseKind } from '../../ops/internal/inference_dropout.js';
import { evaluateLogits, multiplicity, type EpsilonMetrics, type ModelScores } from '../../rashomon/metrics.js';
import { inferenceDropout, type NoisedGraph } from '../../rashomon/pass.js';
import type { LayerSelector } from '../../rashomon/select.js';
import { Explorer, type ExploreBackend, type ExploreData, type ModelJob } from './explorer.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';

export type Method =
  | {
      readonly kind: 'dropout';
      readonly noise: NoiseKind;
      readonly rates: readonly number[];
      /** Sampled models per rate. */
      readonly models: number;
      readonly layers: LayerSelector;
    }
  | {
      readonly kind: 'retrain';
      /** Trains (or finds already trained) one model per seed; returns its weights and training seconds. */
      readonly models: readonly {
        readonly seed: number;
        train(): Promise<{ params: ReadonlyMap<string, Float32Array>; seconds: number; reused: boolean }>;
      }[];
    };

export interface ExplorationRequest {
  readonly graph: Graph;
  readonly params: ReadonlyMap<string, Float32Array>;
  readonly data: ExploreData;
  readonly method: Method;
  readonly epsilons: readonly number[];
  readonly seed: number;
  readonly rows: number;
  readonly backend: ExploreBackend;
  /** Rashomon capacity on the first this many samples (default all). */
  readonly capacitySamples?: number;
  readonly log?: (line: string) => void;
  /** Models done of all, and the seconds since the exploration began. */
  readonly progress?: (done: number, total: number, seconds: number) => void;
}

/** One explored (or retrained) model. */
export interface ModelRow {
  readonly model: number;
  /** The dropout rate (Gaussian: the standard deviation); absent for a retrained model. */
  readonly rate?: number;
  readonly seed?: number;
  readonly loss: number;
  readonly accuracy: number;
  /** Seconds to train it (re-training only). */
  readonly trainSeconds?: number;
  readonly reused?: boolean;
}

export interface ExplorationResult {
  readonly base: { readonly loss: number; readonly accuracy: number };
  readonly layers: readonly string[];
  readonly models: readonly ModelRow[];
  readonly metrics: readonly EpsilonMetrics[];
  readonly timing: {
    /** Wall time of producing the models (their runs, or their training and evaluation). */
    readonly exploreSeconds: number;
    /** Per explored model. */
    readonly perModelSeconds: number;
    /** Re-training: the mean training time of a model (without evaluating it). */
    readonly trainSecondsPerModel?: number;
    readonly metricsSeconds: number;
    readonly runs: number;
  };
  readonly description: string;
}

/** The noised graph, or its diagnostics. */
export function noisedGraph(
  g: Graph,
  kind: NoiseKind,
  layers: LayerSelector | undefined,
): { noised?: NoisedGraph; diagnostics: Diagnostic[] } {
  return inferenceDropout(g, kind, layers);
}

export async function explore(req: ExplorationRequest, noised: NoisedGraph): Promise<ExplorationResult> {
  const { data } = req;
  const kind = req.method.kind === 'dropout' ? req.method.noise : 'bernoulli';
  const ex = await Explorer.create({
    noised,
    kind,
    params: req.params,
    data,
    seed: req.seed,
    rows: req.rows,
    backend: req.backend,
  });
  try {
    let baseLogits: Float32Array | undefined;
    await ex.evaluate([{ model: 0, rate: 0 }], (_, __, l) => void (baseLogits = l));
    const base = evaluateLogits(baseLogits!, data.labels, data.classes);
    const maxEps = Math.max(...req.epsilons);
    const keep = (loss: number) => loss < base.loss + maxEps;
    const kept: ModelScores[] = [];
    const rows: ModelRow[] = [];
    const t0 = performance.now();
    let trainSeconds = 0;
    if (req.method.kind === 'dropout') {
      const m = req.method;
      const jobs: ModelJob[] = m.rates.flatMap((rate, r) =>
        Array.from({ length: m.models }, (_, j) => ({ model: r * m.models + j, rate })),
      );
      await ex.evaluate(jobs, (job, k, logits) => {
        const e = evaluateLogits(logits, data.labels, data.classes);
        rows.push({ model: job.model, rate: job.rate, loss: e.loss, accuracy: e.accuracy });
        kept.push(keep(e.loss) ? { loss: e.loss, scores: e.scores } : { loss: e.loss });
        req.progress?.(k + 1, jobs.length, (performance.now() - t0) / 1000);
      });
    } else {
      const ms = req.method.models;
      for (const [k, m] of ms.entries()) {
        const t = await m.train();
        trainSeconds += t.seconds;
        ex.setParams(t.params);
        await ex.evaluate([{ model: 0, rate: 0 }], (_, __, logits) => {
          const e = evaluateLogits(logits, data.labels, data.classes);
          rows.push({
            model: k,
            seed: m.seed,
            loss: e.loss,
            accuracy: e.accuracy,
            trainSeconds: t.seconds,
            reused: t.reused,
          });
          kept.push(keep(e.loss) ? { loss: e.loss, scores: e.scores } : { loss: e.loss });
        });
        req.progress?.(k + 1, ms.length, (performance.now() - t0) / 1000);
      }
    }
    // A reused model's training happened in an earlier run: count its recorded time, not this run's.
    const evalSeconds = (performance.now() - t0) / 1000;
    const exploreSeconds = req.method.kind === 'dropout' ? evalSeconds : evalSeconds + trainSecondsOfReused(rows);
    const t1 = performance.now();
    const metrics = multiplicity({
      base: { loss: base.loss, scores: base.scores },
      labels: data.labels,
      classes: data.classes,
      models: kept,
      epsilons: req.epsilons,
      ...(req.capacitySamples !== undefined ? { capacitySamples: req.capacitySamples } : {}),
    });
    const metricsSeconds = (performance.now() - t1) / 1000;
    return {
      base: { loss: base.loss, accuracy: base.accuracy },
      layers: noised.layers,
      models: rows,
      metrics,
      timing: {
        exploreSeconds,
        perModelSeconds: exploreSeconds / Math.max(1, rows.length),
        ...(req.method.kind === 'retrain' ? { trainSecondsPerModel: trainSeconds / Math.max(1, rows.length) } : {}),
        metricsSeconds,
        runs: ex.runs,
      },
      description: ex.description,
    };
  } finally {
    ex.dispose();
  }
}

function trainSecondsOfReused(rows: readonly ModelRow[]): number {
  return rows.reduce((s, r) => s + (r.reused ? (r.trainSeconds ?? 0) : 0), 0);
}

/** Where a retrained model's weights and training time are kept, so a rerun reuses them. */
export function retrainedRecord(dir: string): { seconds: number } | undefined {
  const f = join(dir, 'trained.json');
  if (!existsSync(f)) return undefined;
  return JSON.parse(readFileSync(f, 'utf8')) as { seconds: number };
}

export function recordRetrained(dir: string, seconds: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'trained.json'), JSON.stringify({ seconds }) + '\n');
}
