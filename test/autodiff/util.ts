// Helpers for the autodiff and interpreter tests: nested JSON arrays as tensors, and running
// gradient graphs on the reference interpreter.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GradGraph } from '../../compiler/autodiff/grad.js';
import { run } from '../../compiler/interp/interpreter.js';
import { tensor, type Precision, type Tensor } from '../../compiler/reference/tensor.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures');
export const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');

export type Nested = number | Nested[];

export function shapeOf(x: Nested): number[] {
  const s: number[] = [];
  let cur: Nested = x;
  while (Array.isArray(cur)) {
    s.push(cur.length);
    cur = cur[0]!;
  }
  return s;
}

export function flat(x: Nested): number[] {
  return Array.isArray(x) ? x.flatMap(flat) : [x];
}

export function fromNested(x: Nested, precision: Precision = 'f64'): Tensor {
  return tensor(shapeOf(x), flat(x), precision);
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Runs a gradient graph; returns the loss (when there is one), the gradients by parameter name and by input name. */
export function runGrad(
  gg: GradGraph,
  params: ReadonlyMap<string, Tensor>,
  inputs: Record<string, Tensor>,
  opts: { precision?: Precision; seed?: number; step?: number } = {},
): {
  loss: number;
  grads: Map<string, Tensor>;
  inputGrads: Map<string, Tensor>;
  outputs: Map<string, Tensor>;
  buffers: Map<string, Tensor>;
} {
  const r = run(gg.graph, { inputs, params, training: gg.training, ...opts });
  const grads = new Map<string, Tensor>();
  for (const name of gg.grads.keys()) grads.set(name, r.outputs.get(`grad:${name}`)!);
  const inputGrads = new Map<string, Tensor>();
  for (const name of gg.inputGrads.keys()) inputGrads.set(name, r.outputs.get(`grad:input:${name}`)!);
  const loss = r.outputs.get('loss')?.data[0] ?? NaN;
  return { loss, grads, inputGrads, outputs: r.outputs, buffers: r.buffers };
}
