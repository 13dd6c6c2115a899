// `mdl print FILE --stage ast|ir|grad`: the text form of a compiler stage, for reading and for
// golden tests. `grad` is the forward graph with its loss and the backward pass autodiff built.
import { parse } from '../../../grammar/parse.js';
import { printAst } from '../../../grammar/print-ast.js';
import { buildGradient, type LossSpec } from '../../autodiff/grad.js';
import { compileModel } from '../../compile.js';
import { printGraph } from '../../ir/print.js';
import { defaultAttrs } from '../../ops/registry.js';
import { nodeHost } from '../../modules/node-host.js';
import { UsageError } from '../args.js';
import { readSource, report, type Command } from '../command.js';
import { SPECS } from './specs.js';

const STAGES = ['ast', 'ir', 'grad'];
const LOSSES = ['cross_entropy', 'mse', 'output'];

export const print: Command = {
  spec: SPECS.print,
  run(args) {
    const stage = (args.flags.get('stage') as string | undefined) ?? 'ir';
    if (!STAGES.includes(stage)) throw new UsageError(`unknown stage "${stage}"`, `stages: ${STAGES.join(', ')}`);
    const src = readSource(args.positional[0]!);
    if (stage === 'ast') {
      const r = parse(src);
      if (!report({ diagnostics: r.diagnostics, sources: new Map([[src.path, src]]) }) || !r.program) return 1;
      process.stdout.write(printAst(r.program));
      return 0;
    }
    const loss = (args.flags.get('loss') as string | undefined) ?? 'cross_entropy';
    if (!LOSSES.includes(loss)) throw new UsageError(`unknown loss "${loss}"`, `losses: ${LOSSES.join(', ')}`);
    const model = args.flags.get('model') as string | undefined;
    const r = compileModel(src, nodeHost, model ? { model } : {});
    if (!report(r) || !r.graph) return 1;
    const graph = stage === 'grad' ? buildGradient(r.graph, { loss: { kind: loss } as LossSpec }).graph : r.graph;
    process.stdout.write(printGraph(graph, { spans: args.flags.get('spans') === true, defaults: defaultAttrs }));
    return 0;
  },
};
