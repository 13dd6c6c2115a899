// The topology scores of one model, as `mdl summary` reports them (the same functions the
// `nn_mass`, `nn_degree` and `dtmc_tps` proxies of `mdl score` compute over a space).
import { dtmc } from './dtmc.js';
import { nnDegree } from './nn-degree.js';
import { nnMass } from './nn-mass.js';
import { functionalView } from './topology.js';
import type { Graph } from '../ir/types.js';

export interface TopologyScores {
  /** NN-Mass (Bhardwaj et al., CVPR 2021), the official code's formulas. */
  readonly nn_mass: number;
  /** NN-Degree (FLASH): Σ over cells of width + skip links / depth. */
  readonly nn_degree: number;
  /** TIPS: the best path's score in the DTMC of the graph (sum of stationary probabilities). */
  readonly dtmc_path_score: number;
}

export function topologyScores(g: Graph): TopologyScores {
  const view = functionalView(g);
  return {
    nn_mass: nnMass(g, view).total,
    nn_degree: nnDegree(g, view).total,
    dtmc_path_score: dtmc(g, { k: 1 }, view).paths[0]?.score ?? 0,
  };
}
