// TensorFlow.js 4.22 doing the bench's work on its webgpu, wasm and cpu backends, in this
// process. The webgpu backend gets `navigator.gpu` from the same Dawn route as mdl's runtime
// (navigator-gpu.ts), so it runs on the same adapter, which is checked and printed.
//
// The model code is what a TF.js user would write for speed: fused matMul/conv2d with bias and
// ReLU (one kernel each where the backend fuses them), tf.losses.softmaxCrossEntropy (mean over
// the batch) and tf.train.momentum, whose update is PyTorch's SGD with momentum, as mdl's step.
import type * as TF from '@tensorflow/tfjs-core';
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

type Tf = typeof TF;

interface Layers {
  readonly vars: TF.Variable[];
  readonly forward: (x: TF.Tensor4D) => TF.Tensor2D;
}

function dense(
  tf: Tf,
  vars: TF.Variable[],
  fanIn: number,
  out: number,
): (h: TF.Tensor2D, relu: boolean) => TF.Tensor2D {
  const bound = 1 / Math.sqrt(fanIn);
  const w = tf.variable(tf.randomUniform([fanIn, out], -bound, bound, 'float32', 1));
  const b = tf.variable(tf.randomUniform([out], -bound, bound, 'float32', 2));
  vars.push(w, b);
  return (h, relu) =>
    tf.fused.matMul({
      a: h,
      b: w as TF.Tensor2D,
      bias: b,
      ...(relu ? { activation: 'relu' as const } : {}),
    }) as TF.Tensor2D;
}

function conv(
  tf: Tf,
  vars: TF.Variable[],
  cin: number,
  cout: number,
  k: number,
  pad: 'valid' | 'same',
): (h: TF.Tensor4D) => TF.Tensor4D {
  const bound = 1 / Math.sqrt(cin * k * k);
  const w = tf.variable(tf.randomUniform([k, k, cin, cout], -bound, bound, 'float32', 3));
  const b = tf.variable(tf.randomUniform([cout], -bound, bound, 'float32', 4));
  vars.push(w, b);
  // ReLU fused into the convolution; the max pool follows as its own op.
  return (h) => tf.fused.conv2d({ x: h, filter: w as TF.Tensor4D, strides: 1, pad, bias: b, activation: 'relu' });
}

/** The same layers as examples/mlp.mdl, the bench's small CNN and examples/lenet5.mdl. */
function layersOf(tf: Tf, kind: Exclude<Workload['kind'], 'matmul'>, batch: number): Layers {
  const vars: TF.Variable[] = [];
  const pool = (h: TF.Tensor4D) => tf.maxPool(h, 2, 2, 'valid');
  if (kind === 'mlp') {
    const l1 = dense(tf, vars, 784, 256);
    const l2 = dense(tf, vars, 256, CLASSES);
    return { vars, forward: (x) => l2(l1(tf.reshape(x, [batch, 784]), true), false) };
  }
  if (kind === 'small_cnn') {
    const c1 = conv(tf, vars, 1, 16, 3, 'valid');
    const c2 = conv(tf, vars, 16, 32, 3, 'valid');
    const fc = dense(tf, vars, 5 * 5 * 32, CLASSES);
    return { vars, forward: (x) => fc(tf.reshape(pool(c2(pool(c1(x)))), [batch, 800]), false) };
  }
  // LeNet-5: a 5×5 'same' convolution pads by 2, as conv2d(x, 6, 5, padding=2) in lenet5.mdl.
  const c1 = conv(tf, vars, 1, 6, 5, 'same');
  const c2 = conv(tf, vars, 6, 16, 5, 'valid');
  const f1 = dense(tf, vars, 400, 120);
  const f2 = dense(tf, vars, 120, 84);
  const f3 = dense(tf, vars, 84, CLASSES);
  return { vars, forward: (x) => f3(f2(f1(tf.reshape(pool(c2(pool(c1(x)))), [batch, 400]), true), true), false) };
}

/** One TF.js backend as a bench peer; the engine is shared, so `time` selects its backend first. */
class TfjsPeer implements Peer {
  readonly name: string;
  constructor(
    private readonly tf: Tf,
    private readonly backend: 'webgpu' | 'wasm' | 'cpu',
    private readonly unavailable?: string,
  ) {
    this.name = `tfjs-${backend}`;
  }

  async time(w: Workload): Promise<PeerResult> {
    if (this.unavailable) return { reason: this.unavailable };
    const tf = this.tf;
    if (!(await tf.setBackend(this.backend))) return { reason: `tf.setBackend('${this.backend}') failed` };
    const runs = w.kind === 'matmul' ? 10 : 15;
    try {
      if (w.kind === 'matmul') {
        const a = randomF32(1024 * 1024, 1);
        const b = randomF32(1024 * 1024, 2);
        return await timeRuns(
          async () => {
            const [ta, tb] = [tf.tensor2d(a, [1024, 1024]), tf.tensor2d(b, [1024, 1024])];
            const c = tf.matMul(ta, tb);
            await c.data();
            tf.dispose([ta, tb, c]);
          },
          { runs },
        );
      }
      const net = layersOf(tf, w.kind, w.batch);
      const opt = tf.train.momentum(LR, MOMENTUM);
      const xs = randomF32(w.batch * 28 * 28);
      const ys = labelsI32(w.batch);
      const watch = new LossWatch();
      try {
        const t = await timeRuns(
          async () => {
            const x = tf.tensor4d(xs, [w.batch, 28, 28, 1]);
            const y = tf.tensor1d(ys, 'int32');
            const loss = tf.tidy(() =>
              opt.minimize(
                () => tf.losses.softmaxCrossEntropy(tf.oneHot(y, CLASSES), net.forward(x)) as TF.Scalar,
                true,
                net.vars,
              )!,
            );
            watch.see(await loss.data());
            tf.dispose([x, y, loss]);
          },
          { runs },
        );
        const bad = watch.problem();
        return bad ? { reason: bad } : t;
      } finally {
        opt.dispose();
        tf.dispose(net.vars);
      }
    } catch (e) {
      return { reason: reasonOf(e) };
    }
  }

  async close(): Promise<void> {}
}

/**
 * TF.js's three backends as peers. `note` says which adapter TF.js's webgpu backend really got
 * from `navigator.gpu` (see navigator-gpu.ts), or why that backend cannot run.
 */
export async function tfjsPeers(mdl: AdapterReport): Promise<{ peers: Peer[]; note: string }> {
  const nav = await provideNavigatorGpu(mdl);
  const mark = nav.mark();
  // The backends register themselves on import, webgpu only if navigator.gpu exists by then.
  const tf = (await import('@tensorflow/tfjs-core')) as Tf;
  // tfjs-core's Node bundle registers no gradient functions (the tfjs union package does);
  // tfjs-layers registers all of core's on import, which is the only reason it is loaded.
  await import('@tensorflow/tfjs-layers');
  await import('@tensorflow/tfjs-backend-cpu');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  await import('@tensorflow/tfjs-backend-webgpu');
  // Production mode, as a deployed TF.js app runs (it also silences the cpu backend's
  // "install tfjs-node" advice, which is not bench output).
  tf.enableProdMode();
  let failure: string | undefined;
  const warn = console.warn;
  console.warn = () => {};
  try {
    if (!tf.findBackendFactory('webgpu')) failure = 'the webgpu backend did not register (no navigator.gpu)';
    else if (!(await tf.setBackend('webgpu'))) {
      // setBackend swallows the factory's error; call the factory again to learn the reason.
      await tf.findBackendFactory('webgpu')!();
      failure = 'the webgpu backend did not initialise';
    }
  } catch (e) {
    failure = `the webgpu backend cannot start here: ${reasonOf(e)}`;
  } finally {
    console.warn = warn;
  }
  // How many threads the wasm backend chose here (it decides by itself, from what Node offers).
  const threads = (await tf.setBackend('wasm')) ? `, wasm on ${wasm.getThreadsCount()} thread(s)` : '';
  const note = `tfjs ${tf.version_core}: ${failure ?? `webgpu on the ${nav.sameAdapter(mark)}`}${threads}`;
  const peers = (['webgpu', 'wasm', 'cpu'] as const).map(
    (b) => new TfjsPeer(tf, b, b === 'webgpu' ? failure : undefined),
  );
  return { peers, note };
}
