// The three ways of computing per-sample, per-logit Jacobians agree: forward mode (JVPs),
// reverse mode (one sample, one-hot cotangents) and batchnorm mode (batched reverse passes read
// at the batchnorm outputs), in float64 on the reference interpreter, and WebGPU's float32
// batchnorm mode with them; `auto` picks batchnorm mode for batchnorm parameters.
import { describe, expect, it } from 'vitest';
import { ReferenceProxyBackend, WebGpuProxyBackend } from '../../compiler/drivers/proxies/backend.js';
import {
  chooseMode,
  jacobian,
  ModeUnavailable,
  type JacobianRequest,
} from '../../compiler/drivers/unlearn/jacobian.js';
import { initParams } from '../../compiler/reference/init.js';
import { DEFAULT_SUBSET, parameterSubset } from '../../compiler/unlearn/subset.js';
import { graphOf } from '../helpers/compile.js';

const MODEL = `model bnnet(x: Tensor[B, 2, 4, 4]) {
  h = relu(batchnorm2d(conv2d(x, 3, 3, padding=1) as "conv1") as "bn1")
  h = batchnorm2d(conv2d(h, 4, 3, stride=2, padding=1) as "conv2") as "bn2"
  return linear(flatten(relu(h)), 5) as "fc"
}`;

function request(backend: JacobianRequest['backend'], selector = DEFAULT_SUBSET): JacobianRequest {
  const g = graphOf(MODEL);
  const params = new Map<string, Float64Array>();
  let s = 3;
  const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647;
  for (const [k, t] of initParams(g, 1)) {
    const v = Float64Array.from(t.data);
    // Trained-looking batchnorms: γ, β and running statistics away from their initial values.
    if (k.startsWith('bn'))
      for (let i = 0; i < v.length; i++)
        v[i] = k.endsWith('weight') || k.endsWith('running_var') ? 0.5 + rnd() : 0.2 * (rnd() - 0.5);
    params.set(k, v);
  }
  const n = 7;
  return {
    graph: g,
    backend,
    params,
    subset: parameterSubset(g, selector),
    x: Float32Array.from({ length: n * 32 }, () => rnd() * 2 - 1),
    samples: n,
    sampleShape: [2, 4, 4],
    classes: 5,
    batch: 3,
  };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('per-sample Jacobians', () => {
  it('forward, reverse and batchnorm modes agree in float64', async () => {
    const r = request(new ReferenceProxyBackend());
    expect(r.subset.map((p) => p.name)).toEqual(['bn1.weight', 'bn1.bias', 'bn2.weight', 'bn2.bias']);
    const fwd = await jacobian(r, 'forward');
    const rev = await jacobian(r, 'reverse');
    const bn = await jacobian(r, 'batchnorm');
    expect(fwd.data.length).toBe(7 * 5 * 14);
    expect(Math.max(...fwd.data.map(Math.abs))).toBeGreaterThan(0.1);
    expect(maxDiff(fwd.data, rev.data)).toBeLessThan(1e-12);
    expect(maxDiff(fwd.data, bn.data)).toBeLessThan(1e-12);
    expect(chooseMode('auto', r)).toBe('batchnorm');
  });

  it('batchnorm mode applies to batchnorm parameters only', () => {
    const r = request(new ReferenceProxyBackend(), { kind: 'glob', pattern: 'fc' });
    expect(() => chooseMode('batchnorm', r)).toThrow(ModeUnavailable);
    // 85 parameters × 3 batches of forward runs against 7 samples × 5 logits of reverse ones.
    expect(chooseMode('auto', r)).toBe('reverse');
  });

  it('WebGPU (float32) matches the float64 reference', async () => {
    const gpu = await WebGpuProxyBackend.create();
    try {
      const got = await jacobian(request(gpu), 'batchnorm');
      const want = await jacobian(request(new ReferenceProxyBackend()), 'forward');
      expect(maxDiff(got.data, want.data)).toBeLessThan(1e-4);
    } finally {
      gpu.dispose();
    }
  });
});
