// What the planner knows about the adapter it plans for: whether it is a CPU implementation
// (llvmpipe/lavapipe/SwiftShader, where the kernel strategy differs from a real GPU's; see
// shared/research/webgpu-on-cpu.md) and the limits a kernel must respect. Plain data: the runtime's
// AdapterReport fits this shape, so the compiler plans for an adapter without a device. The
// types are the plan format's (runtime/plan/types.ts): a plan records the target it was made for.
import type { ConvBackwardStrategy, Target, TargetLimits } from '../../runtime/plan/types.js';

export type { ConvBackwardStrategy, Target, TargetLimits };

/** The convolution-gradient strategy for a target: implicit GEMM on real GPUs, direct on CPU adapters. */
export function convBackwardStrategy(t: Target): ConvBackwardStrategy {
  return t.convBackward ?? (t.software ? 'direct' : 'implicit-gemm');
}

/** WebGPU's guaranteed minimum limits: what any adapter offers. */
export const DEFAULT_LIMITS: TargetLimits = {
  maxStorageBuffersPerShaderStage: 8,
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupsPerDimension: 65535,
  maxStorageBufferBindingSize: 134217728,
};

/** A target from an adapter report (runtime/device.ts's AdapterReport has this shape). */
export function targetOf(report: {
  readonly software: boolean;
  readonly limits: Readonly<Record<string, number>>;
}): Target {
  const limits = { ...DEFAULT_LIMITS };
  for (const k of Object.keys(limits) as (keyof TargetLimits)[]) {
    const v = report.limits[k];
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) limits[k] = v;
  }
  return { software: report.software, limits };
}

/** A CPU adapter with WebGPU's default limits: the planner's default when no adapter is given. */
export const SOFTWARE_TARGET: Target = { software: true, limits: DEFAULT_LIMITS };
export const GPU_TARGET: Target = { software: false, limits: DEFAULT_LIMITS };
