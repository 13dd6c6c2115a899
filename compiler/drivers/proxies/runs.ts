// Which run serves each kind of need. A mapped type over the kinds: a kind without a run does
// not compile. Kinds served by one run (input gradients and ReLU inputs) share its graph.
import type { NeedKind } from '../../space/data-proxies/needs.js';
import { customRun } from './measurements/custom.js';
import { forwardRun } from './measurements/forward.js';
import type { Run } from './measurements/run.js';
import { valueGradsRun } from './measurements/value-grads.js';
import { weightGradsRun } from './measurements/weight-grads.js';

export const RUN_OF: { readonly [K in NeedKind]: Run } = {
  weightGrads: weightGradsRun,
  inputGrads: forwardRun,
  reluInputs: forwardRun,
  valueGrads: valueGradsRun,
  custom: customRun,
};
