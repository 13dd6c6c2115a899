import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatMdl } from '../../grammar/format/format.js';
import { MdlSyntaxError } from '../../grammar/format/plugin.js';

const fmt = (text: string, printWidth = 100) => formatMdl(text, { printWidth });

describe('layout', () => {
  it('normalises spacing and indentation', async () => {
    expect(await fmt('model   m( x :Tensor[ B,4 ] ){\nh=relu( x )\n    return h}')).toBe(
      'model m(x: Tensor[B, 4]) {\n  h = relu(x)\n  return h\n}\n',
    );
  });

  it('breaks long calls one argument per line with a trailing comma, within printWidth', async () => {
    const src =
      'model m(x: Tensor[B, 3, 32, 32]) {\n  return conv2d(x, 64, 3, stride=2, padding=1, dilation=1, groups=1, bias=false) as "stem"\n}\n';
    const out = await fmt(src, 60);
    expect(out).toBe(
      'model m(x: Tensor[B, 3, 32, 32]) {\n  return conv2d(\n    x,\n    64,\n    3,\n    stride=2,\n    padding=1,\n    dilation=1,\n    groups=1,\n    bias=false,\n  ) as "stem"\n}\n',
    );
    for (const l of out.split('\n')) expect(l.length).toBeLessThanOrEqual(60);
  });

  it('keeps a stage table broken when it was written one row per line', async () => {
    const src = 'stages = [\n  (64, 2, 1),\n  (128, 2, 2)\n]\n';
    expect(await fmt(src)).toBe('stages = [\n  (64, 2, 1),\n  (128, 2, 2),\n]\n');
    expect(await fmt('stages = [(64, 2, 1), (128, 2, 2)]\n')).toBe('stages = [(64, 2, 1), (128, 2, 2)]\n');
  });

  it('keeps one blank line between statements where there was one, and separates definitions', async () => {
    const src = 'block a(x) {\n  y = relu(x)\n\n\n\n  return y\n}\nmodel m(x: Tensor[B, 4]) { return a(x) }\n';
    expect(await fmt(src)).toBe(
      'block a(x) {\n  y = relu(x)\n\n  return y\n}\n\nmodel m(x: Tensor[B, 4]) {\n  return a(x)\n}\n',
    );
  });

  it('tells `else if` from `else { if … }`', async () => {
    const a =
      'block f(x, k: int) {\n  if k == 1 {\n    return relu(x)\n  } else if k == 2 {\n    return tanh(x)\n  }\n  return x\n}\n';
    expect(await fmt(a)).toBe(a);
    const b =
      'block f(x, k: int) {\n  if k == 1 {\n    return relu(x)\n  } else {\n    if k == 2 {\n      return tanh(x)\n    }\n  }\n  return x\n}\n';
    expect(await fmt(b)).toBe(b);
  });

  it('keeps literals as written: underscores, exponents, escapes, interpolations', async () => {
    const src = 'n = 1_000_000\neps = 1e-6\ns = "a \\"q\\" {n + 1} {{x}}"\nt = (1,)\nu = -2 ** 2\n';
    expect(await fmt(src)).toBe(src);
  });
});

describe('comments', () => {
  it('keeps own-line, trailing, dangling and in-list comments', async () => {
    const src = [
      '# file header',
      '',
      'stages = [',
      '  (64, 2, 1), # stage 1',
      '  # the wide one',
      '  (128, 2, 2),',
      ']',
      '',
      '# the model',
      'model m(x: Tensor[B, 4]) {',
      '  h = relu(x) # activation',
      '  # before return',
      '  return h',
      '  # at the end of the body',
      '}',
      '',
      'block empty(x) {',
      '  # nothing yet',
      '}',
      '# end of file',
      '',
    ].join('\n');
    const out = await fmt(src);
    const texts = (s: string) => s.match(/#[^\n]*/g)!.map((c) => c.trim());
    expect(texts(out)).toEqual(texts(src));
    expect(await fmt(out)).toBe(out);
    expect(out).toContain('  h = relu(x) # activation\n');
    expect(out).toContain('block empty(x) {\n  # nothing yet\n}');
  });
});

describe('errors', () => {
  it('a syntax error is reported with its diagnostic', async () => {
    await expect(fmt('model m(x) {\n  return relu(x\n}\n')).rejects.toBeInstanceOf(MdlSyntaxError);
    await expect(fmt('model m(x) {\n  return relu(x\n}\n')).rejects.toThrow(/error MDL1004: expected `\)` after `x`/);
  });
});

describe('examples and stdlib are formatted', () => {
  const files = ['examples', 'stdlib'].flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith('.mdl'))
      .map((f) => `${d}/${f}`),
  );
  for (const f of files)
    it(f, async () => {
      const text = readFileSync(f, 'utf8');
      expect(await formatMdl(text, { filepath: f })).toBe(text);
    });
});

describe('mdl fmt', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['dist/compiler/cli/main.js', 'fmt', ...args], { encoding: 'utf8' });

  it('--check names unformatted files and exits 1; --write fixes them atomically', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdl-fmt-'));
    const bad = join(dir, 'bad.mdl');
    const good = join(dir, 'good.mdl');
    writeFileSync(bad, 'model m(x: Tensor[B, 4]) {return relu(x)}\n');
    writeFileSync(good, 'model m(x: Tensor[B, 4]) {\n  return relu(x)\n}\n');
    const c = cli('--check', dir);
    expect(c.status).toBe(1);
    expect(c.stderr).toContain(bad);
    expect(c.stderr).not.toContain(good);
    const w = cli('--write', dir);
    expect(w.status).toBe(0);
    expect(readFileSync(bad, 'utf8')).toBe('model m(x: Tensor[B, 4]) {\n  return relu(x)\n}\n');
    expect(readdirSync(dir).sort()).toEqual(['bad.mdl', 'good.mdl']);
    expect(cli('--check', dir).status).toBe(0);
  });

  it('leaves a file with a syntax error untouched', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdl-fmt-'));
    const f = join(dir, 'broken.mdl');
    const text = 'model m(x: Tensor[B, 4]) {\n   return relu(x\n}\n';
    writeFileSync(f, text);
    const r = cli('--write', f);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error MDL1004');
    expect(readFileSync(f, 'utf8')).toBe(text);
  });
});

describe('the prettier plugin', () => {
  it('works from prettier itself, loaded by path', async () => {
    const prettier = await import('prettier');
    const out = await prettier.format('model m(x: Tensor[B, 4]) {return relu(x)}', {
      filepath: 'm.mdl',
      plugins: ['./dist/grammar/format/plugin.js'],
    });
    expect(out).toBe('model m(x: Tensor[B, 4]) {\n  return relu(x)\n}\n');
  });
});
