// `mdl compile` as a user meets it: the folder it writes, the generated module type-checks,
// `node DIR/model.js` trains with exactly `mdl train`'s losses, the module imports without
// training, and bad input is a diagnostic with no stack trace.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../runtime/checkpoint/safetensors.js';
import { CompiledModel, ModelLoadError } from '../../runtime/model.js';

const CLI = resolve('dist/compiler/cli/main.js');
const tmp = (p = 'mdl-compile-') => mkdtempSync(join(tmpdir(), p));
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

interface Ran {
  code: number;
  out: string;
  err: string;
}
const node = (args: string[]): Ran => {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
};
const mdl = (...args: string[]) => node([CLI, ...args]);
/** The same, without blocking: two trainings run side by side. */
const nodeAsync = (args: string[]) =>
  new Promise<Ran>((done) => {
    const p = spawn(process.execPath, args);
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => done({ code: code ?? -1, out, err }));
  });

const steps = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => l.kind === 'step' || l.kind === 'epoch')
    .map(({ samples_per_s: _, ...rest }) => rest);

let dir: string;
beforeAll(() => {
  dir = join(tmp(), 'mlp');
  const r = mdl('compile', 'examples/mlp.mdl', '-o', dir, '--batch', '32');
  expect(r.err.replace(/^Warning: .*\n/gm, '')).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/compiled mlp_classifier \(batch 32\): a training step of \d+ kernels, inference \d+/);
}, 60_000);

describe('mdl compile', () => {
  it('writes the module, its JavaScript, the plan, the kernels and a README', () => {
    for (const f of ['model.ts', 'model.js', 'plan.json', 'README.md', 'package.json'])
      expect(existsSync(join(dir, f)), f).toBe(true);
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
    expect(plan.format).toBe('mdl-compiled-1');
    expect(plan.info).toMatchObject({
      model: 'mlp_classifier',
      batch: 32,
      input: 'x',
      sampleShape: [1, 28, 28],
      classes: 10,
    });
    const files = [...plan.train.dispatches, ...plan.forward.dispatches].map((d: { wgsl: string }) => d.wgsl);
    expect(files.length).toBe(plan.train.dispatches.length + plan.forward.dispatches.length);
    for (const f of files) {
      expect(f).toMatch(/^kernels\/\d{3}_[\w.-]+\.wgsl$/);
      expect(readFileSync(join(dir, f), 'utf8')).toContain('@compute');
    }
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).toMatchObject({
      type: 'module',
      // by name and version, no path of this machine: a copy of the folder installs it anywhere
      dependencies: { 'mdl-nn': expect.stringMatching(/^\^\d+\.\d+\.\d+$/) },
    });
    const ts = readFileSync(join(dir, 'model.ts'), 'utf8');
    for (const name of ['MODEL', 'SOURCE', 'BATCH', 'INPUT', 'CLASSES', 'PARAMETERS', 'TRAIN'])
      expect(ts).toContain(`export const ${name} =`);
    expect(ts).toContain("'net.0.weight': { shape: [256, 784], kind: 'param' }");
    expect(ts).toContain('export function load(opts: LoadOptions = {}): Promise<CompiledModel<ParameterName>>');
    expect(ts).toContain("from 'mdl-nn/runtime'");
    // no path of the compiling machine in the code
    expect(ts + readFileSync(join(dir, 'model.js'), 'utf8')).not.toContain(resolve('.'));
  });

  it('the generated TypeScript type-checks against the runtime (and a wrong use of it does not)', async () => {
    // The compiler's own host (ts-morph's does not tell ES modules from CommonJS by package.json).
    const ts = (await import('typescript')).default;
    const options = {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [resolve('node_modules/@types')],
    };
    const check = (file: string) =>
      ts
        .getPreEmitDiagnostics(ts.createProgram([file], options))
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(check(join(dir, 'model.ts'))).toEqual([]);
    writeFileSync(
      join(dir, 'use.ts'),
      [
        "import { load, type ParameterName } from './model.js';",
        'const m = await load({ seed: 1 });',
        "const w = (await m.state()).get('net.0.weight');",
        'const n: number | undefined = w?.data.length;',
        "const bad: ParameterName = 'net.9.weight';",
        'const loss: string = await m.trainStep(new Float32Array(0), new Int32Array(0), 0.1, 0);',
        'export { n, bad, loss };',
      ].join('\n'),
    );
    const errs = check(join(dir, 'use.ts'));
    expect(errs).toHaveLength(2);
    expect(errs[0]).toMatch(/"net.9.weight"/);
    expect(errs[1]).toMatch(/number \| undefined.*string/);
  }, 60_000);

  it('node DIR/model.js trains with exactly the losses of mdl train (same seed, limit, batch)', async () => {
    const a = join(tmp(), 'run');
    const b = join(tmp(), 'run');
    const [ra, rb] = await Promise.all([
      nodeAsync([join(dir, 'model.js'), '--epochs', '1', '--limit', '128', '--log-every', '1', '--out', a]),
      nodeAsync([
        CLI,
        'train',
        'examples/mlp.mdl',
        '--epochs',
        '1',
        '--limit',
        '128',
        '--batch',
        '32',
        '--log-every',
        '1',
        '--out',
        b,
      ]),
    ]);
    expect(ra.code, ra.err).toBe(0);
    expect(rb.code, rb.err).toBe(0);
    expect(ra.out).toMatch(/done: 4 steps, test accuracy/);
    const sa = steps(a);
    expect(sa.filter((s) => s.kind === 'step').map((s) => s.step)).toEqual([1, 2, 3, 4]);
    expect(sa).toEqual(steps(b));
    // the same trained weights, and a checkpoint either program can resume
    const ca = readCheckpoint(join(a, 'checkpoint.safetensors'));
    const cb = readCheckpoint(join(b, 'checkpoint.safetensors'));
    expect(ca.metadata).toEqual(cb.metadata);
    for (const [k, t] of cb.tensors) expect(Array.from(ca.tensors.get(k)!.data), k).toEqual(Array.from(t.data));
    const resumed = node([join(dir, 'model.js'), '--epochs', '2', '--limit', '128', '--out', b, '--resume']);
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.out).toMatch(/done: 8 steps/);
  }, 120_000);

  it('imported, the module trains nothing: load() gives the typed API', () => {
    const script = [
      `import { load, BATCH, CLASSES, MODEL } from ${JSON.stringify(new URL(`file://${join(dir, 'model.js')}`).href)};`,
      'const m = await load({ seed: 3 });',
      'const logits = await m.forward(new Float32Array(5 * 784));',
      'const loss = await m.trainStep(new Float32Array(BATCH * 784), new Int32Array(BATCH), 0.05, 0);',
      'console.log(JSON.stringify({ model: MODEL, n: logits.length, classes: CLASSES, loss }));',
      'm.dispose();',
    ].join('\n');
    const r = node(['--input-type=module', '-e', script]);
    expect(r.code, r.err).toBe(0);
    const o = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(o).toMatchObject({ model: 'mlp_classifier', n: 50, classes: 10 });
    expect(o.loss).toBeGreaterThan(1.5);
    expect(r.err).not.toMatch(/training/);
  }, 60_000);

  it("the executable's bad flags are usage errors without stack traces", () => {
    for (const args of [['--epochs', 'many'], ['--bogus'], ['--lr', '-1']]) {
      const r = node([join(dir, 'model.js'), ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/^error: /m);
      noStack(r.err);
    }
    const h = node([join(dir, 'model.js'), '--help']);
    expect(h.code).toBe(0);
    expect(h.out).toContain('--epochs N');
    const d = node([join(dir, 'model.js'), '--data', 'no/such/folder']);
    expect(d.code).toBe(1);
    expect(d.err).toContain('no/such/folder: no such file or folder');
  });
});

describe('mdl compile with a train section', () => {
  it("compiles the section's settings and backward rules in, as mdl train trains them", () => {
    const src = join(tmp(), 'small.mdl');
    writeFileSync(
      src,
      'import "std/mlp"\n\nmodel small(x: Tensor[B, 1, 28, 28]) {\n  return mlp(flatten(x), [64], 10) as "net"\n}\n\n' +
        'train t {\n  model = small()\n  optimizer = sgd(lr=0.02, momentum=0.9)\n  batch = 16\n  epochs = 2\n  backward "net.2" = lora(rank=4)\n}\n',
    );
    const out = join(tmp(), 'small');
    const r = mdl('compile', src, '-o', out, '--target', 'software');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('compiled small (batch 16)');
    const ts = readFileSync(join(out, 'model.ts'), 'utf8');
    expect(ts).toContain("'net.2.lora_A': { shape: [4, 64], kind: 'param' }");
    expect(ts).toContain('train section `t`');
    expect(ts).toMatch(/epochs: 2,\s+batch: 16,\s+lr: 0.02,/);
  }, 30_000);
});

describe('CompiledModel.load', () => {
  it('a folder that is not a compiled model, or a plan naming files outside it, is a load error', async () => {
    const empty = tmp();
    await expect(CompiledModel.load(empty)).rejects.toThrow(ModelLoadError);
    await expect(CompiledModel.load(empty)).rejects.toThrow(
      /plan.json: cannot read it; is .* a folder written by `mdl compile`\?/,
    );
    const bad = tmp();
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
    plan.train.dispatches[0].wgsl = '../../secret.wgsl';
    writeFileSync(join(bad, 'plan.json'), JSON.stringify(plan));
    await expect(CompiledModel.load(bad)).rejects.toThrow(/kernel file \.\.\/\.\.\/secret.wgsl is outside/);
    writeFileSync(join(bad, 'plan.json'), JSON.stringify({ ...plan, format: 'something-else' }));
    await expect(CompiledModel.load(bad)).rejects.toThrow(/plan.format: expected "mdl-compiled-1"/);
  });
});

describe('mdl compile errors', () => {
  it('never writes into a folder it did not write; recompiles into its own', () => {
    const foreign = tmp();
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    const r = mdl('compile', 'examples/mlp.mdl', '-o', foreign, '--target', 'software');
    expect(r.code).toBe(1);
    expect(r.err).toContain('error MDL5004:');
    expect(r.err).toContain('not empty and was not written by `mdl compile`');
    noStack(r.err);
    expect(existsSync(join(foreign, 'plan.json'))).toBe(false);
    expect(readFileSync(join(foreign, 'notes.txt'), 'utf8')).toBe('mine');

    const file = join(foreign, 'notes.txt');
    expect(mdl('compile', 'examples/mlp.mdl', '-o', file, '--target', 'software').err).toMatch(/MDL5004: .* is a file/);

    // an earlier output is ours: compiled again, its runs kept
    const own = join(tmp(), 'out');
    expect(mdl('compile', 'examples/mlp.mdl', '--out', own, '--target', 'software').code).toBe(0);
    mkdirSync(join(own, 'runs'));
    writeFileSync(join(own, 'runs', 'keep'), '1');
    const again = mdl('compile', 'examples/lenet5.mdl', '-o', own, '--target', 'software');
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(readFileSync(join(own, 'plan.json'), 'utf8')).info.model).toBe('lenet5');
    expect(existsSync(join(own, 'runs', 'keep'))).toBe(true);
    expect(readFileSync(join(own, 'model.ts'), 'utf8')).toContain('train section `digits`');
  }, 60_000);

  it('bad input: a diagnostic, a non-zero exit, no stack trace', () => {
    const out = join(tmp(), 'x');
    const cases: [string[], number, RegExp][] = [
      [['examples/lenet5.mdl', '--train', 'digitz'], 1, /MDL2005.*no train section `digitz`/s],
      [['examples/nope.mdl'], 1, /MDL5003: cannot read examples\/nope.mdl/],
      [['examples/mlp.mdl', '--target', 'tpu'], 2, /MDL7001: unknown target "tpu"/],
      [['examples/mlp.mdl', '--batch', '0'], 2, /MDL7001: --batch must be a positive integer/],
      [['examples/mlp.mdl', '-x'], 2, /takes at most 1 argument/],
    ];
    for (const [args, code, msg] of cases) {
      const r = mdl('compile', ...args, '-o', out);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.err).toMatch(msg);
      noStack(r.err);
    }
    const dir2 = tmp();
    const two = join(dir2, 'two.mdl');
    writeFileSync(two, 'model two(x: Tensor[B, 1, 28, 28]) { return relu(x) }\n');
    const r = mdl('compile', two, '-o', out, '--target', 'software');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/two must return logits \[B, classes\], it returns \[B, 1, 28, 28\]/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
