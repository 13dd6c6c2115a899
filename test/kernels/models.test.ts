// A whole training step (forward, loss, backward, optimizer update) of the larger examples at
// reduced sizes on WebGPU, against the interpreter's float32 step: the loss, every gradient, the
// updated parameters (by their change) and the optimizer state. Reduced so the suite stays fast
// (on a CPU adapter each new kernel costs ~1 s of driver compilation the first time):
// ResNet-20 with one block per stage at batch 2; a MobileNetV2-like network on 32×32 images
// (the example fixes 224×224 and 17 blocks, ~400 kernels) built from the same stdlib blocks —
// stem, an inverted residual without expansion, a strided one and one with the residual add,
// the 1×1 head, dropout and the classifier — at batch 2; ViT-Ti/16 with two encoder blocks of
// width 48 at batch 1.
//
// Tolerance 1e-3, norm-wise per tensor, floored at 1e-3 of the largest tensor of its kind
// (harness.ts stepErrors): some gradients are zero in exact arithmetic (a batchnorm bias whose
// output only feeds a conv into train-mode batchnorm; attention's key bias, which softmax
// ignores), rounding noise on both sides. Adam divides by √v, so for such a gradient the
// parameter moves by ±lr with the sign of the noise: ViT's AdamW uses eps 1e-3 (not 1e-8) so
// that noise moves it by ~lr·1e-6 instead.
import { afterAll, describe, expect, it } from 'vitest';
import { buildTrainStep, type OptimizerSpec } from '../../compiler/autodiff/optimizer.js';
import { INT, type V } from '../../compiler/elaborate/values.js';
import type { Graph } from '../../compiler/ir/types.js';
import { compileFile, graphOf } from '../helpers/compile.js';
import { device, runBoth, stepErrors, describe as show } from './harness.js';

afterAll(async () => (await device()).device.destroy(), 60_000);

const example = (file: string, args: Record<string, V>) => (): Graph => {
  const r = compileFile(`examples/${file}.mdl`, { args: new Map(Object.entries(args)) });
  expect(r.diagnostics).toEqual([]);
  return r.graph!;
};

const MOBILENET_LIKE = `
import "std/layers"
import "std/mobilenet"

model mobilenet_v2_like(x: Tensor[B, 3, 32, 32], num_classes: int = 10) {
  h = conv_bn_act(x, 16, 3, stride=2, act="relu6") as "features.0"
  h = inverted_residual(h, 8, 1, 1) as "features.1"
  h = inverted_residual(h, 16, 2, 6) as "features.2"
  h = inverted_residual(h, 16, 1, 6) as "features.3"
  h = conv_bn_act(h, 64, 1, act="relu6") as "features.4"
  h = flatten(global_avgpool(h))
  h = dropout(h, 0.2) as "classifier.0"
  return linear(h, num_classes) as "classifier.1"
}
`;

const cases: [string, () => Graph, number, OptimizerSpec][] = [
  [
    'resnet20, one block per stage',
    example('resnet20', { blocks_per_stage: INT(1) }),
    2,
    { kind: 'sgd', momentum: 0.9, weightDecay: 5e-4 },
  ],
  ['mobilenet_v2-like, 32×32', () => graphOf(MOBILENET_LIKE), 2, { kind: 'sgd', momentum: 0.9, nesterov: true }],
  [
    'vit_ti16, two blocks of width 48',
    example('vit_ti16', { depth: INT(2), dim: INT(48), heads: INT(3), num_classes: INT(10) }),
    1,
    { kind: 'adamw', weightDecay: 0.05, eps: 1e-3 },
  ],
];

describe('a training step of each example on WebGPU matches the interpreter', () => {
  for (const [title, graph, batch, optimizer] of cases)
    it(
      title,
      async () => {
        const ts = buildTrainStep(graph(), { loss: { kind: 'cross_entropy' }, optimizer });
        const r = await runBoth(ts.graph, {
          dims: { B: batch },
          training: true,
          classes: 10,
          updates: ts.updates,
          given: { lr: new Float32Array([0.05]) },
          step: 1,
        });
        const errs = stepErrors(r, ts.updates, 1e-3);
        const worst = [...errs].sort((a, b) => b[1] - a[1]).slice(0, 3);
        console.log(
          `${title}: ${r.plan.dispatches.length} kernels; worst ${worst.map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`,
        );
        for (const [name, err] of errs) expect(err, `${name}\n${show(r.plan)}`).toBeLessThan(1e-3);
        r.executor.destroy();
      },
      300_000,
    );
});
