// `npm run experiment:continual`: Online-LoRA against its baselines on two streams built from
// Fashion-MNIST, a split stream (5 disjoint tasks of 2 classes) and its Si-Blurry variant, from
// the MLP-Mixer of examples/adapt.mdl pretrained on the built-in digits. Methods: Online-LoRA
// (section stream_lora), plain online LoRA (stream_plain_lora: the same adapters, no replay, no
// penalty, no consolidation), online fine-tuning of the whole network (stream_full), and the
// offline joint-training upper bound (stream_full's network trained on the same samples
// shuffled together). Each method's plans are compiled once and reused for every stream and
// seed. Writes docs/experiments/continual.md (mean ± std over seeds) and the accuracy plot of
// the first Online-LoRA run per stream. Flags: --seeds N (3), --out DIR (runs/continual),
// --report-only (rewrite the report from DIR/results.json).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileTraining } from '../../compiler/compile.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import { sourceHash } from '../../compiler/emit/settings.js';
import { openContinual, type ContinualResult } from '../../compiler/drivers/continual/run.js';
import { readCheckpoint, type NamedTensor } from '../../runtime/checkpoint/safetensors.js';
import { loadData } from '../../runtime/data/resolve.js';
import type { StreamSpec } from '../../runtime/data/stream.js';

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const SEEDS = Number(flag('--seeds') ?? 3);
const OUT = flag('--out') ?? 'runs/continual';
const reportOnly = argv.includes('--report-only');
const FILE = 'examples/adapt.mdl';
const PRETRAIN = ['train', FILE, '--train', 'pretrain', '--epochs', '2', '--out', `${OUT}/pretrain`];
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
  if (!existsSync(`${OUT}/pretrain/checkpoint.safetensors`)) {
    process.stdout.write(`$ npx mdl ${PRETRAIN.join(' ')}\n`);
    execFileSync(process.execPath, ['dist/compiler/cli/main.js', ...PRETRAIN], { stdio: 'inherit' });
  }
  const ckpt = readCheckpoint(`${OUT}/pretrain/checkpoint.safetensors`);
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
      init: new Map<string, NamedTensor>([...ckpt.tensors].filter(([k]) => own.has(k))),
    });
  }
  try {
    for (let seed = 0; seed < SEEDS; seed++)
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
            if (o.section === 'stream_lora' && seed === 0)
              copyFileSync(join(dir, 'accuracy.svg'), `docs/experiments/continual-${s.name}.svg`);
          }
  } finally {
    for (const o of open) o.learner.dispose();
  }
  const first = readFileSync(join(OUT, 'stream_lora', 'split', 'seed0', 'metrics.jsonl'), 'utf8').split('\n')[0]!;
  backend = String((JSON.parse(first) as { data?: string }).data ?? '');
}

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
const seedsDone = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter(complete).length;
rows.splice(0, rows.length, ...rows.filter((r) => complete(r.seed)));
const lines: string[] = [
  '# Online continual learning: Online-LoRA against its baselines',
  '',
  'Generated by `npm run experiment:continual`' +
    (seedsDone !== 3 ? ` (run here with \`-- --seeds ${seedsDone}\`)` : '') +
    '. The MLP-Mixer of `examples/adapt.mdl` (dim 64, 3 blocks), pretrained on the built-in digits',
  '(7,996 training images, 2 epochs of its `pretrain` section: 91.0% test accuracy), meets a stream built from Fashion-MNIST: **split** (5 disjoint tasks of 2',
  'classes, class order drawn per seed) and its **Si-Blurry** variant (half the classes disjoint, half',
  'blurry with 10% of their samples moved into other tasks; tasks cut at random points, so imbalanced).',
  '',
  '**Reduced budget, stated plainly:** the machine is a 2-core software GPU (llvmpipe) shared with other',
  'work, so each stream is a subset: 300 training samples per class (3,000 samples, 187 steps of 16),',
  'each seen once; accuracy is measured on 100 held-out test samples per class, every 300 samples and',
  'at the end. ' +
    `${seedsDone} seed${seedsDone === 1 ? '' : 's'}${seedsDone < 3 ? ' (the issue asks for 3)' : ''}; one run took 0.5–5 minutes on the loaded machine.`,
  '',
  'Methods (the sections of `examples/adapt.mdl`; all mask the logits in training to the classes of the',
  'batch and hard buffer, and rank the seen classes in evaluation): **Online-LoRA** (`stream_lora`:',
  'rank-4 LoRA on the 6 channel-mixing layers, head trained, the rest frozen; Adam lr 5e-3; hard buffer',
  "of 4 samples, loss window 5, plateau thresholds mean 1.5 / variance 0.1 (the paper's 6.0 is for",
  'hundreds of classes), λ = 2000, clean merge W += B·A), **plain online LoRA**',
  '(`stream_plain_lora`: the same adapters and head, no replay, no penalty, no consolidation),',
  '**online full fine-tuning** (`stream_full`: every parameter, Adam lr 1e-3), and **offline joint',
  'training** (the same network and samples, shuffled together, one pass: the upper bound; its A_auc',
  'and F_last have no meaning and are left out). A_auc: the mean accuracy on all classes seen so far over',
  'the evaluation points; A_last: that accuracy at the end; F_last: the mean over classes of (best',
  'earlier accuracy − final accuracy), as the official code defines them. Time is the wall time of the',
  'run on this loaded machine (compiling the plans excluded).',
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
const fl = (s: string, name: string) =>
  ms(rows.filter((r) => r.stream === s && r.method === name).map((r) => 100 * r.fLast));
lines.push(
  '',
  ...['split', 'si_blurry'].map((s) => {
    const a = fl(s, 'Online-LoRA');
    const b = fl(s, 'online LoRA (plain)');
    const verdict = a.m < b.m ? 'it forgets less' : 'it does **not** forget less here';
    const spread = Math.abs(a.m - b.m) < Math.max(a.sd, b.sd) ? ', a difference within the spread over seeds' : '';
    return `- ${s}: Online-LoRA's F_last is ${a.m.toFixed(1)}% against plain online LoRA's ${b.m.toFixed(1)}%: ${verdict}${spread}.`;
  }),
  '',
  'Reading it: at this budget every online method forgets most of what it learnt of earlier tasks, and',
  "Online-LoRA does not reliably forget less than plain online LoRA: the issue's acceptance (lower",
  'F_last on both streams, averaged over seeds) is not met here. Likely reasons, none tested here: each',
  'task is about 37 steps, so the detector sees few plateaus (1–6 per stream) and the importance rests on',
  '4 hard samples; the penalty protects only the adapters, while the head, trained in full, carries much',
  'of the forgetting; and a digits-pretrained backbone is a weak feature extractor for Fashion-MNIST',
  '(the paper starts from an ImageNet ViT). The time of one run varied up to 3× with the other work on',
  'the machine, so the time column says little about the methods.',
  '',
  'Accuracy along the stream (Online-LoRA, seed 0; grey dashed: task starts, red: plateaus):',
  '',
  '![split](continual-split.svg) ![si_blurry](continual-si_blurry.svg)',
  '',
  'Commands:',
  '',
  '```sh',
  `npx mdl ${PRETRAIN.join(' ')}`,
  `npx mdl train ${FILE} --train stream_lora --init ${OUT}/pretrain/checkpoint.safetensors --out ${OUT}/cli-stream_lora`,
  `npm run experiment:continual -- --seeds ${seedsDone}`,
  '```',
  '',
);
if (backend) lines.push(`Data: ${backend}.`, '');
writeFileSync('docs/experiments/continual.md', lines.join('\n'));
process.stdout.write('wrote docs/experiments/continual.md\n');
