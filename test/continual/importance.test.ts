// Online-LoRA's importance weights as the official code accumulates them: squared gradients
// summed over the hard buffer (not averaged), then a running average over plateaus in which
// every plateau weighs the same.
import { describe, expect, it } from 'vitest';
import { addSquares, runningImportance } from '../../compiler/drivers/continual/importance.js';

const t = (...xs: number[]) => Float32Array.from(xs);

describe('online-lora importance', () => {
  it('sums the squared gradients of the hard-buffer entries', () => {
    const G = new Map<string, Float32Array>();
    addSquares(G, new Map([['a', t(1, -2)]]));
    addSquares(G, new Map([['a', t(3, 0.5)]]));
    expect([...G.get('a')!]).toEqual([10, 4.25]);
  });

  it('averages over plateaus with equal weights: Ω_n = G_n/n + (1 − 1/n)·Ω_{n−1}', () => {
    let omega = new Map<string, Float32Array>();
    const gs = [t(4, 0), t(1, 3), t(7, 6)];
    gs.forEach((g, i) => (omega = runningImportance(omega, new Map([['a', g]]), i + 1)));
    // the plain mean of the three plateaus' G
    expect([...omega.get('a')!].map((v) => +v.toFixed(5))).toEqual([4, 3]);
  });
});
