// The front door of `mdl rashomon`: the file's `explore` section (the one named, or its only
// one) and the model it names; without an explore section, the file's model (as `mdl train`
// finds it) with the official code's protocol as the settings. The train section and its
// settings come along for the re-training baseline. The mechanism is ../section-model.ts.
import type { V } from '../../elaborate/values.js';
import type { SourceHost } from '../../modules/loader.js';
import { exploreSpec, type ExploreSpec } from '../../rashomon/spec.js';
import type { SourceFile } from '../../source.js';
import { compileWithSection, type SectionCompileResult } from '../section-model.js';

export type ExploreCompileResult = SectionCompileResult<ExploreSpec>;

export function compileExploration(
  src: SourceFile,
  host: SourceHost,
  opts: {
    readonly explore?: string;
    readonly model?: string;
    readonly train?: string;
    readonly args?: ReadonlyMap<string, V>;
  } = {},
): ExploreCompileResult {
  const { explore, ...rest } = opts;
  return compileWithSection('explore', exploreSpec, src, host, {
    ...rest,
    ...(explore !== undefined ? { section: explore } : {}),
  });
}
