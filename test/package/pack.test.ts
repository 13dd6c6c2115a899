// mdl as a user installs it: the project packed (`npm pack`), the tarball installed into an
// empty folder, and from there `mdl summary`, a short `mdl train`, `mdl compile` and the
// compiled program, that program's folder copied elsewhere and installed again, and a strict
// TypeScript consumer (no skipLibCheck) of the runtime, compiler and browser exports.
//
// Installing needs the dependencies: npm takes them from its cache (`--prefer-offline`; CI's
// `npm ci` has just filled it) and from the registry only for what the cache lacks. The
// tarball is packed from the dist/ built before the tests (no `prepare` run here).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve('.');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const ENV = { ...process.env, XDG_RUNTIME_DIR: process.env['XDG_RUNTIME_DIR'] ?? '/tmp', NO_COLOR: '1' };

function sh(cmd: string, args: string[], cwd: string): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 240_000, env: ENV });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function ok(cmd: string, args: string[], cwd: string): { out: string; err: string } {
  const r = sh(cmd, args, cwd);
  expect(r.code, `${cmd} ${args.join(' ')}\n${r.err}\n${r.out}`).toBe(0);
  return r;
}

const INSTALL = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-save', '--loglevel=error'];

let dir = '';
let tarball = '';
let app = '';
const mdl = (...args: string[]) =>
  sh(process.execPath, [join(app, 'node_modules/mdl-nn/dist/compiler/cli/main.js'), ...args], app);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mdl-pack-'));
  const packed = ok(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
  const info = (JSON.parse(packed.out) as { filename: string; files: { path: string }[] }[])[0]!;
  tarball = join(dir, info.filename);
  (globalThis as { packedFiles?: string[] }).packedFiles = info.files.map((f) => f.path);
  app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  ok(NPM, [...INSTALL, tarball], app);
}, 300_000);

describe('the packed package, installed into an empty folder', () => {
  it('holds what users need and nothing of the repository', () => {
    const files = (globalThis as { packedFiles?: string[] }).packedFiles!;
    for (const f of [
      'package.json',
      'README.md',
      'dist/compiler/cli/main.js',
      'dist/compiler/api.d.ts',
      'dist/runtime/api.d.ts',
      'dist/runtime/browser/index.js',
      'dist/grammar/format/plugin.js',
      'runtime/browser/demo.html',
      'stdlib/resnet.mdl',
      'examples/lenet5.mdl',
    ])
      expect(files).toContain(f);
    for (const f of files) expect(f).not.toMatch(/^(test|dist\/test|\.ci|compiler|grammar|docs)\/|\.map$|\.test\./);
    expect(existsSync(join(app, 'node_modules/.bin/mdl'))).toBe(true);
  });

  it('runs mdl summary, a short mdl train, mdl compile and the compiled program, also when copied elsewhere', () => {
    const s = mdl('summary', 'node_modules/mdl-nn/examples/lenet5.mdl');
    expect(s.code, s.err).toBe(0);
    expect(s.out).toMatch(/params\s+61,706/);

    const t = mdl('train', 'node_modules/mdl-nn/examples/lenet5.mdl', '--epochs', '1', '--limit', '96', '--out', 'run');
    expect(t.code, t.err).toBe(0);
    expect(t.out).toMatch(/done: 3 steps, test accuracy/);
    expect(existsSync(join(app, 'run/checkpoint.safetensors'))).toBe(true);

    const c = mdl('compile', 'node_modules/mdl-nn/examples/lenet5.mdl', '-o', 'build/lenet5');
    expect(c.code, c.err).toBe(0);
    const pkg = readFileSync(join(app, 'build/lenet5/package.json'), 'utf8');
    expect(pkg).not.toMatch(/file:|\/tmp|[A-Z]:\\/);
    const run = (where: string, out: string) => {
      const r = sh(process.execPath, ['model.js', '--epochs', '1', '--limit', '64', '--out', out], where);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/done: 2 steps, test accuracy/);
    };
    run(join(app, 'build/lenet5'), 'runs/a');

    // Copied to another place without its node_modules, as to another machine, then installed.
    const moved = join(dir, 'elsewhere', 'lenet5');
    cpSync(join(app, 'build/lenet5'), moved, {
      recursive: true,
      filter: (src) => !src.includes('node_modules') && !src.includes(`${join('lenet5', 'runs')}`),
    });
    expect(readdirSync(moved)).not.toContain('node_modules');
    ok(NPM, [...INSTALL, tarball], moved);
    run(moved, 'runs/b');
    rmSync(join(dir, 'elsewhere'), { recursive: true, force: true });
  }, 400_000);

  it('its exports type-check in a strict TypeScript consumer without skipLibCheck', () => {
    writeFileSync(
      join(app, 'use.ts'),
      [
        "import { CompiledModel, type NamedTensor } from 'mdl-nn/runtime';",
        "import { compileModel, nodeHost, renderAll } from 'mdl-nn';",
        "import { BrowserModel } from 'mdl-nn/browser';",
        "import plugin from 'mdl-nn/prettier';",
        "const r = compileModel({ path: 'a.mdl', text: 'model m(x: Tensor[1, 4]) { return linear(x, 2) }' }, nodeHost);",
        'const text: string = renderAll(r.diagnostics, r.sources);',
        "const m: CompiledModel = await CompiledModel.load('build/lenet5');",
        'const logits: Float32Array = await m.forward(new Float32Array(784));',
        "const w: NamedTensor | undefined = (await m.state()).get('fc1.weight');",
        'export { text, logits, w, BrowserModel, plugin };',
      ].join('\n'),
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
        },
        files: ['use.ts'],
      }),
    );
    const tsc = sh(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
    expect(tsc.code, tsc.out + tsc.err).toBe(0);
    // and a wrong use is caught through the declarations
    writeFileSync(
      join(app, 'use.ts'),
      "import { CompiledModel } from 'mdl-nn/runtime';\nexport const n: string = CompiledModel;\n",
    );
    const bad = sh(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/typeof CompiledModel.*string/);
  }, 120_000);
});
