// What every runtime does with a WebGPU adapter once it has one, whatever found it (Dawn in
// Node, runtime/device.ts; `navigator.gpu` in a browser, runtime/browser/device.ts): describe it,
// and open a device with the adapter's own limits. Free of Node built-ins, so the browser build
// can import it.

export interface AdapterReport {
  /** 'browser', 'native' (Dawn's default backend) or 'opengl' (compatibility mode). */
  readonly route: 'browser' | 'native' | 'opengl';
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** True for a CPU implementation (llvmpipe, lavapipe, SwiftShader). */
  readonly software: boolean;
  readonly features: readonly string[];
  readonly limits: Readonly<Record<string, number>>;
}

export interface Acquired {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  readonly report: AdapterReport;
}

export class NoAdapterError extends Error {}

export const LIMIT_NAMES = [
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
] as const;

export function describeAdapter(adapter: GPUAdapter, route: AdapterReport['route']): AdapterReport {
  const info = adapter.info;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  const limits: Record<string, number> = {};
  for (const k of LIMIT_NAMES) limits[k] = Number((adapter.limits as unknown as Record<string, number>)[k]);
  return {
    route,
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software: /llvmpipe|lavapipe|swiftshader|software/.test(text),
    features: [...adapter.features].sort(),
    limits,
  };
}

export function formatReport(r: AdapterReport): string {
  const name = r.description || r.device || r.architecture || 'unknown adapter';
  const via = r.route === 'opengl' ? 'OpenGL ES (compatibility mode)' : r.route === 'native' ? 'Dawn' : 'the browser';
  return `WebGPU adapter: ${name} (${r.vendor || 'unknown vendor'}${r.software ? ', software' : ''}) via ${via}`;
}

const routes = new WeakMap<GPUDevice, AdapterReport['route']>();

/** The route a device was opened by (undefined for a device opened elsewhere). */
export function routeOf(device: GPUDevice): AdapterReport['route'] | undefined {
  return routes.get(device);
}

/**
 * Request the adapter's own limits, so kernels can be planned against what it really has (and
 * a compatibility-mode device, whose defaults are lower than core WebGPU's, gets them too).
 */
export async function openAdapter(adapter: GPUAdapter, route: AdapterReport['route']): Promise<Acquired> {
  const requiredLimits: Record<string, number> = {};
  for (const k of LIMIT_NAMES) requiredLimits[k] = Number((adapter.limits as unknown as Record<string, number>)[k]);
  const device = await adapter.requestDevice({ requiredLimits });
  routes.set(device, route);
  return { device, adapter, report: describeAdapter(adapter, route) };
}
