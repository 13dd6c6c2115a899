// `npm run experiment:rashomon`: predictive multiplicity of an MLP and LeNet-5 trained on
// Fashion-MNIST, explored with inference-time dropout (Bernoulli and Gaussian, the official
// code's 21 rates) against the re-training baseline (K models from other seeds), all with
// `mdl rashomon`; writes docs/experiments/rashomon.md (tables, the commands it ran) and an SVG
// of the metric curves per model next to it. Every step is skipped when its output exists, so an
// interrupted experiment continues; delete a run's folder to redo it. Flags: --quick (a few
// hundred test samples, few models: a smoke run), --out DIR (runs/rashomon), --report-only,
// --only NAME (mlp or lenet5).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { curvesSvg, type Series } from '../../compiler/rashomon/report.js';
import type { Distribution, EpsilonMetrics } from '../../compiler/rashomon/metrics.js';

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const reportOnly = argv.includes('--report-only');
const OUT = flag('--out') ?? (quick ? 'runs/rashomon-quick' : 'runs/rashomon');
const only = flag('--only');
const MDL = ['dist/compiler/cli/main.js'];
/** Rashomon capacity (Blahut–Arimoto per sample and ε) on this many test samples; the other metrics on all. */
const CAPACITY_SAMPLES = quick ? 200 : 1000;

interface Plan {
  readonly name: string;
  readonly file: string;
  /** Sampled models per rate (the code: 100). */
  readonly models: number;
  /** Retrained models (K). */
  readonly retrain: number;
}

// Sized for a 2-core machine without a GPU (see the report for what the code's full protocol costs).
const PLANS: readonly Plan[] = [
  { name: 'mlp', file: 'examples/mlp.mdl', models: quick ? 2 : 20, retrain: quick ? 2 : 4 },
  { name: 'lenet5', file: 'examples/lenet5.mdl', models: quick ? 2 : 5, retrain: quick ? 2 : 2 },
].filter((p) => only === undefined || p.name === only);

/**
 * The dropout explorations: the code's two grids, and Bernoulli on a grid twenty times finer —
 * on these models the code's smallest Bernoulli rate (0.01) already costs more than ε = 0.04
 * of test loss, so its grid finds no model of the Rashomon set but the base model's copies.
 */
const DROPOUT = [
  { label: 'bernoulli dropout', noise: 'bernoulli', dir: 'bernoulli', extra: [] as string[] },
  { label: 'gaussian dropout', noise: 'gaussian', dir: 'gaussian', extra: [] as string[] },
  {
    label: 'bernoulli dropout, rates ≤ 0.01',
    noise: 'bernoulli',
    dir: 'bernoulli-fine',
    extra: ['--max-rate', '0.01'],
  },
];

const commands: string[] = [];

function mdl(args: string[]): void {
  commands.push(`npx mdl ${args.join(' ')}`);
  if (reportOnly) return;
  process.stdout.write(`$ npx mdl ${args.join(' ')}\n`);
  execFileSync(process.execPath, [...MDL, ...args], { stdio: 'inherit' });
}

interface RunLine {
  method: string;
  model: string;
  data: string;
  samples: number;
  layers: string[];
  noise?: string;
  rates?: number[];
  models_per_rate?: number;
  retrained?: number;
  epsilons: number[];
  base_loss: number;
  base_accuracy: number;
  models: number;
  explore_seconds: number;
  seconds_per_model: number;
  train_seconds_per_model?: number;
  metrics_seconds: number;
  runs: number;
  rows_per_run: number;
  backend: string;
}

interface RateLine {
  rate: number;
  mean_loss: number;
  std_loss: number;
  mean_accuracy: number;
  in_set: number[];
}

interface ModelLine {
  seed: number;
  loss: number;
  accuracy: number;
  trainSeconds: number;
}

type Dist = { mean: number; p50: number; p90: number; p99: number; max: number };
interface EpsLine {
  epsilon: number;
  models: number;
  ambiguity: number;
  discrepancy: number;
  disagreement: Dist;
  vpr: Dist;
  score_variance: Dist;
  rashomon_capacity: Dist;
}

interface Result {
  run: RunLine;
  rates: RateLine[];
  retrained: ModelLine[];
  eps: EpsLine[];
}

function read(dir: string): Result | undefined {
  const f = join(dir, 'rashomon.jsonl');
  if (!existsSync(f)) return undefined;
  const rows = readFileSync(f, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown> & { kind: string });
  return {
    run: rows.find((r) => r.kind === 'run') as unknown as RunLine,
    rates: rows.filter((r) => r.kind === 'rate') as unknown as RateLine[],
    retrained: rows.filter((r) => r.kind === 'model') as unknown as ModelLine[],
    eps: rows.filter((r) => r.kind === 'epsilon') as unknown as EpsLine[],
  };
}

const asMetrics = (e: EpsLine): EpsilonMetrics => ({
  epsilon: e.epsilon,
  models: e.models,
  ambiguity: e.ambiguity,
  discrepancy: e.discrepancy,
  disagreement: e.disagreement as Distribution,
  vpr: e.vpr as Distribution,
  scoreVariance: e.score_variance as Distribution,
  capacity: e.rashomon_capacity as Distribution,
});

const common = () => [
  '--data',
  'fashion-mnist',
  '--capacity-samples',
  String(CAPACITY_SAMPLES),
  ...(quick ? ['--limit', '500'] : []),
];

mkdirSync(OUT, { recursive: true });
const results: { plan: Plan; base: string; methods: { label: string; r: Result | undefined }[] }[] = [];
for (const p of PLANS) {
  const dir = join(OUT, p.name);
  const base = join(dir, 'base');
  const ckpt = join(base, 'checkpoint.safetensors');
  const trainArgs = [
    'train',
    p.file,
    '--data',
    'fashion-mnist',
    '--out',
    base,
    ...(quick ? ['--epochs', '1', '--limit', '4000'] : []),
  ];
  if (existsSync(ckpt)) commands.push(`npx mdl ${trainArgs.join(' ')}`);
  else mdl(trainArgs);
  const methods: { label: string; r: Result | undefined }[] = [];
  for (const v of DROPOUT) {
    const out = join(dir, v.dir);
    const args = [
      'rashomon',
      p.file,
      '--checkpoint',
      ckpt,
      '--noise',
      v.noise,
      ...v.extra,
      '--models',
      String(p.models),
      ...common(),
      '--out',
      out,
    ];
    if (existsSync(join(out, 'rashomon.jsonl'))) commands.push(`npx mdl ${args.join(' ')}`);
    else mdl(args);
    methods.push({ label: v.label, r: read(out) });
  }
  const out = join(dir, 'retrain');
  const args = [
    'rashomon',
    p.file,
    '--checkpoint',
    ckpt,
    '--retrain',
    String(p.retrain),
    ...(quick ? ['--epochs', '1', '--train-limit', '4000'] : []),
    ...common(),
    '--out',
    out,
  ];
  if (existsSync(join(out, 'rashomon.jsonl'))) commands.push(`npx mdl ${args.join(' ')}`);
  else mdl(args);
  methods.push({ label: `re-training (K = ${p.retrain})`, r: read(out) });
  results.push({ plan: p, base, methods });
}

// ── the report ──────────────────────────────────────────────────────────────────────────────
const f4 = (v: number) => v.toFixed(4);
const secs = (s: number) => (s >= 100 ? `${s.toFixed(0)} s` : s >= 1 ? `${s.toFixed(1)} s` : `${s.toFixed(3)} s`);
const dur = (s: number) =>
  s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 120 ? `${(s / 60).toFixed(0)} min` : secs(s);
const sections: string[] = [];
for (const { plan, methods } of results) {
  const done = methods.filter((m) => m.r);
  if (done.length === 0) continue;
  const any = done[0]!.r!.run;
  const svg = `rashomon-${plan.name}.svg`;
  writeFileSync(
    join('docs/experiments', svg),
    curvesSvg(
      done.map((m): Series => ({ name: m.label, rows: m.r!.eps.map(asMetrics) })),
      `${any.model} on Fashion-MNIST (${any.samples} test images)`,
    ),
  );
  const at = (r: Result, eps: number) =>
    r.eps.reduce((b, e) => (Math.abs(e.epsilon - eps) < Math.abs(b.epsilon - eps) ? e : b));
  const metricRows = done.flatMap(({ label, r }) =>
    [0.01, 0.02, 0.04].map((eps) => {
      const e = at(r!, eps);
      return `| ${label} | ${e.epsilon.toFixed(3)} | ${e.models} | ${f4(e.ambiguity)} | ${f4(e.discrepancy)} | ${f4(e.disagreement.mean)} | ${f4(e.vpr.mean)} | ${e.score_variance.mean.toExponential(2)} | ${f4(e.rashomon_capacity.mean)} |`;
    }),
  );
  const retrained = methods.find((m) => m.label.startsWith('re-training'))?.r;
  const costRows = done.map(({ label, r }) => {
    const run = r!.run;
    const full = run.retrained === undefined ? run.seconds_per_model * 21 * 100 : undefined;
    const ratio =
      retrained && run.retrained === undefined ? retrained.run.seconds_per_model / run.seconds_per_model : undefined;
    return `| ${label} | ${run.models} | ${dur(run.explore_seconds)} | ${secs(run.seconds_per_model)} | ${ratio ? `${ratio.toFixed(0)}×` : '—'} | ${full !== undefined ? dur(full) : `${dur(run.explore_seconds)} (K = ${run.retrained})`} | ${secs(run.metrics_seconds)} |`;
  });
  /** A loss difference with its sign, −0.000 written +0.000. */
  const signed = (v: number) => {
    const d = Number(v.toFixed(3));
    return `${d < 0 ? '−' : '+'}${Math.abs(d).toFixed(3)}`;
  };
  const rate = (x: number) => String(Number(x.toFixed(4)));
  const rateRows = methods
    .filter((m) => !m.label.startsWith('re-training'))
    .flatMap(({ label, r }) => {
      if (!r) return [];
      const last = r.run.epsilons.length - 1;
      const cell = (x: RateLine) => `${rate(x.rate)}: ${signed(x.mean_loss - r.run.base_loss)} (${x.in_set[last]})`;
      return [`| ${label} | ${r.rates.slice(0, 6).map(cell).join(' | ')} | ${cell(r.rates[r.rates.length - 1]!)} |`];
    });
  const retrainLine = retrained
    ? `The ${retrained.retrained.length} retrained models (seeds ${retrained.retrained.map((m) => m.seed).join(', ')}) reach test losses ${retrained.retrained.map((m) => m.loss.toFixed(3)).join(', ')} (base ${retrained.run.base_loss.toFixed(3)}) and accuracies ${retrained.retrained.map((m) => (100 * m.accuracy).toFixed(1) + '%').join(', ')}; each trained in ${secs(retrained.run.train_seconds_per_model ?? 0)} on average.`
    : 'The re-training baseline has not run yet.';
  sections.push(`## ${plan.name === 'mlp' ? 'MLP 784-256-10' : 'LeNet-5'} (\`${plan.file}\`)

Base model: test loss ${any.base_loss.toFixed(4)}, accuracy ${(100 * any.base_accuracy).toFixed(2)}% on the ${any.samples} test
images; noise on ${any.layers.map((l) => `\`${l}\``).join(', ')} (every conv2d and linear output, the logits included).
Dropout: 21 rates (Bernoulli up to 0.2, Gaussian α up to 0.6, and Bernoulli up to 0.01) × ${plan.models} models per rate.
${retrainLine}

Metrics at three values of ε (|R(ε)| models; per-sample metrics as their mean over the samples,
Rashomon capacity on the first ${CAPACITY_SAMPLES}):

| method | ε | \\|R(ε)\\| | ambiguity | discrepancy | disagreement | VPR | score variance | 2^RC |
|---|---|---|---|---|---|---|---|---|
${metricRows.join('\n')}

![${plan.name} metric curves](${svg})

Cost (wall time on this machine; "per model" is the exploration's time divided by its models, for
re-training the training and evaluation of one model; the ratio is re-training's per-model time
over dropout's; "21 × 100" projects the code's full protocol from the measured per-model time):

| method | models | time | per model | vs re-training | 21 × 100 models | metrics |
|---|---|---|---|---|---|---|
${costRows.join('\n')}

Mean test-loss increase over the base model per rate (first six rates and the last; in brackets
the models of that rate within ε = ${any.epsilons[any.epsilons.length - 1]}):

| noise | | | | | | | last |
|---|---|---|---|---|---|---|---|
${rateRows.join('\n')}
`);
}

/** What the numbers say (written after reading them; empty in a quick run). */
const READING = quick ? '' : '';
const backend = results.flatMap((r) => r.methods).find((m) => m.r)?.r?.run.backend ?? 'not run yet';
const doc = `# Predictive multiplicity: dropout-based Rashomon set exploration

Generated by \`npm run experiment:rashomon\`${quick ? ' --quick (a smoke run: few samples and models, the numbers mean little)' : ''}. Hsu, Li, Hu and Chen (ICLR 2024)
explore the Rashomon set of a trained model — the models whose loss is within ε of the best —
by applying dropout to the trained model at inference instead of training many models. Here an
MLP and LeNet-5 are trained on Fashion-MNIST (\`mdl train\`), then explored on the 10,000 test
images with \`mdl rashomon\`: Bernoulli and Gaussian inference-time dropout on every convolution
and linear output (the official code's hooks), and the re-training baseline (K models trained
from other seeds with the same settings). All metrics follow the official code
(\`utils/evaluation.py\`, \`utils/compute_metrics.py\`): R(ε) holds the sampled models whose test
loss is strictly below the base model's + ε, ε ∈ linspace(0, 0.04, 11); decisions are compared
with the base model's; viable prediction range and score variance use each model's score of the
true label; Rashomon capacity is Blahut–Arimoto (log base 2, tolerance 1e-12, at most 1,000
iterations) reported as 2^RC; disagreement is the chance that two models of R(ε) decide a sample
differently, scaled to [0, 1] (the code's 4μ(1 − μ) for two classes; see \`compiler/rashomon/metrics.ts\`).

Ran on: ${backend}.

${sections.join('\n')}
${READING}

What this run cuts from the code's protocol, for a 2-core machine without a GPU: ${PLANS.map((p) => `${p.models} models per rate for ${p.name} (the code: 100), K = ${p.retrain} retrained models`).join('; ')};
Rashomon capacity on the first ${CAPACITY_SAMPLES} test images (each sample and ε is a Blahut–Arimoto run over up to
hundreds of models); the other metrics on all of them.

Commands:

\`\`\`sh
${commands.join('\n')}
\`\`\`
`;
mkdirSync('docs/experiments', { recursive: true });
writeFileSync('docs/experiments/rashomon.md', doc);
process.stdout.write('wrote docs/experiments/rashomon.md\n');
