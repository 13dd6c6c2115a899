// Helpers for the backward-rewrite tests: a one-layer (or small) model, a plan built from
// strategy specs, and the VJP of the rewritten graph run on the reference interpreter.
import { buildGradient, type GradGraph } from '../../compiler/autodiff/grad.js';
import { initParams } from '../../compiler/reference/init.js';
import { run } from '../../compiler/interp/interpreter.js';
import { Stream } from '../../runtime/random/philox.js';
import { size, tensor, type Tensor } from '../../compiler/reference/tensor.js';
import type { Graph } from '../../compiler/ir/types.js';
import { applyRewrites, resolveRules, type BackwardRule, type StrategySpec } from '../../compiler/rewrites/index.js';
import { NO_SPAN } from '../../compiler/source.js';

export function rule(pattern: string, strategy: StrategySpec): BackwardRule {
  return { selector: { kind: 'glob', pattern }, strategy, span: NO_SPAN, text: `"${pattern}"` };
}

/** The gradient graph of `g` (a VJP: cotangent inputs `cot:<output>`) with the rules applied. */
export function vjpUnder(g: Graph, rules: readonly BackwardRule[], wrtInputs: readonly string[] = ['x']): GradGraph {
  const { plan, diagnostics } = resolveRules(g, rules);
  if (diagnostics.length) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  const rw = applyRewrites(g, plan);
  return buildGradient(rw.graph, { loss: { kind: 'cotangents' }, wrtInputs, frozen: rw.frozen, rules: rw.rules });
}

export function random(shape: readonly number[], seed: number, name: string): Tensor {
  const s = new Stream(seed, name);
  return tensor(
    shape,
    Array.from({ length: size(shape) }, (_, i) => s.normal(i)),
  );
}

/** Runs a VJP graph in f64 with random parameters, input and cotangent (fixed by seed). */
export function runVjp(gg: GradGraph, seed: number, params = initParams(gg.graph, seed)): Map<string, Tensor> {
  const inputs: Record<string, Tensor> = {};
  for (const id of gg.graph.inputs) {
    const v = gg.graph.values[id]!;
    if (v.def.kind !== 'input') continue;
    inputs[v.def.name] = random(v.type.shape as number[], seed, v.def.name);
  }
  return run(gg.graph, { inputs, params, training: gg.training }).outputs;
}

export function maxRelDiff(a: Tensor, b: Tensor): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.data.length; i++) {
    num = Math.max(num, Math.abs(a.data[i]! - b.data[i]!));
    den = Math.max(den, Math.abs(b.data[i]!));
  }
  return num / Math.max(den, 1e-30);
}
