// The front half of the pipeline as one library call: load + parse every file, elaborate the
// chosen model, verify the IR. The CLI and the tests both go through here.
import { diag, type Diagnostic } from './diagnostics/diagnostic.js';
import { didYouMean } from './diagnostics/suggest.js';
import { Elaborator, type ElaborateOptions } from './elaborate/elaborate.js';
import type { Graph } from './ir/types.js';
import { verifyGraph } from './ops/verify.js';
import { loadProgram, type SourceHost } from './modules/loader.js';
import { freezeStats, frozenParams, trainSpec, type TrainSpec } from './train/spec.js';
import { SECTION_VOCABULARIES } from './sections.js';
import { resolveRules, type RewritePlan } from './rewrites/select.js';
import type { SourceFile } from './source.js';
import type { Definition } from '../grammar/ast.js';
import type { V } from './elaborate/values.js';

export interface CompileResult {
  readonly graph: Graph | undefined;
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: ReadonlyMap<string, SourceFile>;
  /** The models the file defines. */
  readonly models: readonly string[];
}

export interface CompileOptions extends ElaborateOptions {
  /** Which model to elaborate; by default the file's only model, or the one named like the file. */
  readonly model?: string;
}

export function compileModel(src: SourceFile, host: SourceHost, opts: CompileOptions = {}): CompileResult {
  const program = loadProgram(src, host);
  const elab = new Elaborator(program, SECTION_VOCABULARIES);
  const defs = elab.models();
  const models = defs.map((d) => d.name);
  const done = (graph: Graph | undefined, extra: Diagnostic[] = []): CompileResult => ({
    graph,
    diagnostics: sortDiagnostics([...elab.diagnostics.items, ...extra]),
    sources: program.sources,
    models,
  });
  // Files that failed to load or parse stop here; errors in constants or definitions do not,
  // so the model's own mistakes are still reported in the same run.
  if (program.diagnostics.length > 0 || !elab.entry) return done(undefined);
  let def = defs.find((d) => d.name === opts.model);
  if (opts.model !== undefined && !def) {
    const dym = didYouMean(opts.model, models);
    return done(undefined, [
      diag('MDL2005', `${src.path} has no model \`${opts.model}\``, undefined, {
        hint: dym ?? `its models: ${models.join(', ') || 'none'}`,
      }),
    ]);
  }
  if (!def) {
    const stem = src.path.replace(/^.*[\\/]/, '').replace(/\.mdl$/, '');
    def = defs.length === 1 ? defs[0] : defs.find((d) => d.name === stem);
  }
  if (!def) {
    if (defs.length === 0) return done(undefined, [diag('MDL2006', `${src.path} defines no model`)]);
    return done(undefined, [
      diag('MDL2005', `${src.path} defines several models; choose one with --model`, undefined, {
        hint: `its models: ${models.join(', ')}`,
      }),
    ]);
  }
  const unknown = unknownModelArgs(def, opts.args);
  if (unknown.length > 0) return done(undefined, unknown);
  const graph = elab.elaborateModel(def, opts);
  if (graph) verifyGraph(graph);
  return done(graph);
}

const TENSOR_TYPES: ReadonlySet<string> = new Set(['Tensor', 'f32', 'f16', 'i32']);

/** A model's compile-time parameters (those that are not tensor inputs). */
function argNames(def: Definition): string[] {
  return def.params.filter((p) => !(p.type && TENSOR_TYPES.has(p.type.name))).map((p) => p.name);
}

/**
 * Arguments given from outside the source (`--arg NAME=VALUE`) that name no compile-time
 * parameter of the model: one error each, with the closest parameter as a hint.
 */
export function unknownModelArgs(def: Definition, args: ReadonlyMap<string, V> | undefined): Diagnostic[] {
  if (!args) return [];
  const names = argNames(def);
  const out: Diagnostic[] = [];
  for (const name of args.keys()) {
    if (names.includes(name)) continue;
    const input = def.params.some((p) => p.name === name);
    const list = names.length
      ? `its arguments: ${names.join(', ')}`
      : `\`${def.name}\` takes no compile-time arguments`;
    out.push(
      diag(
        'MDL3001',
        input
          ? `\`${name}\` is a tensor input of model \`${def.name}\`, not a compile-time argument`
          : `model \`${def.name}\` has no argument \`${name}\``,
        undefined,
        { hint: (!input && didYouMean(name, names)) || list },
      ),
    );
  }
  return out;
}

export interface TrainCompileResult extends CompileResult {
  /** The train section's settings, when the file has one (or the one named). */
  readonly spec: TrainSpec | undefined;
  /** Parameter names the section's `freeze` patterns select. */
  readonly frozen: readonly string[];
  /** The section's `backward` rules resolved against the model: layer → strategy (exact layers absent). */
  readonly rewrites: RewritePlan;
}

/**
 * For `mdl train`: the file's `train` section (the one named, or its only one), checked, and
 * the model it names elaborated with the section's arguments. A file without a train section
 * gives its model as `compileModel` does, and no spec.
 */
export function compileTraining(
  src: SourceFile,
  host: SourceHost,
  opts: CompileOptions & { readonly train?: string } = {},
): TrainCompileResult {
  const program = loadProgram(src, host);
  const elab = new Elaborator(program, SECTION_VOCABULARIES);
  const models = elab.models().map((d) => d.name);
  const sections = elab.trainSections();
  const base = { sources: program.sources, models, frozen: [] as string[] };
  const done = (
    graph: Graph | undefined,
    spec: TrainSpec | undefined,
    extra: Diagnostic[] = [],
    frozen: string[] = [],
    rewrites: RewritePlan = new Map(),
  ): TrainCompileResult => ({
    ...base,
    graph,
    spec,
    frozen,
    rewrites,
    diagnostics: sortDiagnostics([...elab.diagnostics.items, ...extra]),
  });
  if (program.diagnostics.length > 0 || !elab.entry) return done(undefined, undefined);
  if (sections.length === 0 || (opts.model !== undefined && opts.train === undefined)) {
    if (opts.train !== undefined)
      return done(undefined, undefined, [diag('MDL2005', `${src.path} has no train section \`${opts.train}\``)]);
    const r = compileModel(src, host, opts);
    return { ...r, spec: undefined, frozen: [], rewrites: new Map() };
  }
  const def =
    opts.train === undefined
      ? sections.length === 1
        ? sections[0]
        : undefined
      : sections.find((d) => d.name === opts.train);
  if (!def) {
    const names = sections.map((d) => d.name);
    const hint = opts.train
      ? (didYouMean(opts.train, names) ?? `its train sections: ${names.join(', ')}`)
      : `its train sections: ${names.join(', ')}`;
    return done(undefined, undefined, [
      diag(
        'MDL2005',
        opts.train
          ? `${src.path} has no train section \`${opts.train}\``
          : `${src.path} has several train sections; choose one with --train`,
        undefined,
        { hint },
      ),
    ]);
  }
  const section = elab.evaluateTrain(def);
  if (!section) return done(undefined, undefined);
  const { spec, diagnostics } = trainSpec(section);
  if (!spec) return done(undefined, undefined, diagnostics);
  // Arguments from the command line override the section's own.
  const unknown = unknownModelArgs(spec.model.def, opts.args);
  if (unknown.length > 0) return done(undefined, spec, unknown);
  const ref = opts.args ? { ...spec.model, args: new Map([...spec.model.args, ...opts.args]) } : spec.model;
  const elaborated = elab.elaborateModelRef(ref);
  if (!elaborated) return done(undefined, spec);
  // batchnorm layers the section runs in eval mode
  const stats = freezeStats(elaborated, spec.freezeStats);
  const graph = stats.graph;
  verifyGraph(graph);
  const frozen = frozenParams(graph, spec.freeze);
  const rules = resolveRules(graph, spec.backward);
  const problems = [...stats.diagnostics, ...frozen.diagnostics, ...rules.diagnostics];
  return done(problems.length ? undefined : graph, spec, problems, frozen.names, rules.plan);
}

/** Elaborates every model of a file with its defaults (what `mdl check` does). */
export function checkFile(src: SourceFile, host: SourceHost, opts: ElaborateOptions = {}): CompileResult {
  const program = loadProgram(src, host);
  const elab = new Elaborator(program, SECTION_VOCABULARIES);
  const defs = elab.models();
  const extra: Diagnostic[] = [];
  if (program.diagnostics.length === 0) {
    // Arguments from the command line go to every model that declares them; a name no model
    // declares is an error.
    const args = opts.args ?? new Map<string, V>();
    const stray = new Map([...args].filter(([n]) => !defs.some((d) => argNames(d).includes(n))));
    if (stray.size > 0 && defs.length === 1) extra.push(...unknownModelArgs(defs[0]!, stray));
    else
      for (const n of stray.keys()) {
        const names = [...new Set(defs.flatMap(argNames))];
        extra.push(
          diag('MDL3001', `no model of ${src.path} has an argument \`${n}\``, undefined, {
            hint: didYouMean(n, names) ?? `their arguments: ${names.join(', ') || 'none'}`,
          }),
        );
      }
    for (const d of defs) {
      const mine = new Map([...args].filter(([n]) => argNames(d).includes(n)));
      const g = elab.elaborateModel(d, { args: mine });
      if (g) verifyGraph(g);
    }
    // A space is checked through its first and last candidates (every choice at its first,
    // then its last option); a candidate's errors are reported as the space's.
    for (const sp of elab.spaces()) {
      const first = elab.instantiate(sp, []);
      extra.push(...first.diagnostics);
      if (first.diagnostics.length === 0)
        extra.push(
          ...elab.instantiate(
            sp,
            first.choices.map((c) => c.options.length - 1),
          ).diagnostics,
        );
    }
    // Train sections are checked too: their settings, their model, their freeze patterns.
    for (const t of elab.trainSections()) {
      const section = elab.evaluateTrain(t);
      if (!section) continue;
      const { spec, diagnostics } = trainSpec(section);
      extra.push(...diagnostics);
      const g = spec ? elab.elaborateModelRef(spec.model) : undefined;
      if (g && spec)
        extra.push(
          ...freezeStats(g, spec.freezeStats).diagnostics,
          ...frozenParams(g, spec.freeze).diagnostics,
          ...resolveRules(g, spec.backward).diagnostics,
        );
    }
  }
  return {
    graph: undefined,
    diagnostics: sortDiagnostics([...elab.diagnostics.items, ...extra]),
    sources: program.sources,
    models: defs.map((d) => d.name),
  };
}

function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => {
    if (!a.span || !b.span) return a.span ? -1 : b.span ? 1 : 0;
    return a.span.file === b.span.file ? a.span.start - b.span.start : 0;
  });
}
