// `--arg NAME=VALUE`: a model's compile-time arguments from the command line, on every command
// that elaborates a model.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../compiler/cli/args.js';
import { parseModelArg } from '../../compiler/cli/model-args.js';
import { compileTraining } from '../../compiler/compile.js';
import { BOOL, FLOAT, INT, LIST, NONE, STR, TUPLE } from '../../compiler/elaborate/values.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import { mdl } from '../helpers/cli.js';

function tempFile(name: string, text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'mdl-args-')), name);
  writeFileSync(p, text);
  return p;
}

describe('--arg values', () => {
  it('are written as in a .mdl file, and a bare word is a string', () => {
    expect(parseModelArg('n=9')).toEqual(['n', INT(9)]);
    expect(parseModelArg('n=-1_000')).toEqual(['n', INT(-1000)]);
    expect(parseModelArg('p=0.5')).toEqual(['p', FLOAT(0.5)]);
    expect(parseModelArg('p=1e-3')).toEqual(['p', FLOAT(1e-3)]);
    expect(parseModelArg('b=true')).toEqual(['b', BOOL(true)]);
    expect(parseModelArg('z=none')).toEqual(['z', NONE]);
    expect(parseModelArg('act=gelu')).toEqual(['act', STR('gelu')]);
    expect(parseModelArg('act="a b, c"')).toEqual(['act', STR('a b, c')]);
    expect(parseModelArg('w=[16, 32,64]')).toEqual(['w', LIST([INT(16), INT(32), INT(64)])]);
    expect(parseModelArg('s=[(16, 1), (32, 2)]')).toEqual([
      's',
      LIST([TUPLE([INT(16), INT(1)]), TUPLE([INT(32), INT(2)])]),
    ]);
    expect(parseModelArg('t=(3,)')).toEqual(['t', TUPLE([INT(3)])]);
    expect(parseModelArg('t=(3)')).toEqual(['t', INT(3)]);
    expect(parseModelArg('e=[]')).toEqual(['e', LIST([])]);
  });

  it('a malformed one is a usage error', () => {
    for (const bad of ['n', '=3', '9n=1', 'w=[1,', 'w=[1 2]', 's="open', 'w=[1,,2]', 'w=(1))'])
      expect(() => parseModelArg(bad), bad).toThrow(UsageError);
  });
});

describe('mdl … --arg', () => {
  it('summary: ResNet-20 with nine blocks per stage is ResNet-56', () => {
    const r = mdl('summary', 'examples/resnet20.mdl', '--arg', 'blocks_per_stage=9', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.params.total).toBe(853_018);
    expect(s.macs).toBe(125_485_696);
    expect(s.layers.some((l: { name: string }) => l.name.startsWith('layer3.8.'))).toBe(true);
  });

  it('several arguments, and the NAME=VALUE spelling of the flag', () => {
    const r = mdl('summary', 'examples/resnet20.mdl', '--arg=blocks_per_stage=1', '--arg', 'num_classes=100', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.layers.at(-1).output_shape).toEqual([1, 100]);
    expect(s.layers.some((l: { name: string }) => l.name.startsWith('layer1.1.'))).toBe(false);
  });

  it('an unknown name is MDL3001 with the closest parameter as a hint', () => {
    const r = mdl('summary', 'examples/resnet20.mdl', '--arg', 'block_per_stage=9');
    expect(r.code).toBe(1);
    expect(r.err).toContain('error MDL3001: model `resnet20` has no argument `block_per_stage`');
    expect(r.err).toContain('hint: did you mean `blocks_per_stage`?');
    const input = mdl('graph', 'examples/resnet20.mdl', '--arg', 'x=3');
    expect(input.code).toBe(1);
    expect(input.err).toContain('`x` is a tensor input of model `resnet20`');
    expect(input.err).toContain('its arguments: num_classes, blocks_per_stage');
  });

  it('a value of the wrong type is reported at the parameter; a malformed one is bad usage', () => {
    const r = mdl('summary', 'examples/resnet20.mdl', '--arg', 'blocks_per_stage=nine');
    expect(r.code).toBe(1);
    expect(r.err).toContain('MDL3004');
    expect(r.err).toContain('examples/resnet20.mdl:5:');
    const twice = mdl('summary', 'examples/resnet20.mdl', '--arg', 'num_classes=3', '--arg', 'num_classes=4');
    expect(twice.code).toBe(2);
    expect(twice.err).toContain('--arg num_classes is given twice');
    const bad = mdl('check', 'examples/resnet20.mdl', '--arg', 'widths=[1,');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('MDL7001');
  });

  it('check, graph and kernels take it too', () => {
    const f = tempFile(
      'w.mdl',
      'model w(x: Tensor[B, 8], widths: list = [4], act: string = "relu") {\n' +
        '  for i, c in enumerate(widths) {\n    x = activation(linear(x, c) as "fc{i}", act)\n  }\n  return x\n}\n' +
        'block activation(x: Tensor, act: string) {\n  assert act == "relu", "only relu here, got {act}"\n  return relu(x)\n}\n',
    );
    expect(mdl('check', f, '--arg', 'act=gelu').err).toContain('only relu here, got gelu');
    expect(mdl('check', f, '--arg', 'act=relu').code).toBe(0);
    expect(mdl('check', f, '--arg', 'depth=2').err).toContain('has no argument `depth`');
    const dot = mdl('graph', f, '--arg', 'widths=[4, 5, 6]');
    expect(dot.code).toBe(0);
    expect(dot.out).toContain('fc2');
    const k = mdl('kernels', f, '--arg', 'widths=[3,3]', '--json', '--target', 'software');
    expect(k.code).toBe(0);
    expect(k.out).toContain('fc1');
  });

  it("train and compile: the arguments override the train section's own", () => {
    const src = {
      path: 'm.mdl',
      text:
        'model m(x: Tensor[B, 1, 28, 28], width: int = 16) {\n  return linear(flatten(x), width)\n}\n' +
        'train t {\n  model = m(width=8)\n}\n',
    };
    const plain = compileTraining(src, nodeHost);
    expect(plain.graph!.params[0]!.shape).toEqual([8, 784]);
    const given = compileTraining(src, nodeHost, { args: new Map([['width', INT(10)]]) });
    expect(given.graph!.params[0]!.shape).toEqual([10, 784]);
    const unknown = compileTraining(src, nodeHost, { args: new Map([['widt', INT(10)]]) });
    expect(unknown.graph).toBeUndefined();
    expect(unknown.diagnostics[0]).toMatchObject({ code: 'MDL3001', hint: 'did you mean `width`?' });
  });
});
