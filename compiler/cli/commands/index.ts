// Every CLI command, in the order `mdl --help` lists them. Adding a command = one file + one line.
import type { Command } from '../command.js';
import { check } from './check.js';
import { compile } from './compile.js';
import { device } from './device.js';
import { fmt } from './fmt.js';
import { graph } from './graph.js';
import { kernels } from './kernels.js';
import { ops } from './ops.js';
import { print } from './print.js';
import { rashomon } from './rashomon.js';
import { score } from './score.js';
import { search } from './search.js';
import { summary } from './summary.js';
import { train } from './train.js';
import { unlearn } from './unlearn.js';

export const COMMANDS: readonly Command[] = [
  check,
  summary,
  graph,
  fmt,
  print,
  train,
  compile,
  score,
  rashomon,
  unlearn,
  search,
  kernels,
  ops,
  device,
];
