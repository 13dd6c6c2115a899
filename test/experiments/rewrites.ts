// `npm run experiment:rewrites`: pretrain examples/adapt.mdl on the built-in digits, adapt it to
// Fashion-MNIST under each backward strategy (the file's ft_* sections: the last two blocks and
// the head trained), and write a table of test accuracy, backward MACs, training memory and wall
// time per step to docs/experiments/rewrites.md, with the commands that produced it. Accuracy
// comes from `mdl train` (its metrics.jsonl), MACs and memory from `mdl summary --train --json`;
// the time per step is measured afterwards, one section after the other in this process (the
// median of 20 steps after 3 warm-up steps), so the runs do not disturb each other. Flags:
// --quick (a few hundred samples per run, for a smoke test), --out DIR (runs/adapt),
// --report-only (rewrite the report from the runs already there).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileTraining } from '../../compiler/compile.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import { rewrittenTrainStep } from '../../compiler/rewrites/index.js';
import { webGpuBackend } from '../../compiler/drivers/train/webgpu.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
/** Rewrite the report from the runs already in --out, without training. */
const reportOnly = argv.includes('--report-only');
const outIdx = argv.indexOf('--out');
const OUT = outIdx >= 0 ? argv[outIdx + 1]! : 'runs/adapt';
const FILE = 'examples/adapt.mdl';
const MDL = ['dist/compiler/cli/main.js'];
const SECTIONS = ['ft_exact', 'ft_grad_filter', 'ft_lbp_wht', 'ft_lora', 'ft_ntk_linear'];
const BATCH = 64;
const limit = quick ? ['--limit', '640'] : [];

function mdl(args: string[], capture = false): string {
  const shown = ['npx mdl', ...args].join(' ');
  if (!capture) process.stdout.write(`$ ${shown}\n`);
  const out = execFileSync(process.execPath, [...MDL, ...args], {
    stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  return out ?? '';
}

interface Metrics {
  readonly accuracy: number;
  readonly backend: string;
}

function metrics(dir: string): Metrics {
  const rows = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const start = rows.find((r) => r['kind'] === 'start')!;
  const epochs = rows.filter((r) => r['kind'] === 'epoch');
  return {
    accuracy: epochs[epochs.length - 1]!['test_accuracy'] as number,
    backend: String(start['backend']).split(';')[0]!,
  };
}

interface Cost {
  backwardMacs: number;
  /** The same section's step with every rule replaced by the exact backward. */
  exactMacs: number;
  totalBytes: number;
  keptBytes: number;
}

function cost(section: string): Cost {
  const j = JSON.parse(
    mdl(['summary', FILE, '--train', '--section', section, '--batch', String(BATCH), '--json'], true),
  ) as {
    train: { backward: { macs: number }; memory: { total_bytes: number; activations_kept_bytes: number } };
    rewritten?: {
      train: { backward: { macs: number }; memory: { total_bytes: number; activations_kept_bytes: number } };
    };
  };
  const t = j.rewritten?.train ?? j.train;
  return {
    backwardMacs: t.backward.macs,
    exactMacs: j.train.backward.macs,
    totalBytes: t.memory.total_bytes,
    keptBytes: t.memory.activations_kept_bytes,
  };
}

/** Median wall time of one training step (forward, rewritten backward, update) on WebGPU. */
async function stepMs(section: string): Promise<number> {
  const r = compileTraining({ path: FILE, text: readFileSync(FILE, 'utf8') }, nodeHost, { train: section });
  if (!r.graph || !r.spec) throw new Error(`${FILE}: section ${section} did not compile`);
  const { step, rewritten } = rewrittenTrainStep(r.graph, r.rewrites, {
    loss: r.spec.loss,
    optimizer: r.spec.optimizer,
    frozen: r.frozen,
  });
  const be = await webGpuBackend(step, rewritten.graph, BATCH, 0);
  const x = Float32Array.from({ length: BATCH * 28 * 28 }, (_, i) => Math.sin(i));
  const y = Int32Array.from({ length: BATCH }, (_, i) => i % 10);
  for (let i = 0; i < 3; i++) await be.step(x, y, BATCH, 0.01, i, true);
  const t: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await be.step(x, y, BATCH, 0.01, 3 + i, true);
    t.push(performance.now() - t0);
  }
  be.dispose();
  return t.sort((a, b) => a - b)[10]!;
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
const gmacs = (m: number) => `${(m / 1e9).toFixed(3)} G`;

mkdirSync(OUT, { recursive: true });
const commands: string[] = [];
const pre = join(OUT, 'pretrain');
const ckpt = join(pre, 'checkpoint.safetensors');
const preArgs = ['train', FILE, '--train', 'pretrain', '--out', pre, ...limit];
commands.push(`npx mdl ${preArgs.join(' ')}`);
if (existsSync(ckpt)) process.stdout.write(`using the pretrained checkpoint ${ckpt}\n`);
else if (reportOnly) throw new Error(`--report-only: no runs in ${OUT}`);
else mdl(preArgs);
const pretrained = metrics(pre);

const rows: { section: string; m: Metrics; c: Cost }[] = [];
for (const s of SECTIONS) {
  const dir = join(OUT, s);
  const args = ['train', FILE, '--train', s, '--init', ckpt, '--out', dir, ...limit];
  commands.push(`npx mdl ${args.join(' ')}`);
  if (!reportOnly) {
    rmSync(dir, { recursive: true, force: true });
    mdl(args);
  }
  rows.push({ section: s, m: metrics(dir), c: cost(s) });
}
// Timed after all runs, one section at a time, so the runs do not disturb the timings.
const timed: { section: string; m: Metrics; c: Cost; ms: number }[] = [];
for (const r of rows) timed.push({ ...r, ms: await stepMs(r.section) });
for (const s of SECTIONS) commands.push(`npx mdl summary ${FILE} --train --section ${s} --batch ${BATCH}`);

const table = [
  '| strategy (section) | test accuracy | backward MACs / step | vs exact | training memory | kept for backward | ms / step |',
  '|---|---|---|---|---|---|---|',
  ...timed.map(
    ({ section, m, c, ms }) =>
      `| ${section.replace(/^ft_/, '')} (\`${section}\`) | ${(100 * m.accuracy).toFixed(2)}% | ${gmacs(c.backwardMacs)} | ${c.exactMacs === c.backwardMacs ? '—' : `${(c.exactMacs / c.backwardMacs).toFixed(2)}× fewer`} | ${mib(c.totalBytes)} | ${mib(c.keptBytes)} | ${ms.toFixed(1)} |`,
  ),
].join('\n');
const doc = `# Backward rewrites: adapting a pretrained model

Generated by \`npm run experiment:rewrites\`${quick ? ' --quick (a smoke run on 640 samples: the accuracies mean little)' : ''}. A small network
(\`examples/adapt.mdl\`: an MLP-Mixer with a 4×4 patch embedding, three blocks of token mixing
and channel mixing over the 7×7 grid, a linear head) is pretrained on the built-in digits (${(100 * pretrained.accuracy).toFixed(2)}% test accuracy), then adapted to
Fashion-MNIST for one epoch under each backward strategy. All adaptation runs train the last two
blocks and the head (the first block and the embedding are frozen), as the gradient-filtering
and LBP-WHT papers adapt the last blocks; \`ntk_linear\` instead trains the linearised model in
the layer-norm affine parameters and the head, as Fast-NTK restricts it to normalisation
parameters. Backward MACs and memory are the static report of \`mdl summary --train\` at batch
${BATCH}; accuracy comes from each run's metrics.jsonl; the time per step (reading the loss back
each step) is the median of 20 steps measured one section after the other after the runs.

Ran on: ${pretrained.backend}.

${table}

"vs exact" compares each section with itself under the exact backward (for \`ntk_linear\`, the
network trained exactly in all parameters, since its section freezes nothing). Reading it: on this CPU adapter, time per step follows kernel launches and memory traffic more
than MACs, so the MAC savings show only partly in wall time; the static columns are exact.

Commands:

\`\`\`sh
${commands.join('\n')}
\`\`\`
`;
mkdirSync('docs/experiments', { recursive: true });
writeFileSync('docs/experiments/rewrites.md', doc);
process.stdout.write(`\n${table}\n\nwrote docs/experiments/rewrites.md\n`);
