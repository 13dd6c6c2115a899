// The front door of a command whose settings live in a section of the model's file (`explore`
// for `mdl rashomon`, `unlearn` for `mdl unlearn`): the section named (or the file's only one)
// checked by the command's own spec function and the model it names elaborated, with `--arg`
// values over the section's; without such a section, the file's model as `mdl train` finds it,
// and no settings (the command's defaults and flags apply). How `mdl train` reads the file comes
// along in every case: the commands' baselines retrain with it, and its data set is theirs.
import { compileTraining, unknownModelArgs, type TrainCompileResult } from '../compile.js';
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { Elaborator, type ModelRef, type SettingsKind, type SettingsSection } from '../elaborate/elaborate.js';
import type { V } from '../elaborate/values.js';
import type { Graph } from '../ir/types.js';
import { loadProgram, type SourceHost } from '../modules/loader.js';
import { verifyGraph } from '../ops/verify.js';
import { SECTION_VOCABULARIES } from '../sections.js';
import type { SourceFile } from '../source.js';

export interface SectionCompileResult<S> {
  readonly graph: Graph | undefined;
  /** The section's settings; undefined when the file has none. */
  readonly spec: S | undefined;
  /** How `mdl train` reads the file. */
  readonly training: TrainCompileResult;
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: TrainCompileResult['sources'];
}

export interface SectionCompileOptions {
  /** The section to use, by name (the command's `--explore`, `--unlearn`). */
  readonly section?: string;
  readonly model?: string;
  readonly train?: string;
  readonly args?: ReadonlyMap<string, V>;
}

export function compileWithSection<S extends { readonly model: ModelRef | undefined }>(
  kind: SettingsKind,
  specOf: (section: SettingsSection) => { spec?: S; diagnostics: Diagnostic[] },
  src: SourceFile,
  host: SourceHost,
  opts: SectionCompileOptions = {},
): SectionCompileResult<S> {
  const program = loadProgram(src, host);
  const elab = new Elaborator(program, SECTION_VOCABULARIES);
  const sections = program.diagnostics.length > 0 || !elab.entry ? [] : elab.sections(kind);
  const training = compileTraining(src, host, {
    ...(opts.model ? { model: opts.model } : {}),
    ...(opts.train ? { train: opts.train } : {}),
    ...(opts.args ? { args: opts.args } : {}),
  });
  const done = (graph: Graph | undefined, spec: S | undefined, diagnostics: readonly Diagnostic[]) => ({
    graph,
    spec,
    training,
    diagnostics: [...elab.diagnostics.items, ...diagnostics],
    sources: program.sources,
  });
  const missing = () => `${src.path} has no ${kind} section \`${opts.section}\``;
  if (program.diagnostics.length > 0) return { ...done(undefined, undefined, []), diagnostics: training.diagnostics };
  if (sections.length === 0 || (opts.section === undefined && opts.model !== undefined)) {
    if (opts.section !== undefined) return done(undefined, undefined, [diag('MDL2005', missing())]);
    return {
      graph: training.graph,
      spec: undefined,
      training,
      diagnostics: training.diagnostics,
      sources: training.sources,
    };
  }
  const def =
    opts.section === undefined
      ? sections.length === 1
        ? sections[0]
        : undefined
      : sections.find((d) => d.name === opts.section);
  if (!def) {
    const names = sections.map((d) => d.name);
    return done(undefined, undefined, [
      diag(
        'MDL2005',
        opts.section ? missing() : `${src.path} has several ${kind} sections; choose one with --${kind}`,
        undefined,
        { hint: (opts.section && didYouMean(opts.section, names)) || `its ${kind} sections: ${names.join(', ')}` },
      ),
    ]);
  }
  const section = elab.evaluateSection(def);
  if (!section) return done(undefined, undefined, []);
  const { spec, diagnostics } = specOf(section);
  if (!spec || !spec.model) return done(undefined, undefined, diagnostics);
  const unknown = unknownModelArgs(spec.model.def, opts.args);
  if (unknown.length > 0) return done(undefined, spec, unknown);
  const ref = opts.args ? { ...spec.model, args: new Map([...spec.model.args, ...opts.args]) } : spec.model;
  const graph = elab.elaborateModelRef(ref);
  if (graph) verifyGraph(graph);
  return done(graph, spec, []);
}
