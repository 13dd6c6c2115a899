// The demo page in headless Chromium: it says what it is loading, trains a compiled model on
// the digits normalised as `mdl train` normalises them, and reports test accuracy.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { demoMounts, serveFolders } from '../../runtime/browser/serve.js';

const CHROMIUM =
  process.env['CHROMIUM'] ??
  ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
const LAVAPIPE = '/usr/share/vulkan/icd.d/lvp_icd.json';

describe('the demo page', () => {
  it('shows its loading progress, trains on normalised digits and reports test accuracy', async () => {
    if (!CHROMIUM)
      throw new Error('no Chromium found (install the chromium package, or set CHROMIUM to its executable)');
    const dir = join(mkdtempSync(join(tmpdir(), 'mdl-demo-')), 'mlp');
    const r = spawnSync(
      process.execPath,
      ['dist/compiler/cli/main.js', 'compile', 'examples/mlp.mdl', '-o', dir, '--batch', '64', '--target', 'software'],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    const served = await serveFolders(demoMounts(dir));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--use-angle=vulkan', '--use-webgpu-adapter=opengles', '--enable-unsafe-webgpu', '--disable-quic'],
      env: existsSync(LAVAPIPE)
        ? { ...process.env, VK_ICD_FILENAMES: LAVAPIPE, VK_DRIVER_FILES: LAVAPIPE }
        : { ...process.env },
    });
    try {
      const page = await browser.newPage();
      const states: string[] = [];
      await page.exposeFunction('recordState', (s: string) => states.push(s));
      // Every text the model line shows, as the page loads. (Strings: they run in the page.)
      await page.addInitScript(`
        new MutationObserver(() => {
          const t = document.getElementById('model')?.textContent;
          if (t) window.recordState(t);
        }).observe(document, { subtree: true, childList: true, characterData: true });
      `);
      const res = await page.goto(`${served.url}demo/demo.html`);
      expect(res?.status()).toBe(200);
      await page.waitForFunction("document.getElementById('train')?.disabled === false", null, { timeout: 120_000 });
      expect(states.some((s) => /loading the digits: \d+\/10 classes/.test(s))).toBe(true);
      expect(await page.textContent('#model')).toMatch(/^mlp_classifier, batch 64: /);
      await page.fill('#steps', '30');
      await page.click('#train');
      await page.waitForFunction("/test accuracy/.test(document.getElementById('log').textContent)", null, {
        timeout: 180_000,
      });
      const log = (await page.textContent('#log'))!;
      const acc = Number(/test accuracy: ([\d.]+) %/.exec(log)![1]);
      // 30 steps of 64 normalised digits: well above chance (10 %).
      expect(acc).toBeGreaterThan(50);
    } finally {
      await browser.close();
      await served.close();
    }
  }, 400_000);
});
