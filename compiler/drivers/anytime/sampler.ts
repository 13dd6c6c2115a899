// How anytime training picks the sub-networks of a step, as a registry typed over the sampler
// names (`mdl train --anytime NAME`). A sampler says how many shared-weight copies the step
// graph holds, whether the copies after the first learn from its soft outputs, and draws one
// sub-network per copy.
//   uniform   one sub-network per step, uniformly: the baseline AnytimeNN training
//   tips      one sub-network per step from TIPS's distribution (p ∝ TPS of its best path)
//   sandwich  the largest on the labels, two uniformly drawn and the smallest against the
//             largest's soft outputs, gradients summed into one update (the official TIPS
//             code's slimmable training)
export interface DrawContext {
  readonly rng: () => number;
  readonly subnets: number;
  readonly largest: number;
  readonly smallest: number;
  /** TIPS's sampling distribution over the sub-networks. */
  readonly tips: readonly number[];
}

export interface SamplerDef {
  readonly doc: string;
  readonly copies: number;
  readonly distill: boolean;
  draw(c: DrawContext): number[];
}

const uniform = (c: DrawContext) => Math.min(c.subnets - 1, Math.floor(c.rng() * c.subnets));

/** One draw from a discrete distribution (inverse CDF). */
export function drawFrom(p: readonly number[], u: number): number {
  let acc = 0;
  for (let i = 0; i < p.length; i++) {
    acc += p[i]!;
    if (u < acc) return i;
  }
  return p.length - 1;
}

export const SAMPLERS = {
  uniform: {
    doc: 'one sub-network per step, drawn uniformly (the AnytimeNN baseline)',
    copies: 1,
    distill: false,
    draw: (c) => [uniform(c)],
  },
  tips: {
    doc: "one sub-network per step, drawn from TIPS's distribution (p ∝ TPS of its best path)",
    copies: 1,
    distill: false,
    draw: (c) => [drawFrom(c.tips, c.rng())],
  },
  sandwich: {
    doc: 'largest (labels), two uniform draws and the smallest (soft outputs of the largest), one update',
    copies: 4,
    distill: true,
    draw: (c) => [c.largest, uniform(c), uniform(c), c.smallest],
  },
} as const satisfies Record<string, SamplerDef>;

export type SamplerName = keyof typeof SAMPLERS;

export const SAMPLER_NAMES = Object.keys(SAMPLERS) as SamplerName[];

export const isSampler = (name: string): name is SamplerName => Object.hasOwn(SAMPLERS, name);
