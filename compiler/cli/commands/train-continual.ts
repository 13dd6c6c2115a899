// `mdl train` on a section with `continual = …`: the continual driver (compiler/drivers/continual/)
// on a stream built from the data, its events and evaluations printed as they come, the stream
// metrics (A_auc, A_last, F_last) at the end. Every user error is a coded one.
import type { OptimizerSpec } from '../../autodiff/optimizer.js';
import type { Graph } from '../../ir/types.js';
import type { RewritePlan } from '../../rewrites/index.js';
import type { ContinualSpec } from '../../train/continual.js';
import type { Split } from '../../../runtime/data/dataset.js';
import type { NamedTensor } from '../../../runtime/checkpoint/safetensors.js';
import { CliError } from '../errors.js';
import { cannotWrite, isFsError } from '../files.js';

export interface ContinualArgs {
  readonly file: string;
  readonly graph: Graph;
  readonly plan: RewritePlan;
  readonly frozen: readonly string[];
  readonly spec: ContinualSpec;
  readonly optimizer: OptimizerSpec;
  readonly lr: number;
  readonly batch: number;
  readonly seed: number;
  readonly data: Split;
  readonly out: string;
  readonly init: string | undefined;
  readonly sourceHash: string;
}

export async function trainContinual(a: ContinualArgs): Promise<number> {
  const { readCheckpoint, CheckpointError } = await import('../../../runtime/checkpoint/safetensors.js');
  const { runContinual, ContinualError } = await import('../../drivers/continual/run.js');
  const { StreamError } = await import('../../../runtime/data/stream.js');
  const { NoAdapterError } = await import('../../../runtime/device.js');
  const { stopOnSigint } = await import('../../../runtime/train/interrupt.js');
  let init: Map<string, NamedTensor> | undefined;
  if (a.init !== undefined) {
    try {
      const c = readCheckpoint(a.init);
      // Only the model's own tensors (no optimizer state) with the model's shapes.
      const own = new Map(a.graph.params.map((p) => [p.name, p.shape]));
      init = new Map();
      for (const [k, t] of c.tensors) {
        const shape = own.get(k);
        if (!shape) continue;
        if (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i]))
          throw new CliError(
            'MDL5010',
            `${a.init}: \`${k}\` has shape [${t.shape.join(', ')}], the model's is [${shape.join(', ')}]`,
          );
        init.set(k, t);
      }
      if (init.size === 0) throw new CliError('MDL5010', `${a.init} holds none of ${a.graph.name}'s parameters`);
    } catch (e) {
      if (e instanceof CheckpointError) throw new CliError(e.kind === 'damaged' ? 'MDL5009' : 'MDL5010', e.message);
      throw e;
    }
  }
  const interrupt = stopOnSigint();
  const line = (s: string) => process.stderr.write(s + '\n');
  const m = a.spec.method;
  line(
    `continual training of ${a.graph.name} (${m.kind}) on a ${a.spec.stream.kind} stream of ${a.data.source}, ${a.spec.stream.tasks} tasks${init ? `, from ${a.init} (${init.size} tensors)` : ''}`,
  );
  try {
    const r = await runContinual({
      graph: a.graph,
      plan: a.plan,
      frozen: a.frozen,
      optimizer: a.optimizer,
      lr: a.lr,
      batch: a.batch,
      seed: a.seed,
      spec: a.spec,
      method: a.spec.method,
      data: a.data,
      outDir: a.out,
      source: { path: a.file, hash: a.sourceHash },
      ...(init ? { init } : {}),
      signal: interrupt.signal,
      progress: { line },
    });
    const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
    line(
      `${r.steps} steps, ${r.plateaus.length} plateaus, ${r.trainable} trained parameters, ${r.seconds.toFixed(1)} s: A_auc ${pct(r.metrics.aAuc)}, A_last ${pct(r.metrics.aLast)}, F_last ${pct(r.metrics.fLast)}`,
    );
    line(`metrics: ${a.out}/metrics.jsonl, plot: ${a.out}/accuracy.svg, checkpoint: ${a.out}/checkpoint.safetensors`);
    return r.interrupted ? 130 : 0;
  } catch (e) {
    if (e instanceof StreamError || e instanceof ContinualError) throw new CliError('MDL7012', e.message);
    if (e instanceof NoAdapterError) throw new CliError('MDL7008', e.message);
    if (isFsError(e)) throw cannotWrite(e.path ?? a.out, e);
    throw e;
  } finally {
    interrupt.dispose();
  }
}
