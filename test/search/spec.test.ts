// `search` sections: settings become a checked spec; every mistake is a located diagnostic.
import { describe, expect, it } from 'vitest';
import { ALGORITHM_NAMES } from '../../compiler/search/algorithms.js';
import { OBJECTIVE_NAMES } from '../../compiler/search/objectives.js';
import { SEARCH_VOCABULARY } from '../../compiler/search/vocabulary.js';
import { open, opened, withSearch } from './tiny.js';

describe('search sections', () => {
  it('give the space, algorithm, objectives, constraints and seed', () => {
    const { spec, space } = opened(
      withSearch(`  algorithm = evolution(population=8, iterations=50, mutate=2)
  maximize = [params, nn_degree]
  minimize = latency
  constraints = [macs(max=1e6), params(min=10, max=5000)]
  seed = 4`),
    );
    expect(space.def.name).toBe('s');
    expect(spec.algorithm).toMatchObject({ kind: 'evolution', population: 8, iterations: 50, mutate: 2 });
    expect(spec.goals).toEqual([
      { name: 'params', sign: 1 },
      { name: 'nn_degree', sign: 1 },
      { name: 'latency', sign: -1 },
    ]);
    expect(spec.limits).toEqual([
      { name: 'macs', max: 1e6 },
      { name: 'params', min: 10, max: 5000 },
    ]);
    expect(spec.seed).toBe(4);
  });

  it('have the algorithms and objectives of the registries as their vocabulary', () => {
    expect([...SEARCH_VOCABULARY].sort()).toEqual([...ALGORITHM_NAMES, ...OBJECTIVE_NAMES].sort());
  });

  it('report their mistakes where they are written', () => {
    const cases: [string, RegExp][] = [
      ['  maximize = [params]\n  budget = 3', /error MDL3001: a search section has no setting `budget`/],
      [
        '  algorithm = evolution(populaton=3)\n  maximize = [params]',
        /MDL3001: evolution\(\) has no argument `populaton`[\s\S]*did you mean `population`/,
      ],
      [
        '  algorithm = evolution(population=1)\n  maximize = [params]',
        /MDL3004: evolution\(\): population must be an int ≥ 2/,
      ],
      [
        '  algorithm = flash(samples=10)\n  maximize = [params]',
        /MDL3004: flash\(\) fits a predictor of a measured objective; `params` is computed exactly/,
      ],
      [
        '  algorithm = flash(samples=5, initial=8)\n  maximize = [zico]',
        /flash\(\): initial \(8\) must not exceed samples \(5\)/,
      ],
      ['  maximize = [accuracy]', /uses `accuracy` but names no truth table/],
      ['  maximize = [params]\n  constraints = [macs()]', /the constraint macs\(\) has no bound/],
      ['  maximize = [params]\n  constraints = [macs(most=3)]', /MDL3001: a constraint has no argument `most`/],
      ['  seed = 1', /search `find` has no objective/],
      ['  maximize = [parms]', /MDL2001: unknown name `parms`[\s\S]*did you mean `params`/],
    ];
    for (const [body, want] of cases) {
      const r = open(withSearch(body));
      expect(r.opened, body).toBeUndefined();
      expect(r.rendered, body).toMatch(want);
      expect(r.rendered, body).toMatch(/tiny\.mdl:\d+:\d+/);
    }
  });

  it('name a space, not a model; a file with several searches needs --search', () => {
    const none = open(`${withSearch('  maximize = [params]').replace('candidates = s\n', '')}`);
    expect(none.rendered).toMatch(/search section `find` names no model/);
    const two = `${withSearch('  maximize = [params]', 'a')}\n${withSearch('  maximize = [macs]', 'b').split('search b')[1]!.replace(/^/, 'search b')}`;
    expect(open(two).rendered).toMatch(/several search sections; choose one with --search/);
    expect(opened(two, 'b').spec.goals[0]!.name).toBe('macs');
  });
});
