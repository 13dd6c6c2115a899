// Names of the nodes that autodiff and the optimizer append. They must be what the naive rule
// gives (the base name, else the smallest free `base_k`), and finding them must not rescan the
// suffixes already taken: a long fuzzed EfficientNet spent minutes in `optim.zeros_1`,
// `optim.zeros_2`, … before the editor remembered where each base's suffixes stood.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphEditor } from '../../compiler/autodiff/builder.js';
import { buildTrainStep } from '../../compiler/autodiff/optimizer.js';
import type { Graph, Node } from '../../compiler/ir/types.js';
import { graphOf } from '../helpers/compile.js';

/** A graph that holds nothing but nodes with these names (all the editor's naming reads). */
function namedGraph(names: readonly string[]): Graph {
  const nodes = names.map((name, id) => ({ id, name, op: 'relu', inputs: [], outputs: [] }) as unknown as Node);
  return { name: 'g', inputs: [], outputs: [], values: [], nodes, params: [], symbols: [] };
}

/** The rule the editor keeps: the base if free, else the smallest free `base_k`, k ≥ 1. */
function naive(taken: Set<string>, base: string): string {
  let name = base;
  for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
  return name;
}

describe('autodiff node names', () => {
  it('equal the naive smallest-free-suffix rule, whatever names the graph already has', () => {
    const part = fc.constantFrom('a', 'b', 'a_1', 'a_2', 'a_3', 'b_1', 'a_1_1');
    fc.assert(
      fc.property(fc.uniqueArray(part), fc.array(fc.constantFrom('a', 'b', 'a_1'), { maxLength: 12 }), (have, asks) => {
        const ed = new GraphEditor(namedGraph(have));
        const taken = new Set<string>(have);
        for (const base of asks) {
          const name = ed.uniqueName(base);
          expect(name).toBe(naive(taken, base));
          // addNode records the name it was given; mimic it
          (ed as unknown as { names: Set<string> }).names.add(name);
          taken.add(name);
        }
      }),
      { numRuns: 200, seed: 13 },
    );
  });

  it('a training step of many bias-free layers names each zero buffer once, in order', () => {
    const n = 400;
    const layers = Array.from({ length: n }, (_, i) => `  h = linear(h, 4, bias=false) as "l${i}"`).join('\n');
    const g = graphOf(`model wide(x: Tensor[B, 4]) {\n  h = x\n${layers}\n  return h\n}\n`);
    const step = buildTrainStep(g, { loss: { kind: 'cross_entropy' }, optimizer: { kind: 'sgd' } });
    const zeros = step.graph.nodes.filter((x) => x.op === 'constant' && x.name.startsWith('optim.zeros'));
    expect(zeros.map((x) => x.name)).toEqual(
      Array.from({ length: n }, (_, i) => (i === 0 ? 'optim.zeros' : `optim.zeros_${i}`)),
    );
    expect(new Set(step.graph.nodes.map((x) => x.name)).size).toBe(step.graph.nodes.length);
  });
});
