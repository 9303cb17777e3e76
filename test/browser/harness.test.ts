import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, openPage, serveDir } from './harness.js';

function page(dir: string, body: string): void {
  writeFileSync(join(dir, 'index.html'), `<!doctype html><html><body>${body}</body></html>`);
}

test('harness: Chromium loads a served page, reports isolation as asked and collects errors', { timeout: 60_000 }, async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  const dir = mkdtempSync(join(tmpdir(), 'd2l-harness-'));
  page(dir, '<p id="x">hello</p><script>console.error("boom")</script>');
  for (const isolated of [false, true]) {
    const server = await serveDir(dir, { isolated });
    try {
      const { page: p, errors } = await openPage(browser, `${server.url}/`);
      assert.equal(await p.textContent('#x'), 'hello');
      assert.equal(await p.evaluate(() => globalThis.crossOriginIsolated), isolated);
      assert.deepEqual(errors, ['console.error: boom']);
      await p.goto(`${server.url}/nope.png`);
      assert.deepEqual(server.missing, ['/nope.png']);
    } finally {
      await server.close();
    }
  }
});

test('harness: serveDir refuses a folder that was not built', async () => {
  await assert.rejects(serveDir('/no/such/folder'), /does not exist \(was it built\?\)/);
});
