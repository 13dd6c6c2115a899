// `mdl compile`: a classifier and its train section → a folder holding a standalone training
// executable: a typed TypeScript module (and its JavaScript) exporting the model's constants,
// `load()` and `main()`, the plans as JSON and every kernel's WGSL. `node DIR/model.js` trains
// exactly as `mdl train FILE` does, through the same runtime API (runtime/model.ts).
import { checkOutputDir, OutputError } from '../../emit/write.js';
import { formatShape } from '../../ir/shape.js';
import { KernelError } from '../../kernels/lowering.js';
import { GPU_TARGET, SOFTWARE_TARGET, targetOf, type Target } from '../../kernels/target.js';
import { UsageError } from '../args.js';
import { compileTrainingArgs, report, type Command } from '../command.js';
import { CliError } from '../errors.js';
import { cannotWrite, isFsError } from '../files.js';
import { SPECS } from './specs.js';

export const compile: Command = {
  spec: SPECS.compile,
  async run(args) {
    const f = <T>(k: string) => args.flags.get(k) as T | undefined;
    const which = f<string>('target') ?? 'auto';
    if (!['auto', 'software', 'gpu'].includes(which))
      throw new UsageError(`unknown target "${which}"`, 'targets: auto (the adapter found here), software, gpu');
    const file = args.positional[0]!;
    const r = compileTrainingArgs(args);
    if (!report(r) || !r.graph) return 1;
    const g = r.graph;

    // What `mdl train` feeds: one image input [B, C, H, W] and logits [B, classes].
    const inShape = g.values[g.inputs[0]!]?.type.shape ?? [];
    if (g.inputs.length !== 1 || inShape.length !== 4)
      throw new CliError(
        'MDL7006',
        `${g.name} takes ${g.inputs.length === 1 ? `input ${formatShape(inShape)}` : `${g.inputs.length} inputs`}; mdl compile builds trainers for one image input [B, C, H, W]`,
      );
    const outShape = g.outputs.length === 1 ? g.values[g.outputs[0]!.value]!.type.shape : [];
    if (outShape.length !== 2 || typeof outShape[1] !== 'number')
      throw new CliError(
        'MDL7006',
        `${g.name} must return logits [B, classes], it returns ${g.outputs.length === 1 ? formatShape(outShape) : `${g.outputs.length} outputs`}`,
      );
    if (r.spec && r.spec.loss.kind !== 'cross_entropy')
      throw new CliError(
        'MDL7006',
        `mdl compile builds classifiers trained with cross_entropy; ${r.spec.name} asks for ${r.spec.loss.kind}`,
      );

    const dir = f<string>('out') ?? `build/${g.name}`;
    const outputError = (e: unknown): unknown =>
      e instanceof OutputError
        ? new CliError('MDL5004', e.message, e.hint)
        : isFsError(e)
          ? cannotWrite(e.path ?? dir, e)
          : e;
    // Before any work: a folder that is not ours is never written into.
    try {
      checkOutputDir(dir);
    } catch (e) {
      throw outputError(e);
    }

    let target: Target = which === 'gpu' ? GPU_TARGET : SOFTWARE_TARGET;
    if (which === 'auto') {
      const { acquireDevice, NoAdapterError } = await import('../../../runtime/device.js');
      try {
        const a = await acquireDevice();
        target = targetOf(a.report);
        a.device.destroy();
      } catch (e) {
        if (e instanceof NoAdapterError)
          throw new CliError(
            'MDL7008',
            e.message,
            "or compile for WebGPU's default limits with --target software (or gpu)",
          );
        throw e;
      }
    }
    const { emitExecutable } = await import('../../emit/emit.js');
    let res;
    try {
      res = await emitExecutable({
        graph: g,
        spec: r.spec,
        frozen: r.frozen,
        rewrites: r.rewrites,
        sources: r.sources,
        sourcePath: file,
        ...(f<number>('batch') ? { batch: f<number>('batch')! } : {}),
        target,
        dir,
      });
    } catch (e) {
      if (e instanceof KernelError) throw new CliError('MDL7009', e.message);
      throw outputError(e);
    }
    process.stdout.write(
      `compiled ${g.name} (batch ${res.batch}): a training step of ${res.trainKernels} kernels, inference ${res.forwardKernels} (${res.kernelFiles} WGSL files) → ${dir}\n` +
        `train it: node ${dir}/model.js   (--help for its flags)\n`,
    );
    return 0;
  },
};
