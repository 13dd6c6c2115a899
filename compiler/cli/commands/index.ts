// Every CLI command's code, loaded when the command runs. Adding a command = one file, its
// surface in specs.ts, and one line here (tsc names a command without its loader).
import type { Command } from '../command.js';
import type { CommandName } from './specs.js';

export const COMMANDS: { readonly [K in CommandName]: () => Promise<Command> } = {
  check: async () => (await import('./check.js')).check,
  summary: async () => (await import('./summary.js')).summary,
  graph: async () => (await import('./graph.js')).graph,
  fmt: async () => (await import('./fmt.js')).fmt,
  print: async () => (await import('./print.js')).print,
  train: async () => (await import('./train.js')).train,
  compile: async () => (await import('./compile.js')).compile,
  score: async () => (await import('./score.js')).score,
  rashomon: async () => (await import('./rashomon.js')).rashomon,
  unlearn: async () => (await import('./unlearn.js')).unlearn,
  search: async () => (await import('./search.js')).search,
  kernels: async () => (await import('./kernels.js')).kernels,
  ops: async () => (await import('./ops.js')).ops,
  device: async () => (await import('./device.js')).device,
};
