// The optimizer updates (SGD with momentum, Adam/AdamW): elementwise kernels with several
// outputs (the new parameter and its state), written in place into the parameter's and the
// state's buffers. Being elementwise, the planner runs all updates with the same
// hyper-parameters as one kernel over packed buffers (groups.ts).
import * as E from '../expr.js';
import type { Accessor, KernelLowering } from '../lowering.js';
import { perElement } from './schedule.js';

const { f32 } = E;
const prod = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);

/** One SGD step for one parameter: outputs the new parameter and momentum buffer. */
export const sgdUpdate: KernelLowering = {
  kind: 'kernel',
  elementwise: true,
  buffers: () => [],
  build(ctx) {
    const [p, g, buf, lr] = ctx.inputs as [Accessor, Accessor, Accessor, Accessor];
    const mu = ctx.attrs['momentum'] as number;
    const damp = ctx.attrs['dampening'] as number;
    const wd = ctx.attrs['weight_decay'] as number;
    const nesterov = ctx.attrs['nesterov'] as boolean;
    const shape = ctx.outShapes[0]!;
    const { b } = ctx;
    perElement(ctx, prod(shape), (id) => {
      const idx = E.unflatten(id, shape).map((e) => b.let(e, 'ix'));
      const pv = b.let(p.at(idx), 'p');
      const gi = b.let(wd !== 0 ? E.add(g.at(idx), E.mul(f32(wd), pv)) : g.at(idx), 'gi');
      const nb = b.let(E.add(E.mul(f32(mu), buf.at(idx)), E.mul(f32(1 - damp), gi)), 'nb');
      const d = mu === 0 ? gi : nesterov ? E.add(gi, E.mul(f32(mu), nb)) : nb;
      ctx.emit(1, idx, nb);
      ctx.emit(0, idx, E.sub(pv, E.mul(lr.at([]), d)));
    });
  },
};

/** One Adam/AdamW step; bias correction counts steps with the run's step (uniform). */
export const adamUpdate: KernelLowering = {
  kind: 'kernel',
  elementwise: true,
  buffers: () => [],
  build(ctx) {
    const [p, g, m, v, lr] = ctx.inputs as [Accessor, Accessor, Accessor, Accessor, Accessor];
    const b1 = ctx.attrs['beta1'] as number;
    const b2 = ctx.attrs['beta2'] as number;
    const eps = ctx.attrs['eps'] as number;
    const wd = ctx.attrs['weight_decay'] as number;
    const decoupled = ctx.attrs['decoupled'] as boolean;
    const shape = ctx.outShapes[0]!;
    const { b } = ctx;
    const t = b.let(E.add(E.cast('f32', ctx.rng().step), f32(1)), 't');
    const c1 = b.let(E.sub(f32(1), E.call('pow', f32(b1), t)), 'c1');
    const c2 = b.let(E.sub(f32(1), E.call('pow', f32(b2), t)), 'c2');
    const rate = b.let(lr.at([]), 'lr');
    perElement(ctx, prod(shape), (id) => {
      const idx = E.unflatten(id, shape).map((e) => b.let(e, 'ix'));
      let pi = b.let(p.at(idx), 'p');
      let gi = b.let(g.at(idx), 'g');
      if (decoupled) pi = b.let(E.mul(pi, E.sub(f32(1), E.mul(rate, f32(wd)))), 'pd');
      else if (wd !== 0) gi = b.let(E.add(gi, E.mul(f32(wd), pi)), 'gd');
      const mi = b.let(E.add(E.mul(f32(b1), m.at(idx)), E.mul(f32(1 - b1), gi)), 'm');
      const vi = b.let(E.add(E.mul(f32(b2), v.at(idx)), E.mul(f32(1 - b2), E.mul(gi, gi))), 'v');
      ctx.emit(1, idx, mi);
      ctx.emit(2, idx, vi);
      ctx.emit(0, idx, E.sub(pi, E.div(E.mul(rate, E.div(mi, c1)), E.add(E.sqrt(E.div(vi, c2)), f32(eps)))));
    });
  },
};
