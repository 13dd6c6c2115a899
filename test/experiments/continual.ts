// `npm run experiment:continual`: Online-LoRA against its baselines on two streams built from
// Fashion-MNIST, a split stream (5 disjoint tasks of 2 classes) and its Si-Blurry variant, from
// the MLP-Mixer of examples/adapt.mdl pretrained on the built-in digits. Methods: Online-LoRA
// (section stream_lora), plain online LoRA (stream_plain_lora: the same adapters, no replay, no
// penalty, no consolidation), online fine-tuning of the whole network (stream_full), and the
// offline joint-training upper bound (stream_full's network trained on the same samples
// shuffled together). Each method's plans are compiled once and reused for every stream and
// seed. The head starts fresh (its initialiser) in every run, as the official code's classifier
// over the stream's classes: the digit head's rows mean nothing for clothes. Writes
// docs/experiments/continual.md (mean ± std over seeds, and Online-LoRA's F_last minus plain
// online LoRA's on the same stream, seed by seed) and the accuracy plot of the first Online-LoRA
// run per stream. Flags: --seeds N (5), --first-seed K (0; settings were chosen on seed 100, which
// the test seeds never use), --out DIR (runs/continual), --report-only (rewrite the report from
// DIR/results.json).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileTraining } from '../../compiler/compile.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import { sourceHash } from '../../compiler/emit/settings.js';
import { openContinual, type ContinualResult } from '../../compiler/drivers/continual/run.js';
import { readCheckpoint, writeCheckpoint, type NamedTensor } from '../../runtime/checkpoint/safetensors.js';
import { loadData } from '../../runtime/data/resolve.js';
import type { StreamSpec } from '../../runtime/data/stream.js';

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const SEEDS = Number(flag('--seeds') ?? 5);
const FIRST = Number(flag('--first-seed') ?? 0);
const OUT = flag('--out') ?? 'runs/continual';
const reportOnly = argv.includes('--report-only');
const FILE = 'examples/adapt.mdl';
// The pretrained backbone, shared by every output folder.
const PRE = 'runs/continual/pretrain';
const PRETRAIN = ['train', FILE, '--train', 'pretrain', '--epochs', '2', '--out', PRE];
const BACKBONE = `${PRE}/backbone.safetensors`;
const METHODS = [
  { name: 'Online-LoRA', section: 'stream_lora' },
  { name: 'online LoRA (plain)', section: 'stream_plain_lora' },
  { name: 'online full fine-tuning', section: 'stream_full' },
  { name: 'offline joint training', section: 'stream_full', joint: true },
] as const;

interface Row {
  readonly stream: string;
  readonly method: string;
  readonly seed: number;
  readonly aAuc: number;
  readonly aLast: number;
  readonly fLast: number;
  readonly plateaus: number;
  readonly seconds: number;
  readonly trainable: number;
  readonly steps: number;
}

const resultsFile = join(OUT, 'results.json');
const rows: Row[] = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Row[]) : [];
let backend = '';

function streams(base: StreamSpec): { name: string; spec: StreamSpec }[] {
  const { tasks, trainPerClass, testPerClass } = base;
  return [
    { name: 'split', spec: { kind: 'split', tasks, trainPerClass, testPerClass } },
    {
      name: 'si_blurry',
      spec: { kind: 'si_blurry', tasks, disjoint: 0.5, blurry: 0.1, trainPerClass, testPerClass },
    },
  ];
}

if (!reportOnly) {
  mkdirSync(OUT, { recursive: true });
  if (!existsSync(`${PRE}/checkpoint.safetensors`)) {
    process.stdout.write(`$ npx mdl ${PRETRAIN.join(' ')}\n`);
    execFileSync(process.execPath, ['dist/compiler/cli/main.js', ...PRETRAIN], { stdio: 'inherit' });
  }
  const ckpt = readCheckpoint(`${PRE}/checkpoint.safetensors`);
  // The backbone alone (the head dropped), what every run and the command on the page start from.
  const backbone = new Map([...ckpt.tensors].filter(([k]) => !k.startsWith('head.')));
  writeCheckpoint(BACKBONE, { tensors: backbone, metadata: { ...ckpt.metadata, note: 'pretrain without its head' } });
  const data = loadData('fashion-mnist');
  const sections = [...new Set(METHODS.map((m) => m.section))];
  // Every section compiled once (the slow part here), then seed by seed, so that whatever
  // finished holds every method for the same seeds.
  const open = [];
  for (const section of sections) {
    const r = compileTraining({ path: FILE, text: readFileSync(FILE, 'utf8') }, nodeHost, { train: section });
    if (!r.graph || !r.spec?.continual) throw new Error(`${FILE}: section ${section} did not compile`);
    const own = new Set(r.graph.params.map((p) => p.name));
    process.stdout.write(`compiling ${section} (${r.spec.continual.method.kind})…\n`);
    const learner = await openContinual({
      graph: r.graph,
      plan: r.rewrites,
      frozen: r.frozen,
      optimizer: r.spec.optimizer,
      method: r.spec.continual.method,
      batch: r.spec.batch,
      seed: 0,
    });
    open.push({
      section,
      r,
      spec: r.spec.continual,
      lr: r.spec.lr,
      learner,
      init: new Map<string, NamedTensor>([...backbone].filter(([k]) => own.has(k))),
    });
  }
  try {
    for (let seed = FIRST; seed < FIRST + SEEDS; seed++)
      for (const o of open)
        for (const m of METHODS.filter((x) => x.section === o.section))
          for (const s of streams(o.spec.stream)) {
            if (rows.some((x) => x.method === m.name && x.stream === s.name && x.seed === seed)) continue;
            const dir = join(OUT, `${o.section}${'joint' in m ? '-joint' : ''}`, s.name, `seed${seed}`);
            const res: ContinualResult = await o.learner.run({
              lr: o.lr,
              seed,
              spec: { ...o.spec, stream: s.spec },
              data,
              outDir: dir,
              source: { path: FILE, hash: sourceHash(o.r.sources) },
              init: o.init,
              ...('joint' in m ? { joint: { passes: 1 } } : {}),
            });
            const row: Row = {
              stream: s.name,
              method: m.name,
              seed,
              aAuc: res.metrics.aAuc,
              aLast: res.metrics.aLast,
              fLast: res.metrics.fLast,
              plateaus: res.plateaus.length,
              seconds: res.seconds,
              trainable: res.trainable,
              steps: res.steps,
            };
            rows.push(row);
            writeFileSync(resultsFile, JSON.stringify(rows, null, 1));
            process.stdout.write(`${JSON.stringify(row)}\n`);
            if (o.section === 'stream_lora' && seed === FIRST)
              copyFileSync(join(dir, 'accuracy.svg'), `docs/experiments/continual-${s.name}.svg`);
          }
  } finally {
    for (const o of open) o.learner.dispose();
  }
  const first = readFileSync(join(OUT, 'stream_lora', 'split', `seed${FIRST}`, 'metrics.jsonl'), 'utf8').split(
    '\n',
  )[0]!;
  backend = String((JSON.parse(first) as { data?: string }).data ?? '');
}

// What the results say, written after reading them (the verdict lines above it are computed).
const READING: string[] = [
  'Against the official code (Si-blurry/online_lora.py, Disjoint/engine.py): the importance is the sum',
  "over the hard buffer of the squared gradients of the NLL of the model's own prediction (over the",
  'logits training sees), averaged with equal weight over plateaus; the penalty (λ/2)·Σ Ω⊙(θ − θ*)²',
  'pulls the new adapters towards their fresh values θ* (the official code resets A and B to zeros,',
  'so its Ω⊙θ² is the same anchor; here A is drawn again, because from A = B = 0 no gradient flows and',
  "the official adapters only move by Adam's momentum carried over from the old ones); F_last and",
  'A_auc as its Si-Blurry trainer computes them. Left as they are, and why: hard-buffer entries are',
  'single samples (the official entries are whole mini-batches, which would make each step five',
  'times larger here), so the loss is the mean over the 16 batch and 4 hard samples, where the',
  "official loss adds each hard batch's mean loss to the batch's, weighting replay 4 : 1; the",
  'detector watches that mean, judges only full windows (the official one can fire at the first',
  'step) and its thresholds are set for it; fresh adapters start with zero optimizer state (the',
  "official code keeps Adam's moments).",
  '',
  'The settings were fixed before the test seeds ran. The one choice made on data, starting the head',
  'fresh rather than from the digit head, was checked on seed 100 only (split stream, evaluation every',
  '300 samples: Online-LoRA F_last 51.5% with a fresh head, 55.4% with the digit head; plain online',
  'LoRA 72.2% with a fresh head).',
];

const ms = (xs: number[]) => {
  const m = xs.reduce((a, x) => a + x, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)) : 0;
  return { m, sd };
};
const pct = (xs: number[]) => {
  const { m, sd } = ms(xs.map((x) => 100 * x));
  return xs.length > 1 ? `${m.toFixed(1)} ± ${sd.toFixed(1)}` : m.toFixed(1);
};
// Only seeds every method finished on both streams (a run cut short leaves a partial seed out).
const complete = (seed: number) => rows.filter((r) => r.seed === seed).length === METHODS.length * 2;
const seedList = [...new Set(rows.map((r) => r.seed))].filter(complete).sort((a, b) => a - b);
const seedsDone = seedList.length;
rows.splice(0, rows.length, ...rows.filter((r) => complete(r.seed)));
const seedNote = seedList.length ? `seeds ${seedList[0]}–${seedList.at(-1)}` : 'no seed';
const lines: string[] = [
  '# Online continual learning: Online-LoRA against its baselines',
  '',
  'Generated by `npm run experiment:continual`' +
    (seedsDone !== 5 ? ` (run here with \`-- --seeds ${seedsDone}\`)` : '') +
    '. The MLP-Mixer of `examples/adapt.mdl` (dim 64, 3 blocks), pretrained on the built-in digits',
  '(7,996 training images, 2 epochs of its `pretrain` section: 91.0% test accuracy), meets a stream built from Fashion-MNIST: **split** (5 disjoint tasks of 2',
  'classes, class order drawn per seed) and its **Si-Blurry** variant (half the classes disjoint, half',
  'blurry with 10% of their samples moved into other tasks; tasks cut at random points, so imbalanced).',
  "Every run starts from the pretrained backbone with a fresh head (its initialiser), as the official code's",
  "classifier over the stream's classes: the digit head's rows mean nothing for clothes.",
  '',
  '**Reduced budget, stated plainly:** the machine is a 2-core software GPU (llvmpipe) shared with other',
  'work, so each stream is a subset: 300 training samples per class (3,000 samples, 187 steps of 16),',
  'each seen once; accuracy is measured on 100 held-out test samples per class, every 600 samples and',
  'at the end of each task. ' +
    `${seedsDone} seed${seedsDone === 1 ? '' : 's'} (${seedNote}); one run took 0.5–4.5 minutes on the loaded machine.`,
  '',
  'Methods (the sections of `examples/adapt.mdl`; all mask the logits in training to the classes of the',
  'batch and hard buffer, and rank the seen classes in evaluation): **Online-LoRA** (`stream_lora`:',
  'rank-4 LoRA on the 6 channel-mixing layers, head trained, the rest frozen; Adam lr 5e-3; hard buffer',
  'of 4 samples, loss window 5, plateau thresholds mean 1.5 / variance 0.1 on the mean cross-entropy of',
  "the batch and hard buffer (the official 6.0 is on the sum of the batch's and four hard batches'",
  'mean losses over hundreds of classes), λ = 2000 as in the official code, clean merge W += B·A),',
  '**plain online LoRA** (`stream_plain_lora`: the same adapters and head, no replay, no penalty, no',
  'consolidation), **online full fine-tuning** (`stream_full`: every parameter, Adam lr 1e-3), and',
  '**offline joint training** (the same network and samples, shuffled together, one pass: the upper',
  'bound; its A_auc and F_last have no meaning and are left out). The metrics as the official',
  'Si-Blurry trainer computes them: A_auc, the mean accuracy on all classes seen so far over the',
  'periodic evaluation points; A_last, that accuracy at the end; F_last, over the classes learnt at',
  "an earlier task's end (best accuracy there above 0), the mean of (best accuracy at an earlier",
  "task's end − final accuracy). Time is the wall time of the run on this loaded machine (compiling",
  'the plans excluded).',
  '',
  '| stream | method | A_auc (%) | A_last (%) | F_last (%) ↓ | plateaus | time (s) | trained params |',
  '|---|---|---|---|---|---|---|---|',
];
for (const s of ['split', 'si_blurry'])
  for (const m of METHODS) {
    const rs = rows.filter((r) => r.stream === s && r.method === m.name);
    if (rs.length === 0) continue;
    const joint = 'joint' in m;
    lines.push(
      `| ${s} | ${m.name} | ${joint ? '—' : pct(rs.map((r) => r.aAuc))} | ${pct(rs.map((r) => r.aLast))} | ${joint ? '—' : pct(rs.map((r) => r.fLast))} | ${ms(rs.map((r) => r.plateaus)).m.toFixed(1)} | ${ms(rs.map((r) => r.seconds)).m.toFixed(0)} | ${rs[0]!.trainable.toLocaleString('en')} |`,
    );
  }
// The streams differ from seed to seed (class order, cuts), and with them how much any method
// forgets; both LoRA methods see the same stream for a seed, so their difference per seed is
// the measurement that compares them.
const fOf = (s: string, name: string, seed: number) =>
  100 * rows.find((r) => r.stream === s && r.method === name && r.seed === seed)!.fLast;
/** What the verdicts and the accuracies say, in words computed from them. */
function reading(): string[] {
  const both = verdicts.every((v) => v.m < 0);
  const sure = verdicts.filter((v) => v.sure);
  const aLast = (s: string, name: string) =>
    ms(rows.filter((r) => r.stream === s && r.method === name).map((r) => 100 * r.aLast)).m;
  const learnsLess = ['split', 'si_blurry'].filter((s) => aLast(s, 'Online-LoRA') < aLast(s, 'online LoRA (plain)'));
  return [
    `Reading it: averaged over the seeds, Online-LoRA ${both ? "forgets less than plain online LoRA on both streams, so the issue's acceptance as written (lower F_last on both, averaged over seeds) holds in this run" : "does not forget less than plain online LoRA on both streams: the issue's acceptance (lower F_last on both, averaged over seeds) is not met"}` +
      (sure.length === 0
        ? '; but the differences change sign from seed to seed and neither is more than two standard errors from 0, so at this budget the measurement shows no reliable effect.'
        : `; the difference is more than two standard errors from 0 on ${sure.map((v) => v.s).join(' and ')}.`),
    learnsLess.length
      ? `Part of the lower forgetting is lower learning: Online-LoRA ends below plain online LoRA in A_last on ${learnsLess.join(' and ')} (${learnsLess.map((s) => `${aLast(s, 'Online-LoRA').toFixed(1)}% against ${aLast(s, 'online LoRA (plain)').toFixed(1)}%`).join('; ')}); likely the penalty and the replayed hard samples holding the adapters back (not measured separately here), and online full fine-tuning, the most plastic, forgets most.`
      : 'Online-LoRA does not end below plain online LoRA in A_last on either stream.',
    'The spread over seeds (10 to 20 points of F_last for every method) comes from the seeds, each',
    'drawing its own class order, task cuts and adapters, far more than from the test sets, which add',
    'about 2 to 3 points per method (100 samples per class, F_last averaged over 8 or 9 classes).',
    "Comparing the two LoRA methods on the same stream, seed by seed, removes the stream's share: that",
    'is the difference reported above. The figures of earlier versions of this page are not comparable:',
    'F_last and A_auc now follow the official definitions, the importance is summed over the hard',
    'buffer, the penalty is anchored at the fresh adapters, and the',
    'head starts fresh.',
  ];
}

const verdicts = ['split', 'si_blurry'].map((s) => {
  const d = seedList.map((seed) => fOf(s, 'Online-LoRA', seed) - fOf(s, 'online LoRA (plain)', seed));
  const { m, sd } = ms(d);
  const se = d.length > 1 ? sd / Math.sqrt(d.length) : NaN;
  const lower = d.filter((x) => x < 0).length;
  const verdict = m < 0 ? 'it forgets less' : 'it does **not** forget less';
  const sure = Math.abs(m) > 2 * se ? 'more than two standard errors from 0' : 'within two standard errors of 0';
  return {
    s,
    m,
    sure: Math.abs(m) > 2 * se,
    line:
      `- ${s}: F_last(Online-LoRA) − F_last(plain online LoRA), seed by seed: ${d.map((x) => x.toFixed(1)).join(', ')}; ` +
      `mean ${m.toFixed(1)} ± ${sd.toFixed(1)} points (standard error ${se.toFixed(1)}, ${sure}); lower in ${lower} of ${d.length} seeds: ${verdict}.`,
  };
});
lines.push(
  '',
  'Online-LoRA against plain online LoRA on the same streams (a negative difference: Online-LoRA forgets less):',
  '',
  ...verdicts.map((v) => v.line),
  '',
  ...reading(),
  '',
  ...READING,
  '',
  `Accuracy along the stream (Online-LoRA, seed ${FIRST}; grey dashed: task starts, red: plateaus):`,
  '',
  '![split](continual-split.svg) ![si_blurry](continual-si_blurry.svg)',
  '',
  'Commands (the second line runs all methods on seed 100 alone, the seed used for checks):',
  '',
  '```sh',
  `npx mdl ${PRETRAIN.join(' ')}`,
  `npm run experiment:continual -- --seeds 1 --first-seed 100 --out ${OUT}-seed100`,
  `npm run experiment:continual -- --seeds ${seedsDone}`,
  `npx mdl train ${FILE} --train stream_lora --init ${BACKBONE} --out ${OUT}/cli-stream_lora`,
  '```',
  '',
);
if (backend) lines.push(`Data: ${backend}.`, '');
writeFileSync('docs/experiments/continual.md', lines.join('\n'));
process.stdout.write('wrote docs/experiments/continual.md\n');
