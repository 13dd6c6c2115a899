import { checkFile } from '../../compile.js';
import { nodeHost } from '../../modules/node-host.js';
import { readSource, report, type Command } from '../command.js';
import { modelArgs } from '../model-args.js';
import { SPECS } from './specs.js';

export const check: Command = {
  spec: SPECS.check,
  run(args) {
    let ok = true;
    const given = modelArgs(args);
    for (const f of args.positional) {
      const r = checkFile(readSource(f), nodeHost, given ? { args: given } : {});
      if (report(r)) process.stdout.write(`${f}: ok (${r.models.length} model${r.models.length === 1 ? '' : 's'})\n`);
      else ok = false;
    }
    return ok ? 0 : 1;
  },
};
