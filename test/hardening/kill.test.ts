// Fault injection for training runs: a run killed with SIGKILL at moments chosen from its own
// output (right after an epoch's line, while the checkpoint of that epoch is being written, and
// mid-epoch), then resumed, ends with exactly the weights and the metrics rows of a run that
// was never interrupted, and leaves no temporary file. Ctrl-C on the reference backend (which
// computes on the main thread) stops the run after the current step with a checkpoint.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../runtime/checkpoint/safetensors.js';
import { mdlWithin } from '../helpers/cli.js';

const CLI = 'dist/compiler/cli/main.js';
const TRAIN = [
  'train',
  'examples/mlp.mdl',
  '--data',
  'mnist',
  '--backend',
  'reference',
  '--limit',
  '384',
  '--seed',
  '3',
  // Optimizer state to resume besides the weights.
  '--optimizer',
  'momentum',
];

/** Runs `mdl` to the end. */
const mdl = (args: string[]) => mdlWithin(300_000, ...args);

/**
 * Starts `mdl`, and sends `signal` once its output matches `when` (after `delayMs`). Resolves
 * with the exit code (null when killed by a signal) and the output.
 */
function interrupt(
  args: string[],
  when: RegExp,
  signal: NodeJS.Signals,
  delayMs = 0,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args]);
    let out = '';
    let sent = false;
    const onData = (d: Buffer) => {
      out += d.toString();
      if (!sent && when.test(out)) {
        sent = true;
        setTimeout(() => p.kill(signal), delayMs);
      }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code, out }));
  });
}

function tensors(file: string): Map<string, number[]> {
  return new Map([...readCheckpoint(file).tensors].map(([k, t]) => [k, Array.from(t.data)]));
}

/** The metrics rows that are deterministic (steps and epochs), without timings. */
function rows(dir: string): string[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r['kind'] === 'step' || r['kind'] === 'epoch')
    .map((r) => JSON.stringify([r['kind'], r['step'], r['epoch'], r['loss'], r['test_accuracy']]));
}

describe('training under faults', () => {
  it('kill -9 at three moments, each time resumed: the weights and metrics of an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdl-kill-'));
    const ref = join(dir, 'ref');
    const run = join(dir, 'run');
    expect(mdl([...TRAIN, '--epochs', '4', '--out', ref]).code).toBe(0);

    // 1. Just after epoch 1's line: the checkpoint of epoch 1 is being written or just was.
    let r = await interrupt([...TRAIN, '--epochs', '4', '--out', run], /epoch 1\/4: /, 'SIGKILL');
    expect(r.code, r.out).toBeNull();
    // 2. Mid-epoch, a moment after the resumed run starts stepping.
    r = await interrupt([...TRAIN, '--epochs', '4', '--out', run, '--resume'], /epoch 2\/4: /, 'SIGKILL', 0);
    expect(r.code, r.out).toBeNull();
    // 3. During epoch 3, some time into it.
    r = await interrupt([...TRAIN, '--epochs', '4', '--out', run, '--resume'], /epoch 3\/4 /, 'SIGKILL', 150);
    // (the run may have ended before the signal came)
    expect([null, 0], r.out).toContain(r.code);
    const last = mdl([...TRAIN, '--epochs', '4', '--out', run, '--resume']);
    expect(last.code, last.err).toBe(0);

    // The weights, and the optimizer state beside them (runtime/checkpoint/train-state.ts).
    const files = readdirSync(ref).sort();
    expect(files).toEqual([
      'checkpoint.safetensors',
      'metrics.jsonl',
      expect.stringMatching(/^train-state-\d+\.safetensors$/),
    ]);
    for (const f of ['checkpoint.safetensors', files[2]!])
      expect(tensors(join(run, f)), f).toEqual(tensors(join(ref, f)));
    const got = rows(run);
    expect(new Set(got).size, 'no metrics row twice').toBe(got.length);
    expect(got).toEqual(rows(ref));
    expect(readdirSync(run).sort()).toEqual(files);
  }, 300_000);

  it('Ctrl-C on the reference backend stops after the step, with a checkpoint that resumes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdl-sigint-'));
    const out = join(dir, 'run');
    const r = await interrupt([...TRAIN, '--epochs', '100', '--out', out], /epoch 1\/100: /, 'SIGINT');
    expect(r.code, r.out).toBe(130);
    expect(r.out).toMatch(/stopping after this step/);
    const step = Number(readCheckpoint(join(out, 'checkpoint.safetensors')).metadata['step']);
    expect(step).toBeGreaterThanOrEqual(6);
    expect(step).toBeLessThan(600);
  }, 300_000);
});
