import { checkFile } from '../../compile.js';
import { nodeHost } from '../../modules/node-host.js';
import { readSource, report, type Command } from '../command.js';
import { ARG_FLAG, ARG_USAGE, modelArgs } from '../model-args.js';

export const check: Command = {
  spec: {
    name: 'check',
    summary: 'parse and elaborate every model in the files; report errors',
    usage: `mdl check FILE... ${ARG_USAGE}`,
    flags: { ...ARG_FLAG },
    positional: [1, Infinity],
  },
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
