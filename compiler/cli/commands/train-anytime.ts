// `mdl train FILE --anytime uniform|sandwich|tips`: the anytime driver (compiler/drivers/anytime/)
// trains the shared weights of every sub-network, then prints each sub-network's accuracy and
// MACs; DIR/anytime.jsonl holds the logged steps and one row per sub-network, DIR/anytime.svg
// the accuracy–MACs curve.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnytimeFamily } from '../../anytime/analysis.js';
import { curveSvg } from '../../anytime/plot.js';
import { groupDigits, siUnit, textTable } from '../../analysis/format.js';
import type { OptimizerSpec } from '../../autodiff/optimizer.js';
import type { Graph } from '../../ir/types.js';
import type { Split } from '../../../runtime/data/dataset.js';
import type { SamplerName } from '../../drivers/anytime/sampler.js';
import { CliError } from '../errors.js';
import { cannotWrite, isFsError } from '../files.js';

export interface AnytimeArgs {
  readonly graph: Graph;
  readonly family: AnytimeFamily;
  readonly sampler: SamplerName;
  readonly data: Split;
  readonly optimizer: OptimizerSpec;
  readonly lr: number;
  readonly batch: number;
  readonly steps: number;
  readonly seed: number;
  readonly out: string;
  readonly logEvery: number;
}

export async function trainAnytimeCommand(a: AnytimeArgs): Promise<number> {
  const { trainAnytime } = await import('../../drivers/anytime/run.js');
  const { NoAdapterError } = await import('../../../runtime/device.js');
  const { stopOnSigint } = await import('../../../runtime/train/interrupt.js');
  const rows: string[] = [];
  const interrupt = stopOnSigint();
  process.stderr.write(
    `anytime training of ${a.graph.name} (${a.family.subnets.length} sub-networks) with the ${a.sampler} sampler: ${a.steps} steps of ${a.batch} on ${a.data.source}\n`,
  );
  let r;
  try {
    r = await trainAnytime({
      graph: a.graph,
      family: a.family,
      sampler: a.sampler,
      data: a.data,
      optimizer: a.optimizer,
      lr: a.lr,
      batch: a.batch,
      steps: a.steps,
      seed: a.seed,
      logEvery: a.logEvery,
      signal: interrupt.signal,
      log: (row) => {
        rows.push(JSON.stringify(row));
        if (row['kind'] === 'step')
          process.stderr.write(`step ${String(row['step'])}: loss ${Number(row['loss']).toFixed(4)}\n`);
      },
    });
  } catch (e) {
    if (e instanceof NoAdapterError) throw new CliError('MDL7008', e.message);
    throw e;
  } finally {
    interrupt.dispose();
  }
  try {
    mkdirSync(a.out, { recursive: true });
    writeFileSync(join(a.out, 'anytime.jsonl'), rows.map((l) => l + '\n').join(''));
    writeFileSync(
      join(a.out, 'anytime.svg'),
      curveSvg([{ label: a.sampler, points: r.subnets }], `${a.graph.name}: accuracy of each sub-network`),
    );
  } catch (e) {
    if (isFsError(e)) throw cannotWrite(e.path ?? a.out, e);
    throw e;
  }
  const t = textTable(
    ['sub-network', 'params', 'MACs', 'accuracy'],
    r.subnets.map((s) => [s.name, groupDigits(s.params), siUnit(s.macs), `${(100 * s.accuracy).toFixed(2)} %`]),
    1,
  );
  process.stdout.write(
    [
      ...t.header,
      ...t.rows,
      t.rule,
      `area under the accuracy–MACs curve ${(100 * r.auc).toFixed(2)} % (${r.steps} steps, ${r.seconds.toFixed(0)} s); ${join(a.out, 'anytime.jsonl')}, ${join(a.out, 'anytime.svg')}`,
    ].join('\n') + '\n',
  );
  return r.interrupted ? 130 : 0;
}
