// The programs of book sections 2.2 (ndarray) and 2.3 (autograd) print what the book printed
// (../shared/reference/d2l-book-outputs.md §2-§3), random draws excepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ndarrayChapter from '../../chapters/ndarray.js';
import * as autogradChapter from '../../chapters/autograd.js';
import { array2string } from '../../src/ndarray/format.js';

/** How MXNet prints a float32 NDArray holding `rows` (values taken from the reference). */
function show(rows: number[] | number[][]): string {
  const shape = Array.isArray(rows[0]) ? [rows.length, (rows[0] as number[]).length] : [rows.length];
  return `\n${array2string(Float32Array.from((rows as number[][]).flat()), shape, 'float32')}\n<NDArray ${shape.join('x')} @cpu(0)>`;
}

const X = [
  [0, 1, 2, 3],
  [4, 5, 6, 7],
  [8, 9, 10, 11],
];
const Y = [
  [2, 1, 4, 3],
  [1, 2, 3, 4],
  [4, 3, 2, 1],
];

test("chapter ndarray (2.2) prints the book's deterministic outputs", async () => {
  const printed: string[] = [];
  const { lines } = await ndarrayChapter.run({ print: (l) => printed.push(l), seed: 0 });
  assert.deepEqual(printed, lines);
  assert.equal(ndarrayChapter.meta.slug, 'ndarray');
  const expected: (string | RegExp | ((s: string) => void))[] = [
    show([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
    '(12,)',
    '12',
    '\n[[ 0.  1.  2.  3.]\n [ 4.  5.  6.  7.]\n [ 8.  9. 10. 11.]]\n<NDArray 3x4 @cpu(0)>',
    (s) => assert.ok(s.endsWith('<NDArray 2x3x4 @cpu(0)>') && !/[1-9]/.test(s.split('<')[0]), s),
    show([
      [1, 1, 1, 1],
      [1, 1, 1, 1],
      [1, 1, 1, 1],
    ]),
    show(Y),
    // nd.random.normal(0, 1, shape=(3, 4)): a random draw; only its shape is the book's
    /^\n\[\[.*\]\]\n<NDArray 3x4 @cpu\(0\)>$/s,
    show([
      [2, 2, 6, 6],
      [5, 7, 9, 11],
      [12, 12, 12, 12],
    ]),
    show([
      [0, 1, 8, 9],
      [4, 10, 18, 28],
      [32, 27, 20, 11],
    ]),
    show([
      [0, 1, 0.5, 1],
      [4, 2.5, 2, 1.75],
      [2, 3, 5, 11],
    ]),
    // Y.exp() exactly as the book printed it
    '\n[[ 7.389056   2.7182817 54.59815   20.085537 ]\n [ 2.7182817  7.389056  20.085537  54.59815  ]\n [54.59815   20.085537   7.389056   2.7182817]]\n<NDArray 3x4 @cpu(0)>',
    show([
      [18, 20, 10],
      [58, 60, 50],
      [98, 100, 90],
    ]),
    show([...X, ...Y]) + ' ' + show(X.map((r, i) => [...r, ...Y[i]])),
    show([
      [0, 1, 0, 1],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]),
    // X.sum(): the book's old NDArray printed [66.] with shape (1,); full reductions are 0-d here
    '\n66.\n<NDArray  @cpu(0)>',
    // X.norm().asscalar(): the book's 22.494442 came from MXNet's GPU kernel; the correctly
    // rounded float32 of sqrt(506) is 22.494444
    (s) => assert.ok(Math.abs(Number(s) - 22.494442) < 3e-6, s),
    show([[0], [1], [2]]) + ' ' + show([[0, 1]]),
    show([
      [0, 1],
      [1, 2],
      [2, 3],
    ]),
    show([
      [4, 5, 6, 7],
      [8, 9, 10, 11],
    ]),
    show([
      [0, 1, 2, 3],
      [4, 5, 9, 7],
      [8, 9, 10, 11],
    ]),
    show([
      [0, 1, 2, 3],
      [12, 12, 12, 12],
      [8, 9, 10, 11],
    ]),
    'False',
    'True',
    'True',
    'True',
    show([
      [1, 1, 1],
      [1, 1, 1],
    ]),
    '[[1,1,1],[1,1,1]]',
  ];
  assert.equal(lines.length, expected.length, `printed ${lines.length} lines:\n${lines.join('\n')}`);
  expected.forEach((e, i) => {
    if (typeof e === 'string') assert.equal(lines[i], e, `output ${i}`);
    else if (e instanceof RegExp) assert.match(lines[i], e, `output ${i}`);
    else e(lines[i]);
  });
});

test('chapter ndarray: a seed makes the random draw reproducible', async () => {
  const a = await ndarrayChapter.run({ print: () => {}, seed: 3 });
  const b = await ndarrayChapter.run({ print: () => {}, seed: 3 });
  assert.equal(a.lines[7], b.lines[7]);
  const c = await ndarrayChapter.run({ print: () => {}, seed: 4 });
  assert.notEqual(a.lines[7], c.lines[7]);
});

test("chapter autograd (2.3) prints the book's outputs", async () => {
  const { lines } = await autogradChapter.run({ print: () => {}, seed: 0 });
  assert.equal(autogradChapter.meta.slug, 'autograd');
  assert.deepEqual(lines, [
    show([[0], [1], [2], [3]]),
    'True', // (x.grad - 4 * x).norm() == 0
    show([[0], [4], [8], [12]]),
    'False', // is_training() outside record
    'True', // inside record
    show([1]), // a.grad == c / a
  ]);
});

test('chapter autograd: the control-flow gradient holds for any seed', async () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const { lines } = await autogradChapter.run({ print: () => {}, seed });
    assert.equal(lines[5], show([1]), `seed ${seed}`);
  }
});
