// The roofline of measured kernels: each kernel's achieved FLOP/s and bytes/s against a card's
// fp32 peak and memory bandwidth. A kernel of arithmetic intensity I (FLOPs per byte moved) can
// reach at most min(peak, I·bandwidth); the ridge point peak/bandwidth separates the kernels
// that memory bounds from those the arithmetic bounds. Pure: `mdl kernels --time`, the bench's
// profile and the GPU bench (test/bench/gpu.ts) measure; this derives the rates, classifies
// and writes the table. Without a card it gives the rates alone.

export interface Card {
  /** fp32 peak, GFLOP/s. */
  readonly peakGflops: number;
  /** Memory bandwidth, GB/s. */
  readonly bandwidthGbs: number;
}

export interface Measured {
  readonly name: string;
  readonly ms: number;
  readonly flops: number;
  readonly bytes: number;
}

export interface RooflineRow extends Measured {
  readonly gflops: number;
  readonly gbs: number;
  /** FLOPs per byte (0 for a kernel that moves nothing). */
  readonly intensity: number;
  /** Which roof limits it; absent without a card. */
  readonly bound?: 'memory' | 'compute';
  /** Achieved / attainable (min(peak, intensity·bandwidth)), in [0, ∞); absent without a card. */
  readonly ofRoof?: number;
}

export function roofline(kernels: readonly Measured[], card?: Card): RooflineRow[] {
  if (card && !(card.peakGflops > 0 && card.bandwidthGbs > 0))
    throw new RangeError('a card needs a positive peak and bandwidth');
  return kernels.map((k) => {
    const gflops = k.ms > 0 ? k.flops / k.ms / 1e6 : 0;
    const gbs = k.ms > 0 ? k.bytes / k.ms / 1e6 : 0;
    const intensity = k.bytes > 0 ? k.flops / k.bytes : 0;
    if (!card) return { ...k, gflops, gbs, intensity };
    const ridge = card.peakGflops / card.bandwidthGbs;
    const bound = intensity >= ridge ? 'compute' : 'memory';
    const roof = Math.min(card.peakGflops, intensity * card.bandwidthGbs);
    // A kernel with no FLOPs is judged on bandwidth alone.
    const ofRoof = k.flops > 0 ? gflops / roof : gbs / card.bandwidthGbs;
    return { ...k, gflops, gbs, intensity, bound, ofRoof };
  });
}

const pct = (x: number | undefined) => (x === undefined ? '–' : `${(x * 100).toFixed(1)} %`);

/** A markdown table of the `top` slowest kernels, with their share of the kernels' time. */
export function rooflineTable(rows: readonly RooflineRow[], top: number): string {
  const total = rows.reduce((s, r) => s + r.ms, 0);
  const lines = [
    '| kernel | ms | share | GFLOP/s | GB/s | FLOP/byte | bound | of its roof |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of [...rows].sort((a, b) => b.ms - a.ms).slice(0, top))
    lines.push(
      `| ${r.name.replace(/\|/g, '\\|')} | ${r.ms.toFixed(3)} | ${pct(total > 0 ? r.ms / total : 0)} | ${r.gflops.toFixed(1)} | ${r.gbs.toFixed(1)} | ${r.intensity.toFixed(2)} | ${r.bound ?? '–'} | ${pct(r.ofRoof)} |`,
    );
  return lines.join('\n');
}
