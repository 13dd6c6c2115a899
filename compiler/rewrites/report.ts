// The static report of a training step under backward rewrites, next to the exact step: per
// rewritten layer and in total, backward MACs, what the backward keeps from the forward pass,
// and peak training memory. Everything is read off the two real training-step graphs.
import { bytes, groupDigits, textTable } from '../analysis/format.js';
import type { TrainCost } from '../analysis/train-cost.js';
import type { RewritePlan } from './strategy.js';
import { formatStrategy } from './strategy.js';

export interface LayerComparison {
  readonly layer: string;
  readonly strategy: string;
  readonly exact_backward_macs: number;
  readonly backward_macs: number;
  readonly exact_kept_bytes: number;
  readonly kept_bytes: number;
}

export interface RewriteComparison {
  readonly layers: readonly LayerComparison[];
  readonly exact: {
    readonly backward_macs: number;
    readonly kept_bytes: number;
    readonly peak_bytes: number;
    readonly total_bytes: number;
  };
  readonly rewritten: {
    readonly backward_macs: number;
    readonly kept_bytes: number;
    readonly peak_bytes: number;
    readonly total_bytes: number;
  };
}

/**
 * Rows of the rewritten step belong to the layer whose name is their longest dotted prefix
 * (LoRA's `fc.lora.linear` and NTK's `fc.jvp.linear` count as `fc`).
 */
function byLayer(t: TrainCost, layers: readonly string[]): Map<string, { macs: number; kept: number }> {
  const out = new Map(layers.map((l) => [l, { macs: 0, kept: 0 }]));
  const sorted = [...layers].sort((a, b) => b.length - a.length);
  for (const r of t.layers) {
    const owner = sorted.find((l) => r.name === l || r.name.startsWith(`${l}.`));
    if (!owner) continue;
    const e = out.get(owner)!;
    e.macs += r.backward.macs;
    e.kept += r.kept_bytes;
  }
  return out;
}

export function compareRewrites(exact: TrainCost, rewritten: TrainCost, plan: RewritePlan): RewriteComparison {
  const names = [...plan.keys()];
  const a = byLayer(exact, names);
  const b = byLayer(rewritten, names);
  const totals = (t: TrainCost) => ({
    backward_macs: t.backward.macs,
    kept_bytes: t.memory.activations_kept_bytes,
    peak_bytes: t.memory.activation_peak_bytes,
    total_bytes: t.memory.total_bytes,
  });
  return {
    layers: names.map((l) => ({
      layer: l,
      strategy: formatStrategy(plan.get(l)!.strategy),
      exact_backward_macs: a.get(l)!.macs,
      backward_macs: b.get(l)!.macs,
      exact_kept_bytes: a.get(l)!.kept,
      kept_bytes: b.get(l)!.kept,
    })),
    exact: totals(exact),
    rewritten: totals(rewritten),
  };
}

const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? '1.00×' : '∞') : `${(a / b).toFixed(2)}×`);

export function formatComparison(c: RewriteComparison): string {
  // Kept bytes are attributed to the layer that produced them (a rewrite frees its *input*, the
  // previous layer's output), so only their totals are shown.
  const head = ['layer', 'strategy', 'bwd MACs exact', 'bwd MACs', 'saving'];
  const body = c.layers.map((l) => [
    l.layer,
    l.strategy,
    groupDigits(l.exact_backward_macs),
    groupDigits(l.backward_macs),
    ratio(l.exact_backward_macs, l.backward_macs),
  ]);
  const table = textTable(head, body, 2);
  const e = c.exact;
  const r = c.rewritten;
  return [
    'backward rewrites against the exact backward',
    '',
    ...table.header,
    ...table.rows,
    table.rule,
    `backward MACs   exact ${groupDigits(e.backward_macs)}, rewritten ${groupDigits(r.backward_macs)} (${ratio(e.backward_macs, r.backward_macs)} fewer)`,
    `kept for bwd    exact ${bytes(e.kept_bytes)}, rewritten ${bytes(r.kept_bytes)}`,
    `activation peak exact ${bytes(e.peak_bytes)}, rewritten ${bytes(r.peak_bytes)}`,
    `training memory exact ${bytes(e.total_bytes)}, rewritten ${bytes(r.total_bytes)}`,
  ].join('\n');
}
