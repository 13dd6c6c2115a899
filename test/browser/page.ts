// The page side of the browser test (runtime.test.ts): loaded as a native module by page.html
// from dist/, it runs a compiled model through the browser build and hands back plain JSON
// (Playwright carries it to the test). Everything it imports is environment-free, so the test
// imports `digest` from here too, and both sides hash tensors with the same code.
import { acquireBrowserDevice, BrowserModel, type BrowserAdapterReport } from '../../runtime/browser/index.js';

export interface PageRun {
  /** The model folder's URL. */
  readonly model: string;
  /** One batch: batch × sampleSize values and batch labels. */
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly steps: number;
  readonly lr: number;
}

export interface PageResult {
  readonly adapter: BrowserAdapterReport;
  readonly description: string;
  /** FNV-1a of each tensor's bytes, before training and after it. */
  readonly initial: Record<string, string>;
  readonly final: Record<string, string>;
  readonly losses: number[];
  readonly logits: number[];
  readonly ms: { load: number; steps: number; forward: number };
}

/** FNV-1a (32 bits) of an array's bytes, as hex: equal digests mean equal values, bit for bit. */
export function digest(a: Float32Array | Int32Array): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

export async function run(a: PageRun): Promise<PageResult> {
  const t0 = performance.now();
  const m = await BrowserModel.load(a.model, { seed: 0 });
  const t1 = performance.now();
  const digests = async () => Object.fromEntries([...(await m.state())].map(([k, t]) => [k, digest(t.data)]));
  try {
    const initial = await digests();
    const x = Float32Array.from(a.x);
    const y = Int32Array.from(a.y);
    const losses: number[] = [];
    const t2 = performance.now();
    for (let s = 0; s < a.steps; s++) losses.push((await m.trainStep(x, y, a.lr, s))!);
    const t3 = performance.now();
    const logits = Array.from(await m.forward(x));
    const t4 = performance.now();
    return {
      adapter: m.adapter,
      description: m.description,
      initial,
      final: await digests(),
      losses,
      logits,
      ms: { load: t1 - t0, steps: t3 - t2, forward: t4 - t3 },
    };
  } finally {
    m.dispose();
  }
}

/** Loads a model and disposes of it (what a failed load throws is the point). */
export async function load(url: string): Promise<void> {
  (await BrowserModel.load(url)).dispose();
}

/** The adapter the browser build picks, as it reports it. */
export async function adapter(): Promise<BrowserAdapterReport> {
  const acq = await acquireBrowserDevice();
  acq.device.destroy();
  return acq.report;
}

(globalThis as { mdlPage?: unknown }).mdlPage = { run, load, adapter };
