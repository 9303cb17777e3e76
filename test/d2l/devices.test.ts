// d2l.tryGpu / d2l.tryAllGpus (book 5.5, 9.1): gpu(0) when WebGPU works (lavapipe in CI), else
// cpu(0); a device that works runs kernels and nd.waitall / x.waitToRead wait for them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nd, d2l, destroyWebGpu, ValueError, type NDArray } from '../../src/index.js';
import { requireResource } from '../helpers.js';

after(async () => {
  await destroyWebGpu();
});

test('tryGpu and tryAllGpus give a usable device: gpu(0) with WebGPU, else cpu(0)', async (t) => {
  const ctx = await d2l.tryGpu();
  assert.ok(ctx.deviceType === 'gpu' || ctx.deviceType === 'cpu');
  if (ctx.deviceType === 'cpu') assert.equal(ctx.toString(), 'cpu(0)');
  assert.equal((await d2l.tryGpu(1)).toString(), 'cpu(0)', 'WebGPU has one device: there is no second GPU');
  const all = await d2l.tryAllGpus();
  assert.equal(all.length, 1);
  assert.equal(all[0].toString(), ctx.deviceType === 'gpu' ? 'gpu(0)' : 'cpu(0)');
  const x = nd.array([1, 2, 3], { ctx });
  const y = x.add(2).exp().mul(x);
  await y.waitToRead();
  await nd.waitall();
  const v = Array.from(await y.data());
  [Math.exp(3), 2 * Math.exp(4), 3 * Math.exp(5)].forEach((e, i) => assert.ok(Math.abs(v[i] - e) < 1e-4 * e, `${v[i]} vs ${e}`));
  if (!requireResource(t, ctx.deviceType === 'gpu', 'WebGPU (lavapipe)')) return;
  assert.equal(await y.toStringAsync().then((s) => s.split('\n').pop()), '<NDArray 3 @gpu(0)>');
});

test('tryGpu refuses a device number that is not a non-negative integer', async () => {
  await assert.rejects(
    () => d2l.tryGpu(-1),
    (e: Error) => e instanceof ValueError && /d2l\.tryGpu: the device number must be a non-negative integer, got -1/.test(e.message),
  );
  await assert.rejects(() => d2l.tryGpu(0.5), /got 0\.5/);
});

test('nd.save refuses GPU arrays naming nd.saveAsync, which writes the same file; nd.load can place arrays on the GPU', async (t) => {
  const ctx = await d2l.tryGpu();
  if (!requireResource(t, ctx.deviceType === 'gpu', 'WebGPU (lavapipe)')) return;
  const f = join(mkdtempSync(join(tmpdir(), 'd2l-gpu-io-')), 'xy');
  const x = nd.arange(6, null, 1, { ctx }).reshape([2, 3]);
  const y = nd.ones([4], { ctx }).mul(2);
  assert.throws(
    () => nd.save(f, [x, y]),
    (e: Error) => e instanceof ValueError && /lives on gpu\(0\).*await nd\.saveAsync/.test(e.message),
  );
  await nd.saveAsync(f, [x, y]);
  const [x2, y2] = nd.load(f) as NDArray[];
  assert.equal(x2.context.toString(), 'cpu(0)');
  assert.deepEqual(x2.toArray(), [
    [0, 1, 2],
    [3, 4, 5],
  ]);
  assert.deepEqual(y2.toArray(), [2, 2, 2, 2]);
  const [xg] = nd.load(f, { ctx }) as NDArray[];
  assert.equal(xg.context.toString(), 'gpu(0)');
  assert.deepEqual(Array.from(await xg.data()), [0, 1, 2, 3, 4, 5]);
});
