// The device a training program picks by itself: the book's tryGpu(), except that a software
// WebGPU adapter (lavapipe in CI) is not used for training, with a note saying why; an explicit
// ctx (--ctx) is always honoured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainingContext } from '../../chapters/common.js';
import { d2l, destroyWebGpu, initWebGpu, nd } from '../../src/index.js';
import { requireResource } from '../helpers.js';

test('trainingContext: an explicit ctx wins; a software adapter gives cpu(0) with a note; a real GPU is kept', async (t) => {
  assert.equal(String(await trainingContext({ ctx: nd.cpu() })), 'cpu(0)');
  let software: boolean | null = null;
  try {
    software = (await initWebGpu()).software;
  } catch {
    software = null;
  }
  if (!requireResource(t, software !== null, 'WebGPU (lavapipe)')) return;
  t.after(() => destroyWebGpu());
  assert.equal(String(await trainingContext({ ctx: nd.gpu(0) })), 'gpu(0)', '--ctx gpu trains on the GPU whatever it is');
  const notes: string[] = [];
  const warn = console.error;
  console.error = (...a: unknown[]) => void notes.push(a.join(' '));
  let ctx;
  try {
    ctx = await trainingContext({});
  } finally {
    console.error = warn;
  }
  assert.equal(String(await d2l.tryGpu()), 'gpu(0)', "the book's tryGpu still gives the GPU");
  if (software) {
    assert.equal(String(ctx), 'cpu(0)');
    assert.match(
      notes.join('\n'),
      /gpu\(0\) is a software adapter .* training on cpu\(0\), which is faster \(--ctx gpu trains there anyway\)/,
    );
  } else {
    assert.equal(String(ctx), 'gpu(0)');
    assert.deepEqual(notes, []);
  }
});
