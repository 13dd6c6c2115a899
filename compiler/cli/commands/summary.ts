import { formatSummary } from '../../analysis/format.js';
import { bindDims, summarize } from '../../analysis/summary.js';
import { compileModel } from '../../compile.js';
import { nodeHost } from '../../modules/node-host.js';
import { readSource, report, type Command } from '../command.js';

export const summary: Command = {
  spec: {
    name: 'summary',
    summary: 'per-layer shapes, parameters, MACs, FLOPs and memory of a model',
    usage: 'mdl summary FILE [--model NAME] [--batch N] [--dim NAME=N] [--json]',
    flags: { model: 'string', batch: 'int', dim: 'kv', json: 'bool' },
    positional: [1, 1],
  },
  run(args) {
    const model = args.flags.get('model') as string | undefined;
    const r = compileModel(readSource(args.positional[0]!), nodeHost, model ? { model } : {});
    if (!report(r) || !r.graph) return 1;
    const s = summarize(r.graph, bindDims(r.graph, args.flags.get('batch') as number | undefined, (args.flags.get('dim') as Record<string, number>) ?? {}));
    process.stdout.write(args.flags.get('json') ? JSON.stringify(s, null, 2) + '\n' : formatSummary(s) + '\n');
    return 0;
  },
};
