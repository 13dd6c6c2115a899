// The calls a `train` section may make to build its settings: the optimizer, loss and schedule
// constructors (spec.ts) and the backward strategies (the rewrites' registry). The elaborator
// sits below both and is given this list; a new strategy or optimizer joins it by being
// registered where it is interpreted.
import type { TrainVocabulary } from '../elaborate/elaborate.js';
import { STRATEGY_NAMES } from '../rewrites/strategies.js';
import { SETTING_CONSTRUCTORS } from './spec.js';

export const TRAIN_VOCABULARY: TrainVocabulary = [...SETTING_CONSTRUCTORS, ...STRATEGY_NAMES];
