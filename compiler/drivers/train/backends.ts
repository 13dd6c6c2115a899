// The training backends `mdl train --backend NAME` chooses from, as a registry typed over their
// names: the command validates the flag, lists the choices in its hint and creates the backend
// through this table, so a new backend is its file and one entry here. Backends load lazily: the
// reference interpreter needs no GPU, and the WebGPU backend's Dawn binding is heavy.
import type { TrainStep } from '../../autodiff/optimizer.js';
import type { Graph } from '../../ir/types.js';
import type { Backend } from '../../../runtime/train/backend.js';

export interface BackendRequest {
  readonly step: TrainStep;
  /** The forward graph, for inference (test accuracy). */
  readonly forward: Graph;
  /** One sample's shape [C, H, W]. */
  readonly sampleShape: readonly number[];
  readonly batch: number;
  readonly seed: number;
}

export interface TrainBackendDef {
  /** One line for the flag's hint. */
  readonly doc: string;
  create(r: BackendRequest): Promise<Backend>;
}

export const TRAIN_BACKENDS = {
  webgpu: {
    doc: 'the whole step compiled to WGSL and run on the WebGPU adapter found here (default)',
    create: async (r) => (await import('./webgpu.js')).webGpuBackend(r.step, r.forward, r.batch, r.seed),
  },
  reference: {
    doc: 'the float32 reference interpreter on the CPU: slow, exact, the oracle',
    create: async (r) =>
      new (await import('./reference-backend.js')).ReferenceBackend(r.step, r.forward, r.sampleShape, r.seed),
  },
} as const satisfies Record<string, TrainBackendDef>;

export type TrainBackendName = keyof typeof TRAIN_BACKENDS;

export const TRAIN_BACKEND_NAMES = Object.keys(TRAIN_BACKENDS) as TrainBackendName[];

export const isTrainBackend = (name: string): name is TrainBackendName => Object.hasOwn(TRAIN_BACKENDS, name);
