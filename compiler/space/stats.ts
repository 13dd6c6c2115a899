// Rank statistics for judging a proxy against ground truth: Spearman's ρ (Pearson correlation
// of average ranks, so ties are handled as scipy.stats.spearmanr does), Kendall's τ-b (with
// the tie corrections of scipy.stats.kendalltau, by Knight's O(n log n) algorithm), and top-k
// overlap (the share of the k best by truth that are among the k best by the proxy).

/** Average ranks (1-based), ties sharing the mean of their positions. */
export function ranks(xs: readonly number[]): number[] {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && xs[order[j + 1]!] === xs[order[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[order[k]!] = avg;
    i = j + 1;
  }
  return r;
}

export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

export function spearman(xs: readonly number[], ys: readonly number[]): number {
  return pearson(ranks(xs), ranks(ys));
}

/** Kendall's τ-b. */
export function kendall(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  // Sort by x then y; count ties in x, in (x, y), then count discordant pairs as the swaps
  // a merge sort on y makes.
  const idx = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]! || ys[a]! - ys[b]!);
  const pairs = (k: number) => (k * (k - 1)) / 2;
  let tiesX = 0;
  let tiesXY = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && xs[idx[j + 1]!] === xs[idx[i]!]) j++;
    tiesX += pairs(j - i + 1);
    for (let a = i; a <= j;) {
      let b = a;
      while (b + 1 <= j && ys[idx[b + 1]!] === ys[idx[a]!]) b++;
      tiesXY += pairs(b - a + 1);
      a = b + 1;
    }
    i = j + 1;
  }
  const y = idx.map((i) => ys[i]!);
  const buf = new Array<number>(n);
  let swaps = 0;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let a = lo;
      let b = mid;
      let k = lo;
      while (a < mid && b < hi) {
        if (y[b]! < y[a]!) {
          buf[k++] = y[b++]!;
          swaps += mid - a;
        } else buf[k++] = y[a++]!;
      }
      while (a < mid) buf[k++] = y[a++]!;
      while (b < hi) buf[k++] = y[b++]!;
    }
    for (let k = 0; k < n; k++) y[k] = buf[k]!;
  }
  let tiesY = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && y[j + 1] === y[i]) j++;
    tiesY += pairs(j - i + 1);
    i = j + 1;
  }
  const total = pairs(n);
  const concordantMinusDiscordant = total - tiesX - tiesY + tiesXY - 2 * swaps;
  const denom = Math.sqrt((total - tiesX) * (total - tiesY));
  return denom === 0 ? NaN : concordantMinusDiscordant / denom;
}

/** |top-k by proxy ∩ top-k by truth| / k (higher is better for both; ties by position). */
export function topKOverlap(proxy: readonly number[], truth: readonly number[], k: number): number {
  const top = (xs: readonly number[]) =>
    new Set(
      xs
        .map((_, i) => i)
        .sort((a, b) => xs[b]! - xs[a]! || a - b)
        .slice(0, k),
    );
  const a = top(proxy);
  let hit = 0;
  for (const i of top(truth)) if (a.has(i)) hit++;
  return k > 0 ? hit / Math.min(k, proxy.length) : NaN;
}
