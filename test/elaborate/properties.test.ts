// Properties over generated programs: the whole front end (parser, elaborator, op registry,
// analysis) against closed-form counts computed independently here.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bindDims, summarize } from '../../compiler/analysis/summary.js';
import { graphOf } from '../helpers/compile.js';

describe('generated models', () => {
  it('an MLP written with a loop over a width table has the closed-form parameter and MAC count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        (inp, widths, batch, bias) => {
          const g = graphOf(`
          widths = [${widths.join(', ')}]
          model m(x: Tensor[B, ${inp}]) {
            h = x
            for i, w in enumerate(widths) { h = relu(linear(h, w, bias=${bias}) as "fc{i}") }
            return h
          }`);
          const s = summarize(g, bindDims(g, batch));
          let params = 0;
          let macs = 0;
          let prev = inp;
          for (const w of widths) {
            params += prev * w + (bias ? w : 0);
            macs += batch * prev * w;
            prev = w;
          }
          expect(s.params.total).toBe(params);
          expect(s.macs).toBe(macs);
          expect(s.outputs[0]!.shape).toEqual([batch, prev]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a conv stack has PyTorch's output size and MACs", () => {
    const layer = fc.record({
      out: fc.integer({ min: 1, max: 8 }),
      k: fc.integer({ min: 1, max: 3 }),
      s: fc.integer({ min: 1, max: 2 }),
      p: fc.integer({ min: 0, max: 1 }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 6, max: 24 }),
        fc.array(layer, { minLength: 1, maxLength: 3 }),
        (cin, size, layers) => {
          let hw = size;
          let c = cin;
          let macs = 0;
          let params = 0;
          for (const l of layers) {
            const o = Math.floor((hw + 2 * l.p - l.k) / l.s) + 1;
            if (o <= 0) return; // not a valid network; covered by the error tests
            macs += l.out * o * o * c * l.k * l.k;
            params += l.out * c * l.k * l.k + l.out;
            hw = o;
            c = l.out;
          }
          const body = layers
            .map((l, i) => `h = conv2d(h, ${l.out}, ${l.k}, stride=${l.s}, padding=${l.p}) as "c${i}"`)
            .join('\n');
          const g = graphOf(`model m(x: Tensor[B, ${cin}, ${size}, ${size}]) {\nh = x\n${body}\nreturn h\n}`);
          const s = summarize(g, bindDims(g, 1));
          expect(s.outputs[0]!.shape).toEqual([1, c, hw, hw]);
          expect(s.macs).toBe(macs);
          expect(s.params.total).toBe(params);
        },
      ),
      { numRuns: 80 },
    );
  });
});
