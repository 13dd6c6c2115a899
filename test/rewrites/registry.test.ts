// The strategy registry as a type: a definition missing a required field, a registry missing a
// strategy, or a definition under another strategy's name does not compile (`npm test` runs
// tsc on the test files first, so a `@ts-expect-error` that stops erring fails the suite). And
// what the registry drives at run time: rule parsing binds each strategy's declared arguments.
import { describe, expect, it } from 'vitest';
import type { StrategyDef } from '../../compiler/rewrites/define.js';
import { parseRule } from '../../compiler/rewrites/strategy.js';
import {
  STRATEGIES,
  STRATEGY_LIST,
  STRATEGY_NAMES,
  type StrategyRegistry,
} from '../../compiler/rewrites/strategies.js';
import type { V } from '../../compiler/elaborate/values.js';
import { NO_SPAN } from '../../compiler/source.js';

interface ToySpec {
  readonly kind: 'toy';
}

// @ts-expect-error: `check` is required (why the strategy cannot handle a layer)
const withoutCheck: StrategyDef<ToySpec> = {
  name: 'toy',
  args: [],
  handles: 'toy handles nothing',
  spec: () => ({ kind: 'toy' }),
  format: () => 'toy()',
};

// @ts-expect-error: `ntk_linear` is missing
const withoutNtk: StrategyRegistry = {
  exact: STRATEGIES.exact,
  grad_filter: STRATEGIES.grad_filter,
  lbp_wht: STRATEGIES.lbp_wht,
  lora: STRATEGIES.lora,
};

const swapped: StrategyRegistry = {
  ...STRATEGIES,
  // @ts-expect-error: a definition under another strategy's name
  lora: STRATEGIES.ntk_linear,
};

describe('the strategy registry', () => {
  it('holds each definition under its own name', () => {
    expect(STRATEGY_NAMES).toEqual(STRATEGY_LIST.map((d) => d.name));
    expect(STRATEGY_NAMES).toContain('grad_filter');
    for (const d of STRATEGY_LIST) expect(STRATEGIES[d.name]).toBe(d);
    // the ill-typed values above are what they claim to be
    expect('check' in withoutCheck).toBe(false);
    expect('ntk_linear' in withoutNtk).toBe(false);
    expect(swapped.lora.name).toBe('ntk_linear');
  });

  it('binds every strategy with its declared defaults, and formats the spec back', () => {
    for (const d of STRATEGY_LIST) {
      const strategy: V = { t: 'config', kind: d.name, args: new Map(), span: NO_SPAN };
      const r = parseRule({ selector: { t: 'str', v: '**' }, strategy, span: NO_SPAN });
      expect(r.diagnostic).toBeUndefined();
      expect(r.rule!.strategy.kind).toBe(d.name);
      expect(d.format(r.rule!.strategy)).toMatch(new RegExp(`^${d.name}\\(`));
    }
  });

  it('reports arguments a strategy does not declare, and values its spec rejects', () => {
    const bad = (kind: string, args: [string, V][]) =>
      parseRule({
        selector: { t: 'str', v: '**' },
        strategy: { t: 'config', kind, args: new Map(args), span: NO_SPAN },
        span: NO_SPAN,
      }).diagnostic;
    expect(bad('lora', [['ranks', { t: 'int', v: 2 }]])).toMatchObject({
      code: 'MDL3001',
      message: 'lora() has no argument `ranks`',
      hint: 'did you mean `rank`? The signature is lora(rank=4, alpha=none)',
    });
    expect(bad('lbp_wht', [['basis', { t: 'str', v: 'ful' }]])).toMatchObject({ code: 'MDL3006' });
    expect(bad('grad_filter', [['patch', { t: 'int', v: 0 }]])?.message).toBe(
      'grad_filter(): patch must be an int ≥ 1, got 0',
    );
  });
});
