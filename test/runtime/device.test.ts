// The runtime finds a real WebGPU adapter by itself and computes on it. On a machine without
// a GPU this is Mesa's software driver; CI installs it (see .ci/run), so these tests must pass
// there, not be skipped.
import { afterAll, describe, expect, it } from 'vitest';
import { planGraph } from '../../compiler/kernels/plan.js';
import { routeOf } from '../../runtime/adapter.js';
import { acquireDevice, formatReport, type Acquired } from '../../runtime/device.js';
import { Executor } from '../../runtime/executor.js';
import { graphOf } from '../helpers/compile.js';

const opened: Acquired[] = [];
afterAll(() => opened.forEach((a) => a.device.destroy()));

async function doubleAndAdd(a: Acquired, n: number): Promise<Float32Array> {
  const { device } = a;
  const module = device.createShaderModule({
    code: `@group(0) @binding(0) var<storage, read_write> v: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
  if (g.x < arrayLength(&v)) { v[g.x] = v[g.x] * 2.0 + 1.0; }
}`,
  });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const buf = device.createBuffer({
    size: n * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(
    buf,
    0,
    Float32Array.from({ length: n }, (_, i) => i),
  );
  const read = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(
    0,
    device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: buf } }],
    }),
  );
  pass.dispatchWorkgroups(Math.ceil(n / 64));
  pass.end();
  enc.copyBufferToBuffer(buf, 0, read, 0, n * 4);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(read.getMappedRange().slice(0));
  read.unmap();
  return out;
}

describe('WebGPU device acquisition', () => {
  it('finds an adapter by itself, reports it, and runs a compute kernel', async () => {
    const a = await acquireDevice();
    opened.push(a);
    const line = formatReport(a.report);
    expect(line).toMatch(/^WebGPU adapter: .+ via /);
    expect(a.report.limits['maxStorageBuffersPerShaderStage']).toBeGreaterThanOrEqual(4);
    const out = await doubleAndAdd(a, 1000);
    expect(out[0]).toBe(1);
    expect(out[999]).toBe(1999);
  });

  it('the OpenGL compatibility route works too', async () => {
    const a = await acquireDevice({ route: 'opengl' });
    opened.push(a);
    expect(a.report.route).toBe('opengl');
    const out = await doubleAndAdd(a, 130);
    expect(Array.from(out.slice(0, 3))).toEqual([1, 3, 5]);
  });

  it('an executor sleeps before waiting on the native route, never on OpenGL (its work is done inside submit)', async () => {
    const plan = planGraph(graphOf('model m(x: Tensor[4]) {\n  return relu(x)\n}\n'), {});
    for (const route of ['native', 'opengl'] as const) {
      const a = await acquireDevice({ route });
      opened.push(a);
      expect(routeOf(a.device)).toBe(route);
      const ex = await Executor.create(a.device, plan);
      expect(ex.sleeps).toBe(route === 'native');
      const out = await ex.run({ inputs: { x: new Float32Array([-1, 2, -3, 4]) } });
      expect(Array.from(out.get(plan.outputs[0]!.name)!)).toEqual([0, 2, 0, 4]);
      ex.destroy();
    }
  });
});
