// The accuracy–MACs curve of an anytime network and the area under it. For a budget of m MACs
// the network can answer with the most accurate sub-network that costs at most m: a staircase
// over the sub-networks sorted by MACs. The area is its integral over [cheapest, dearest],
// divided by that width: the mean accuracy over budgets, in the units of accuracy (so that
// networks of different sizes compare).
export interface CurvePoint {
  readonly macs: number;
  readonly accuracy: number;
}

/** The staircase's corners: sub-networks that beat every cheaper one, by MACs. */
export function paretoFront(points: readonly CurvePoint[]): CurvePoint[] {
  const sorted = [...points].sort((a, b) => a.macs - b.macs || b.accuracy - a.accuracy);
  const front: CurvePoint[] = [];
  for (const p of sorted) if (front.length === 0 || p.accuracy > front.at(-1)!.accuracy) front.push(p);
  return front;
}

/** The normalised area under the staircase (the accuracy of the cheapest when all cost the same). */
export function curveArea(points: readonly CurvePoint[]): number {
  const front = paretoFront(points);
  if (front.length === 0) return 0;
  const lo = front[0]!.macs;
  const hi = Math.max(...points.map((p) => p.macs));
  if (hi === lo) return front.at(-1)!.accuracy;
  let area = 0;
  front.forEach((p, i) => {
    const next = i + 1 < front.length ? front[i + 1]!.macs : hi;
    area += p.accuracy * (next - p.macs);
  });
  return area / (hi - lo);
}
