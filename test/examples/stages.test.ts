// Golden files for every stage: the AST, the IR and the gradient graph of small examples, as
// `mdl print --stage ast|ir|grad` writes them. A change to the parser or elaborator that changes
// meaning shows up here as a reviewable diff.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from '../../grammar/parse.js';
import { printAst } from '../../grammar/print-ast.js';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { printGraph } from '../../compiler/ir/print.js';
import { defaultAttrs } from '../../compiler/ops/registry.js';
import { compileFile } from '../helpers/compile.js';
import { expectGolden } from '../helpers/golden.js';

const EXAMPLES = ['lenet5', 'mlp', 'resnet20', 'vit_ti16'];

describe('stage goldens', () => {
  for (const name of EXAMPLES) {
    it(`${name}: ast`, () => {
      const path = `examples/${name}.mdl`;
      const r = parse({ path, text: readFileSync(path, 'utf8') });
      expect(r.diagnostics).toEqual([]);
      expectGolden(`test/golden/ast/${name}.txt`, printAst(r.program!));
    });
    it(`${name}: ir`, () => {
      const r = compileFile(`examples/${name}.mdl`);
      expect(r.graph).toBeDefined();
      expectGolden(`test/golden/ir/${name}.txt`, printGraph(r.graph!, { defaults: defaultAttrs }));
    });
    it(`${name}: grad`, () => {
      const r = compileFile(`examples/${name}.mdl`);
      const g = buildGradient(r.graph!, { loss: { kind: 'cross_entropy' } });
      expectGolden(`test/golden/grad/${name}.txt`, printGraph(g.graph, { defaults: defaultAttrs }));
    });
  }
});
