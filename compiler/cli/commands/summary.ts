import { formatSummary, formatTrainCost } from '../../analysis/format.js';
import { trainCost } from '../../analysis/train-cost.js';
import type { LossSpec } from '../../autodiff/grad.js';
import { buildTrainStep } from '../../autodiff/optimizer.js';
import { UsageError } from '../args.js';
import { bindDims, summarize } from '../../analysis/summary.js';
import { compileModel } from '../../compile.js';
import { nodeHost } from '../../modules/node-host.js';
import { readSource, report, type Command } from '../command.js';

export const summary: Command = {
  spec: {
    name: 'summary',
    summary: 'per-layer shapes, parameters, MACs, FLOPs and memory of a model',
    usage: 'mdl summary FILE [--model NAME] [--batch N] [--dim NAME=N] [--train [--loss L] [--optimizer sgd|momentum|adam]] [--json]',
    flags: { model: 'string', batch: 'int', dim: 'kv', json: 'bool', train: 'bool', loss: 'string', optimizer: 'string' },
    positional: [1, 1],
  },
  run(args) {
    const model = args.flags.get('model') as string | undefined;
    const r = compileModel(readSource(args.positional[0]!), nodeHost, model ? { model } : {});
    if (!report(r) || !r.graph) return 1;
    const bind = bindDims(r.graph, args.flags.get('batch') as number | undefined, (args.flags.get('dim') as Record<string, number>) ?? {});
    const s = summarize(r.graph, bind);
    const json = args.flags.get('json') === true;
    if (!args.flags.get('train')) {
      process.stdout.write(json ? JSON.stringify(s, null, 2) + '\n' : formatSummary(s) + '\n');
      return 0;
    }
    // The training figures come from the real gradient graph, not from a rule of thumb.
    const loss = (args.flags.get('loss') as string | undefined) ?? 'cross_entropy';
    if (!['cross_entropy', 'mse', 'output'].includes(loss)) throw new UsageError(`unknown loss "${loss}"`, 'losses: cross_entropy, mse, output');
    const opt = (args.flags.get('optimizer') as string | undefined) ?? 'momentum';
    const optimizer = { sgd: { kind: 'sgd' as const }, momentum: { kind: 'sgd' as const, momentum: 0.9 }, adam: { kind: 'adam' as const } }[opt];
    if (!optimizer) throw new UsageError(`unknown optimizer "${opt}"`, 'optimizers: sgd, momentum, adam');
    const t = trainCost(buildTrainStep(r.graph, { loss: { kind: loss } as LossSpec, optimizer }), bind);
    process.stdout.write(json ? JSON.stringify({ ...s, train: t }, null, 2) + '\n' : formatSummary(s) + '\n\n' + formatTrainCost(t) + '\n');
    return 0;
  },
};
