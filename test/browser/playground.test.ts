// The playground page in headless Chromium (served with cross-origin isolation, WebGPU enabled:
// SwiftShader's adapter on a machine like CI's): one epoch of the book's softmax regression on
// 10,000 Fashion-MNIST images on the Wasm path reaches test accuracy >= 0.75 with exactly Node's
// numbers, the WebGPU path lands where the Wasm path does, the code cell runs README's first
// snippet with Node's output, and the page logs no error. A screenshot goes to out/.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, openPage, serveDir } from './harness.js';
import { train, type TrainResult } from '../../playground/train.js';
import { runCell, type CellResult } from '../../playground/cell.js';
import * as lib from '../../src/index.js';
import { haveFashionMnist, requireResource } from '../helpers.js';

const root = new URL('../../..', import.meta.url).pathname;

/** README's first `<!-- run -->` TypeScript block (the "A taste" example). */
function readmeTaste(): string {
  const m = /<!-- run -->\s*```ts\n([\s\S]*?)```/.exec(readFileSync(join(root, 'README.md'), 'utf8'));
  assert.ok(m, 'README has a run block');
  return m[1];
}

type Playground = {
  train(o: object): Promise<TrainResult>;
  runCell(code: string): Promise<CellResult>;
};

test('playground: trains in Chromium on Wasm and WebGPU, and its code cell runs a README snippet', { timeout: 600_000 }, async (t) => {
  if (!requireResource(t, haveFashionMnist(), 'Fashion-MNIST (apt-get install dataset-fashion-mnist)')) return;
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'playground.mjs')], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(built.status, 0, built.stderr);
  const browser = await launchChromium(t, ['--enable-unsafe-webgpu']);
  if (!browser) return;
  const server = await serveDir(join(root, 'playground', 'dist'), { isolated: true });
  t.after(() => server.close());
  const { page, errors } = await openPage(browser, server.url + '/');
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', null, { timeout: 60_000 });
  const call = <R>(fn: string, arg: unknown) =>
    page.evaluate(
      ([f, a]) => (window as unknown as { __playground: Record<string, (x: unknown) => Promise<unknown>> }).__playground[f as string](a),
      [fn, arg] as const,
    ) as Promise<R>;

  const opts = { backend: 'wasm' as const, model: 'softmax' as const, epochs: 1, limit: 10000, batchSize: 32 };
  const wasm = await call<TrainResult>('train', opts);
  assert.equal(wasm.device, 'cpu(0)');
  assert.ok(wasm.epochs[0].testAcc >= 0.75, `test accuracy ${wasm.epochs[0].testAcc} after one epoch on 10,000 images`);
  // Same program and data in Node: the same numbers (times aside).
  const node = await train(lib, opts);
  const noTime = (r: TrainResult) => r.epochs.map(({ seconds: _s, ...e }) => e);
  assert.deepEqual(noTime(wasm), noTime(node));
  assert.deepEqual(wasm.predictions, node.predictions);
  // Cross-origin isolated: the run went to the training Worker, whose kernels split over Web Workers.
  assert.ok(wasm.threads > 1, `${wasm.threads} CPU threads in an isolated page`);
  assert.ok(wasm.readyWorkers >= 1, `${wasm.readyWorkers} kernel workers took work`);
  assert.equal(wasm.sharedHeap, true, 'a shared heap in an isolated page');
  const chart = await page.$eval('#chart', (e) => e.innerHTML);
  assert.match(chart, /^<svg/);
  assert.equal(await page.$$eval('#predictions canvas', (c) => c.length), 10);

  // WebGPU (SwiftShader here): a shorter run, against the Wasm path on the same images.
  const small = { ...opts, limit: 2000 };
  const cpuSmall = await call<TrainResult>('train', small);
  const gpuSmall = await call<TrainResult>('train', { ...small, backend: 'webgpu' });
  assert.equal(gpuSmall.device, 'gpu(0)');
  const [c, g] = [cpuSmall.epochs[0], gpuSmall.epochs[0]];
  assert.ok(Math.abs(c.trainLoss - g.trainLoss) <= 1e-3 * c.trainLoss, `loss ${g.trainLoss} on WebGPU vs ${c.trainLoss} on Wasm`);
  assert.ok(Math.abs(c.testAcc - g.testAcc) <= 0.005, `test acc ${g.testAcc} on WebGPU vs ${c.testAcc} on Wasm`);

  // The code cell: README's first snippet, as Node runs it.
  const code = readmeTaste();
  const cell = await call<CellResult>('runCell', code);
  assert.equal(cell.error, null);
  assert.deepEqual(cell, await runCell(lib, code));
  assert.match(cell.lines[0], /^\n\[\[ 18\. {2}20\. {2}10\.\]/);
  assert.equal(await page.$eval('#cell-output', (e) => e.textContent), cell.lines.join('\n'));
  // A figure shown from the cell appears as SVG in the page.
  const fig = await call<CellResult>('runCell', 'display(await d2l.plot([1, 2, 3], [1, 4, 9]));');
  assert.equal(fig.error, null);
  assert.equal(fig.svgs.length, 1);
  // An error in the cell is shown, not thrown.
  const bad = await call<CellResult>('runCell', 'nd.ones([2, 3]).reshape([4]);');
  assert.match(bad.error ?? '', /reshape/);

  assert.deepEqual(errors, [], 'console errors on the page');
  assert.deepEqual(server.missing, []);
  mkdirSync(join(root, 'out'), { recursive: true });
  await page.screenshot({ path: join(root, 'out', 'playground.png'), fullPage: true });

  // Without cross-origin isolation: one thread, in the page itself, and the same numbers.
  const plain = await serveDir(join(root, 'playground', 'dist'));
  t.after(() => plain.close());
  const second = await openPage(browser, plain.url + '/');
  await second.page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', null, { timeout: 60_000 });
  const one = (await second.page.evaluate(
    (o) => (window as unknown as { __playground: Playground }).__playground.train(o),
    small,
  )) as TrainResult;
  assert.equal(one.threads, 1);
  assert.equal(one.readyWorkers, 0);
  assert.equal(one.sharedHeap, false, 'a non-shared heap without cross-origin isolation');
  assert.deepEqual(noTime(one), noTime(cpuSmall), 'one thread in the page trains as the isolated page does');
  assert.deepEqual(second.errors, []);
});
