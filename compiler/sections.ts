// The vocabulary of every settings section kind: the names of the calls that build its settings,
// owned by the layer that interprets the section (a `train` section: compiler/train/). The
// elaborator sits below all of them and is given this table; its type names every settings
// kind the lexer declares (grammar/lexer.ts SECTION_KINDS), so a new kind without a vocabulary
// does not compile.
import type { SettingsKind, TrainVocabulary } from './elaborate/elaborate.js';
import { EXPLORE_VOCABULARY } from './rashomon/spec.js';
import { SEARCH_VOCABULARY } from './search/vocabulary.js';
import { TRAIN_VOCABULARY } from './train/vocabulary.js';
import { UNLEARN_VOCABULARY } from './unlearn/spec.js';

export const SECTION_VOCABULARIES: { readonly [K in SettingsKind]: TrainVocabulary } = {
  train: TRAIN_VOCABULARY,
  explore: EXPLORE_VOCABULARY,
  search: SEARCH_VOCABULARY,
  unlearn: UNLEARN_VOCABULARY,
};
