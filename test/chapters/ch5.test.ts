// Chapter 5 (CNN) programs 5.1-5.4: every deterministic line is the book's (nb485's printout,
// copied below), the learned kernel of 5.1 approaches [[1, -1]], and d2l.corr2d refuses bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, d2l, ShapeError, ValueError } from '../../src/index.js';
import * as convLayer from '../../chapters/conv-layer.js';
import * as paddingAndStrides from '../../chapters/padding-and-strides.js';
import * as channels from '../../chapters/channels.js';
import * as pooling from '../../chapters/pooling.js';
import { loadChapter } from '../../chapters/index.js';

const quiet = { print: () => {} };
const rows6 = (row: string) => `\n[${Array(6).fill(row).join('\n ')}]`;

test('d2l.corr2d: the figure 5.1 example, a rectangular kernel', () => {
  const X = nd.array([
    [0, 1, 2],
    [3, 4, 5],
    [6, 7, 8],
  ]);
  assert.deepEqual(
    d2l
      .corr2d(
        X,
        nd.array([
          [0, 1],
          [2, 3],
        ]),
      )
      .toArray(),
    [
      [19, 25],
      [37, 43],
    ],
  );
  // A 1x3 kernel over a 2x4 input: each output the sum of three neighbours times [1, 0, -1].
  const Y = d2l.corr2d(nd.arange(8).reshape([2, 4]), nd.array([[1, 0, -1]]));
  assert.deepEqual(Y.toArray(), [
    [-2, -2],
    [-2, -2],
  ]);
  // A kernel as large as the input gives one element: the full inner product.
  assert.deepEqual(d2l.corr2d(X, X).toArray(), [[204]]);
});

test('d2l.corr2d: bad input is a typed error naming the function and the shapes', () => {
  const X = nd.ones([3, 3]);
  assert.throws(
    () => d2l.corr2d(nd.ones([1, 3, 3]), nd.ones([2, 2])),
    (e: unknown) =>
      e instanceof ShapeError && /d2l\.corr2d: expected a 2-D input X and a 2-D kernel K, got X \(1, 3, 3\) and K \(2, 2\)/.test(e.message),
  );
  assert.throws(
    () => d2l.corr2d(X, nd.ones([4, 1])),
    (e: unknown) => e instanceof ShapeError && /K \(4, 1\) must be non-empty and fit inside the input X \(3, 3\)/.test(e.message),
  );
  assert.throws(() => d2l.corr2d(X, nd.ones([0, 1])), ShapeError);
  assert.throws(
    () => d2l.corr2d([[1]] as unknown as typeof X, X),
    (e: unknown) => e instanceof ValueError && /d2l\.corr2d: X and K must be NDArrays/.test(e.message),
  );
});

test("5.1 conv-layer: the book's corr2d, image and edge lines; the loss falls and the kernel is learned", async () => {
  const r = await convLayer.run({ seed: 1, ...quiet });
  assert.equal(r.lines[0], '\n[[19. 25.]\n [37. 43.]]\n<NDArray 2x2 @cpu(0)>');
  assert.equal(r.lines[1], rows6('[1. 1. 0. 0. 0. 0. 1. 1.]') + '\n<NDArray 6x8 @cpu(0)>');
  assert.equal(r.lines[2], rows6('[ 0.  1.  0.  0.  0. -1.  0.]') + '\n<NDArray 6x7 @cpu(0)>');
  // The block built on corr2d, with the kernel [[1, -1]] and bias 0, finds the same edges.
  assert.deepEqual(r.blockEdges.toArray(), r.edges.toArray());
  const batchLines = r.lines.slice(3, 8);
  assert.deepEqual(
    batchLines.map((l) => l.replace(/loss \d+\.\d{3}$/, 'loss x')),
    [2, 4, 6, 8, 10].map((b) => `batch ${b}, loss x`),
  );
  // The book printed 4.949, 0.831, 0.140, 0.024, 0.004 and the kernel [[0.9895, -0.9873705]]: each
  // loss within a factor 1.5 of the book's (the last, printed as 0.004, in [0.002, 0.008]), for 3
  // seeds, and the learned kernel within 0.03 of K = [[1, -1]].
  const book = [4.949, 0.831, 0.14, 0.024, 0.004];
  for (const seed of [1, 2, 3]) {
    const s = seed === 1 ? r : await convLayer.run({ seed, ...quiet });
    s.losses.forEach((v, i) => {
      const [lo, hi] = i === 4 ? [0.002, 0.008] : [book[i] / 1.5, book[i] * 1.5];
      assert.ok(v >= lo && v <= hi, `seed ${seed}, batch ${2 * i + 2}: loss ${v} outside [${lo}, ${hi}]`);
    });
    const [w0, w1] = Array.from(s.learned.dataSync());
    assert.ok(Math.abs(w0 - 1) < 0.03 && Math.abs(w1 + 1) < 0.03, `seed ${seed}: learned [[${w0}, ${w1}]]`);
  }
  assert.match(r.lines[8], /^\n\[\[ 0\.9\d+ +-0\.9\d+\]\]\n<NDArray 1x2 @cpu\(0\)>$/);
});

test("5.2 padding-and-strides: the book's four output shapes", async () => {
  const r = await paddingAndStrides.run({ seed: 1, ...quiet });
  assert.deepEqual(r.lines, ['(8, 8)', '(8, 8)', '(4, 4)', '(2, 2)']);
});

test("5.3 channels: the book's multi-input and multi-output results, and the 1x1 check", async () => {
  for (const seed of [1, 2]) {
    const r = await channels.run({ seed, ...quiet });
    assert.deepEqual(r.lines.slice(0, 3), [
      '\n[[ 56.  72.]\n [104. 120.]]\n<NDArray 2x2 @cpu(0)>',
      '(3, 2, 2, 2)',
      '\n[[[ 56.  72.]\n  [104. 120.]]\n\n [[ 76. 100.]\n  [148. 172.]]\n\n [[ 96. 128.]\n  [192. 224.]]]\n<NDArray 3x2x2 @cpu(0)>',
    ]);
    assert.equal(r.lines[3], 'True');
    assert.ok(r.diff1x1 < 1e-6, `${r.diff1x1}`);
  }
});

test("5.4 pooling: the book's pool2d and nn.MaxPool2D outputs", async () => {
  const r = await pooling.run(quiet);
  const x4 = '[[[[ 0.  1.  2.  3.]\n   [ 4.  5.  6.  7.]\n   [ 8.  9. 10. 11.]\n   [12. 13. 14. 15.]]';
  assert.deepEqual(r.lines, [
    '\n[[4. 5.]\n [7. 8.]]\n<NDArray 2x2 @cpu(0)>',
    '\n[[2. 3.]\n [5. 6.]]\n<NDArray 2x2 @cpu(0)>',
    `\n${x4}]]\n<NDArray 1x1x4x4 @cpu(0)>`,
    '\n[[[[10.]]]]\n<NDArray 1x1x1x1 @cpu(0)>',
    '\n[[[[ 5.  7.]\n   [13. 15.]]]]\n<NDArray 1x1x2x2 @cpu(0)>',
    '\n[[[[ 0.  3.]\n   [ 8. 11.]\n   [12. 15.]]]]\n<NDArray 1x1x3x2 @cpu(0)>',
    `\n${x4}\n\n  [[ 1.  2.  3.  4.]\n   [ 5.  6.  7.  8.]\n   [ 9. 10. 11. 12.]\n   [13. 14. 15. 16.]]]]\n<NDArray 1x2x4x4 @cpu(0)>`,
    '\n[[[[ 5.  7.]\n   [13. 15.]]\n\n  [[ 6.  8.]\n   [14. 16.]]]]\n<NDArray 1x2x2x2 @cpu(0)>',
  ]);
});

test('5.1-5.4 run by slug, in book order after 4.6', async () => {
  const { chapterSlugs } = await import('../../chapters/index.js');
  const slugs = chapterSlugs();
  const at = slugs.indexOf('use-gpu');
  assert.deepEqual(slugs.slice(at + 1, at + 5), ['conv-layer', 'padding-and-strides', 'channels', 'pooling']);
  const ch = await loadChapter('padding-and-strides');
  assert.equal(ch.meta.slug, 'padding-and-strides');
});
