import { toDot } from '../../analysis/dot.js';
import { compileModel } from '../../compile.js';
import { nodeHost } from '../../modules/node-host.js';
import { UsageError } from '../args.js';
import { readSource, report, type Command } from '../command.js';
import { modelArgs } from '../model-args.js';
import { SPECS } from './specs.js';

export const graph: Command = {
  spec: SPECS.graph,
  run(args) {
    const format = (args.flags.get('format') as string | undefined) ?? 'dot';
    if (format !== 'dot') throw new UsageError(`unknown graph format "${format}"`, 'supported: dot');
    const model = args.flags.get('model') as string | undefined;
    const given = modelArgs(args);
    const r = compileModel(readSource(args.positional[0]!), nodeHost, {
      ...(model ? { model } : {}),
      ...(given ? { args: given } : {}),
    });
    if (!report(r) || !r.graph) return 1;
    process.stdout.write(toDot(r.graph));
    return 0;
  },
};
