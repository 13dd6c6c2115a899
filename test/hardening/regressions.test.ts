// Regression tests for what the fuzzing and fault-injection run of issue 13 found, one case per
// finding outside the compiler's budgets (those are test/elaborate/budgets.test.ts and
// test/grammar/limits.test.ts): damaged and misfitting checkpoints, `fmt --write` on files the
// user set up, `score --out` after a kill and `score --merge` of foreign files, data paths that
// are folders, the demo server's malformed requests and escapes, and terminal safety.
import {
  chmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { escapeControls } from '../../compiler/diagnostics/render.js';
import { readCifarDir } from '../../runtime/data/cifar.js';
import { MAX_DATA_BYTES } from '../../runtime/data/dataset.js';
import { readIdxFile } from '../../runtime/data/idx.js';
import { serveFolders } from '../../runtime/browser/serve.js';
import {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  removeStaleTemps,
  type Checkpoint,
} from '../../runtime/checkpoint/safetensors.js';
import { checkFits, wholeNumber, type TensorSpec } from '../../runtime/checkpoint/validate.js';
import { mdlWithin } from '../helpers/cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'mdl-hardening-'));

const mdl = (...args: string[]) => mdlWithin(120_000, ...args);

/** A user error: exit 1, a coded error, no stack trace. */
function expectUserError(r: ReturnType<typeof mdl>, pattern: RegExp): void {
  expect(r.code, r.err).toBe(1);
  expect(r.err).toMatch(/error MDL\d{4}: /);
  expect(r.err).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

// ── checkpoints ────────────────────────────────────────────────────────────────────────────
const MODEL = new Map<string, TensorSpec>([
  ['w', { shape: [2, 2], dtype: 'F32' }],
  ['b', { shape: [2], dtype: 'F32' }],
  ['w@momentum_buffer', { shape: [2, 2], dtype: 'F32' }],
]);

function checkpoint(
  tensors: Record<string, Float32Array | Int32Array>,
  shapes: Record<string, number[]> = {},
): Checkpoint {
  return {
    tensors: new Map(Object.entries(tensors).map(([k, data]) => [k, { shape: shapes[k] ?? [data.length], data }])),
    metadata: { step: '3' },
  };
}

const full = () =>
  checkpoint(
    { w: new Float32Array(4), b: new Float32Array(2), 'w@momentum_buffer': new Float32Array(4) },
    { w: [2, 2], 'w@momentum_buffer': [2, 2] },
  );

/** A safetensors file whose header is `header` and whose data is `bytes` zero bytes. */
function rawFile(header: unknown, bytes: number): Buffer {
  const h = Buffer.from(JSON.stringify(header));
  const n = Buffer.alloc(8);
  n.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([n, h, Buffer.alloc(bytes)]);
}

describe('checkpoints are validated before use', () => {
  it('a whole checkpoint fits; one with no tensors, a missing or a renamed one does not resume', () => {
    expect(() => checkFits('c', full(), MODEL, 'all')).not.toThrow();
    expect(() => checkFits('c', checkpoint({}), MODEL, 'all')).toThrow(/3 of the model's 3 tensors are missing/);
    const renamed = checkpoint(
      { w: new Float32Array(4), bias: new Float32Array(2), 'w@momentum_buffer': new Float32Array(4) },
      { w: [2, 2], 'w@momentum_buffer': [2, 2] },
    );
    expect(() => checkFits('c', renamed, MODEL, 'all')).toThrow(/missing: b; it holds others instead: bias/);
    // Loading weights: optimizer state may be absent, a parameter may not.
    const weights = checkpoint({ w: new Float32Array(4), b: new Float32Array(2) }, { w: [2, 2] });
    expect(() => checkFits('c', weights, MODEL, 'weights')).not.toThrow();
    expect(() => checkFits('c', weights, MODEL, 'all')).toThrow(CheckpointError);
  });

  it('a float tensor labelled I32, or another shape, is a mismatch', () => {
    const wrongType = checkpoint(
      { w: new Int32Array(4), b: new Float32Array(2), 'w@momentum_buffer': new Float32Array(4) },
      { w: [2, 2], 'w@momentum_buffer': [2, 2] },
    );
    expect(() => checkFits('c', wrongType, MODEL, 'some')).toThrow(/`w` is I32, the model's is F32/);
    const wrongShape = checkpoint({ w: new Float32Array(4) });
    expect(() => checkFits('c', wrongShape, MODEL, 'some')).toThrow(/`w` has shape \[4\], the model's is \[2, 2\]/);
  });

  it('negative, overlapping and out-of-file offsets are damage, not weights', () => {
    const t = (offsets: number[]) => ({ dtype: 'F32', shape: [2], data_offsets: offsets });
    expect(() => decodeSafetensors('c', rawFile({ a: t([-8, 0]) }, 16))).toThrow(/data_offsets/);
    expect(() => decodeSafetensors('c', rawFile({ a: t([0, 8]), b: t([4, 12]) }, 16))).toThrow(/overlap/);
    expect(() => decodeSafetensors('c', rawFile({ a: t([8, 16]) }, 12))).toThrow(/outside the 12 data bytes/);
    // Many entries sharing one range would inflate a small file: overlap is refused.
    const shared = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`t${i}`, t([0, 8])]));
    expect(() => decodeSafetensors('c', rawFile(shared, 8))).toThrow(/overlap/);
    // A header length larger than the file.
    const cut = encodeSafetensors(full()).subarray(0, 20);
    expect(() => decodeSafetensors('c', cut)).toThrow(/does not fit in a file of 20 bytes/);
  });

  it('the step must be a whole number', () => {
    const c = (step: string): Checkpoint => ({ ...full(), metadata: { step } });
    expect(wholeNumber('c', c('12'), 'step')).toBe(12);
    for (const bad of ['-1', 'x', '1e3', '1.5', ''])
      expect(() => wholeNumber('c', c(bad), 'step'), bad).toThrow(/not a whole number/);
  });

  it('a killed writer’s temporary file is removed on the next start, the checkpoint kept', () => {
    const dir = tmp();
    const file = join(dir, 'checkpoint.safetensors');
    writeFileSync(file, encodeSafetensors(full()));
    // PID 2^22 + 1 exceeds Linux's pid_max default, so no process runs with it.
    writeFileSync(join(dir, `.checkpoint.safetensors.${2 ** 22 + 1}.tmp`), 'partial');
    const removed = removeStaleTemps(file);
    expect(removed).toHaveLength(1);
    expect(readdirSync(dir)).toEqual(['checkpoint.safetensors']);
  });
});

// ── fmt --write ────────────────────────────────────────────────────────────────────────────
const UNFORMATTED = 'model m(x: Tensor[B, 4]) {\n  return   relu( x )\n}\n';

describe('fmt --write keeps what the user set on a file', () => {
  it('mode (read-only, executable), a symbolic link, hard links', () => {
    const dir = tmp();
    const ro = join(dir, 'ro.mdl');
    writeFileSync(ro, UNFORMATTED);
    chmodSync(ro, 0o444);
    const ex = join(dir, 'ex.mdl');
    writeFileSync(ex, UNFORMATTED);
    chmodSync(ex, 0o755);
    const target = join(dir, 'target.mdl');
    writeFileSync(target, UNFORMATTED);
    const link = join(dir, 'link.mdl');
    symlinkSync('target.mdl', link);
    const a = join(dir, 'a.mdl');
    writeFileSync(a, UNFORMATTED);
    const b = join(dir, 'b.mdl');
    linkSync(a, b);

    const r = mdl('fmt', '--write', ro, ex, link, a);
    expect(r.err).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(statSync(ro).mode & 0o777).toBe(0o444);
    expect(statSync(ex).mode & 0o777).toBe(0o755);
    expect(readFileSync(ex, 'utf8')).not.toBe(UNFORMATTED);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).not.toBe(UNFORMATTED);
    expect(statSync(a).nlink).toBe(2);
    expect(readFileSync(b, 'utf8')).toBe(readFileSync(a, 'utf8'));
    expect(readFileSync(a, 'utf8')).not.toBe(UNFORMATTED);
  });

  it('an unwritable folder is a user error, not a stack trace', () => {
    const r = mdl('fmt', '--write', '/proc/version');
    expect(r.code).not.toBe(0);
    expect(r.err).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});

// ── score ──────────────────────────────────────────────────────────────────────────────────
describe('score --out after a kill, score --merge of foreign files', () => {
  it('a torn last line is cut back, and the rescored row is whole', () => {
    const dir = tmp();
    const out = join(dir, 'rows.jsonl');
    const args = ['score', 'examples/nb201.mdl', '--proxies', 'params', '--sample', '6', '--seed', '1', '--quiet'];
    expect(mdl(...args, '--out', out).code).toBe(0);
    const whole = readFileSync(out, 'utf8');
    const lines = whole.trimEnd().split('\n');
    // Keep the header line(s) and rows but the last, plus half of the last: a kill mid-write.
    const last = lines[lines.length - 1]!;
    writeFileSync(out, lines.slice(0, -1).join('\n') + '\n' + last.slice(0, last.length >> 1));
    expect(mdl(...args, '--out', out).code).toBe(0);
    const again = readFileSync(out, 'utf8').trimEnd().split('\n');
    for (const l of again) expect(() => JSON.parse(l), l).not.toThrow();
    expect(again).toEqual(lines);
  });

  it('merging conflicting rows, or rows of other proxies, is an error naming both files', () => {
    const dir = tmp();
    const a = join(dir, 'a.jsonl');
    const b = join(dir, 'b.jsonl');
    const c = join(dir, 'c.jsonl');
    const args = ['score', 'examples/nb201.mdl', '--sample', '3', '--seed', '2', '--quiet'];
    expect(mdl(...args, '--proxies', 'params', '--out', a).code).toBe(0);
    expect(mdl(...args, '--proxies', 'macs', '--out', b).code).toBe(0);
    expectUserError(mdl('score', '--merge', a, b), /b\.jsonl has the columns .*a\.jsonl has/);
    const lines = readFileSync(a, 'utf8').trimEnd().split('\n');
    const row = JSON.parse(lines[0]!) as Record<string, unknown>;
    row['params'] = Number(row['params']) + 1;
    writeFileSync(c, [JSON.stringify(row), ...lines.slice(1)].join('\n') + '\n');
    expectUserError(mdl('score', '--merge', a, c), /candidate \S+ has different rows in .*a\.jsonl and .*c\.jsonl/);
    // The same rows twice merge to one copy.
    expect(mdl('score', '--merge', a, a, '--out', join(dir, 'm.jsonl')).code).toBe(0);
    expect(readFileSync(join(dir, 'm.jsonl'), 'utf8').trimEnd().split('\n')).toHaveLength(lines.length);
  });

  it('merging a binary file is an error naming it', () => {
    const dir = tmp();
    const bin = join(dir, 'junk.jsonl');
    writeFileSync(bin, Buffer.from([0, 1, 2, 255, 254, 10, 0, 0]));
    expectUserError(mdl('score', '--merge', bin), /junk\.jsonl/);
  });
});

// ── data, server, terminal ─────────────────────────────────────────────────────────────────
describe('data, the demo server and the terminal', () => {
  it('a data path that is an empty folder is a user error', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'empty'));
    const r = mdl(
      'train',
      'examples/mlp.mdl',
      '--data',
      join(dir, 'empty'),
      '--backend',
      'reference',
      '--out',
      join(dir, 'run'),
    );
    expectUserError(r, /empty/);
  });

  it('a malformed URL is a 400 and the server goes on; no path leaves its folder', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'ok.txt'), 'ok');
    symlinkSync('/etc', join(dir, 'out'));
    const s = await serveFolders({ '/f/': dir });
    const get = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const u = new URL(s.url);
        request({ host: u.hostname, port: u.port, path }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
    try {
      expect(await get('/f/%E0%A4%A')).toBe(400);
      expect(await get('/f/ok.txt')).toBe(200);
      expect(await get('/f/out/hostname')).toBe(404);
      expect(await get('/f/../../etc/hostname')).toBe(404);
    } finally {
      await s.close();
    }
  });

  it('control and bidirectional characters are escaped in diagnostics', () => {
    expect(escapeControls('a\u202eb\0c\x1b[31m\td')).toBe('a\\u{202e}b\\u{0}c\\u{1b}[31m\td');
    const dir = tmp();
    const f = join(dir, 'bad.mdl');
    writeFileSync(f, 'model m(x: Tensor[B, 4]) {\n  return relu(y\u202e\x1b[2J)\n}\n');
    const r = mdl('check', f);
    expect(r.code).toBe(1);
    expect(r.err.includes('\u202e') || r.err.includes('\x1b')).toBe(false);
    expect(r.err).toContain('\\u{202e}');
  });

  it('endless files are refused by size or kind: a source of /dev/zero, a checkpoint linked to it', () => {
    expectUserError(mdl('check', '/dev/zero'), /MDL5011: \/dev\/zero is larger than/);
    const dir = tmp();
    symlinkSync('/dev/zero', join(dir, 'c.safetensors'));
    const r = mdl(
      'train',
      'examples/mlp.mdl',
      '--data',
      'mnist',
      '--backend',
      'reference',
      '--limit',
      '128',
      '--epochs',
      '1',
      '--init',
      join(dir, 'c.safetensors'),
      '--out',
      join(dir, 'run'),
    );
    expectUserError(r, /MDL5009: .*c\.safetensors: not a regular file/);
  });

  it('the gradient of a model whose output is not logits is a located error, not a crash', () => {
    const dir = tmp();
    const f = join(dir, 'm.mdl');
    writeFileSync(f, 'model m(x: Tensor[B, 3, 8, 8]) {\n  return conv2d(x, 4, 3)\n}\n');
    const r = mdl('print', f, '--stage', 'grad');
    expectUserError(r, /m\.mdl:2:10: error MDL6011: cross_entropy loss: output `output` has shape \[B, 4, 6, 6\]/);
  });

  it('a bad label is reported in the file that holds it; a gzip bomb stops at the data budget', () => {
    const dir = tmp();
    const record = (label: number) => Buffer.concat([Buffer.from([label]), Buffer.alloc(3072)]);
    writeFileSync(join(dir, 'data_batch_1.bin'), Buffer.concat([record(1), record(2)]));
    writeFileSync(join(dir, 'data_batch_2.bin'), Buffer.concat([record(3), record(11)]));
    writeFileSync(join(dir, 'test_batch.bin'), record(0));
    expect(() => readCifarDir(dir)).toThrow(/data_batch_2\.bin/);
    // 1 MiB past the budget of zeros compresses to about half a megabyte.
    const bomb = join(dir, 'images-idx3-ubyte.gz');
    writeFileSync(bomb, gzipSync(Buffer.alloc(MAX_DATA_BYTES + (1 << 20)), { level: 1 }));
    expect(() => readIdxFile(bomb)).toThrow(/decompresses to more than 512 MiB/);
  }, 60_000);

  it('a newline in a file name stays out of generated code comments', () => {
    const dir = tmp();
    const src = join(dir, 'bad\nname.mdl');
    writeFileSync(src, readFileSync('examples/mlp.mdl'));
    const r = mdl('compile', src, '-o', join(dir, 'out'));
    expect(r.code, r.err).toBe(0);
    for (const f of ['model.ts', 'model.js']) {
      const first = readFileSync(join(dir, 'out', f), 'utf8').split('\n')[0]!;
      expect(first).toMatch(/^\/\/ Generated by `mdl compile` .* from .*bad\\u\{a\}name\.mdl: do not edit/);
    }
  }, 60_000);

  it('score --workers past the cores is a usage error', () => {
    const r = mdl('score', 'examples/nb201.mdl', '--workers', '4096', '--sample', '2');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--workers 4096 is more than the \d+ cores/);
    expect(r.err).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
