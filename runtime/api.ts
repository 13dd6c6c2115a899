/// <reference types="@webgpu/types" preserve="true" />
// (The reference above: the declarations name WebGPU's types, so a consumer's tsc needs them.)
// The runtime's public entry, `mdl-nn/runtime`: what a program `mdl compile` wrote imports (and
// what any program can use to run a compiled model).
export { CompiledModel, ModelLoadError, type LoadOptions, type TrainStepOptions } from './model.js';
export { trainMain, type MainSpec, type TrainSettings } from './standalone.js';
export type { ModelInfo, ParamInfo } from './plan/bundle.js';
export type { NamedTensor } from './checkpoint/safetensors.js';
export type { OptimizerSpec } from './plan/types.js';
export type { Schedule } from './train/schedule.js';
