// Online-LoRA's importance weights Ω (Si-blurry/online_lora.py): at the n-th plateau, G is the sum
// over the hard buffer of the squared gradients (of the NLL of the model's own prediction) of
// each adapter entry, summed, not averaged, as the official code does; Ω then keeps the running
// average over plateaus, Ω ← G/n + (1 − 1/n)·Ω, so every plateau weighs the same. The host's
// arithmetic: the driver runs it on the device (device-graphs.ts), and this is its test oracle.

type Tensors = ReadonlyMap<string, Float32Array>;

/** G += g² for each tensor of one hard-buffer entry's gradients. */
export function addSquares(G: Map<string, Float32Array>, grads: Tensors): void {
  for (const [n, g] of grads) {
    const acc = G.get(n) ?? new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) acc[i]! += g[i]! * g[i]!;
    G.set(n, acc);
  }
}

/** Ω after the n-th plateau (n ≥ 1) from the previous Ω (empty before the first) and G. */
export function runningImportance(old: Tensors, G: Tensors, n: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, g] of G) {
    const o = old.get(name);
    out.set(
      name,
      g.map((x, i) => x / n + (1 - 1 / n) * (o ? o[i]! : 0)),
    );
  }
  return out;
}
