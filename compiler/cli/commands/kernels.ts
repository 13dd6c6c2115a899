// `mdl kernels`: the compiled plan of a model's forward pass, or with --train of a whole
// training step (forward, loss, backward, optimizer update) — which kernels it runs (and which
// IR nodes each fuses), their dispatch grids, and the static memory plan — optionally with the
// WGSL of every kernel. `--time` runs each kernel on the adapter and adds its time, its share
// of the pass, and its achieved GFLOP/s and GB/s (runtime/kernel-times.ts says how it times).
import { UsageError } from '../args.js';
import { bindDims } from '../../analysis/summary.js';
import type { LossSpec } from '../../autodiff/grad.js';
import { buildTrainStep } from '../../autodiff/optimizer.js';
import { compileModel } from '../../compile.js';
import { dispatchCosts, type DispatchCost } from '../../kernels/dispatch-costs.js';
import { KernelError } from '../../kernels/lowering.js';
import { planGraph, type Plan } from '../../kernels/plan.js';
import { roofline } from '../../kernels/roofline.js';
import { GPU_TARGET, SOFTWARE_TARGET, targetOf, type Target } from '../../kernels/target.js';
import { nodeHost } from '../../modules/node-host.js';
import { readSource, report, type Command } from '../command.js';
import { modelArgs } from '../model-args.js';
import { CliError } from '../errors.js';
import { SPECS } from './specs.js';

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

export const kernels: Command = {
  spec: SPECS.kernels,
  async run(args) {
    const which = (args.flags.get('target') as string | undefined) ?? 'auto';
    if (!['auto', 'software', 'gpu'].includes(which))
      throw new UsageError(`unknown target "${which}"`, 'targets: auto (the adapter found here), software, gpu');
    const time = args.flags.get('time') === true;
    const reps = args.flags.get('reps') as number | undefined;
    if (time && which !== 'auto')
      throw new UsageError(
        '--time runs the kernels on the adapter found here, so it plans for that adapter',
        'drop --target (or drop --time to see the plan for another target)',
      );
    if (reps !== undefined && !time) throw new UsageError('--reps is a setting of --time', 'add --time');
    const model = args.flags.get('model') as string | undefined;
    const given = modelArgs(args);
    const r = compileModel(readSource(args.positional[0]!), nodeHost, {
      ...(model ? { model } : {}),
      ...(given ? { args: given } : {}),
    });
    if (!report(r) || !r.graph) return 1;
    const dims = bindDims(
      r.graph,
      args.flags.get('batch') as number | undefined,
      (args.flags.get('dim') as Record<string, number>) ?? {},
    );
    const train = args.flags.get('train') === true;
    let graph = r.graph;
    let updates: ReadonlyMap<string, string> | undefined;
    if (train) {
      const loss = (args.flags.get('loss') as string | undefined) ?? 'cross_entropy';
      if (!['cross_entropy', 'mse', 'output'].includes(loss))
        throw new UsageError(`unknown loss "${loss}"`, 'losses: cross_entropy, mse, output');
      const opt = (args.flags.get('optimizer') as string | undefined) ?? 'momentum';
      const optimizer = {
        sgd: { kind: 'sgd' as const },
        momentum: { kind: 'sgd' as const, momentum: 0.9 },
        adam: { kind: 'adam' as const },
      }[opt];
      if (!optimizer) throw new UsageError(`unknown optimizer "${opt}"`, 'optimizers: sgd, momentum, adam');
      const step = buildTrainStep(r.graph, { loss: { kind: loss } as LossSpec, optimizer });
      graph = step.graph;
      updates = step.updates;
    }
    let target: Target = which === 'gpu' ? GPU_TARGET : SOFTWARE_TARGET;
    let adapter = which === 'software' ? 'a CPU adapter (WebGPU default limits)' : 'a GPU (WebGPU default limits)';
    let device: GPUDevice | undefined;
    if (which === 'auto') {
      const { acquireDevice, formatReport, NoAdapterError } = await import('../../../runtime/device.js');
      let a;
      try {
        a = await acquireDevice();
      } catch (e) {
        if (e instanceof NoAdapterError)
          throw new CliError(
            'MDL7008',
            e.message,
            "or plan for WebGPU's default limits with --target software (or gpu)",
          );
        throw e;
      }
      target = targetOf(a.report);
      adapter = formatReport(a.report).replace(/^WebGPU adapter: /, '');
      if (time) device = a.device;
      else a.device.destroy();
    }
    let plan;
    try {
      plan = planGraph(graph, { target, dims, training: train, ...(updates ? { updates } : {}) });
    } catch (e) {
      if (e instanceof KernelError) throw new CliError('MDL7009', e.message);
      throw e;
    }
    const json = args.flags.get('json') === true;
    const costs = json || device ? dispatchCosts(graph, plan.dispatches, dims) : undefined;
    const timed = device ? await timePlan(device, plan, costs!, reps) : undefined;
    device?.destroy();
    if (json) {
      const { readable: _r, dispatches, ...rest } = plan;
      const out = {
        ...rest,
        params: plan.params.map((p) => ({ name: p.param.name, buffer: p.buffer })),
        dispatches: dispatches.map((d, i) => ({
          name: d.name,
          nodes: d.nodes,
          workgroups: d.workgroups,
          bindings: d.bindings,
          bound: { read: costs![i]!.read, written: costs![i]!.written },
          ...(timed ? { time: timed.rows[i] } : {}),
          ...(args.flags.get('wgsl') ? { wgsl: d.wgsl } : {}),
        })),
        ...(timed ? { timing: timed.totals } : {}),
      };
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
      return 0;
    }
    const lines: string[] = [
      `model ${plan.graph} (${
        Object.entries(dims)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ') || 'no symbolic dims'
      }${train ? ', one training step' : ''}) for ${adapter}`,
    ];
    if (timed) lines.push(...timeTable(plan, timed));
    else
      plan.dispatches.forEach((d, i) =>
        lines.push(
          `${String(i + 1).padStart(3)}  ${d.name.padEnd(36)} ${d.workgroups.join('×').padStart(10)}  ${d.nodes.join(' + ')}`,
        ),
      );
    const m = plan.memory;
    lines.push(`${plan.dispatches.length} kernels`);
    lines.push(
      `memory: ${kib(m.totalBytes)} allocated = params ${kib(m.paramBytes)} + state ${kib(m.stateBytes)} + inputs ${kib(m.inputBytes)} + temporaries ${kib(m.tempBytes)} in ${m.tempBuffers} buffers (at most ${kib(m.liveLowerBound)} live at once)`,
    );
    process.stdout.write(lines.join('\n') + '\n');
    if (args.flags.get('wgsl')) for (const d of plan.dispatches) process.stdout.write('\n' + d.wgsl);
    return 0;
  },
};

interface Timed {
  readonly rows: readonly {
    readonly ms: number;
    readonly share: number;
    readonly gflops: number;
    readonly gbs: number;
  }[];
  readonly totals: { readonly sumMs: number; readonly passMs: number; readonly reps: number; readonly samples: number };
}

/** Each kernel timed on the device, with its achieved rates (dispatch-costs.ts says what they count). */
async function timePlan(
  device: GPUDevice,
  plan: Plan,
  costs: readonly DispatchCost[],
  reps: number | undefined,
): Promise<Timed> {
  const { timeKernels } = await import('../../../runtime/kernel-times.js');
  const t = await timeKernels(device, plan, reps !== undefined ? { reps } : {});
  const sumMs = t.ms.reduce((s, x) => s + x, 0);
  const rates = roofline(plan.dispatches.map((d, i) => ({ name: d.name, ms: t.ms[i]!, ...costs[i]! })));
  return {
    rows: rates.map((r) => ({ ms: r.ms, share: sumMs > 0 ? r.ms / sumMs : 0, gflops: r.gflops, gbs: r.gbs })),
    totals: { sumMs, passMs: t.passMs, reps: t.reps, samples: t.samples },
  };
}

/** The kernels slowest first, with their plan position, time, share and rates. */
function timeTable(plan: Plan, timed: Timed): string[] {
  const { sumMs, passMs, reps, samples } = timed.totals;
  const lines = [
    `each kernel timed alone: median of ${samples} submits of ${reps} dispatches; sum ${sumMs.toFixed(2)} ms, the whole pass ${passMs.toFixed(2)} ms`,
    `${'#'.padStart(3)}  ${'kernel'.padEnd(36)} ${'workgroups'.padStart(10)} ${'ms'.padStart(8)} ${'share'.padStart(6)} ${'GFLOP/s'.padStart(8)} ${'GB/s'.padStart(7)}`,
  ];
  const order = plan.dispatches.map((_, i) => i).sort((a, b) => timed.rows[b]!.ms - timed.rows[a]!.ms);
  for (const i of order) {
    const d = plan.dispatches[i]!;
    const r = timed.rows[i]!;
    lines.push(
      `${String(i + 1).padStart(3)}  ${d.name.padEnd(36)} ${d.workgroups.join('×').padStart(10)} ${r.ms.toFixed(3).padStart(8)} ${`${(r.share * 100).toFixed(1)}%`.padStart(6)} ${(r.gflops > 0 ? r.gflops.toFixed(2) : '–').padStart(8)} ${r.gbs.toFixed(2).padStart(7)}`,
    );
  }
  return lines;
}
