/// <reference types="@webgpu/types" preserve="true" />
// (The reference above: the declarations name WebGPU's types, so a consumer's tsc needs them.)
// The browser build of the runtime: what a page imports to run a model `mdl compile` wrote.
// tsc's ES module output (dist/runtime/browser/index.js) loads as native modules, no bundler:
// every module it reaches imports only relative paths, none of Node's built-ins (a test walks
// the graph to keep it so).
//
//   import { BrowserModel } from './dist/runtime/browser/index.js';
//   const model = await BrowserModel.load('./build/mlp/');   // plan.json + kernels/*.wgsl
//   const loss = await model.trainStep(x, y, 0.01, step);
//   const logits = await model.forward(x);
export { BrowserModel, fetchBundle, type BrowserLoadOptions } from './model.js';
export {
  acquireBrowserDevice,
  formatBrowserReport,
  type BrowserAcquired,
  type BrowserAdapterReport,
  type BrowserDeviceOptions,
} from './device.js';
export { ModelLoadError, type TrainStepOptions } from '../model-core.js';
export { NoAdapterError } from '../adapter.js';
export type { ModelInfo, ParamInfo } from '../plan/bundle.js';
export type { NamedTensor } from '../checkpoint/safetensors.js';
