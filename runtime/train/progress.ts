// Progress on a terminal: one line redrawn in place (step, loss, samples/s, ETA); elsewhere
// (CI logs, pipes) a plain line now and then, so logs stay readable and a long run is never
// silent. Always on stderr: stdout holds a command's results. `mdl train` reports epochs and
// batches (terminalProgress), `mdl score` the candidates of a stream (countProgress).

import type { Progress, TrainResult } from './trainer.js';

function clock(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const ss = String(Math.floor(s % 60)).padStart(2, '0');
  return h > 0 ? `${h}:${String(m % 60).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** How often a plain progress line is written when the stream is not a terminal. */
export const PLAIN_EVERY_MS = 10_000;

/**
 * Progress over a count of items (`done` of `total`): on a terminal a bar redrawn at most ten
 * times a second, elsewhere a plain line every PLAIN_EVERY_MS. `end` clears the bar.
 */
export function countProgress(
  what: string,
  stream: NodeJS.WriteStream = process.stderr,
): { update(done: number, total: number): void; end(): void } {
  const tty = stream.isTTY === true;
  const t0 = Date.now();
  let last = 0;
  let drawn = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < (tty ? 100 : PLAIN_EVERY_MS) && done < total) return;
      if (!tty && done >= total) return;
      last = now;
      const frac = total > 0 ? Math.min(1, done / total) : 1;
      const rate = done / Math.max(1e-3, (now - t0) / 1000);
      const eta = rate > 0 ? Math.max(0, (total - done) / rate) : Infinity;
      const counts = `${done.toLocaleString('en')}/${total.toLocaleString('en')} ${what}  ${Math.round(rate).toLocaleString('en')}/s  ETA ${clock(eta)}`;
      if (tty) {
        const width = 30;
        const fill = Math.round(frac * width);
        stream.write(`\r\x1b[2K[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${counts}`);
        drawn = true;
      } else stream.write(`${counts}\n`);
    },
    end() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
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
      } else if (Date.now() - lastPlain > PLAIN_EVERY_MS) {
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
