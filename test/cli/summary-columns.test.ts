// `mdl summary --columns` picks the per-layer table's columns as torchinfo's col_names does: every
// column of the registry on ResNet-18 (golden, with the shapes of each layer's inputs and
// parameters), cells that agree with the summary's JSON, and unknown or conflicting columns refused.
import { describe, expect, it } from 'vitest';
import { COLUMN_NAMES, LAYER_COLUMNS } from '../../compiler/analysis/columns.js';
import { formatSummary } from '../../compiler/analysis/format.js';
import { bindDims, summarize } from '../../compiler/analysis/summary.js';
import { compileFile } from '../helpers/compile.js';
import { expectGolden } from '../helpers/golden.js';
import { mdl } from '../helpers/cli.js';

function summaryOf(file: string) {
  const g = compileFile(file).graph!;
  return summarize(g, bindDims(g, 1, {}));
}

describe('summary --columns', () => {
  it('every column of ResNet-18 (golden)', () => {
    expectGolden(
      'test/golden/summary/resnet18.columns.txt',
      formatSummary(summaryOf('examples/resnet18.mdl'), COLUMN_NAMES) + '\n',
    );
  });

  it('the cells are the layer figures: input shapes, parameter shapes, trainable and share', () => {
    const s = summaryOf('examples/lenet5.mdl');
    const conv2 = s.layers.find((l) => l.name === 'conv2')!;
    expect(LAYER_COLUMNS.input.cell(conv2)).toBe('[1, 6, 14, 14]');
    expect(LAYER_COLUMNS.param_shapes.cell(conv2)).toBe('weight [16, 6, 5, 5], bias [16]');
    expect(LAYER_COLUMNS.trainable.cell(conv2)).toBe('2,416');
    expect(LAYER_COLUMNS.percent.cell(conv2)).toBe(((100 * 2416) / s.params.total).toFixed(2));
    const shares = s.layers.reduce((a, l) => a + l.params_percent, 0);
    expect(shares).toBeCloseTo(100, 9);
    // The sum of a two-input layer lists both inputs.
    const add = summaryOf('examples/resnet18.mdl').layers.find((l) => l.op === 'add')!;
    expect(LAYER_COLUMNS.input.cell(add).split('; ')).toHaveLength(2);
  });

  it('the CLI prints the chosen columns in the order given', () => {
    const r = mdl('summary', 'examples/lenet5.mdl', '--columns', 'params,input');
    expect(r.code).toBe(0);
    const header = r.out.split('\n').find((l) => l.startsWith('layer'))!;
    expect(header.split(/\s{2,}/)).toEqual(['layer', 'params', 'input shape']);
  });

  it('an unknown column, an empty list, and --columns with --depth, --train or --anytime are usage errors', () => {
    for (const args of [
      ['--columns', 'weights'],
      ['--columns', ','],
      ['--columns', 'op', '--depth', '1'],
      ['--columns', 'op', '--train'],
      ['--columns', 'op', '--anytime'],
    ]) {
      const r = mdl('summary', 'examples/lenet5.mdl', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/MDL7005/);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });
});
