// A small search space for the search tests: 4 × 3 × 2 × 2 = 48 candidates, 24 distinct
// functions (the last choice is ignored by the model, so candidates differing only there share
// a canonical hash), with static costs that differ between candidates.
import { readFileSync } from 'node:fs';
import { openSearch } from '../../compiler/search/open.js';
import { SECTION_VOCABULARIES } from '../../compiler/sections.js';
import { renderAll } from '../../compiler/diagnostics/render.js';
import { memoryHost } from '../helpers/compile.js';

export const TINY = `model tiny(x: Tensor[B, 1, 8, 8], w1: int = 4, w2: int = 4, act: any = relu, unused: int = 0) {
  h = act(conv2d(x, w1, 3, padding=1) as "c1")
  h = relu(conv2d(h, w2, 3, padding=1) as "c2")
  return linear(flatten(global_avgpool(h)), 10) as "fc"
}

space s {
  w1 = choice([2, 4, 6, 8])
  w2 = choice([2, 4, 8])
  act = choice([relu, identity])
  unused = choice([0, 1])
  model = tiny(w1=w1, w2=w2, act=act, unused=unused)
  name = "w{w1}-{w2}-{act}-{unused}"
}
`;

/** The tiny space file with a search section appended. */
export const withSearch = (body: string, name = 'find') => `${TINY}\nsearch ${name} {\n  candidates = s\n${body}\n}\n`;

export function open(text: string, search?: string) {
  const r = openSearch({ path: 'tiny.mdl', text }, memoryHost({}), SECTION_VOCABULARIES, search ? { search } : {});
  return { ...r, rendered: renderAll(r.diagnostics, r.sources) };
}

export function opened(text: string, search?: string) {
  const r = open(text, search);
  if (!r.opened) throw new Error(`expected the search to open, got:\n${r.rendered}`);
  return r.opened;
}

export const NB201_TABLE = 'test/fixtures/nb201/nats_tss_15625_test_acc.csv.gz';
export const read = (p: string) => readFileSync(p);
