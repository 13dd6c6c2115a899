// The calls a train section may make come from the registries that interpret them: every
// registered backward strategy is accepted there and listed when a strategy is wrong, and the
// elaborator knows only the vocabulary it is given.
import { describe, expect, it } from 'vitest';
import { compileTraining } from '../../compiler/compile.js';
import { renderAll } from '../../compiler/diagnostics/render.js';
import { Elaborator } from '../../compiler/elaborate/elaborate.js';
import { loadProgram } from '../../compiler/modules/loader.js';
import { STRATEGY_NAMES } from '../../compiler/rewrites/strategies.js';
import { SETTING_CONSTRUCTORS } from '../../compiler/train/spec.js';
import { TRAIN_VOCABULARY } from '../../compiler/train/vocabulary.js';
import { memoryHost } from '../helpers/compile.js';

const MODEL = `model net(x: Tensor[B, 1, 28, 28]) {
  h = relu(conv2d(x, 8, 3, padding=1) as "features")
  return linear(flatten(global_avgpool(h)), 10) as "classifier"
}
`;

const section = (rule: string) => `${MODEL}train t {\n  model = net()\n  ${rule}\n}\n`;

describe('the train-section vocabulary', () => {
  it('is the settings constructors and the registered strategies', () => {
    expect([...TRAIN_VOCABULARY].sort()).toEqual([...SETTING_CONSTRUCTORS, ...STRATEGY_NAMES].sort());
    expect(SETTING_CONSTRUCTORS).toEqual(expect.arrayContaining(['sgd', 'adamw', 'cross_entropy', 'cosine']));
  });

  it('accepts every registered strategy in a backward rule', () => {
    for (const name of STRATEGY_NAMES) {
      const r = compileTraining({ path: 't.mdl', text: section(`backward "classifier" = ${name}()`) }, memoryHost({}));
      // The rule is parsed into its strategy; whether it can handle the layer is another matter.
      expect(
        r.spec?.backward.map((b) => b.strategy.kind),
        renderAll(r.diagnostics, r.sources),
      ).toEqual([name]);
    }
  });

  it('lists every registered strategy when a rule names something else', () => {
    const r = compileTraining({ path: 't.mdl', text: section('backward "classifier" = sgd()') }, memoryHost({}));
    const text = renderAll(r.diagnostics, r.sources);
    expect(text).toContain('error MDL3004: a backward strategy must be one of');
    for (const name of STRATEGY_NAMES) expect(text).toContain(`${name}(…)`);
  });

  it('is what the elaborator is given: a name left out of it is unknown in a train section', () => {
    const text = section('backward "classifier" = lora(rank=2)');
    const evaluate = (vocabulary: readonly string[]) => {
      const e = new Elaborator(loadProgram({ path: 't.mdl', text }, memoryHost({})), { train: vocabulary });
      const s = e.evaluateTrain(e.trainSections()[0]!);
      return { section: s, codes: e.diagnostics.items.map((d) => d.code) };
    };
    expect(evaluate(TRAIN_VOCABULARY)).toMatchObject({ codes: [] });
    expect(evaluate(TRAIN_VOCABULARY).section?.backward).toHaveLength(1);
    const without = evaluate(TRAIN_VOCABULARY.filter((n) => n !== 'lora'));
    expect(without.section).toBeUndefined();
    expect(without.codes).toContain('MDL2002');
  });
});
