// The README.md of a compiled folder: what each file is, how to train, how to use the API.
import { escapeControls } from '../diagnostics/render.js';
import type { ModelInfo } from '../../runtime/plan/bundle.js';
import type { TrainSettings } from '../../runtime/standalone.js';

export function readme(
  info: ModelInfo,
  settings: TrainSettings,
  source: string,
  kernels: { train: number; forward: number; files: number },
): string {
  const trained = info.params.filter((p) => p.kind === 'param');
  const count = trained.reduce((s, p) => s + p.shape.reduce((a, d) => a * d, 1), 0);
  return `# ${info.model}, compiled by mdl

Compiled from \`${escapeControls(source)}\` by \`mdl compile\`: a standalone training executable for WebGPU.
Do not edit these files; compile again instead.

- ${trained.length} trained tensors, ${count.toLocaleString('en')} parameters; input [${info.batch}, ${info.sampleShape.join(', ')}], ${info.classes} classes
- a training step is ${kernels.train} kernels in one submit, inference ${kernels.forward} (${kernels.files} distinct WGSL files)
- trains on \`${settings.data}\`: batch ${settings.batch}, ${settings.epochs} epochs, ${settings.optimizer.kind} at lr ${settings.lr}, ${settings.schedule.kind} schedule, seed ${settings.seed}

## Files

| file | what |
| --- | --- |
| \`model.ts\` | the typed module: constants (\`MODEL\`, \`BATCH\`, \`INPUT\`, \`CLASSES\`, \`PARAMETERS\`, \`TRAIN\`), \`load()\`, \`main()\` |
| \`model.js\` | the same, as JavaScript: runs with \`node\`, no build step |
| \`plan.json\` | the training-step and inference plans: buffers and their sizes, dispatches, bindings, parameter table |
| \`kernels/*.wgsl\` | the WGSL of every kernel, named by dispatch order and layer |
| \`package.json\`, \`node_modules/mdl-nn\` | the dependency on the mdl runtime, \`mdl-nn\` (a link to the mdl that compiled this) |

## Train

    node model.js                        # the compiled settings
    node model.js --epochs 1 --limit 2000 --out runs/quick
    node model.js --resume               # continue from runs/${info.model}/checkpoint.safetensors

Flags: \`--epochs N\`, \`--limit N\` (first N training samples), \`--data NAME|PATH\`, \`--lr X\`,
\`--seed N\`, \`--out DIR\`, \`--resume\`, \`--log-every N\`. It trains with the trainer \`mdl train\`
uses: the same batches, losses, metrics (\`metrics.jsonl\`) and safetensors checkpoints.

## Use

\`\`\`ts
import { load, BATCH, CLASSES } from './model.js';

const model = await load({ seed: 0 });           // or { weights: 'runs/${info.model}/checkpoint.safetensors' }
const loss = await model.trainStep(x, labels, 0.05, 0); // x: Float32Array of BATCH samples, labels: Int32Array
const logits = await model.forward(x);            // Float32Array [samples, CLASSES]
await model.saveWeights('weights.safetensors');   // atomic
model.dispose();
\`\`\`

## Moving this folder

\`node_modules/mdl-nn\` links to the mdl that compiled it. Copied elsewhere (without
\`node_modules\`), run \`npm install\` here, which installs the \`mdl-nn\` version \`package.json\`
names (or \`npm install PATH/mdl-nn-VERSION.tgz\` from a packed tarball), so that
\`mdl-nn/runtime\` resolves.
`;
}
