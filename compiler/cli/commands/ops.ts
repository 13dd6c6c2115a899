import { signature } from '../../elaborate/bind.js';
import { OPS } from '../../ops/registry.js';
import type { Command } from '../command.js';
import { SPECS } from './specs.js';

export const ops: Command = {
  spec: SPECS.ops,
  run() {
    for (const op of Object.values(OPS)) process.stdout.write(`${signature(op.name, op.args).padEnd(72)} ${op.doc}\n`);
    return 0;
  },
};
