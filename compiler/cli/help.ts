// `mdl CMD --help` and `mdl help CMD`: the usage line, then every flag of the command's spec
// with what it does. A flag means the same in every command that takes it, so its text is
// written once here; a command whose flag means something else has its own entry under its
// name. test/cli/help.test.ts fails for a flag without a text, so a new flag comes with one.
import type { CommandSpec, FlagKind } from './args.js';

/** What a flag does, by flag name. */
const FLAG_HELP: Readonly<Record<string, string>> = {
  against: 'a ground-truth table (CSV) to correlate the scores with (Kendall τ, Spearman ρ)',
  algorithm: 'the search algorithm, as a call: random(), evolution(population=…), …',
  arg: "a model argument NAME=VALUE over the file's own (repeatable)",
  anytime: 'train the sub-networks of an anytime model, sampled each step: uniform, sandwich or tips',
  backend: 'where data proxies or training run: webgpu (default) or reference (the CPU interpreter)',
  batch: 'the batch size B',
  columns:
    "the per-layer table's columns, comma-separated, from: op, input, output, param_shapes, params, trainable, percent, macs, flops, activations",
  'capacity-samples': 'how many samples the capacity estimate uses',
  check: 'only check that the files are formatted (exit 1 if not)',
  checkpoint: 'the trained weights (a .safetensors file mdl train wrote)',
  constraint: 'a bound NAME<=X every candidate must meet (repeatable)',
  data: 'the data: mnist (built in), fashion-mnist, or a folder of IDX files or CIFAR-10 batches',
  'data-batch': 'samples per batch for data proxies',
  'data-seed': 'seed of the batch data proxies see',
  depth: 'fold block calls: one row per block at this depth of layer names (layer1.0 is depth 2)',
  dim: 'bind a symbolic dimension, NAME=N (repeatable)',
  emit: 'write the best candidates as .mdl files into this folder',
  epochs: 'how many epochs to train (0: evaluate the starting weights)',
  'epsilon-max': 'the largest loss tolerance ε of the Rashomon set',
  'epsilon-steps': 'how many tolerances between 0 and --epsilon-max',
  explore: 'the explore section to run',
  format: 'the output format',
  init: 'start from trained weights (a .safetensors file), taken by name',
  json: 'print JSON instead of the table',
  key: 'the column that names a candidate in the --against/--truth table',
  layers: 'which layers to perturb: name globs or op names, comma-separated',
  limit: 'use only N samples (a fixed random subset)',
  'log-every': 'read the loss back every N steps',
  loss: 'the loss of the training graph: cross_entropy, mse or output',
  lr: 'the learning rate',
  'max-rate': 'the largest noise rate',
  maximize: 'objectives to maximize, comma-separated',
  merge: 'fold LoRA adapters or NTK offsets into the weights after training',
  minimize: 'objectives to minimize, comma-separated',
  model: 'which model of the file (default: the last one, or the train section’s)',
  models: 'how many perturbed models to draw',
  noise: 'the noise: bernoulli or gaussian',
  optimizer: 'the optimizer: sgd, momentum, nesterov, adam or adamw',
  out: 'where to write the results',
  plot: 'also draw the proxies against the truth as an SVG file',
  'plot-clip': 'start the plots’ truth axis at this percentile of the truth (e.g. 2), leaving outliers out',
  profile:
    "each candidate's time by stage (compile, pipelines, upload, execute, readback) on stderr, and a table at the end",
  'print-width': 'the line width to format to (default 100)',
  proxies: 'the proxies to compute, comma-separated (default: all)',
  quiet: 'no progress lines on stderr',
  rates: 'how many noise rates between 0 and --max-rate',
  resume: 'continue the run in --out where it stopped',
  retrain: 'also retrain K models from other seeds, for comparison',
  route: 'how to reach a GPU: auto, native or opengl',
  rows: 'how many rows of the table to print',
  sample: 'score N candidates drawn at random instead of all',
  schedule: 'the learning-rate schedule: cosine, constant or step',
  search: 'the search section to run',
  section: 'the train section to account for',
  seed: 'the random seed',
  shard: 'score shard I of N (I/N, from 0)',
  space: 'the space of the file to use',
  spans: 'show source spans',
  stage: 'what to print: ast, ir or grad',
  target: 'the adapter to plan for: auto, software or gpu',
  train: 'the train section to use',
  'train-limit': 'training samples for each retrained model',
  truth: 'the column of the ground-truth table to compare with',
  'truth-column': 'the column of the --truth table to compare with',
  unique: 'score each distinct network once (by canonical hash)',
  warmup: 'learning-rate warm-up steps (0: none)',
  'weight-decay': 'the weight decay',
  wgsl: 'print the WGSL of every kernel',
  workers: 'scoring threads, this one included (a number, or auto)',
  write: 'rewrite the files in place',
};

/** Flags whose meaning in one command differs from the text above. */
const COMMAND_FLAG_HELP: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  summary: {
    train: 'also account for training: gradients, optimizer state, the backward pass',
    anytime: 'the sub-networks of an anytime model: params, MACs and TIPS sampling probability of each',
  },
  kernels: {
    train: 'the kernels of the training step instead of inference',
    time: 'run each kernel on the adapter: its time, share, GFLOP/s and GB/s, slowest first',
    reps: 'with --time: dispatches per timed submit (default 10)',
  },
  graph: { format: 'the output format: dot (Graphviz)' },
  score: {
    format: 'the format of --out: jsonl (one JSON object per line) or csv',
    merge: 'merge the result files of shards given as arguments',
    json: 'print the --against correlation table as JSON',
    truth: 'the column of the --against table to compare with',
  },
  search: {
    truth: 'a ground-truth table to look candidates up in (a benchmark)',
    against: 'a table to correlate with',
  },
  compile: { out: 'the output folder (default build/MODEL)' },
  unlearn: {
    'forget-classes': 'the classes to forget, comma-separated indices (3 or 3,5)',
    'forget-indices': 'a file of training-sample indices to forget (spaces, commas or new lines between them)',
    retain: 'how many retain samples the NTK update uses (default: all of the rest)',
    layers: 'the parameters to linearise: name globs or op names (default: prompt tokens if any, else every batchnorm)',
    lambda: 'the ridge penalty λ of the NTK solve',
    scale: 'the scale s of the update θ* + s·(Δ_retain − Δ_all) (1: the plain NTK update)',
    loss: 'the loss the update linearises: cross_entropy or mse',
    form: 'the solve: kernel ((|S|·C)²), primal (P²), or auto (the smaller)',
    jacobian: 'how per-sample Jacobians are computed: auto, forward, reverse or batchnorm',
    evaluate: 'measure accuracy on forget, retain and test sets and a membership attack, before and after',
    baselines: 'with --evaluate: also retrain from scratch and fine-tune on the retain set',
    epochs: 'with --baselines: epochs of retraining',
    'finetune-epochs': 'with --baselines: epochs of fine-tuning on the retain set',
    'finetune-lr': 'with --baselines: the fine-tuning learning rate',
    'eval-limit': 'evaluate on at most N samples of each set',
    json: 'also write the evaluation as JSON to this file',
    out: 'the new checkpoint (never the one given with --checkpoint)',
    unlearn: 'the unlearn section to use',
    train: 'the train section whose data and settings the model was trained with',
  },
};

const VALUE: Readonly<Record<FlagKind, string>> = {
  bool: '',
  string: ' VALUE',
  int: ' N',
  count: ' N',
  float: ' X',
  kv: ' NAME=N',
  strings: ' VALUE',
};

/** The text of a command's flag; undefined when it has none (a test keeps that from happening). */
export function flagHelp(command: string, flag: string): string | undefined {
  return COMMAND_FLAG_HELP[command]?.[flag] ?? FLAG_HELP[flag];
}

/** The help of one command: summary, usage and every flag. */
export function commandHelp(spec: CommandSpec): string {
  const short = new Map(Object.entries(spec.short ?? {}).map(([k, v]) => [v, k]));
  const rows = Object.entries(spec.flags).map(([name, kind]) => {
    const alias = short.get(name);
    return [`${alias ? `-${alias}, ` : ''}--${name}${VALUE[kind]}`, flagHelp(spec.name, name) ?? ''] as const;
  });
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map(([f]) => f.length));
  return [
    `mdl ${spec.name}: ${spec.summary}`,
    '',
    `usage: ${spec.usage}`,
    '',
    'flags:',
    ...rows.map(([f, t]) => `  ${f.padEnd(width)}  ${t}`),
  ].join('\n');
}
