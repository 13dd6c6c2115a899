// Finding a WebGPU device in a browser, through `navigator.gpu`, and saying which one.
//
// A core-WebGPU adapter is asked for first; if there is none, or only a fallback (a CPU
// implementation the browser offers when nothing better exists, e.g. Chromium's SwiftShader),
// a compatibility-mode adapter is asked for next (`featureLevel: 'compatibility'`: WebGPU over
// OpenGL ES). On a machine without a GPU that is how headless Chromium reaches Mesa's
// lavapipe (flags `--use-angle=vulkan --use-webgpu-adapter=opengles`), 5–8× faster than
// SwiftShader. A fallback adapter is used only when it is all there is, and it is reported.
//
// The device is opened with the adapter's own limits (runtime/adapter.ts): a compatibility-mode
// device's defaults are lower than core's (128 invocations per workgroup, not 256), below what
// plans compiled for WebGPU's core defaults need.
import { describeAdapter, NoAdapterError, openAdapter, type Acquired, type AdapterReport } from '../adapter.js';

export interface BrowserAdapterReport extends AdapterReport {
  readonly route: 'browser';
  /** The feature level of the device: 'core', or 'compatibility' (WebGPU over OpenGL ES). */
  readonly featureLevel: 'core' | 'compatibility';
  /** The browser's fallback adapter (a CPU implementation such as SwiftShader). */
  readonly fallback: boolean;
}

export interface BrowserAcquired extends Acquired {
  readonly report: BrowserAdapterReport;
}

export interface BrowserDeviceOptions {
  /** The WebGPU entry point; default `navigator.gpu`. */
  readonly gpu?: GPU;
  /** Called with every error the device does not hand to a caller (validation, out of memory). */
  readonly onError?: (message: string) => void;
}

function isFallback(a: GPUAdapter): boolean {
  // `isFallbackAdapter` moved from the adapter to its info; browsers have either.
  const info = a.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  return (
    info.isFallbackAdapter ??
    (a as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter ??
    /swiftshader/i.test(`${info.vendor} ${info.device} ${info.description}`)
  );
}

export async function acquireBrowserDevice(opts: BrowserDeviceOptions = {}): Promise<BrowserAcquired> {
  const gpu = opts.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu)
    throw new NoAdapterError(
      'this browser has no WebGPU (navigator.gpu is missing; WebGPU needs a secure context: https or localhost)',
    );
  const core = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  let adapter = core;
  if (!core || isFallback(core)) {
    const compat = await gpu.requestAdapter({
      powerPreference: 'high-performance',
      featureLevel: 'compatibility',
    } as GPURequestAdapterOptions);
    if (compat && (!core || !isFallback(compat))) adapter = compat;
  }
  if (!adapter)
    throw new NoAdapterError(
      'this browser exposes WebGPU but returned no adapter, in core or compatibility mode. Headless Chromium on a machine without a GPU needs --use-angle=vulkan --use-webgpu-adapter=opengles (Mesa lavapipe), or --enable-unsafe-webgpu (SwiftShader)',
    );
  const acq = await openAdapter(adapter, 'browser');
  // A compatibility-mode adapter may still support core WebGPU; it says so with this feature.
  const featureLevel = adapter.features.has('core-features-and-limits') || adapter === core ? 'core' : 'compatibility';
  const report: BrowserAdapterReport = {
    ...describeAdapter(adapter, 'browser'),
    route: 'browser',
    featureLevel,
    fallback: isFallback(adapter),
  };
  const onError = opts.onError ?? ((m: string) => console.error(`WebGPU: ${m}`));
  acq.device.addEventListener('uncapturederror', (e) => onError((e as GPUUncapturedErrorEvent).error.message));
  void acq.device.lost.then((info) => {
    if (info.reason !== 'destroyed') onError(`device lost: ${info.message}`);
  });
  return { ...acq, report };
}

/** The adapter in one line: browsers often leave its name empty, so say how it was reached. */
export function formatBrowserReport(r: BrowserAdapterReport): string {
  const name = [r.vendor, r.architecture, r.device, r.description].filter((s) => s).join(' ') || 'unnamed adapter';
  const how = [
    r.featureLevel === 'compatibility' ? 'compatibility mode' : 'core',
    r.fallback ? 'fallback adapter' : '',
    r.software ? 'software' : '',
  ].filter((s) => s);
  return `WebGPU adapter: ${name} (${how.join(', ')}) via the browser`;
}
