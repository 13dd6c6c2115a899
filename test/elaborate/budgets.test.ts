// The elaborator's budgets (compiler/diagnostics/limits.ts) and exact numbers: regression tests
// for the inputs a fuzzing run found crashing, hanging, blowing up the memory or computing wrong
// numbers. Each must end in a located, coded diagnostic, fast.
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../compiler/diagnostics/limits.js';
import { compileText, render } from '../helpers/compile.js';
import { runStages } from '../fuzz/stages.js';

const model = (body: string, ret = 'x') => `model m(x: Tensor[B, 4]) {\n${body}\n  return ${ret}\n}\n`;

/** The diagnostics of compiling `text`: code, line, message. */
function diags(text: string): { code: string; line: number | undefined; message: string }[] {
  return compileText(text).diagnostics.map((d) => ({ code: d.code, line: d.span?.line, message: d.message }));
}

async function noCrash(text: string): Promise<void> {
  for (const [stage, o] of await runStages(text))
    expect(o.kind === 'internal' ? `${stage}: ${o.error}` : 'no internal error').toBe('no internal error');
}

describe('numbers are exact or refused', () => {
  it('int(sqrt(-1)) is MDL6009 (NaN broke the IR)', async () => {
    const text = model('  n = int(sqrt(-1))\n  y = linear(x, n)', 'y');
    expect(diags(text)).toMatchObject([{ code: 'MDL6009', line: 2, message: 'the result is not a number (NaN)' }]);
    await noCrash(text);
  });

  it('linear(x, 2**1024) is MDL6009, not a layer of width Infinity with null parameters', async () => {
    const text = model('  y = linear(x, 2**1024)', 'y');
    expect(diags(text)).toMatchObject([{ code: 'MDL6009', line: 2 }]);
    await noCrash(text);
  });

  it('an integer past 2^53 is MDL6009; one below is exact', () => {
    expect(diags(model('  n = 2**53'))).toMatchObject([{ code: 'MDL6009' }]);
    expect(diags(model('  n = 2**53 - 1 + 1'))).toMatchObject([{ code: 'MDL6009' }]);
    expect(diags(model('  n = 3**33\n  assert n == 5559060566555523'))).toEqual([]);
    expect(diags(model('  n = 1e300 * 1e300'))).toMatchObject([{ code: 'MDL6009' }]);
    expect(diags(model('  n = ceil(1e300)'))).toMatchObject([{ code: 'MDL6009' }]);
  });

  it('a tensor of more than 2^53 − 1 elements is MDL6009 at its layer', () => {
    expect(diags(model('  y = linear(x, 2**52)', 'y'))).toMatchObject([{ code: 'MDL6009', line: 2 }]);
  });
});

describe('value budgets', () => {
  it('[0] * 10**10 and [0] * 10**8 are MDL6008 (a RangeError, and 2.8 GB from 82 bytes)', async () => {
    for (const n of ['10**10', '10**8']) {
      const text = model(`  l = [0] * ${n}`);
      expect(diags(text)).toMatchObject([{ code: 'MDL6008', line: 2 }]);
      await noCrash(text);
    }
  });

  it('doubling a list in a loop stops at the budget (it was a V8 fatal error)', async () => {
    const text = model('  l = [0]\n  for i in range(99999) {\n    l = l + l\n  }');
    const d = diags(text);
    expect(d).toMatchObject([{ code: 'MDL6008', line: 4 }]);
    expect(d[0]!.message).toContain('1,048,576 elements');
    await noCrash(text);
  });

  it('nesting lists past the budget, and doubling strings, are MDL6008', () => {
    expect(diags(model('  l = []\n  for i in range(1000) {\n    l = [l]\n  }'))).toMatchObject([{ code: 'MDL6008' }]);
    expect(diags(model('  s = "ab"\n  for i in range(40) {\n    s = s + s\n  }'))).toMatchObject([{ code: 'MDL6008' }]);
    expect(diags(model('  s = "ab"\n  for i in range(40) {\n    s = "{s}{s}"\n  }'))).toMatchObject([
      { code: 'MDL6008' },
    ]);
  });
});

describe('work budgets', () => {
  it('nested loops of 99,999² iterations stop at the unrolling budget, fast', async () => {
    const text = model('  n = 0\n  for i in range(99999) {\n    for j in range(99999) {\n      n = n + 1\n    }\n  }');
    const t0 = performance.now();
    expect(diags(text)).toMatchObject([{ code: 'MDL6010', line: 4 }]);
    expect(performance.now() - t0).toBeLessThan(30_000);
    await noCrash(text);
  });

  it('2^30 block expansions stop at a budget', { timeout: 180_000 }, async () => {
    const blocks = Array.from({ length: 30 }, (_, i) => `block b${i}(x) {\n  return b${i + 1}(b${i + 1}(x))\n}`).join(
      '\n',
    );
    const text = `${blocks}\nblock b30(x) {\n  return relu(x)\n}\n${model('  y = b0(x)', 'y')}`;
    // Replayed expansions double the graph at every level: the layer budget stops it.
    expect(diags(text).map((x) => x.code)).toEqual(['MDL6010']);
    // Blocks that emit no layer replay in constant time, so even 2^30 calls are cheap and fine.
    const empty = text.replace('return relu(x)', 'return x');
    expect(diags(empty)).toEqual([]);
  });

  it('expansions are budgeted even when they cannot be replayed', () => {
    // share= makes a call impure (never memoised), so every one of the 2^20 calls would run.
    const blocks = Array.from({ length: 20 }, (_, i) => `block b${i}(x) {\n  return b${i + 1}(b${i + 1}(x))\n}`).join(
      '\n',
    );
    const text = `${blocks}\nblock b20(x) {\n  return linear(x, 4, share="first")\n}\n${model('  y = linear(x, 4) as "first"\n  y = b0(y)', 'y')}`;
    const d = diags(text);
    expect(d.map((x) => x.code)).toEqual(['MDL6010']);
    expect(d[0]!.message).toMatch(/block calls|layers/);
  });

  it(`more than ${LIMITS.layers.toLocaleString('en')} layers is MDL6010`, () => {
    const text = model('  for i in range(2) {\n    for j in range(99999) {\n      x = relu(x)\n    }\n  }');
    expect(diags(text)).toMatchObject([{ code: 'MDL6010', line: 4 }]);
  });
});

describe('layer names', () => {
  it('40,000 layers of one name are named in linear time (it took 81 s)', () => {
    const t0 = performance.now();
    const r = compileText(model('  for i in range(40000) {\n    x = relu(x)\n  }'));
    expect(render(r)).toBe('');
    const names = r.graph!.nodes.map((n) => n.name);
    expect(names.slice(0, 3)).toEqual(['x', 'x_1', 'x_2']);
    expect(names[39_999]).toBe('x_39999');
    expect(new Set(names).size).toBe(40_000);
    // Quadratic naming took 13 s for 20,000 layers; linear naming takes well under a second.
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  it('names taken by explicit layers and block calls are skipped, as before', () => {
    const r = compileText(
      'block relu2(x) {\n  return relu(x)\n}\n' +
        model('  a = relu(x) as "x_1"\n  b = relu(a)\n  c = relu(b)\n  d = relu2(c)\n  e = relu2(d)', 'e'),
    );
    expect(render(r)).toBe('');
    expect(r.graph!.nodes.map((n) => n.name)).toEqual(['x_1', 'b', 'c', 'd', 'e']);
  });
});

describe('statements executed', () => {
  // A fuzzing input put a 1,000-statement body inside `for _ in range(100000)`: 10^8 statements,
  // within the loop-iteration budget, ran for minutes.
  it(`more than ${LIMITS.statements} statements in one model is MDL6010`, async () => {
    const body = Array.from({ length: 100 }, () => '    n = n + 1').join('\n');
    const loop = (iterations: number) => model(`  n = 0\n  for _ in range(${iterations}) {\n${body}\n  }`);
    // The body runs 100 statements an iteration; `n = 0` and the loop itself are two more.
    const over = Math.floor(LIMITS.statements / 100) + 1;
    expect(over).toBeLessThanOrEqual(LIMITS.unrolled);
    const d = diags(loop(over));
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ code: 'MDL6010', message: expect.stringMatching(/statements executed/) });
    await noCrash(loop(over));
    // Just below the budget the same loop elaborates.
    expect(diags(loop(Math.floor((LIMITS.statements - 2) / 100)))).toEqual([]);
  }, 120_000);
});

describe('builtins that multiply a list', () => {
  // A fuzzing input: `enumerate([8] * 10**6)` in a loop. The million pairs were built (a
  // gigabyte of heap, 6 s per stage) before the result's size was refused; now the planned
  // size is refused first, and a result at the budget is still built.
  it('enumerate and zip of lists whose result passes the budget are MDL6008 at the call', async () => {
    const n = Math.floor(LIMITS.valueSize / 3) + 1;
    for (const [call, size] of [
      [`enumerate([8] * ${n})`, 3 * n],
      [`zip([1] * ${n}, [2] * ${n})`, 3 * n],
    ] as const) {
      const text = model(`  l = ${call}\n  y = linear(x, len(l))`, 'y');
      expect(diags(text)).toEqual([
        {
          code: 'MDL6008',
          line: 2,
          message: `a list of ${size.toLocaleString('en')} elements is too large (the limit is ${LIMITS.valueSize.toLocaleString('en')})`,
        },
      ]);
      await noCrash(text);
    }
    const fits = Math.floor(LIMITS.valueSize / 3);
    expect(diags(model(`  l = enumerate([8] * ${fits})\n  y = linear(x, len(l))`, 'y'))).toEqual([]);
    expect(diags(model('  l = zip()\n  y = linear(x, len(l) + 1)', 'y'))).toEqual([]);
  }, 120_000);
});
