import { signature } from '../../elaborate/bind.js';
import { OPS } from '../../ops/registry.js';
import type { Command } from '../command.js';

export const ops: Command = {
  spec: {
    name: 'ops',
    summary: 'list the built-in ops and their signatures',
    usage: 'mdl ops',
    flags: {},
    positional: [0, 0],
  },
  run() {
    for (const op of Object.values(OPS)) process.stdout.write(`${signature(op.name, op.args).padEnd(72)} ${op.doc}\n`);
    return 0;
  },
};
