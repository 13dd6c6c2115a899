// The browser build of the runtime, in headless Chromium: a model `mdl compile` wrote is
// fetched over HTTP, trained a few steps on real digits and run forward in the page, and every
// number equals what the same plan gives in Node (Dawn): the same initial parameters bit for
// bit, the same losses and logits within float32 tolerance. Chromium reaches Mesa's lavapipe
// through Dawn's OpenGL ES backend in compatibility mode (ANGLE on Vulkan); where lavapipe is
// installed the test insists on that adapter, not SwiftShader (5–8× slower).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnistPackage } from '../../runtime/data/mnist-package.js';
import { CompiledModel } from '../../runtime/model.js';
import { formatBrowserReport, type BrowserAdapterReport } from '../../runtime/browser/index.js';
import { serveFolders, type Served } from '../../runtime/browser/serve.js';
import { digest, type PageResult, type PageRun } from './page.js';

const CHROMIUM =
  process.env['CHROMIUM'] ??
  ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
const LAVAPIPE = '/usr/share/vulkan/icd.d/lvp_icd.json';
const STEPS = 4;
const LR = 0.05;

let dir: string;
let served: Served;
let browser: Browser;
let batch: { x: Float32Array; y: Int32Array };

beforeAll(async () => {
  if (!CHROMIUM) throw new Error('no Chromium found (install the chromium package, or set CHROMIUM to its executable)');
  dir = join(mkdtempSync(join(tmpdir(), 'mdl-browser-')), 'mlp');
  // WebGPU's default limits: the plan is portable to any adapter, Dawn's here and the browser's.
  const r = spawnSync(
    process.execPath,
    ['dist/compiler/cli/main.js', 'compile', 'examples/mlp.mdl', '-o', dir, '--batch', '128', '--target', 'software'],
    { encoding: 'utf8' },
  );
  expect(r.stderr.replace(/^Warning: .*\n/gm, '')).toBe('');
  expect(r.status).toBe(0);
  // The first 128 digits of the `mnist` package, classes interleaved (0, 1, …, 9, 0, 1, …).
  const digits = loadMnistPackage().train;
  const byClass = Array.from({ length: 10 }, (_, c) => [...digits.labels.keys()].filter((i) => digits.labels[i] === c));
  const picks = Array.from({ length: 128 }, (_, i) => byClass[i % 10]![Math.floor(i / 10)]!);
  const x = new Float32Array(128 * 784);
  picks.forEach((s, i) => x.set(digits.images.subarray(s * 784, (s + 1) * 784), i * 784));
  batch = { x, y: Int32Array.from(picks, (s) => digits.labels[s]!) };
  served = await serveFolders({ '/dist/': 'dist', '/test/': 'test/browser', '/model/': dir });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // ANGLE on Vulkan and Dawn's GLES backend: lavapipe in compatibility mode. With
    // --enable-unsafe-webgpu a machine without lavapipe still gets SwiftShader.
    args: [
      '--use-angle=vulkan',
      '--use-webgpu-adapter=opengles',
      '--enable-unsafe-webgpu',
      '--disable-quic',
      '--disable-sync',
    ],
    env: existsSync(LAVAPIPE)
      ? { ...process.env, VK_ICD_FILENAMES: LAVAPIPE, VK_DRIVER_FILES: LAVAPIPE }
      : { ...process.env },
  });
}, 60_000);

/**
 * The GL renderer Chromium's GPU process runs on, from chrome://gpu (the WebGPU adapter itself
 * has an empty name in compatibility mode): "ANGLE (Mesa, Vulkan … (llvmpipe …))" on lavapipe.
 */
async function glRenderer(): Promise<string> {
  // The page is built of shadow roots: its text is theirs too. (A string: it runs in the page.)
  const PAGE_TEXT = `(() => {
    const walk = (n) => (n.shadowRoot ? walk(n.shadowRoot) : '') + [...n.childNodes].map((c) => (c.nodeType === 3 ? c.textContent : walk(c))).join(' ');
    return document.body ? walk(document.body) : '';
  })()`;
  const page = await browser.newPage();
  try {
    await page.goto('chrome://gpu');
    for (let i = 0; i < 20; i++) {
      const text = await page.evaluate<string>(PAGE_TEXT);
      const m = /GL_RENDERER\s*:?\s*(.+?)\s+GL_VERSION/.exec(text);
      if (m) return m[1]!;
      await page.waitForTimeout(100);
    }
    return 'unknown (chrome://gpu names no GL_RENDERER)';
  } finally {
    await page.close();
  }
}

afterAll(async () => {
  await browser?.close();
  await served?.close();
  if (dir) rmSync(dirname(dir), { recursive: true, force: true });
});

describe('the runtime in headless Chromium', () => {
  it('imports no Node built-ins: every module the browser entry reaches is relative', () => {
    const seen = new Set<string>();
    const bare: string[] = [];
    const walk = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      // TypeScript's own scanner: every static import, re-export and import() of the module.
      for (const { fileName: spec } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
        if (spec.startsWith('.')) walk(resolve(dirname(file), spec));
        else bare.push(`${relative('dist', file)} imports ${spec}`);
      }
    };
    walk(resolve('dist/runtime/browser/index.js'));
    expect(bare).toEqual([]);
    expect(seen.size).toBeGreaterThan(5);
  });

  it('trains and infers in the page exactly as Node does', async () => {
    const node = await CompiledModel.load(dir, { seed: 0 });
    const nodeInitial = Object.fromEntries([...(await node.state())].map(([k, t]) => [k, digest(t.data)]));
    const nodeLosses: number[] = [];
    for (let s = 0; s < STEPS; s++) nodeLosses.push((await node.trainStep(batch.x, batch.y, LR, s))!);
    const nodeLogits = await node.forward(batch.x);
    const nodeDescription = node.description;
    node.dispose();

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${served.url}test/page.html`);
    await page.waitForFunction(() => 'mdlPage' in globalThis);
    const args: PageRun = { model: '/model/', x: Array.from(batch.x), y: Array.from(batch.y), steps: STEPS, lr: LR };
    const got = await page.evaluate(
      (a) => (globalThis as unknown as { mdlPage: { run(a: PageRun): Promise<PageResult> } }).mdlPage.run(a),
      args,
    );
    await page.close();
    const gl = await glRenderer();

    const lossDiff = Math.max(...got.losses.map((l, i) => Math.abs(l - nodeLosses[i]!)));
    const logitDiff = got.logits.reduce((m, v, i) => Math.max(m, Math.abs(v - nodeLogits[i]!)), 0);
    console.log(
      `browser: ${got.description}\n  Chromium's GL renderer: ${gl}\nnode:    ${nodeDescription}\n` +
        `losses browser ${got.losses.map((l) => l.toFixed(6)).join(' ')} | node ${nodeLosses.map((l) => l.toFixed(6)).join(' ')}; ` +
        `max |Δloss| ${lossDiff.toExponential(2)}, max |Δlogit| ${logitDiff.toExponential(2)}; ` +
        `page: load ${got.ms.load.toFixed(0)} ms, ${STEPS} steps ${got.ms.steps.toFixed(0)} ms, forward ${got.ms.forward.toFixed(0)} ms`,
    );
    expect(problems).toEqual([]);

    // The adapter: lavapipe through OpenGL ES (compatibility mode), where lavapipe is installed.
    if (existsSync(LAVAPIPE)) {
      expect(got.adapter.fallback, 'SwiftShader, not lavapipe').toBe(false);
      expect(got.adapter.featureLevel).toBe('compatibility');
      expect(`${got.adapter.vendor} ${got.adapter.device} ${got.adapter.description}`).not.toMatch(/swiftshader/i);
      expect(gl).toMatch(/llvmpipe|lavapipe/i);
    }

    // Same initial parameters (the same initialisers, in JavaScript on both sides), bit for bit.
    expect(got.initial).toEqual(nodeInitial);
    expect(got.losses).toHaveLength(STEPS);
    expect(got.losses.every(Number.isFinite)).toBe(true);
    expect(got.losses[STEPS - 1]!).toBeLessThan(got.losses[0]!);
    for (let i = 0; i < STEPS; i++)
      expect(Math.abs(got.losses[i]! - nodeLosses[i]!)).toBeLessThanOrEqual(
        1e-5 * Math.max(1, Math.abs(nodeLosses[i]!)),
      );
    expect(got.logits).toHaveLength(128 * 10);
    expect(logitDiff).toBeLessThanOrEqual(1e-4);
    // Training really moved every tensor.
    for (const k of Object.keys(got.final)) expect(got.final[k], k).not.toBe(got.initial[k]);
  });

  it('reports a folder that is not a compiled model as ModelLoadError', async () => {
    const page = await browser.newPage();
    await page.goto(`${served.url}test/page.html`);
    await page.waitForFunction(() => 'mdlPage' in globalThis);
    const msg = await page.evaluate(async () => {
      const mod = (globalThis as unknown as { mdlPage: { load(u: string): Promise<unknown> } }).mdlPage;
      try {
        await mod.load('/model/missing/');
        return 'loaded';
      } catch (e) {
        return `${(e as Error).constructor.name}: ${(e as Error).message}`;
      }
    });
    await page.close();
    expect(msg).toMatch(/ModelLoadError: http:\/\/127\.0\.0\.1:\d+\/model\/missing\/plan\.json: HTTP 404/);
  });

  it('reports SwiftShader as a fallback adapter when it is all there is', async () => {
    // Without the OpenGL ES adapter flag, Chromium offers only SwiftShader (a core adapter).
    const plain = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--enable-unsafe-webgpu', '--disable-quic', '--disable-sync'],
    });
    try {
      const page = await plain.newPage();
      await page.goto(`${served.url}test/page.html`);
      await page.waitForFunction(() => 'mdlPage' in globalThis);
      const report = await page.evaluate(() =>
        (globalThis as unknown as { mdlPage: { adapter(): Promise<BrowserAdapterReport> } }).mdlPage.adapter(),
      );
      expect(report).toMatchObject({ route: 'browser', featureLevel: 'core', fallback: true });
      expect(formatBrowserReport(report)).toMatch(/\(core, fallback adapter/);
    } finally {
      await plain.close();
    }
  });
});
