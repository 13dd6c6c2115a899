// jax-js 0.1.25 (JAX in TypeScript, generating WGSL and Wasm kernels) doing the bench's work on
// its webgpu device (the same adapter as mdl, through navigator-gpu.ts) and its wasm device
// (one thread in Node: its worker pool needs web Workers). The step is written as a JAX user
// would: one jit-compiled function computing the loss, its gradient (valueAndGrad) and the
// SGD-with-momentum update, so jax-js can fuse the whole step.
//
// jax-js counts references: every function consumes its array arguments, `.ref` keeps one
// alive for another use (see its README). The layouts are jax's: NCHW images, OIHW filters.
import type { AdapterReport } from '../../../runtime/device.js';
import { provideNavigatorGpu } from './navigator-gpu.js';
import {
  CLASSES,
  labelsI32,
  LossWatch,
  LR,
  MOMENTUM,
  type Peer,
  type PeerResult,
  randomF32,
  reasonOf,
  timeRuns,
  type Workload,
} from './peer.js';

type Jax = typeof import('@jax-js/jax');
type Arr = import('@jax-js/jax').Array;
type Params = Arr[];

interface Net {
  readonly shapes: number[][];
  /** Logits [B, 10]; consumes x and every parameter. */
  readonly forward: (p: Params, x: Arr) => Arr;
}

function netOf(jax: Jax, kind: Exclude<Workload['kind'], 'matmul'>, batch: number): Net {
  const { numpy: np, lax, nn } = jax;
  const dense = (h: Arr, w: Arr, b: Arr, relu: boolean) => {
    const y = np.matmul(h, w).add(b);
    return relu ? nn.relu(y) : y;
  };
  // conv + bias + ReLU, then a 2×2 max pool (a window reduction, as jax.lax.reduce_window).
  const convBlock = (h: Arr, w: Arr, b: Arr, pad: number) => {
    const y = lax.conv(
      h,
      w,
      [1, 1],
      [
        [pad, pad],
        [pad, pad],
      ],
    );
    const cout = w.shape[0]!;
    const r = nn.relu(y.add(b.reshape([1, cout, 1, 1])));
    return lax.reduceWindow(r, (win: Arr) => np.max(win), [2, 2], [2, 2]);
  };
  if (kind === 'mlp')
    return {
      shapes: [[784, 256], [256], [256, CLASSES], [CLASSES]],
      forward: ([w1, b1, w2, b2], x) => dense(dense(x.reshape([batch, 784]), w1!, b1!, true), w2!, b2!, false),
    };
  if (kind === 'small_cnn')
    return {
      shapes: [[16, 1, 3, 3], [16], [32, 16, 3, 3], [32], [800, CLASSES], [CLASSES]],
      forward: ([c1, b1, c2, b2, w, b], x) =>
        dense(convBlock(convBlock(x, c1!, b1!, 0), c2!, b2!, 0).reshape([batch, 800]), w!, b!, false),
    };
  return {
    shapes: [[6, 1, 5, 5], [6], [16, 6, 5, 5], [16], [400, 120], [120], [120, 84], [84], [84, CLASSES], [CLASSES]],
    forward: ([c1, cb1, c2, cb2, w1, b1, w2, b2, w3, b3], x) => {
      const h = convBlock(convBlock(x, c1!, cb1!, 2), c2!, cb2!, 0).reshape([batch, 400]);
      return dense(dense(dense(h, w1!, b1!, true), w2!, b2!, true), w3!, b3!, false);
    },
  };
}

class JaxPeer implements Peer {
  readonly name: string;
  constructor(
    private readonly jax: Jax,
    private readonly device: 'webgpu' | 'wasm',
    private readonly unavailable?: string,
  ) {
    this.name = `jax-js-${device}`;
  }

  async time(w: Workload): Promise<PeerResult> {
    if (this.unavailable) return { reason: this.unavailable };
    const jax = this.jax;
    const { numpy: np, nn, tree } = jax;
    jax.defaultDevice(this.device);
    try {
      if (w.kind === 'matmul') {
        const a = randomF32(1024 * 1024, 1);
        const b = randomF32(1024 * 1024, 2);
        return await timeRuns(
          async () => {
            const c = np.matmul(np.array(a).reshape([1024, 1024]), np.array(b).reshape([1024, 1024]));
            await c.data();
          },
          { runs: 10 },
        );
      }
      const net = netOf(jax, w.kind, w.batch);
      let params: Params = net.shapes.map((s, i) => {
        // Uniform in ±1/√fan-in (filters [O, I, kh, kw], weights [in, out]); biases small.
        const fanIn = s.length === 4 ? s[1]! * s[2]! * s[3]! : s.length === 2 ? s[0]! : 100;
        const n = s.reduce((x, y) => x * y, 1);
        return np.array(randomF32(n, 10 + i).map((v) => v / Math.sqrt(fanIn))).reshape(s);
      });
      let moms: Params = net.shapes.map((s) => np.zeros(s));
      const loss = (p: Params, x: Arr, y: Arr): Arr => {
        const logp = nn.logSoftmax(net.forward(p, x), -1);
        return np.sum(logp.mul(nn.oneHot(y, CLASSES))).mul(-1 / w.batch);
      };
      // One function for the whole step, so jit sees (and fuses) forward, backward and update.
      const step = jax.jit((p: Params, v: Params, x: Arr, y: Arr) => {
        const [l, g] = jax.valueAndGrad(loss)(tree.ref(p), x, y);
        const v2 = v.map((vi, i) => vi.mul(MOMENTUM).add(g[i]!));
        const p2 = p.map((pi, i) => pi.sub(v2[i]!.ref.mul(LR)));
        return [l, p2, v2] as [Arr, Params, Params];
      });
      const xs = randomF32(w.batch * 28 * 28);
      const ys = labelsI32(w.batch);
      const watch = new LossWatch();
      try {
        const t = await timeRuns(
          async () => {
            const x = np.array(xs).reshape([w.batch, 1, 28, 28]);
            const y = np.array(ys, { dtype: np.int32 });
            const [l, p2, v2] = step(params, moms, x, y);
            params = p2;
            moms = v2;
            watch.see((await l.data()) as Float32Array);
          },
          { runs: 15 },
        );
        const bad = watch.problem();
        return bad ? { reason: bad } : t;
      } finally {
        step.dispose();
        tree.dispose([params, moms]);
      }
    } catch (e) {
      return { reason: reasonOf(e) };
    }
  }

  async close(): Promise<void> {}
}

/** jax-js's webgpu and wasm devices as peers; `note` says which adapter webgpu really got. */
export async function jaxPeers(mdl: AdapterReport): Promise<{ peers: Peer[]; note: string }> {
  const nav = await provideNavigatorGpu(mdl);
  const mark = nav.mark();
  const jax = (await import('@jax-js/jax')) as Jax;
  let started: string[] = [];
  let failure: string | undefined;
  try {
    started = await jax.init('webgpu', 'wasm');
  } catch (e) {
    failure = reasonOf(e);
  }
  const why = (d: string) => failure ?? (started.includes(d) ? undefined : `jax-js's ${d} device did not start`);
  const note = `jax-js: ${why('webgpu') ?? `webgpu on the ${nav.sameAdapter(mark)}`}, wasm on 1 thread (its pool needs web Workers)`;
  return { peers: (['webgpu', 'wasm'] as const).map((d) => new JaxPeer(jax, d, why(d))), note };
}
