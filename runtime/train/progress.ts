// Progress on a terminal: one line redrawn in place (step, loss, samples/s, ETA); elsewhere
// (CI logs, pipes) a plain line now and then, so logs stay readable.

import type { Progress, TrainResult } from './trainer.js';

function clock(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const ss = String(Math.floor(s % 60)).padStart(2, '0');
  return h > 0 ? `${h}:${String(m % 60).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = stream.isTTY === true;
  let lastPlain = 0;
  let drawn = false;
  return {
    update(s) {
      const frac = s.batch / s.batches;
      const width = 24;
      const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '·');
      const text = `epoch ${s.epoch}/${s.epochs} ${bar} ${s.batch}/${s.batches}  loss ${s.loss?.toFixed(4) ?? '-'}  ${Math.round(s.samplesPerSecond).toLocaleString('en')} samples/s  ETA ${clock(s.etaSeconds)}`;
      if (tty) {
        stream.write(`\r\x1b[2K${text}`);
        drawn = true;
      } else if (Date.now() - lastPlain > 10_000) {
        stream.write(text + '\n');
        lastPlain = Date.now();
      }
    },
    line(text) {
      if (tty && drawn) stream.write('\r\x1b[2K');
      drawn = false;
      stream.write(text + '\n');
    },
    done() {
      if (tty && drawn) stream.write('\n');
      drawn = false;
    },
  };
}

/** The last line of a run: where it stopped (and how to continue), or its test accuracy. */
export function finishedLine(res: TrainResult, out: string): string {
  const last = res.epochs[res.epochs.length - 1];
  return res.interrupted
    ? `stopped at step ${res.steps}; checkpoint ${res.checkpoint} (continue with --resume)`
    : `done: ${res.steps} steps${last ? `, test accuracy ${(100 * last.testAccuracy).toFixed(2)}%` : ''}; checkpoint ${res.checkpoint}, metrics ${out}/metrics.jsonl`;
}
