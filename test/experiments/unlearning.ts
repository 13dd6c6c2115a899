// `npm run experiment:unlearning`: Fast-NTK forgetting one Fashion-MNIST class (0, "T-shirt/top")
// from a small ResNet with batchnorm (examples/resnet8_fmnist.mdl), against retraining from
// scratch on the retain set (the gold standard) and fine-tuning on it, all with `mdl train` and
// `mdl unlearn --evaluate --baselines`; writes docs/experiments/unlearning.md. Every step is
// skipped when its output exists, so an interrupted experiment continues; delete a run's folder
// to redo it. Flags: --seeds N (2), --limit N (training samples, 12000), --epochs N (4),
// --out DIR (runs/unlearning), --report-only. `--teacher-student` runs the teacher–student part
// instead (unlearning-teacher-student.ts), which writes a block of its own on the same page.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvaluationRow } from '../../compiler/drivers/unlearn/evaluate.js';
import { currentBlock, teacherStudentExperiment } from './unlearning-teacher-student.js';

const argv = process.argv.slice(2);
if (argv.includes('--teacher-student')) {
  await teacherStudentExperiment(argv);
  process.exit(0);
}
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
/**
 * Scales s of the update: the plain NTK step (1), and a larger one. The linearised step
 * undershoots on this model (the NTK forgetting reference code scales it by a predicted factor
 * for the same reason); 10 was chosen on seed 0's forget set, which the report states.
 */
const SCALES = [1, 10];
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
  RETAIN.forEach((retain, k) =>
    SCALES.forEach((scale, j) => {
      const name = scale === 1 ? `ntk-${retain}` : `ntk-${retain}-s${scale}`;
      const json = join(dir, `${name}.json`);
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
          ...(scale === 1 ? [] : ['--scale', String(scale)]),
          '--evaluate',
          ...(k === 0 && j === 0 ? ['--baselines', '--epochs', String(EPOCHS)] : []),
          '--eval-limit',
          String(EVAL_LIMIT),
          '--json',
          json,
          '--out',
          join(dir, `${name}.safetensors`),
        ]);
      if (existsSync(json)) {
        const key = `${retain}/${scale}`;
        const list = results.get(key) ?? [];
        list.push(JSON.parse(readFileSync(json, 'utf8')) as Result);
        results.set(key, list);
      }
    }),
  );
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

const base = results.get(`${RETAIN[0]}/1`) ?? [];
/** Fast-NTK's time as a share of retraining's, per seed (the retraining of the same seed). */
const ratio = (res: Result[]) =>
  res.map(
    (r, i) =>
      r.rows.find((x) => x.name === 'Fast-NTK')!.seconds / base[i]!.rows.find((x) => x.name === 'retrain')!.seconds,
  );
const ntkRows = (retain: number): EvaluationRow[][] =>
  base.map((b, i) => [
    b.rows.find((x) => x.name === 'original')!,
    ...SCALES.flatMap((scale) => {
      const r = results.get(`${retain}/${scale}`)?.[i];
      const row = r?.rows.find((x) => x.name === 'Fast-NTK');
      return row ? [{ ...row, name: `Fast-NTK, s = ${scale}` }] : [];
    }),
    ...b.rows.filter((x) => x.name === 'retrain' || x.name === 'fine-tune'),
  ]);
const md: string[] = [
  '# Machine unlearning: Fast-NTK on a small ResNet',
  '',
  'Generated by `npm run experiment:unlearning`. Fast-NTK (Li, Hsu, Chen, Marculescu) removes a',
  'forget set from a trained classifier by the closed-form NTK update in a small parameter subset,',
  "here every batchnorm's γ and β: the difference between the linearised model's regularised fits",
  'on the retain set and on the whole set, scaled by s (`mdl unlearn`, `compiler/unlearn/ntk.ts`).',
  `Here it forgets class ${FORGET} (T-shirt/top) of Fashion-MNIST from \`${FILE}\` (4,962 parameters, 112 of`,
  'them batchnorm affine), against the two baselines trained on the retain set alone: retraining',
  'from scratch (the gold standard) and fine-tuning the trained model (one epoch at a tenth of the',
  'learning rate).',
  '',
  '**Reduced budget, stated plainly:** a 2-core machine with a software GPU (llvmpipe), shared with',
  `other work. The models train on ${LIMIT.toLocaleString('en')} of the 60,000 training images (a fixed`,
  `random subset) for ${EPOCHS} epochs; retraining uses the same settings on the retained part of that subset.`,
  `Fast-NTK sees the whole forget set and ${RETAIN.map((r) => r.toLocaleString('en')).join(' or ')} retain samples`,
  '(5,000 is the scale the paper reports), λ = 1e-3. The plain update (s = 1) undershoots on this model;',
  `s = ${SCALES[1]} was picked by looking at seed 0's forget accuracy (a choice made on the forget set, not a`,
  'tuned protocol; λ from 1e-3 down to 1e-5 changed nothing visible). Accuracies on the forget set (all',
  `training samples of the class), on the first ${EVAL_LIMIT.toLocaleString('en')} retain samples and on the first ${EVAL_LIMIT.toLocaleString('en')} test images.`,
  'The membership-inference attack thresholds the cross-entropy loss (a sample is a "member" when',
  'its loss is low): AUC and best balanced accuracy over the forget samples against as many held-out',
  'test images of the same class; the retrained model, which never saw the forget set, is the',
  'target. Seconds are wall time: Fast-NTK from loading to the solved update (Jacobians on WebGPU, the',
  'float64 solve on the host); the baselines from building the training step to their last checkpoint.',
  '',
  `Seeds: ${base.length} (mean ± sample standard deviation over seeds; each seed trains its own original model).`,
  '',
];
RETAIN.forEach((retain) => {
  const rows = ntkRows(retain);
  if (rows.length === 0 || rows[0]!.length < 2) return;
  const r0 = results.get(`${retain}/1`)![0]!;
  md.push(
    `## Forget class ${FORGET}: ${r0.forget} forget samples, ${retain.toLocaleString('en')} retain samples in the update`,
    '',
    `Fast-NTK: ${r0.parameters} parameters, Jacobians in ${r0.jacobian} mode, ${r0.form} form, λ = ${r0.lambda}.`,
    '',
    ...table(
      rows,
      rows[0]!.map((x) => x.name),
      (n) => (n === 'retrain' ? 'retrain from scratch (gold standard)' : n === 'fine-tune' ? 'fine-tune on retain' : n),
    ),
    '',
    ...SCALES.filter((scale) => (results.get(`${retain}/${scale}`) ?? []).length > 0).map(
      (scale) =>
        `Fast-NTK with s = ${scale} took ${pm(ratio(results.get(`${retain}/${scale}`)!), 100, 1)}% of retraining's time.`,
    ),
    '',
  );
});
md.push(
  '## What it shows',
  '',
  '- The plain update (s = 1) moves the batchnorm parameters too little on this model: forget-set accuracy',
  '  drops by a few points only, while retain and test accuracy stay where they were. Scaled by 10 it',
  "  brings forget accuracy close to the retrained model's with the small retain set, retain accuracy at the",
  "  original's and test accuracy near the retrained model's (the forgotten class is a tenth of the test",
  '  set); with 5,000 retain samples the same scale forgets less, so the scale that works depends on |S|.',
  '- Time: the Jacobians dominate (C = 10 batched reverse passes per batch of samples, on a software GPU),',
  "  so Fast-NTK's cost grows with the samples it sees: with 1,000 retain samples it took less time than",
  '  retraining, with 5,000 about as long or longer. On this small model and budget it does not reach the',
  "  paper's fraction of retraining. Fine-tuning on the retain set for one epoch at a tenth of the learning",
  '  rate is faster still and forgets the class completely: at this scale it is the stronger cheap baseline.',
  '- The loss-threshold attack finds almost no signal on any model (AUC near 0.5): trained for 4 epochs',
  '  on 12,000 images the model barely overfits its training samples, so this budget cannot show a',
  '  membership difference between the methods.',
  '- Timings are wall time on a machine shared with other work: retraining took 421 s on one',
  '  seed and 128 s on the other as the load changed, so the ratios carry that spread.',
  '',
);
md.push('## Commands', '', '```sh', ...commands, '```', '');
// The teacher–student part's block (`--teacher-student`) stays on the page.
const kept = currentBlock();
if (kept) md.push(kept, '');
mkdirSync('docs/experiments', { recursive: true });
writeFileSync('docs/experiments/unlearning.md', md.join('\n'));
process.stdout.write('wrote docs/experiments/unlearning.md\n');
