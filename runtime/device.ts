// Finding a WebGPU device, by itself, and saying which one. In a browser that is
// `navigator.gpu`. In Node it is Dawn (the `webgpu` package), tried in this order:
//   1. Dawn's default backend choice (a real GPU's Vulkan/Metal/D3D driver, or on a machine
//      without a GPU, Mesa's lavapipe software Vulkan — which needs Mesa ≥ 25);
//   2. OpenGL ES through EGL in WebGPU compatibility mode (Mesa's llvmpipe), which works with
//      older Mesa releases; EGL must run without a display (EGL_PLATFORM=surfaceless).
// The chosen route is always reported. There is no silent fallback to the CPU interpreter:
// if no adapter is found, acquisition fails with what was tried and how to fix it.

import { NoAdapterError, openAdapter as open, type Acquired } from './adapter.js';
import { importPackage } from './missing-package.js';

// The environment-free part (reports, opening a device) lives in ./adapter.ts, shared with the
// browser build; it is re-exported here for the modules that import it from this one.
export { formatReport, NoAdapterError, type Acquired, type AdapterReport } from './adapter.js';

export type Route = 'auto' | 'native' | 'opengl';
export const ROUTES: readonly Route[] = ['auto', 'native', 'opengl'];

export function isRoute(s: string): s is Route {
  return (ROUTES as readonly string[]).includes(s);
}

// The route of every device acquired in this process without a route of its own: the CLI sets
// it from a command's --route, so every driver below it (training, proxies, search, …) takes
// the route the user chose without each passing it down.
let processRoute: Route = 'auto';

/** Sets the route of the devices acquired from now on without a route of their own. */
export function setRoute(route: Route): void {
  processRoute = route;
}

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

let dawn: Promise<DawnModule> | undefined;

// Dawn instances, one per set of flags, kept for the life of the process: a device must not
// outlive its instance (Dawn's event processing, used by every async call such as
// createComputePipelineAsync, crashes once a dropped instance has been garbage-collected).
const instances = new Map<string, GPU>();
function instance(create: DawnModule['create'], flags: string[]): GPU {
  const key = flags.join(' ');
  let gpu = instances.get(key);
  if (!gpu) {
    gpu = create(flags);
    instances.set(key, gpu);
  }
  return gpu;
}

async function loadDawn(): Promise<DawnModule> {
  dawn ??= importPackage('webgpu', 'running models on WebGPU in Node (Dawn)', () => import('webgpu')).then((m) => {
    const mod = m as unknown as DawnModule;
    // Dawn's constants (GPUBufferUsage, …) are globals in a browser; provide them in Node.
    for (const [k, v] of Object.entries(mod.globals))
      if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    return mod;
  });
  return dawn;
}

export async function acquireDevice(opts: { route?: Route } = {}): Promise<Acquired> {
  const route = opts.route ?? processRoute;
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu && typeof process === 'undefined') {
    const adapter = await nav.gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new NoAdapterError('this browser exposes WebGPU but returned no adapter');
    return open(adapter, 'browser');
  }
  process.env['XDG_RUNTIME_DIR'] ??= '/tmp';
  const tried: string[] = [];
  const { create } = await loadDawn();
  if (route === 'auto' || route === 'native') {
    const adapter = await instance(create, []).requestAdapter({ powerPreference: 'high-performance' });
    if (adapter) return open(adapter, 'native');
    tried.push("Dawn's default backend (Vulkan): no adapter");
  }
  if (route === 'auto' || route === 'opengl') {
    // EGL reads this when it initialises, so it must be set before the first GL adapter.
    process.env['EGL_PLATFORM'] ??= 'surfaceless';
    const adapter = await instance(create, ['backend=opengl']).requestAdapter({
      featureLevel: 'compatibility',
    } as GPURequestAdapterOptions);
    if (adapter) return open(adapter, 'opengl');
    tried.push('OpenGL ES via EGL (compatibility mode): no adapter');
  }
  throw new NoAdapterError(
    `no WebGPU adapter found (tried: ${tried.join('; ')}). On a machine without a GPU, install Mesa's software drivers: ` +
      'mesa-vulkan-drivers and libvulkan1 (Mesa 25 or newer, e.g. from bookworm-backports) for Vulkan, or libegl1, libegl-mesa0 and libgl1-mesa-dri for OpenGL.',
  );
}
