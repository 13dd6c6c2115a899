// The front door of `mdl unlearn`: the file's `unlearn` section (the one named, or its only
// one) checked and the model it names elaborated; without an unlearn section, the file's model
// as `mdl train` finds it, with the flags as the only settings. The train section and its
// settings come along for the baselines (retraining, fine-tuning) and the data set.
import { compileTraining, unknownModelArgs, type TrainCompileResult } from '../../compile.js';
import { diag, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { didYouMean } from '../../diagnostics/suggest.js';
import { Elaborator } from '../../elaborate/elaborate.js';
import type { V } from '../../elaborate/values.js';
import type { Graph } from '../../ir/types.js';
import { loadProgram, type SourceHost } from '../../modules/loader.js';
import { verifyGraph } from '../../ops/verify.js';
import { unlearnSpec, type UnlearnSpec } from '../../unlearn/spec.js';
import { SECTION_VOCABULARIES } from '../../sections.js';
import type { SourceFile } from '../../source.js';

export interface UnlearnCompileResult {
  readonly graph: Graph | undefined;
  /** The unlearn section's settings; undefined when the file has none. */
  readonly spec: UnlearnSpec | undefined;
  /** How `mdl train` reads the file (the re-training baseline trains with it). */
  readonly training: TrainCompileResult;
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: TrainCompileResult['sources'];
}

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
  const program = loadProgram(src, host);
  const elab = new Elaborator(program, SECTION_VOCABULARIES);
  const sections = program.diagnostics.length > 0 || !elab.entry ? [] : elab.sections('unlearn');
  const training = compileTraining(src, host, {
    ...(opts.model ? { model: opts.model } : {}),
    ...(opts.train ? { train: opts.train } : {}),
    ...(opts.args ? { args: opts.args } : {}),
  });
  const done = (graph: Graph | undefined, spec: UnlearnSpec | undefined, diagnostics: readonly Diagnostic[]) => ({
    graph,
    spec,
    training,
    diagnostics: [...elab.diagnostics.items, ...diagnostics],
    sources: program.sources,
  });
  if (program.diagnostics.length > 0) return { ...done(undefined, undefined, []), diagnostics: training.diagnostics };
  if (sections.length === 0 || (opts.unlearn === undefined && opts.model !== undefined)) {
    if (opts.unlearn !== undefined)
      return done(undefined, undefined, [diag('MDL2005', `${src.path} has no unlearn section \`${opts.unlearn}\``)]);
    return {
      graph: training.graph,
      spec: undefined,
      training,
      diagnostics: training.diagnostics,
      sources: training.sources,
    };
  }
  const def =
    opts.unlearn === undefined
      ? sections.length === 1
        ? sections[0]
        : undefined
      : sections.find((d) => d.name === opts.unlearn);
  if (!def) {
    const names = sections.map((d) => d.name);
    return done(undefined, undefined, [
      diag(
        'MDL2005',
        opts.unlearn
          ? `${src.path} has no unlearn section \`${opts.unlearn}\``
          : `${src.path} has several unlearn sections; choose one with --unlearn`,
        undefined,
        { hint: (opts.unlearn && didYouMean(opts.unlearn, names)) || `its unlearn sections: ${names.join(', ')}` },
      ),
    ]);
  }
  const section = elab.evaluateSection(def);
  if (!section) return done(undefined, undefined, []);
  const { spec, diagnostics } = unlearnSpec(section);
  if (!spec || !spec.model) return done(undefined, undefined, diagnostics);
  const unknown = unknownModelArgs(spec.model.def, opts.args);
  if (unknown.length > 0) return done(undefined, spec, unknown);
  const ref = opts.args ? { ...spec.model, args: new Map([...spec.model.args, ...opts.args]) } : spec.model;
  const graph = elab.elaborateModelRef(ref);
  if (graph) verifyGraph(graph);
  return done(graph, spec, []);
}
