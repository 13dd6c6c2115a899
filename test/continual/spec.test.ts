// The continual settings of a train section: defaults, the stream constructors, and located
// errors for what they cannot take.
import { describe, expect, it } from 'vitest';
import { compileTraining } from '../../compiler/compile.js';
import { renderAll } from '../../compiler/diagnostics/render.js';
import { memoryHost } from '../helpers/compile.js';

const MODEL = `model net(x: Tensor[B, 1, 28, 28]) {
  h = gelu(linear(flatten(x), 32) as "fc1")
  return linear(h, 10) as "head"
}
`;

function compile(section: string) {
  const r = compileTraining({ path: 't.mdl', text: MODEL + section }, memoryHost({}));
  return { ...r, rendered: renderAll(r.diagnostics, r.sources) };
}

describe('continual settings', () => {
  it('take the method defaults of the paper and the stream given', () => {
    const r = compile(`train t {
  model = net()
  backward "fc1" = lora(rank=4)
  continual = online_lora()
  stream = si_blurry(tasks=3, blurry=0.2, train_per_class=50)
  eval_every = 100
}`);
    expect(r.rendered).toBe('');
    expect(r.spec!.continual).toEqual({
      method: {
        kind: 'online_lora',
        mask: 'seen',
        lambda: 2000,
        window: 5,
        meanThreshold: 6,
        varThreshold: 0.1,
        hardBuffer: 4,
        merge: 'clean',
      },
      stream: { kind: 'si_blurry', tasks: 3, disjoint: 0.5, blurry: 0.2, trainPerClass: 50, testPerClass: 0 },
      evalEvery: 100,
    });
  });

  it('default to a 5-task split stream', () => {
    const r = compile(`train t {\n  model = net()\n  continual = online(mean_threshold=1)\n}`);
    expect(r.spec!.continual!.stream).toEqual({ kind: 'split', tasks: 5, trainPerClass: 0, testPerClass: 0 });
    expect(r.spec!.continual!.method).toEqual({
      kind: 'online',
      mask: 'seen',
      window: 5,
      meanThreshold: 1,
      varThreshold: 0.1,
    });
  });

  it('are located errors when they are wrong', () => {
    expect(compile(`train t {\n  model = net()\n  stream = split()\n}`).rendered).toMatch(
      /MDL3004: `stream` belongs to continual training/,
    );
    expect(compile(`train t {\n  model = net()\n  continual = online_lora(merge="both")\n}`).rendered).toMatch(
      /merge must be "clean" or "separate"/,
    );
    expect(compile(`train t {\n  model = net()\n  continual = online_lora(lamda=1)\n}`).rendered).toMatch(
      /MDL3001: online_lora\(\) has no argument `lamda`[\s\S]*lambda/,
    );
    expect(
      compile(`train t {\n  model = net()\n  continual = online()\n  stream = si_blurry(blurry=1.5)\n}`).rendered,
    ).toMatch(/blurry must be a fraction in \[0, 1\], got 1.5/);
    expect(compile(`train t {\n  model = net()\n  continual = sgd()\n}`).rendered).toMatch(
      /`continual` must be one of online\(…\), online_lora\(…\)/,
    );
  });
});
