// The front door of `mdl unlearn`: the file's `unlearn` section (the one named, or its only
// one) and the model it names; without an unlearn section, the file's model as `mdl train`
// finds it, with the flags as the only settings. The train section and its settings come along
// for the baselines (retraining, fine-tuning) and the data set. The mechanism is
// ../section-model.ts.
import type { V } from '../../elaborate/values.js';
import type { SourceHost } from '../../modules/loader.js';
import type { SourceFile } from '../../source.js';
import { unlearnSpec, type UnlearnSpec } from '../../unlearn/spec.js';
import { compileWithSection, type SectionCompileResult } from '../section-model.js';

export type UnlearnCompileResult = SectionCompileResult<UnlearnSpec>;

export function compileUnlearning(
  src: SourceFile,
  host: SourceHost,
  opts: {
    readonly unlearn?: string;
    readonly model?: string;
    readonly train?: string;
    readonly args?: ReadonlyMap<string, V>;
  } = {},
): UnlearnCompileResult {
  const { unlearn, ...rest } = opts;
  return compileWithSection('unlearn', unlearnSpec, src, host, {
    ...rest,
    ...(unlearn !== undefined ? { section: unlearn } : {}),
  });
}
