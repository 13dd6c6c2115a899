// The compiler's public entry, the package's main export: compile .mdl text to a typed graph
// with its diagnostics, check it, render the diagnostics, measure the graph, and format
// source. Programs import this; the CLI is a thin layer over the same functions.
export {
  checkFile,
  compileModel,
  compileTraining,
  type CompileOptions,
  type CompileResult,
  type TrainCompileResult,
} from './compile.js';
export type { SourceFile } from './source.js';
export type { SourceHost } from './modules/loader.js';
export { nodeHost, STDLIB_DIR } from './modules/node-host.js';
export type { Diagnostic } from './diagnostics/diagnostic.js';
export { DIAGNOSTICS, type DiagnosticCode } from './diagnostics/codes.js';
export { renderAll, renderDiagnostic } from './diagnostics/render.js';
export type { Graph } from './ir/types.js';
export { bindDims, summarize, type LayerRow, type Summary } from './analysis/summary.js';
export { toDot } from './analysis/dot.js';
export { formatMdl } from '../grammar/format/format.js';
