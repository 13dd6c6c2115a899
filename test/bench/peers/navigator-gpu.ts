// Browser frameworks (TF.js, jax-js) find WebGPU as `navigator.gpu`, which Node lacks. The
// bench provides it from the same Dawn route as mdl's runtime (runtime/device.ts): a Dawn
// instance made with that route's flags, so the peers are handed the adapter mdl runs on. Every
// adapter handed out is recorded, so the bench can print which adapter each peer really got
// instead of assuming it.
import type { AdapterReport } from '../../../runtime/device.js';

interface DawnModule {
  create(flags: string[]): GPU;
}

export interface NavigatorGpu {
  /** Describes the adapters handed out since `mark` was taken, against mdl's. */
  sameAdapter(mark: number): string;
  /** How many adapters have been handed out so far. */
  mark(): number;
}

let provided: NavigatorGpu | undefined;

export async function provideNavigatorGpu(mdl: AdapterReport): Promise<NavigatorGpu> {
  if (provided) return provided;
  const dawn = (await import('webgpu')) as unknown as DawnModule;
  // Kept for the life of the process: a Dawn device must not outlive its instance.
  const gpu = dawn.create(mdl.route === 'opengl' ? ['backend=opengl'] : []);
  const seen: GPUAdapterInfo[] = [];
  const shim = {
    wgslLanguageFeatures: gpu.wgslLanguageFeatures,
    getPreferredCanvasFormat: () => gpu.getPreferredCanvasFormat(),
    async requestAdapter(o?: GPURequestAdapterOptions): Promise<GPUAdapter | null> {
      // The OpenGL route exists only in compatibility mode (see runtime/device.ts).
      const a = await gpu.requestAdapter({
        ...o,
        ...(mdl.route === 'opengl' ? { featureLevel: 'compatibility' } : {}),
      } as GPURequestAdapterOptions);
      if (a) seen.push(a.info);
      return a;
    },
  };
  const g = globalThis as { navigator?: Record<string, unknown> };
  g.navigator ??= {};
  g.navigator['gpu'] = shim;
  // jax-js reads the user agent to tune kernels for mobile browsers.
  g.navigator['userAgent'] ??= `Node.js/${process.version}`;
  const mdlName = mdl.description || mdl.device;
  provided = {
    mark: () => seen.length,
    sameAdapter(mark) {
      const got = seen.slice(mark);
      if (got.length === 0) return 'asked navigator.gpu for no adapter';
      const names = [...new Set(got.map((i) => i.description || i.device))];
      return names.length === 1 && names[0] === mdlName
        ? `same adapter as mdl (${mdlName})`
        : `adapter ${names.join(', ')}, not mdl's (${mdlName})`;
    },
  };
  return provided;
}
