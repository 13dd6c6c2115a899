// Comparing candidates under one or several goals. With one goal a candidate is better when its
// value times the goal's sign is larger. With several, the search keeps the Pareto front (the
// candidates no other candidate beats on every goal), and when it must pick one — a tournament,
// the population member to drop, the winner a report names first — it uses the sum of the
// candidate's ranks under each goal among the candidates compared (lower is better): the
// "combination" of proxies that ensemble zero-shot methods use, scale-free and without weights.
import type { Evaluated, Goal } from './problem.js';

/** The goals' values with their signs applied: larger is better in every coordinate. */
export function scoresOf(e: Pick<Evaluated, 'values'>, goals: readonly Goal[]): number[] {
  return goals.map((g) => g.sign * (e.values[g.name] as number));
}

/** a is at least as good as b everywhere and better somewhere. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < b[i]!) return false;
    if (a[i]! > b[i]!) better = true;
  }
  return better;
}

/**
 * The non-dominated candidates, best first by the first goal. Candidates with equal scores on
 * every goal are all kept once per distinct score vector (the earliest evaluated).
 */
export function paretoFront<T extends Pick<Evaluated, 'values'>>(items: readonly T[], goals: readonly Goal[]): T[] {
  const scored = items.map((e, i) => ({ e, s: scoresOf(e, goals), i }));
  scored.sort((a, b) => {
    for (let k = 0; k < goals.length; k++) if (a.s[k] !== b.s[k]) return b.s[k]! - a.s[k]!;
    return a.i - b.i;
  });
  const front: typeof scored = [];
  for (const x of scored) {
    const last = front[front.length - 1];
    if (last && last.s.every((v, k) => v === x.s[k])) continue;
    if (!front.some((f) => dominates(f.s, x.s))) front.push(x);
  }
  return front.map((x) => x.e);
}

/** Per candidate, the sum over goals of its rank among `items` (1 = best; ties share the mean). */
export function rankSums(items: readonly Pick<Evaluated, 'values'>[], goals: readonly Goal[]): number[] {
  const sums = new Array<number>(items.length).fill(0);
  for (const g of goals) {
    const v = items.map((e) => g.sign * (e.values[g.name] as number));
    const order = v.map((_, i) => i).sort((a, b) => v[b]! - v[a]!);
    for (let i = 0; i < order.length;) {
      let j = i;
      while (j + 1 < order.length && v[order[j + 1]!] === v[order[i]!]) j++;
      const r = (i + j) / 2 + 1;
      for (let k = i; k <= j; k++) sums[order[k]!]! += r;
      i = j + 1;
    }
  }
  return sums;
}

/**
 * A fitness for each candidate, larger is better: the signed value of the one goal, or minus the
 * rank sum among `items` for several goals.
 */
export function fitness(items: readonly Pick<Evaluated, 'values'>[], goals: readonly Goal[]): number[] {
  if (goals.length === 1) return items.map((e) => goals[0]!.sign * (e.values[goals[0]!.name] as number));
  return rankSums(items, goals).map((s) => -s);
}

/** The best candidate by `fitness` (the earliest among equals); undefined for none. */
export function best<T extends Pick<Evaluated, 'values'>>(items: readonly T[], goals: readonly Goal[]): T | undefined {
  const f = fitness(items, goals);
  let k = -1;
  for (let i = 0; i < items.length; i++) if (k < 0 || f[i]! > f[k]!) k = i;
  return k < 0 ? undefined : items[k];
}
