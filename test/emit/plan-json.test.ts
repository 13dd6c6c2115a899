// Plans as JSON: a plan loaded from its JSON form (and WGSL files) runs exactly like the planned
// one, bit for bit; serialising the loaded plan gives the same JSON; a damaged plan is an error
// naming the field. And the typed runtime API over a loaded plan: training steps, weights saved
// (atomically) and loaded back.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTrainStep } from '../../compiler/autodiff/optimizer.js';
import { loadBundle, serializeBundle } from '../../runtime/plan/bundle.js';
import { KernelFiles, loadPlan, PlanFormatError, serializePlan } from '../../runtime/plan/plan-json.js';
import { planModel } from '../../compiler/emit/plan-model.js';
import { targetOf } from '../../compiler/kernels/target.js';
import { acquireDevice, type Acquired } from '../../runtime/device.js';
import { Executor, type ExecutablePlan, type HostArray } from '../../runtime/executor.js';
import { CompiledModel } from '../../runtime/model.js';
import { CheckpointError, writeCheckpoint, type NamedTensor } from '../../runtime/checkpoint/safetensors.js';
import { compileFile } from '../helpers/compile.js';

let acq: Acquired | undefined;
const device = async () => (acq ??= await acquireDevice());
afterAll(() => acq?.device.destroy());

async function mlp(batch = 8) {
  const g = compileFile('examples/mlp.mdl').graph!;
  const step = buildTrainStep(g, { loss: { kind: 'cross_entropy' }, optimizer: { kind: 'sgd', momentum: 0.9 } });
  return planModel(step, g, batch, targetOf((await device()).report));
}

/** Through JSON text and back, as `mdl compile` writes it and the runtime reads it. */
function roundTrip(b: Awaited<ReturnType<typeof mlp>>) {
  const { json, kernels } = serializeBundle(b);
  const text = JSON.stringify(json);
  const files = new Map(kernels.files.map((k) => [k.file, k.wgsl]));
  return { text, files, loaded: loadBundle(JSON.parse(text), (f) => files.get(f)!) };
}

function batchOf(n: number, seed: number) {
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = (((i * 2654435761 + seed * 97) >>> 0) % 1000) / 1000;
  const y = Int32Array.from({ length: n }, (_, i) => (i * 7 + seed) % 10);
  return { x, y };
}

const bits = (a: HostArray) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

async function twoSteps(plan: ExecutablePlan): Promise<Map<string, number[]>> {
  const ex = await Executor.create((await device()).device, plan, { seed: 5, label: 'rt' });
  try {
    const out = new Map<string, number[]>();
    for (const s of [0, 1]) {
      const { x, y } = batchOf(8, s);
      const r = await ex.run({ inputs: { x, labels: y, lr: Float32Array.of(0.1) }, step: s });
      for (const [k, v] of r) out.set(`${s}:${k}`, bits(v));
    }
    for (const [k, v] of await ex.readParams(plan.params.map((p) => p.param.name))) out.set(`param:${k}`, bits(v));
    return out;
  } finally {
    ex.destroy();
  }
}

describe('plans as JSON', () => {
  it('a loaded training plan runs exactly like the planned one: every output and parameter bit for bit', async () => {
    const planned = await mlp();
    const { loaded } = roundTrip(planned);
    const a = await twoSteps(planned.train);
    const b = await twoSteps(loaded.train);
    expect(a.size).toBeGreaterThan(10);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [k, v] of a) expect(b.get(k), k).toEqual(v);
  });

  it('round-trips: the loaded plan serialises to the same JSON and kernel files', async () => {
    const planned = await mlp();
    const { text, files, loaded } = roundTrip(planned);
    const again = serializeBundle(loaded);
    expect(JSON.stringify(again.json)).toBe(text);
    expect(new Map(again.kernels.files.map((k) => [k.file, k.wgsl]))).toEqual(files);
    // every dispatch of both plans, in order, with its WGSL, grid and bindings
    for (const key of ['train', 'forward'] as const) {
      expect(loaded[key].dispatches.map((d) => [d.name, d.wgsl, d.workgroups, d.bindings])).toEqual(
        planned[key].dispatches.map((d) => [d.name, d.wgsl, d.workgroups, d.bindings]),
      );
      expect(loaded[key].buffers).toEqual(planned[key].buffers);
      expect([...loaded[key].readable]).toEqual([...planned[key].readable]);
    }
  });

  it('kernel files are numbered in dispatch order, named by layer, and shared when the WGSL is the same', () => {
    const k = new KernelFiles();
    expect(k.add('net.0→net.1', 'A')).toBe('kernels/000_net.0-net.1.wgsl');
    expect(k.add('loss', 'B')).toBe('kernels/001_loss.wgsl');
    expect(k.add('other', 'A')).toBe('kernels/000_net.0-net.1.wgsl');
    expect(k.add('../x y', 'C')).toBe('kernels/002_x_y.wgsl');
  });

  it('a damaged plan is an error naming the field, not a GPU failure later', async () => {
    const planned = await mlp();
    const json = JSON.parse(JSON.stringify(serializePlan(planned.train, new KernelFiles())));
    const load = (j: unknown) => () => loadPlan(j, () => '');
    expect(load({ ...json, format: 'x' })).toThrow(/plan.format: expected "mdl-plan-1"/);
    json.dispatches[3].bindings[0].buffer = 999;
    expect(load(json)).toThrow(PlanFormatError);
    expect(load(json)).toThrow(/plan.dispatches\[3\].bindings\[0\].buffer: no buffer 999/);
    json.dispatches[3].bindings[0].buffer = 0;
    json.params[0].param.init = { kind: 'kaiming_uniform', a: 1 };
    expect(load(json)).toThrow(/plan.params\[0\].param.init.fanIn: expected a number/);
    expect(() => loadBundle({ format: 'mdl-compiled-0' }, () => '')).toThrow(/recompile/);
  });
});

describe('CompiledModel', () => {
  it('trains on a loaded plan; weights saved atomically load back into another model', async () => {
    const { loaded } = roundTrip(await mlp());
    const dev = await device();
    const a = await CompiledModel.create(loaded, { seed: 1, device: dev });
    const b = await CompiledModel.create(loaded, { seed: 2, device: dev });
    try {
      const { x, y } = batchOf(8, 3);
      const l0 = (await a.trainStep(x, y, 0.1, 0))!;
      expect(await a.trainStep(x, y, 0.1, 1, { readLoss: false })).toBeUndefined();
      for (let s = 2; s < 6; s++) await a.trainStep(x, y, 0.1, s, { readLoss: false });
      const l6 = (await a.trainStep(x, y, 0.1, 6))!;
      expect(l6).toBeLessThan(l0);
      const logits = await a.forward(x.subarray(0, 3 * 784));
      expect(logits.length).toBe(3 * 10);

      const dir = mkdtempSync(join(tmpdir(), 'mdl-weights-'));
      const file = join(dir, 'w.safetensors');
      await a.saveWeights(file, { note: 'test' });
      expect(readdirSync(dir)).toEqual(['w.safetensors']);
      expect(Array.from(await b.forward(x.subarray(0, 3 * 784)))).not.toEqual(Array.from(logits));
      await b.loadWeights(file);
      expect(Array.from(await b.forward(x.subarray(0, 3 * 784)))).toEqual(Array.from(logits));
      // the optimizer state came too: the next steps agree
      expect(await b.trainStep(x, y, 0.1, 7)).toBe(await a.trainStep(x, y, 0.1, 7));
      const names = [...(await a.state()).keys()];
      expect(names).toContain('net.0.weight@momentum_buffer');
      await expect(a.forward(new Float32Array(9 * 784))).rejects.toThrow(/1 to 8 samples/);
      await expect(a.trainStep(x, y.subarray(0, 4), 0.1, 0)).rejects.toThrow(/batches of 8/);
      expect(existsSync(file)).toBe(true);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('weights that do not fit are an error naming the tensor, from load(dir, { weights }) too', async () => {
    const { text, files } = roundTrip(await mlp());
    const dir = mkdtempSync(join(tmpdir(), 'mdl-compiled-'));
    writeFileSync(join(dir, 'plan.json'), text);
    for (const [f, wgsl] of files) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), wgsl);
    }
    const ok = await CompiledModel.load(dir, { device: await device() });
    const state = await ok.state();
    ok.dispose();
    const save = (name: string, tensors: Map<string, NamedTensor>) => {
      const file = join(dir, name);
      writeCheckpoint(file, { tensors, metadata: {} });
      return file;
    };
    const weights = new Map([...state].filter(([k]) => !k.includes('@')));
    // Unrelated names: nothing of the model's is there.
    const unrelated = save('other.safetensors', new Map([['encoder.weight', weights.get('net.0.weight')!]]));
    const err = await CompiledModel.load(dir, { device: await device(), weights: unrelated }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).code).toBe('MDL5010');
    expect((err as Error).message).toMatch(/missing: net\.0\.weight.*holds others instead: encoder\.weight/);
    // One name too many.
    const extra = save('extra.safetensors', new Map([...weights, ['head.bias', weights.get('net.0.bias')!]]));
    await expect(CompiledModel.load(dir, { device: await device(), weights: extra })).rejects.toThrow(
      /does not have: head\.bias/,
    );
    // A wrong shape.
    const w = weights.get('net.0.weight')!;
    const reshaped = new Map([...weights, ['net.0.weight', { shape: [...w.shape].reverse(), data: w.data }]]);
    await expect(
      CompiledModel.load(dir, { device: await device(), weights: save('shape.safetensors', reshaped) }),
    ).rejects.toThrow(/`net\.0\.weight` has shape \[784, 256\], the model's is \[256, 784\]/);
    // The weights alone (no optimizer state) load.
    const m = await CompiledModel.load(dir, { device: await device(), weights: save('w.safetensors', weights) });
    m.dispose();
  });
});
