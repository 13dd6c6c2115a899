// Dawn's limit warnings never reach the user (compiler/cli/dawn-noise.ts): the filter drops
// exactly those lines whatever the chunking, `mdl device` prints none, and the child that runs a
// device command is stopped the way the user stops `mdl`: Ctrl-C (SIGINT) still ends a training
// run gracefully with a checkpoint, and a parent killed outright takes its child with it.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NoiseFilter, wantsFilter } from '../../compiler/cli/dawn-noise.js';

const CLI = 'dist/compiler/cli/main.js';
const NOISE = [
  'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.',
  'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.',
];

describe('which commands run in a filtered child', () => {
  it('those that may open the device; `score` only for a data-dependent proxy', async () => {
    expect(await wantsFilter(['train', 'examples/lenet5.mdl'])).toBe(true);
    expect(await wantsFilter(['train', 'examples/lenet5.mdl', '--backend', 'reference'])).toBe(false);
    expect(await wantsFilter(['check', 'examples/lenet5.mdl'])).toBe(false);
    // The default proxies are static: no device, so no second start-up.
    expect(await wantsFilter(['score', 'examples/nb201.mdl'])).toBe(false);
    expect(await wantsFilter(['score', 'examples/nb201.mdl', '--proxies', 'params,nn_mass'])).toBe(false);
    expect(await wantsFilter(['score', 'examples/nb201.mdl', '--proxies', 'params,zico'])).toBe(true);
    expect(await wantsFilter(['score', 'examples/nb201.mdl', '--proxies=synflow'])).toBe(true);
    expect(await wantsFilter(['score', 'examples/nb201.mdl', '--proxies', 'zico', '--backend', 'reference'])).toBe(
      false,
    );
  });
});

describe('the noise filter', () => {
  it('drops the warning lines and keeps everything else in order, however the text is chunked', () => {
    const line = fc.oneof(
      fc.constantFrom(...NOISE),
      fc.constantFrom('Warning: something else', 'Warning: maxDynamic', 'epoch 1/3', '\rstep 5', 'error MDL1003: x'),
      fc.string({ maxLength: 20 }).filter((s) => !s.includes('\n')),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.array(fc.nat(40), { maxLength: 12 }), (lines, cuts) => {
        const text = lines.map((l) => l + '\n').join('');
        const want = lines
          .filter((l) => !NOISE.includes(l))
          .map((l) => l + '\n')
          .join('');
        let got = '';
        const f = new NoiseFilter((t) => (got += t));
        let at = 0;
        for (const c of cuts) {
          f.push(text.slice(at, at + c));
          at += c;
        }
        f.push(text.slice(at));
        f.end();
        expect(got).toBe(want);
      }),
      { numRuns: 300 },
    );
  });

  it('passes a partial progress line on at once', () => {
    let got = '';
    const f = new NoiseFilter((t) => (got += t));
    f.push('\repoch 2/5 ███··· 10/124');
    expect(got).toBe('\repoch 2/5 ███··· 10/124');
    f.push('Warning: maxDyn');
    expect(got).toBe('\repoch 2/5 ███··· 10/124');
  });
});

/** A WebGPU training run far longer than any test waits for. */
const longTraining = (out: string) =>
  spawn(process.execPath, [
    CLI,
    'train',
    'examples/mlp.mdl',
    '--data',
    'mnist',
    '--limit',
    '512',
    '--epochs',
    '1000',
    '--out',
    out,
  ]);

describe('device commands run in a filtered child', () => {
  it('`mdl device` names the adapter and prints no Dawn warning', () => {
    const r = execFileSync(process.execPath, [CLI, 'device'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(r).toMatch(/WebGPU adapter: /);
    // stderr is checked through a combined run: the warnings were on stderr.
    const both = execFileSync('sh', ['-c', `"${process.execPath}" ${CLI} device 2>&1`], { encoding: 'utf8' });
    expect(both).toMatch(/WebGPU adapter: /);
    expect(both).not.toMatch(/artificially reduced/);
  }, 120_000);

  it('passes the exit code on', () => {
    let code = 0;
    try {
      execFileSync(process.execPath, [CLI, 'train', 'no-such-file.mdl'], { stdio: 'pipe' });
    } catch (e) {
      code = (e as { status: number }).status;
    }
    expect(code).toBe(1);
  }, 60_000);

  it('Ctrl-C stops a WebGPU training run after the step, with a checkpoint; exit 130', async () => {
    const out = mkdtempSync(join(tmpdir(), 'mdl-sigint-'));
    const p = longTraining(out);
    let text = '';
    let sent = false;
    const onData = (d: Buffer) => {
      text += d.toString();
      if (!sent && /epoch 1\/1000:/.test(text)) {
        sent = true;
        p.kill('SIGINT');
      }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    const code = await new Promise<number | null>((resolve) => p.on('exit', resolve));
    expect(text).toMatch(/stopping after this step/);
    expect(text).not.toMatch(/artificially reduced/);
    expect(code).toBe(130);
    expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(true);
  }, 240_000);

  it('a parent killed with SIGKILL takes its child with it', async () => {
    const p = longTraining(mkdtempSync(join(tmpdir(), 'mdl-orphan-')));
    // The parent starts its child once it has loaded (seconds on a loaded machine).
    const childOf = (pid: number) => {
      try {
        return Number(execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).trim());
      } catch {
        return 0; // ps exits 1 when it lists nothing
      }
    };
    let child = 0;
    for (const start = Date.now(); child === 0 && Date.now() - start < 30_000;) {
      await new Promise((r) => setTimeout(r, 200));
      child = childOf(p.pid!);
    }
    expect(child).toBeGreaterThan(0);
    p.kill('SIGKILL');
    // Gone, or a zombie nobody has reaped yet (a container's first process may never reap it).
    const alive = () => {
      try {
        return readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1]![0] !== 'Z';
      } catch {
        return false;
      }
    };
    const until = Date.now() + 30_000;
    while (alive() && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(alive()).toBe(false);
  }, 60_000);
});
