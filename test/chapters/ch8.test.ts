// Chapter 8 programs: 8.2 async-computation (the book's Benchmark blocks and the memory demo),
// d2l.Benchmark, 8.4 multiple-gpus (data parallelism from scratch on two contexts) and 8.5
// multiple-gpus-gluon (the same with Gluon and d2l.resnet18).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { d2l, gpu } from '../../src/index.js';
import * as asyncComputation from '../../chapters/async-computation.js';
import * as multipleGpus from '../../chapters/multiple-gpus.js';
import * as multipleGpusGluon from '../../chapters/multiple-gpus-gluon.js';
import { requireResource, haveFashionMnist } from '../helpers.js';

test("8.2 async-computation prints the book's lines in the book's order (timings vary)", async () => {
  const r = await asyncComputation.run({ limit: 200, print: () => {} });
  const time = (prefix: string) => new RegExp(`^${prefix.replace(/\./g, '\\.')}time: \\d+\\.\\d{4} sec$`);
  assert.match(r.lines[0], time('Workloads are queued. '));
  // (a 0-d result: d2l-ts's sum() over all axes, where MXNet 1.x gives shape (1,)); a float32 sum
  // near 2e6 prints as `2011076.` (no digits after the point) or `2000000.5`
  assert.match(r.lines[1], /^sum = \n\d+\.?\d*(e\+\d+)?\n<NDArray {2}@cpu\(0\)>$/);
  assert.match(r.lines[2], time('Workloads are finished. '));
  for (const i of [3, 4, 5, 6]) assert.match(r.lines[i], time(''));
  assert.match(r.lines[7], time('synchronous. '));
  assert.match(r.lines[8], time('asynchronous. '));
  // The warm-up pass breaks after one batch; the two measured passes print at batches 2 and 4.
  assert.deepEqual(
    r.lines.slice(9).map((l) => l.replace(/[\d.]+ sec$/, 'T sec').replace(/-?[\d.]+ MB$/, 'M MB')),
    [
      'batch 2, time T sec',
      'batch 4, time T sec',
      'increased memory: M MB',
      'batch 2, time T sec',
      'batch 4, time T sec',
      'increased memory: M MB',
    ],
  );
  assert.equal(r.times.length, 8);
  assert.ok(r.times.every((t) => t >= 0 && Number.isFinite(t)));
  // sum(x·x) for x ~ U(0, 1)^{200x200}: each entry's expectation is 200/4 = 50, so the sum is ~2e6.
  const sum = Number(r.lines[1].split('\n')[1]);
  assert.ok(sum > 1.8e6 && sum < 2.2e6, `sum ${sum}`);
});

test('d2l.benchmark prints "<prefix> time: t sec", returns the body\'s value and awaits an async body', async () => {
  const out: string[] = [];
  const print = (l: string) => out.push(l);
  assert.equal(
    d2l.benchmark('sync.', () => 42, { print }),
    42,
  );
  assert.equal(await d2l.benchmark(null, async () => 'v', { print }), 'v');
  assert.throws(
    () =>
      d2l.benchmark(
        'boom.',
        () => {
          throw new Error('inner');
        },
        { print },
      ),
    /inner/,
  );
  await assert.rejects(
    d2l.benchmark(
      'later.',
      async () => {
        throw new Error('async inner');
      },
      { print },
    ),
    /async inner/,
  );
  assert.equal(out.length, 4);
  assert.match(out[0], /^sync\. time: \d+\.\d{4} sec$/);
  assert.match(out[1], /^time: \d+\.\d{4} sec$/);
  assert.match(out[2], /^boom\. time: /);
  assert.match(out[3], /^later\. time: /);
  const b = new d2l.Benchmark('block.', { print }).enter();
  assert.ok(b.exit() >= 0);
  assert.match(out[4], /^block\. time: /);
});

test('d2l.Benchmark and d2l.benchmark reject bad arguments with the function named', () => {
  assert.throws(() => new d2l.Benchmark(3 as unknown as string), /d2l\.Benchmark: the prefix must be a string, got number/);
  assert.throws(() => new d2l.Benchmark('x', { print: 'no' as unknown as () => void }), /options\.print must be a function/);
  assert.throws(() => new d2l.Benchmark('x').exit(), /d2l\.Benchmark\.exit: enter\(\) was not called/);
  assert.throws(() => d2l.benchmark('x', 5 as unknown as () => void), /d2l\.benchmark: the body must be a function, got number/);
});

// The book's deterministic lines of 8.4, with cpu(0)/cpu(1) for its gpu(0)/gpu(1).
const MULTIPLE_GPUS_LINES = `b1 weight: 
[0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0.]
<NDArray 20 @cpu(0)>
b1 grad: 
[0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0.]
<NDArray 20 @cpu(0)>
before allreduce: [
[[1. 1.]]
<NDArray 1x2 @cpu(0)>, 
[[2. 2.]]
<NDArray 1x2 @cpu(1)>]
after allreduce: [
[[3. 3.]]
<NDArray 1x2 @cpu(0)>, 
[[3. 3.]]
<NDArray 1x2 @cpu(1)>]
input:  
[[ 0.  1.  2.  3.]
 [ 4.  5.  6.  7.]
 [ 8.  9. 10. 11.]
 [12. 13. 14. 15.]
 [16. 17. 18. 19.]
 [20. 21. 22. 23.]]
<NDArray 6x4 @cpu(0)>
load into [cpu(0), cpu(1)]
output: [
[[ 0.  1.  2.  3.]
 [ 4.  5.  6.  7.]
 [ 8.  9. 10. 11.]]
<NDArray 3x4 @cpu(0)>, 
[[12. 13. 14. 15.]
 [16. 17. 18. 19.]
 [20. 21. 22. 23.]]
<NDArray 3x4 @cpu(1)>]
running on: [cpu(0)]`;

test("8.4 multiple-gpus prints the book's lines, then trains on one device and on two", async (t) => {
  if (!requireResource(t, haveFashionMnist(), 'Fashion-MNIST')) return;
  const r = await multipleGpus.run({ seed: 1, limit: 1024, epochs: 2, print: () => {} });
  const text = r.lines.join('\n');
  assert.ok(text.startsWith(MULTIPLE_GPUS_LINES), text.slice(0, 1500));
  const epochs = r.lines.filter((l) => l.startsWith('epoch '));
  assert.equal(epochs.length, 4);
  for (const l of epochs) assert.match(l, /^epoch [12], time \d+\.\d sec, test acc \d\.\d\d$/);
  assert.ok(r.lines.includes('running on: [cpu(0), cpu(1)]'));
  for (const accs of r.testAcc) for (const a of accs) assert.ok(a >= 0 && a <= 1);
  await assert.rejects(multipleGpus.run({ ctx: gpu(0), print: () => {} }), /--ctx gpu\(0\) is not taken/);
});

test('8.5 multiple-gpus-gluon: resnet18 on two devices, copies that stay equal, and training on one device and on two', async (t) => {
  if (!requireResource(t, haveFashionMnist(), 'Fashion-MNIST')) return;
  const r = await multipleGpusGluon.run({ seed: 1, limit: 64, batchSize: 16, epochs: 1, print: () => {} });
  // Each device's output is its half of the 4-example input, on that device.
  assert.deepEqual(
    r.outputs.map((o) => [o.shape, o.context.toString()]),
    [
      [[2, 10], 'cpu(0)'],
      [[2, 10], 'cpu(1)'],
    ],
  );
  assert.ok(r.lines.includes('not initialized on cpu(2)'));
  assert.deepEqual(
    r.lines.filter((l) => l.startsWith('running on:')),
    ['running on: [cpu(0)]', 'running on: [cpu(0), cpu(1)]'],
  );
  const epochs = r.lines.filter((l) => l.startsWith('epoch '));
  assert.equal(epochs.length, 2);
  for (const l of epochs) assert.match(l, /^epoch 1, time \d+\.\d sec, test acc \d\.\d\d$/);
  // After the two-device run every trained parameter's two copies are the same numbers (batch
  // norm's running statistics are not trained: each device keeps its own, as in MXNet).
  for (const p of r.net.collectParams().values()) {
    if (p.gradReq === 'null') continue;
    const [a, b] = p.listData();
    assert.ok(a && b, `${p.name} has two copies`);
    assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()), p.name);
  }
  await assert.rejects(multipleGpusGluon.run({ ctx: gpu(0), print: () => {} }), /--ctx gpu\(0\) is not taken/);
});
