// `mdl kernels`: the compiled plan of a model's forward pass, or with --train of a whole
// training step (forward, loss, backward, optimizer update) — which kernels it runs (and which
// IR nodes each fuses), their dispatch grids, and the static memory plan — optionally with the
// WGSL of every kernel.
import { UsageError } from '../args.js';
import { bindDims } from '../../analysis/summary.js';
import type { LossSpec } from '../../autodiff/grad.js';
import { buildTrainStep } from '../../autodiff/optimizer.js';
import { compileModel } from '../../compile.js';
import { KernelError } from '../../kernels/lowering.js';
import { planGraph } from '../../kernels/plan.js';
import { GPU_TARGET, SOFTWARE_TARGET, targetOf, type Target } from '../../kernels/target.js';
import { nodeHost } from '../../modules/node-host.js';
import { readSource, report, type Command } from '../command.js';
import { ARG_FLAG, ARG_USAGE, modelArgs } from '../model-args.js';
import { CliError } from '../errors.js';

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

export const kernels: Command = {
  spec: {
    name: 'kernels',
    summary: 'the kernels, dispatches and memory plan a model compiles to',
    usage: `mdl kernels FILE [--model NAME] [--batch N] [--dim NAME=N] [--train [--loss L] [--optimizer sgd|momentum|adam]] [--target auto|software|gpu] [--route auto|native|opengl] [--wgsl] [--json] ${ARG_USAGE}`,
    flags: {
      model: 'string',
      batch: 'int',
      dim: 'kv',
      train: 'bool',
      loss: 'string',
      optimizer: 'string',
      target: 'string',
      route: 'string',
      wgsl: 'bool',
      json: 'bool',
      ...ARG_FLAG,
    },
    positional: [1, 1],
  },
  async run(args) {
    const which = (args.flags.get('target') as string | undefined) ?? 'auto';
    if (!['auto', 'software', 'gpu'].includes(which))
      throw new UsageError(`unknown target "${which}"`, 'targets: auto (the adapter found here), software, gpu');
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
      a.device.destroy();
    }
    let plan;
    try {
      plan = planGraph(graph, { target, dims, training: train, ...(updates ? { updates } : {}) });
    } catch (e) {
      if (e instanceof KernelError) throw new CliError('MDL7009', e.message);
      throw e;
    }
    if (args.flags.get('json')) {
      const { readable: _r, dispatches, ...rest } = plan;
      const out = {
        ...rest,
        params: plan.params.map((p) => ({ name: p.param.name, buffer: p.buffer })),
        dispatches: dispatches.map((d) => ({
          name: d.name,
          nodes: d.nodes,
          workgroups: d.workgroups,
          bindings: d.bindings,
          ...(args.flags.get('wgsl') ? { wgsl: d.wgsl } : {}),
        })),
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
