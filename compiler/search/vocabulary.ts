// The calls a `search` section may make to build its settings: the algorithms (their registry)
// and the objectives (bare in `maximize`/`minimize`, with bounds in `constraints`). The
// elaborator sits below both and is given this list (compiler/sections.ts).
import type { TrainVocabulary } from '../elaborate/elaborate.js';
import { SEARCH_VOCABULARY as NAMES } from './spec.js';

export const SEARCH_VOCABULARY: TrainVocabulary = NAMES;
