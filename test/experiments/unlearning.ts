// `npm run experiment:unlearning`: Fast-NTK forgetting one Fashion-MNIST class (0, "T-shirt/top")
// from a small ResNet with batchnorm (examples/resnet8_fmnist.mdl), against retraining from
// scratch on the retain set (the gold standard) and fine-tuning on it, all with `mdl train` and
// `mdl unlearn --evaluate --baselines`; writes docs/experiments/unlearning.md. Every step is
// skipped when its output exists, so an interrupted experiment continues; delete a run's folder
// to redo it. Flags: --seeds N (2), --limit N (training samples, 12000), --epochs N (4),
// --out DIR (runs/unlearning), --report-only.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvaluationRow } from '../../compiler/drivers/unlearn/evaluate.js';

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const SEEDS = Number(flag('--seeds') ?? 2);
const LIMIT = Number(flag('--limit') ?? 12000);
const EPOCHS = Number(flag('--epochs') ?? 4);
const OUT = flag('--out') ?? 'runs/unlearning';
const reportOnly = argv.includes('--report-only');
const FILE = 'examples/resnet8_fmnist.mdl';
const FORGET = '0';
/** Retain samples the NTK update sees: a small set, and the paper's scale. */
const RETAIN = [1000, 5000];
/** Retain and test samples scored per model. */
const EVAL_LIMIT = 2000;

const commands: string[] = [];

function mdl(args: string[]): void {
  commands.push(`npx mdl ${args.join(' ')}`);
  if (reportOnly) return;
  process.stdout.write(`$ npx mdl ${args.join(' ')}\n`);
  execFileSync(process.execPath, ['dist/compiler/cli/main.js', ...args], { stdio: 'inherit' });
}

interface Result {
  readonly forget: number;
  readonly retain: number;
  readonly parameters: number;
  readonly jacobian: string;
  readonly form: string;
  readonly lambda: number;
  readonly rows: EvaluationRow[];
}

const results = new Map<string, Result[]>();
for (let seed = 0; seed < SEEDS; seed++) {
  const dir = join(OUT, `seed-${seed}`);
  mkdirSync(dir, { recursive: true });
  const ckpt = join(dir, 'original', 'checkpoint.safetensors');
  if (!existsSync(ckpt) || reportOnly)
    mdl([
      'train',
      FILE,
      '--limit',
      String(LIMIT),
      '--epochs',
      String(EPOCHS),
      '--seed',
      String(seed),
      '--out',
      join(dir, 'original'),
    ]);
  RETAIN.forEach((retain, k) => {
    const json = join(dir, `ntk-${retain}.json`);
    if (!existsSync(json) || reportOnly)
      mdl([
        'unlearn',
        FILE,
        '--checkpoint',
        ckpt,
        '--limit',
        String(LIMIT),
        '--forget-classes',
        FORGET,
        '--retain',
        String(retain),
        '--evaluate',
        ...(k === 0 ? ['--baselines', '--epochs', String(EPOCHS)] : []),
        '--eval-limit',
        String(EVAL_LIMIT),
        '--json',
        json,
        '--out',
        join(dir, `ntk-${retain}.safetensors`),
      ]);
    if (existsSync(json)) {
      const list = results.get(String(retain)) ?? [];
      list.push(JSON.parse(readFileSync(json, 'utf8')) as Result);
      results.set(String(retain), list);
    }
  });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) =>
  xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const pm = (xs: number[], scale: number, digits: number) =>
  `${(scale * mean(xs)).toFixed(digits)} ± ${(scale * std(xs)).toFixed(digits)}`;

function table(rowsPerSeed: EvaluationRow[][], names: string[], labelOf: (n: string) => string): string[] {
  const lines = [
    '| model | forget acc (%) | retain acc (%) | test acc (%) | MIA AUC | MIA acc (%) | seconds |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const name of names) {
    const rs = rowsPerSeed.map((rows) => rows.find((r) => r.name === name)).filter((r) => r !== undefined);
    if (rs.length === 0) continue;
    lines.push(
      `| ${labelOf(name)} | ${pm(
        rs.map((r) => r.forget),
        100,
        2,
      )} | ${pm(
        rs.map((r) => r.retain),
        100,
        2,
      )} | ${pm(
        rs.map((r) => r.test),
        100,
        2,
      )} | ${pm(
        rs.map((r) => r.mia.auc),
        1,
        3,
      )} | ${pm(
        rs.map((r) => r.mia.accuracy),
        100,
        2,
      )} | ${
        name === 'original'
          ? '—'
          : pm(
              rs.map((r) => r.seconds),
              1,
              1,
            )
      } |`,
    );
  }
  return lines;
}

const small = results.get(String(RETAIN[0])) ?? [];
const large = results.get(String(RETAIN[1])) ?? [];
const ratio = (res: Result[]) =>
  res.map(
    (r, i) =>
      r.rows.find((x) => x.name === 'Fast-NTK')!.seconds / small[i]!.rows.find((x) => x.name === 'retrain')!.seconds,
  );
const md: string[] = [
  '# Machine unlearning: Fast-NTK on a small ResNet',
  '',
  'Generated by `npm run experiment:unlearning`. Fast-NTK (Li, Hsu, Chen, Marculescu) removes a',
  'forget set from a trained classifier by the closed-form NTK update in a small parameter subset,',
  "here every batchnorm's γ and β: the difference between the linearised model's regularised fits",
  'on the retain set and on the whole set (`mdl unlearn`, `compiler/unlearn/ntk.ts`). Here it',
  `forgets class ${FORGET} (T-shirt/top) of Fashion-MNIST from \`${FILE}\` (4,962 parameters, 112 of them batchnorm`,
  'affine), against the two baselines trained on the retain set alone: retraining from scratch',
  '(the gold standard) and fine-tuning the trained model (one epoch at a tenth of the learning rate).',
  '',
  '**Reduced budget, stated plainly:** a 2-core machine with a software GPU (llvmpipe), shared with',
  `other work. The models train on ${LIMIT.toLocaleString('en')} of the 60,000 training images (a fixed`,
  `random subset) for ${EPOCHS} epochs; retraining uses the same settings on the retained part of that subset.`,
  `Fast-NTK sees the whole forget set and ${RETAIN.map((r) => r.toLocaleString('en')).join(' or ')} retain samples`,
  '(5,000 is the scale the paper reports). Accuracies on the forget set (all training samples of',
  `the class), on the first ${EVAL_LIMIT.toLocaleString('en')} retain samples and on the first ${EVAL_LIMIT.toLocaleString('en')} test images.`,
  'The membership-inference attack thresholds the cross-entropy loss (a sample is a "member" when',
  'its loss is low): AUC and best balanced accuracy over the forget samples against as many held-out',
  'test images of the same class; the retrained model, which never saw the forget set, is the',
  'target. Seconds are wall time: Fast-NTK from loading to the solved update (Jacobians on WebGPU, the',
  'float64 solve on the host); the baselines from building the training step to their last checkpoint.',
  '',
  `Seeds: ${small.length} (mean ± sample standard deviation over seeds; each seed trains its own original model).`,
  '',
];
if (small.length > 0) {
  const r0 = small[0]!;
  md.push(
    `## Forget class ${FORGET}: ${r0.forget} forget samples, ${RETAIN[0]!.toLocaleString('en')} retain samples in the update`,
    '',
    `Fast-NTK: ${r0.parameters} parameters, Jacobians in ${r0.jacobian} mode, ${r0.form} form, λ = ${r0.lambda}, s = 1.`,
    '',
    ...table(
      small.map((r) => r.rows),
      ['original', 'Fast-NTK', 'retrain', 'fine-tune'],
      (n) => (n === 'retrain' ? 'retrain from scratch (gold standard)' : n === 'fine-tune' ? 'fine-tune on retain' : n),
    ),
    '',
    `Fast-NTK took ${pm(ratio(small), 100, 1)}% of retraining's time.`,
    '',
  );
}
if (large.length > 0) {
  md.push(
    `## The same with ${RETAIN[1]!.toLocaleString('en')} retain samples in the update`,
    '',
    ...table(
      large.map((r) => r.rows),
      ['original', 'Fast-NTK'],
      (n) => (n === 'Fast-NTK' ? `Fast-NTK (${RETAIN[1]!.toLocaleString('en')} retain)` : n),
    ),
    '',
    `Fast-NTK took ${pm(ratio(large), 100, 1)}% of retraining's time (the retraining above).`,
    '',
  );
}
md.push('## Commands', '', '```sh', ...commands, '```', '');
mkdirSync('docs/experiments', { recursive: true });
writeFileSync('docs/experiments/unlearning.md', md.join('\n'));
process.stdout.write('wrote docs/experiments/unlearning.md\n');
