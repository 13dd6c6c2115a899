// One input through the stages a user meets, in this process (no process per input): what
// `mdl check`, `mdl summary`, `mdl summary --train`, `mdl print --stage ast|ir|grad` and
// `mdl fmt` do with it, by the same library calls. Each stage ends in one of three ways: ok,
// a user error (coded diagnostics, or a coded error thrown by a later stage), or an internal
// error — anything else thrown, which is always a bug in mdl.
import { inexactCount, bindDims, summarize } from '../../compiler/analysis/summary.js';
import { trainCost } from '../../compiler/analysis/train-cost.js';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { checkFile, compileModel } from '../../compiler/compile.js';
import { MdlError, type Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { renderAll } from '../../compiler/diagnostics/render.js';
import type { SourceHost } from '../../compiler/modules/loader.js';
import { printGraph } from '../../compiler/ir/print.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import { defaultAttrs } from '../../compiler/ops/registry.js';
import { rewrittenTrainStep } from '../../compiler/rewrites/index.js';
import { formatMdl } from '../../grammar/format/format.js';
import { MdlSyntaxError } from '../../grammar/format/plugin.js';
import { parse } from '../../grammar/parse.js';
import { printAst } from '../../grammar/print-ast.js';

export const STAGES = ['check', 'summary', 'train-summary', 'print-ast', 'print-ir', 'print-grad', 'fmt'] as const;
export type Stage = (typeof STAGES)[number];

export type Outcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'user'; readonly codes: readonly string[] }
  | { readonly kind: 'internal'; readonly error: string };

/** The file name inputs are compiled under (imports resolve from the repository root). */
export const INPUT_PATH = 'fuzz.mdl';

/** Sources: the input in memory; imports (`std/…`, examples) from the file system. */
function hostFor(text: string): SourceHost {
  return {
    resolve: nodeHost.resolve,
    read: (p) => (p === INPUT_PATH ? text : nodeHost.read(p)),
    stdlibModules: nodeHost.stdlibModules,
  };
}

const USER = (ds: readonly Diagnostic[]): Outcome => ({ kind: 'user', codes: ds.map((d) => d.code) });

/** Runs a stage's body: a thrown MdlError is a user error, anything else internal. */
async function guarded(fn: () => Outcome | Promise<Outcome>): Promise<Outcome> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof MdlError) return USER([e.diagnostic]);
    return { kind: 'internal', error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
}

/** The last input's compilation: the stages after `summary` read the same graph. */
let last: { text: string; r: ReturnType<typeof compileModel> } | undefined;

/** The one model a command would pick (its first, as `--model` would name it). */
function compiled(text: string): ReturnType<typeof compileModel> {
  if (last?.text === text) return last.r;
  const host = hostFor(text);
  let r = compileModel({ path: INPUT_PATH, text }, host);
  if (!r.graph && r.models.length > 1) r = compileModel({ path: INPUT_PATH, text }, host, { model: r.models[0]! });
  last = { text, r };
  return r;
}

/** Every diagnostic must render (that is what the user sees) without throwing. */
function rendered(r: { diagnostics: readonly Diagnostic[]; sources: ReadonlyMap<string, unknown> }): void {
  renderAll(r.diagnostics, r.sources as Parameters<typeof renderAll>[1]);
}

export async function runStage(stage: Stage, text: string): Promise<Outcome> {
  return guarded(async () => {
    switch (stage) {
      case 'check': {
        const r = checkFile({ path: INPUT_PATH, text }, hostFor(text));
        rendered(r);
        return r.diagnostics.some((d) => d.severity === 'error') ? USER(r.diagnostics) : { kind: 'ok' };
      }
      case 'print-ast': {
        const r = parse({ path: INPUT_PATH, text });
        if (!r.program) return USER(r.diagnostics);
        printAst(r.program);
        return { kind: 'ok' };
      }
      case 'fmt': {
        try {
          await formatMdl(text, { filepath: INPUT_PATH });
          return { kind: 'ok' };
        } catch (e) {
          if (e instanceof MdlSyntaxError) return { kind: 'user', codes: [] };
          throw e;
        }
      }
      default: {
        const r = compiled(text);
        rendered(r);
        if (!r.graph) return USER(r.diagnostics);
        const g = r.graph;
        if (stage === 'print-ir') printGraph(g, { defaults: defaultAttrs });
        else if (stage === 'print-grad')
          printGraph(buildGradient(g, { loss: { kind: 'cross_entropy' } }).graph, { defaults: defaultAttrs });
        else {
          const bind = bindDims(g, 4);
          const s = summarize(g, bind);
          const bad = inexactCount(g, s);
          if (bad) return USER([bad]);
          if (stage === 'train-summary') {
            const cost = trainCost(
              rewrittenTrainStep(g, new Map(), { loss: { kind: 'cross_entropy' }, optimizer: { kind: 'sgd' } }).step,
              bind,
            );
            const worse = inexactCount(g, cost);
            if (worse) return USER([worse]);
          }
        }
        return { kind: 'ok' };
      }
    }
  });
}

/** Every stage on one input. */
export async function runStages(text: string, stages: readonly Stage[] = STAGES): Promise<Map<Stage, Outcome>> {
  const out = new Map<Stage, Outcome>();
  for (const s of stages) out.set(s, await runStage(s, text));
  return out;
}
