// `mdl train --anytime`: coded errors for an unknown sampler and for a model without
// sub-networks (the training itself runs in the experiment, test/experiments/anytime.ts).
import { describe, expect, it } from 'vitest';
import { mdl } from '../helpers/cli.js';

describe('mdl train --anytime', () => {
  it('an unknown sampler is MDL8704 and names the samplers', () => {
    const r = mdl('train', 'examples/anytime_resnet_fmnist.mdl', '--anytime', 'greedy');
    expect(r.code).toBe(1);
    expect(r.err).toContain('MDL8704');
    expect(r.err).toContain('uniform, tips, sandwich');
  });

  it('a model without exits or optional paths is MDL8701', () => {
    const r = mdl('train', 'examples/resnet8_fmnist.mdl', '--anytime', 'tips');
    expect(r.code).toBe(1);
    expect(r.err).toContain('MDL8701');
    expect(r.err).not.toMatch(/\bat .*\.js:\d+/);
  });
});
