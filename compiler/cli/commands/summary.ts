import { formatBlocks, formatSummary, formatTopology, formatTrainCost } from '../../analysis/format.js';
import { foldLayers } from '../../analysis/blocks.js';
import { topologyScores } from '../../analysis/topology-scores.js';
import { trainCost } from '../../analysis/train-cost.js';
import type { LossSpec } from '../../autodiff/grad.js';
import type { OptimizerSpec } from '../../autodiff/optimizer.js';
import { UsageError } from '../args.js';
import { COLUMN_NAMES, isColumnName, type LayerColumnName } from '../../analysis/columns.js';
import { bindDims, inexactCount, summarize } from '../../analysis/summary.js';
import { compileModel, compileTraining, type CompileResult } from '../../compile.js';
import { nodeHost } from '../../modules/node-host.js';
import { rewrittenTrainStep } from '../../rewrites/index.js';
import { compareRewrites, formatComparison } from '../../rewrites/report.js';
import { readSource, report, type Command } from '../command.js';
import { modelArgs } from '../model-args.js';
import { SPECS } from './specs.js';

/** Reports the first count past 2^53 − 1 (it would print rounded); true when all are exact. */
function countsExact(r: CompileResult, counts: object): boolean {
  const bad = inexactCount(r.graph!, counts);
  return bad === undefined || report({ diagnostics: [bad], sources: r.sources });
}

export const summary: Command = {
  spec: SPECS.summary,
  async run(args) {
    const model = args.flags.get('model') as string | undefined;
    const section = args.flags.get('section') as string | undefined;
    const train = args.flags.get('train') === true;
    const columns = layerColumns(args.flags.get('columns') as string | undefined);
    const otherTable = args.flags.has('depth')
      ? '--depth'
      : train
        ? '--train'
        : args.flags.has('anytime')
          ? '--anytime'
          : '';
    if (columns && otherTable)
      throw new UsageError(
        '--columns chooses the columns of the per-layer model table',
        `leave ${otherTable} out: its table has its own columns`,
        'MDL7005',
      );
    if (section !== undefined && !train)
      throw new UsageError('--section chooses a train section for --train', 'add --train', 'MDL7005');
    // With --train, a file's train section (its model arguments, loss, optimizer, freeze and
    // backward rules) describes the step, unless --model asks for another model.
    const src = readSource(args.positional[0]!);
    const given = modelArgs(args);
    const opts = { ...(model ? { model } : {}), ...(given ? { args: given } : {}) };
    const t = train ? compileTraining(src, nodeHost, { ...opts, ...(section ? { train: section } : {}) }) : undefined;
    const r = t ?? compileModel(src, nodeHost, opts);
    if (!report(r) || !r.graph) return 1;
    const bind = bindDims(
      r.graph,
      args.flags.get('batch') as number | undefined,
      (args.flags.get('dim') as Record<string, number>) ?? {},
    );
    const s = summarize(r.graph, bind);
    if (!countsExact(r, s)) return 1;
    const json = args.flags.get('json') === true;
    const depth = args.flags.get('depth') as number | undefined;
    if (args.flags.get('anytime') === true) {
      if (t || depth !== undefined)
        throw new UsageError(
          '--anytime reports the sub-networks of a model',
          'leave out --train and --depth',
          'MDL7005',
        );
      const { anytimeSummary } = await import('../../anytime/command.js');
      const out = anytimeSummary(r.graph, bind, json);
      if (typeof out !== 'string') return report({ diagnostics: [out], sources: r.sources }) ? 0 : 1;
      process.stdout.write(out + '\n');
      return 0;
    }
    if (!t) {
      // The model's own figures: its layers (or blocks, with --depth) and its topology scores.
      const topology = topologyScores(r.graph);
      const blocks = depth !== undefined ? foldLayers(s.layers, depth) : undefined;
      process.stdout.write(
        json
          ? JSON.stringify({ ...s, ...(blocks ? { depth, blocks } : {}), topology }, null, 2) + '\n'
          : (blocks ? formatBlocks(s, blocks, depth!) : formatSummary(s, columns)) +
              '\n' +
              formatTopology(topology) +
              '\n',
      );
      return 0;
    }
    if (depth !== undefined)
      throw new UsageError(
        '--depth folds the model table; with --train the table is per layer',
        'leave --depth out',
        'MDL7005',
      );
    // The training figures come from the real gradient graphs, not from a rule of thumb.
    const lossName = args.flags.get('loss') as string | undefined;
    if (lossName !== undefined && !['cross_entropy', 'mse', 'output'].includes(lossName))
      throw new UsageError(`unknown loss "${lossName}"`, 'losses: cross_entropy, mse, output');
    const loss: LossSpec = lossName ? ({ kind: lossName } as LossSpec) : (t.spec?.loss ?? { kind: 'cross_entropy' });
    const opt = args.flags.get('optimizer') as string | undefined;
    const named: Record<string, OptimizerSpec> = {
      sgd: { kind: 'sgd' },
      momentum: { kind: 'sgd', momentum: 0.9 },
      adam: { kind: 'adam' },
    };
    if (opt !== undefined && !named[opt])
      throw new UsageError(`unknown optimizer "${opt}"`, 'optimizers: sgd, momentum, adam');
    const optimizer = opt ? named[opt]! : (t.spec?.optimizer ?? named['momentum']!);
    const exact = trainCost(rewrittenTrainStep(r.graph, new Map(), { loss, optimizer, frozen: t.frozen }).step, bind);
    if (!countsExact(r, exact)) return 1;
    if (t.rewrites.size === 0) {
      process.stdout.write(
        json
          ? JSON.stringify({ ...s, train: exact }, null, 2) + '\n'
          : formatSummary(s) + '\n\n' + formatTrainCost(exact) + '\n',
      );
      return 0;
    }
    const rewritten = trainCost(
      rewrittenTrainStep(r.graph, t.rewrites, { loss, optimizer, frozen: t.frozen }).step,
      bind,
    );
    if (!countsExact(r, rewritten)) return 1;
    const cmp = compareRewrites(exact, rewritten, t.rewrites);
    process.stdout.write(
      json
        ? JSON.stringify({ ...s, train: exact, rewritten: { train: rewritten, comparison: cmp } }, null, 2) + '\n'
        : [formatSummary(s), formatTrainCost(rewritten), formatComparison(cmp)].join('\n\n') + '\n',
    );
    return 0;
  },
};

/** `--columns op,output,params`: the names checked against the column registry. */
function layerColumns(flag: string | undefined): LayerColumnName[] | undefined {
  if (flag === undefined) return undefined;
  const names = flag
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  const bad = names.find((c) => !isColumnName(c));
  if (bad !== undefined || names.length === 0)
    throw new UsageError(
      bad !== undefined ? `unknown column "${bad}"` : '--columns needs at least one column',
      `columns: ${COLUMN_NAMES.join(', ')}`,
      'MDL7005',
    );
  return names as LayerColumnName[];
}
