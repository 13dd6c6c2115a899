// `npm run bench` (routes): LeNet-5's training step (batch 64, cross-entropy, SGD with momentum,
// the loss read back) on each route to the adapter, native (Dawn's default backend: lavapipe
// here) and OpenGL ES (compatibility mode, llvmpipe), in this process, in alternating blocks of
// steps so a change of the machine's load touches both alike. Samples/s per route and the
// ratio OpenGL / native (the aim: at least 0.5). A route that finds no adapter says so.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { buildTrainStep } from '../../compiler/autodiff/optimizer.js';
import { compileModel } from '../../compiler/compile.js';
import { planGraph } from '../../compiler/kernels/plan.js';
import { targetOf } from '../../compiler/kernels/target.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import { acquireDevice, formatReport, type Route } from '../../runtime/device.js';
import { Executor, type HostArray } from '../../runtime/executor.js';
import { median } from './peers/peer.js';
import { benchInputs } from './inputs.js';

const B = 64;
const BLOCK = 10;
const ROUNDS = 4;

async function executor(route: Route): Promise<{ ex: Executor; inputs: Record<string, HostArray>; about: string }> {
  const acq = await acquireDevice({ route });
  const r = compileModel({ path: 'examples/lenet5.mdl', text: readFileSync('examples/lenet5.mdl', 'utf8') }, nodeHost);
  if (!r.graph) throw new Error('examples/lenet5.mdl did not compile');
  const ts = buildTrainStep(r.graph, { loss: { kind: 'cross_entropy' }, optimizer: { kind: 'sgd', momentum: 0.9 } });
  const plan = planGraph(ts.graph, {
    target: targetOf(acq.report),
    dims: { B },
    training: true,
    updates: ts.updates,
  });
  const inputs = benchInputs(plan);
  return { ex: await Executor.create(acq.device, plan, { seed: 0 }), inputs, about: formatReport(acq.report) };
}

export async function benchRoutes(): Promise<void> {
  console.log(`\nLeNet-5 train step, b${B}, by route (load average ${loadavg()[0]!.toFixed(1)})`);
  const runs = new Map<Route, { ex: Executor; inputs: Record<string, HostArray>; times: number[] }>();
  for (const route of ['native', 'opengl'] as const) {
    try {
      const { ex, inputs, about } = await executor(route);
      console.log(`  ${route}: ${about}`);
      for (let i = 0; i < 5; i++) await ex.run({ inputs, read: ['loss'] });
      runs.set(route, { ex, inputs, times: [] });
    } catch (e) {
      console.log(`  ${route}: no adapter (${(e as Error).message.split('\n')[0]})`);
    }
  }
  for (let round = 0; round < ROUNDS; round++)
    for (const r of runs.values())
      for (let i = 0; i < BLOCK; i++) {
        const t = performance.now();
        await r.ex.run({ inputs: r.inputs, read: ['loss'] });
        r.times.push(performance.now() - t);
      }
  const rate = new Map<Route, number>();
  for (const [route, r] of runs) {
    const ms = median(r.times);
    rate.set(route, (1000 * B) / ms);
    console.log(
      `  ${route.padEnd(7)} ${ms.toFixed(2).padStart(8)} ms/step (median of ${r.times.length}) ${rate.get(route)!.toFixed(0).padStart(7)} samples/s`,
    );
    r.ex.destroy();
  }
  const gl = rate.get('opengl');
  const native = rate.get('native');
  if (gl !== undefined && native !== undefined)
    console.log(
      `  OpenGL / native: ${(gl / native).toFixed(2)} (aim: at least 0.5): ${gl / native >= 0.5 ? 'met' : 'MISSED'}`,
    );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchRoutes();
  process.exit(0);
}
