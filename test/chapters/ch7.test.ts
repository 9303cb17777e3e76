// Fast tier: the chapter-7 helpers (d2l.train2d, showTrace, showTrace2d, contour lines, getDataCh7,
// trainCh7, trainGluonCh7, setFigsize, plot annotations) and the programs 7.1 and 7.2, which need
// no data. The airfoil programs 7.3-7.8 and their bands are in ch7-airfoil.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { d2l, nd, type NDArray } from '../../src/index.js';
import { ValueError } from '../../src/core/errors.js';
import type { TrainerOptimizerParams } from '../../src/gluon/trainer.js';
import { assertClose, haveDataFiles, requireResource } from '../helpers.js';
import * as optimizationIntro from '../../chapters/optimization-intro.js';
import * as gdSgd from '../../chapters/gd-sgd.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'd2l-ch7-'));
const isPng = (file: string) =>
  readFileSync(file)
    .subarray(0, 8)
    .equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
const haveAirfoil = () => haveDataFiles('airfoil_self_noise.dat');

test("pyFixed writes numbers as Python's '%f'", () => {
  assert.equal(d2l.pyFixed(-0.05764607523034236), '-0.057646');
  assert.equal(d2l.pyFixed(-1673.3651093), '-1673.365109');
  assert.equal(d2l.pyFixed(-1e-9), '-0.000000'); // Python keeps the sign of a value that rounds to 0
  assert.equal(d2l.pyFixed(-0), '-0.000000');
  assert.equal(d2l.pyFixed(1e-9), '0.000000');
  assert.equal(d2l.pyFixed(0.2460954, 2), '0.25');
  assert.equal(d2l.pyFixed(1e22), '10000000000000000000000.000000');
  assert.equal(d2l.pyFixed(NaN), 'nan');
  assert.equal(d2l.pyFixed(-Infinity), '-inf');
  assert.throws(() => d2l.pyFixed('1' as unknown as number), /pyFixed: expected a number, got string 1/);
});

test("contour levels are matplotlib's default (MaxNLocator(8), strictly inside the range)", () => {
  // x1² + 2 x2² over the book's grid: 0 to 48.25; matplotlib draws 8, 16, ..., 48.
  assert.deepEqual(d2l.contourLevels(0, 48.25), [8, 16, 24, 32, 40, 48]);
  // 0.1 x1² + 2 x2²: 0 to 21.025 → steps of 3.
  assert.deepEqual(d2l.contourLevels(0, 21.025), [3, 6, 9, 12, 15, 18, 21]);
  assert.deepEqual(d2l.contourLevels(-1, 1), [-0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75]);
  assert.deepEqual(d2l.contourLevels(2, 2), []);
  assert.throws(() => d2l.contourLevels(0, Infinity), /contourLevels: zmin and zmax must be finite/);
});

test('contour segments lie on their level, and a saddle cell is split by its centre value', () => {
  const xs = [0, 0.5, 1, 1.5, 2];
  const ys = [0, 1, 2];
  const f = (x: number, y: number) => 2 * x + y;
  const z = ys.map((y) => xs.map((x) => f(x, y)));
  const segs = d2l.contourSegments(xs, ys, z, [1, 2.5]);
  assert.ok(segs.length >= 4);
  // A linear function is interpolated exactly: both ends of every piece are on the level.
  for (const s of segs) {
    assert.ok(Math.abs(f(s.x, s.y) - s.level) < 1e-12 && Math.abs(f(s.x2, s.y2) - s.level) < 1e-12, JSON.stringify(s));
  }
  // The lower-left and upper-right corners are high (1), the others low (0); the centre (0.5) is
  // high at level 0.4, so the high corners join through the middle and the lines cut off the low
  // corners.
  const saddle = d2l.contourSegments(
    [0, 1],
    [0, 1],
    [
      [1, 0],
      [0, 1],
    ],
    [0.4],
  );
  assert.equal(saddle.length, 2);
  // Cut-off corners: (1, 0) with its edge points (0.6, 0) and (1, 0.4); (0, 1) with (0, 0.6) and (0.4, 1).
  const pairs = saddle.map((s) => [`${s.x},${s.y}`, `${s.x2},${s.y2}`].sort().join(' ')).sort();
  assert.deepEqual(pairs, ['0,0.6 0.4,1', '0.6,0 1,0.4']);
  assert.throws(() => d2l.contourSegments([0, 1], [0, 1], [[0, 1]], [0.5]), /z must have ys.length = 2 rows/);
});

test('train2d takes 20 steps from (-5, -2) with zero states, prints the last point and returns all 21', () => {
  const printed: string[] = [];
  const seen: number[][] = [];
  const res = d2l.train2d(
    (x1, x2, s1, s2) => {
      seen.push([s1, s2]);
      return [x1 + 1, x2 * 0.5, s1 + 1, s2 - 1];
    },
    { print: (l) => printed.push(l) },
  );
  assert.equal(res.length, 21);
  assert.deepEqual(res[0], [-5, -2]);
  assert.deepEqual(res[20], [15, -2 / 2 ** 20]);
  assert.deepEqual(seen[0], [0, 0]);
  assert.deepEqual(seen[19], [19, -19]);
  assert.deepEqual(printed, ['epoch 20, x1 15.000000, x2 -0.000002']);
  assert.throws(
    () => d2l.train2d((() => [1, 2]) as unknown as d2l.Trainer2d, { print: () => {} }),
    (e: Error) =>
      e instanceof ValueError && /train2d: the trainer must return four numbers \[x1, x2, s1, s2\], got \[1,2\] at step 1/.test(e.message),
  );
  assert.throws(() => d2l.train2d('gd' as unknown as d2l.Trainer2d), /train2d: trainer must be a function/);
});

test("7.2 gd-sgd: the book's lines exactly, the three 1-D traces, and the 2-D paths plotted", async () => {
  const dir = tmp();
  const r = await gdSgd.run({ seed: 1, outDir: dir, print: () => {} });
  assert.deepEqual(r.lines.slice(0, 4), [
    'epoch 10, x: 0.06046617599999997',
    'epoch 10, x: 3.4867844009999995',
    'epoch 10, x: 61.917364224000096',
    'epoch 20, x1 -0.057646, x2 -0.000073',
  ]);
  // SGD: the book's run printed 'epoch 20, x1 0.046860, x2 0.107921' from its own random draws.
  assert.match(r.lines[4], /^epoch 20, x1 -?\d+\.\d{6}, x2 -?\d+\.\d{6}$/);
  assert.equal(r.lines.length, 5);
  // x_{k+1} = (1 - 2η) x_k: 0.6^k · 10, 0.9^k · 10 and (-1.2)^k · 10.
  r.gd1d['0.2'].forEach((x, k) => assert.ok(Math.abs(x - 10 * 0.6 ** k) < 1e-12));
  r.gd1d['1.1'].forEach((x, k) => assert.ok(Math.abs(x - 10 * (-1.2) ** k) < 1e-10));
  // The noise of SGD keeps it away from the path of gradient descent, and near the minimum.
  const [x1, x2] = r.sgd2d[20];
  assert.ok(Math.hypot(x1 - r.gd2d[20][0], x2 - r.gd2d[20][1]) > 1e-3 && Math.hypot(x1, x2) < 1.5, `${x1} ${x2}`);
  for (const name of ['gd-eta-0.2.png', 'gd-eta-0.05.png', 'gd-eta-1.1.png', 'gd-2d.png', 'sgd-2d.png'])
    assert.ok(existsSync(join(dir, name)) && isPng(join(dir, name)), name);
  // Seeded, the SGD path repeats.
  const again = await gdSgd.run({ seed: 1, outDir: dir, print: () => {} });
  assert.deepEqual(again.sgd2d, r.sgd2d);
});

test('showTrace2d draws the contour lines of f and the path; showTrace the 1-D trace', async () => {
  const dir = tmp();
  const f = (x1: number, x2: number) => x1 ** 2 + 2 * x2 ** 2;
  const path: [number, number][] = [
    [-5, -2],
    [-4, -1.2],
    [-3.2, -0.72],
  ];
  d2l.setFigsize();
  const fig = await d2l.showTrace2d(f, path, { file: join(dir, 'trace.svg') });
  assert.equal(readFileSync(join(dir, 'trace.svg'), 'utf8'), fig.svg);
  assert.match(fig.svg, /width="\d+"/);
  // The contour lines are blue rules, the path an orange line with points, the axes x1 and x2.
  assert.ok((fig.svg.match(/#1f77b4/g) ?? []).length > 100, 'contour pieces');
  assert.ok(fig.svg.includes('#ff7f0e') && fig.svg.includes('>x1<') && fig.svg.includes('>x2<'));
  // A diverging path (x2 = -1673 in 7.4) is drawn, not refused.
  await d2l.showTrace2d(f, [...path, [-0.4, -1673.4]]);
  await assert.rejects(() => d2l.showTrace2d(f, []), /showTrace2d: results must be a non-empty list/);
  await assert.rejects(() => d2l.showTrace2d(() => NaN, path), /showTrace2d: f must be finite over the grid/);
  const one = await d2l.showTrace([10, 6, 3.6], { file: join(dir, 'gd.png') });
  assert.ok(isPng(join(dir, 'gd.png')) && one.svg.includes('>f(x)<'));
  await assert.rejects(() => d2l.showTrace([]), /showTrace: res must be a non-empty list of finite numbers/);
});

test('setFigsize sets the size of later figures; plot draws annotations with arrows', async () => {
  try {
    d2l.setFigsize([4.5, 2.5]);
    assert.deepEqual(d2l.getFigsize(), [4.5, 2.5]);
    const fig = await d2l.plot([0, 1, 2], [0, 1, 0], {
      annotations: [{ text: 'peak', xy: [1, 1], xytext: [1.2, 0.2] }],
    });
    assert.match(fig.svg, /<svg[^>]*width="(\d+)"/);
    const width = Number(/<svg[^>]*width="(\d+)"/.exec(fig.svg)![1]);
    assert.ok(width > 450 && width < 560, `width ${width}`);
    assert.ok(fig.svg.includes('>peak<'));
    assert.throws(
      () => d2l.setFigsize([0, 2]),
      /setFigsize: figsize must be \[width, height\] in inches, two positive numbers, got \[0,2\]/,
    );
    await assert.rejects(
      () => d2l.plot([0, 1], [0, 1], { annotations: [{ text: 'x', xy: [NaN, 0], xytext: [0, 0] }] }),
      /plot: an annotation must be \{ text, xy: \[x, y\], xytext: \[x, y\] \}/,
    );
  } finally {
    d2l.setFigsize();
  }
  assert.deepEqual(d2l.getFigsize(), [3.5, 2.5]);
});

test('7.1 optimization-intro: the local-minimum, saddle-point and 3-D saddle figures', async () => {
  const dir = tmp();
  try {
    const r = await optimizationIntro.run({ outDir: dir, print: () => {} });
    assert.equal(r.files.length, 3);
    for (const f of r.files) assert.ok(isPng(f), f);
    assert.equal(r.lines.length, 3);
    // 16 lines each way (every second of 31 grid lines); the origin projects to the screen's origin.
    assert.equal(r.wireframe.lines, 32);
    assert.ok(Math.abs(r.wireframe.cross[0]) < 1e-12 && Math.abs(r.wireframe.cross[1]) < 1e-12);
    // The book sets the figure size to (4.5, 2.5) here.
    assert.deepEqual(d2l.getFigsize(), [4.5, 2.5]);
  } finally {
    d2l.setFigsize();
  }
});

test('getDataCh7: standardised over all 1503 rows, then the first 1500 kept (numpy reference values)', async (t) => {
  if (!requireResource(t, haveAirfoil(), 'airfoil_self_noise.dat (D2L_DATA_DIR)')) return;
  const [features, labels] = await d2l.getDataCh7();
  assert.deepEqual(features.shape, [1500, 5]);
  assert.deepEqual(labels.shape, [1500]);
  assert.equal(features.dtype, 'float32');
  // From numpy: (data - data.mean(0)) / data.std(0) over the 1503 rows, as float32.
  assertClose(features.get('0'), [-0.6620227, -1.146403, 1.7992992, 1.3129352, -0.6448046], 1e-6);
  assertClose(features.get('1499'), [0.08364823, 1.490443, -0.37373954, -0.72334486, 3.1727724], 1e-6);
  assertClose(labels.get('0'), 0.19793877, 1e-6);
  assertClose(labels.get('1499'), -2.259444, 1e-6);
  // The means of the kept 1500 rows are not 0: the statistics include the 3 rows left out.
  assertClose(features.mean({ axis: 0 }), [-0.00140479, -0.00298089, 0.00074748, 0.00144669, -0.00634554], 1e-5);
  assertClose(labels.mean(), 0.00555615, 1e-5);
});

test('trainCh7 and trainGluonCh7 check their arguments', async () => {
  const X = nd.zeros([20, 2]);
  const y = nd.zeros([20]);
  const noop = () => {};
  await assert.rejects(
    () => d2l.trainCh7(noop, null, { lr: 1 }, X, nd.zeros([19])),
    /trainCh7: features must be \(n, d\) and labels \(n,\), got \(20, 2\) and \(19\)/,
  );
  await assert.rejects(() => d2l.trainCh7(noop, null, { lr: 1 }, X, y, 0), /trainCh7: batchSize must be a positive integer, got 0/);
  await assert.rejects(() => d2l.trainCh7(noop, null, { lr: 1 }, X, y, 10, 1.5), /trainCh7: numEpochs must be a positive integer, got 1.5/);
  await assert.rejects(
    () => d2l.trainCh7('sgd' as unknown as d2l.TrainerFnCh7<null>, null, { lr: 1 }, X, y),
    /trainCh7: trainerFn must be a function/,
  );
  await assert.rejects(() => d2l.trainGluonCh7(3 as unknown as string, {}, X, y), /trainGluonCh7: trainerName must be an optimizer name/);
  await assert.rejects(() => d2l.trainGluonCh7('adamax', {}, X, y, 10, 1, { print: noop }), /unknown optimizer 'adamax'/);
});

test('trainCh7 records the loss at the start and every 100 examples, and plots it against the epoch', async () => {
  const X = nd.random.normal(0, 1, [200, 3]);
  const y = nd.dot(X, nd.array([1, -2, 0.5])).add(0.3);
  const dir = tmp();
  const printed: string[] = [];
  const sgd = (params: NDArray[], _s: null, hp: Record<string, number>) => {
    for (const p of params) p.set(':', p.sub(p.grad.mul(hp.lr)));
  };
  const r = await d2l.trainCh7(sgd, null, { lr: 0.3 }, X, y, 20, 3, { print: (l) => printed.push(l), file: join(dir, 'loss.png') });
  assert.equal(r.losses.length, 1 + 3 * 2);
  assert.deepEqual(r.epochs, [0, 0.5, 1, 1.5, 2, 2.5, 3]);
  assert.ok(r.losses[0] > 0.5 && r.losses.at(-1)! < 1e-3, r.losses.join(' '));
  assert.match(printed[0], /^loss: \d\.\d{6}, \d+\.\d{6} sec per epoch$/);
  assert.ok(isPng(join(dir, 'loss.png')) && r.figure?.file === join(dir, 'loss.png'));
  // Without a file no figure is drawn.
  const quiet = await d2l.trainCh7(sgd, null, { lr: 0.1 }, X, y, 200, 1, { print: () => {} });
  assert.equal(quiet.figure, undefined);
  assert.equal(quiet.losses.length, 2);
});

// The Gluon optimizers against the book's scratch update rules (with MXNet's epsilons): started
// from the same seed, trainCh7 and trainGluonCh7 draw the same initial weights and the same
// shuffles, so the two runs must agree to float32 rounding at every recorded loss. (A wrong rule
// or hyperparameter, such as gamma1 0.95 for 0.9, moves the losses by ~10%; the epsilons are below
// float32 rounding here, and test/gluon/optimizer.test.ts checks them with per-element updates.)
type Pair = [NDArray, NDArray];
const zeros = (d: number): Pair => [nd.zeros([d, 1]), nd.zeros([1])];
const zeros2 = (d: number): [Pair, Pair] => [
  [nd.zeros([d, 1]), nd.zeros([d, 1])],
  [nd.zeros([1]), nd.zeros([1])],
];
const scratch: Record<
  string,
  { fn: d2l.TrainerFnCh7<any>; states: (d: number) => unknown; hp: Record<string, number>; gluon: TrainerOptimizerParams }
> = {
  sgd: {
    fn: (ps, _s, hp) => ps.forEach((p) => p.set(':', p.sub(p.grad.mul(hp.lr)))),
    states: () => null,
    hp: { lr: 0.05 },
    gluon: { learningRate: 0.05 },
  },
  momentum: {
    fn: (ps, st: Pair, hp) =>
      ps.forEach((p, i) => {
        st[i].set(':', st[i].mul(hp.momentum).add(p.grad.mul(hp.lr)));
        p.isub(st[i]);
      }),
    states: zeros,
    hp: { lr: 0.004, momentum: 0.9 },
    gluon: { learningRate: 0.004, momentum: 0.9 },
  },
  adagrad: {
    fn: (ps, st: Pair, hp) =>
      ps.forEach((p, i) => {
        st[i].set(':', st[i].add(p.grad.square()));
        p.set(':', p.sub(p.grad.mul(hp.lr).div(st[i].add(1e-7).sqrt())));
      }),
    states: zeros,
    hp: { lr: 0.1 },
    gluon: { learningRate: 0.1 },
  },
  rmsprop: {
    fn: (ps, st: Pair, hp) =>
      ps.forEach((p, i) => {
        st[i].set(':', st[i].mul(hp.gamma).add(p.grad.square().mul(1 - hp.gamma)));
        p.set(':', p.sub(p.grad.mul(hp.lr).div(st[i].add(1e-8).sqrt())));
      }),
    states: zeros,
    hp: { lr: 0.01, gamma: 0.9 },
    gluon: { learningRate: 0.01, gamma1: 0.9 },
  },
  adadelta: {
    fn: (ps, st: [Pair, Pair], hp) =>
      ps.forEach((p, i) => {
        const [s, delta] = st[i];
        s.set(':', s.mul(hp.rho).add(p.grad.square().mul(1 - hp.rho)));
        const g = delta.add(1e-5).sqrt().div(s.add(1e-5).sqrt()).mul(p.grad);
        p.isub(g);
        delta.set(':', delta.mul(hp.rho).add(g.square().mul(1 - hp.rho)));
      }),
    states: zeros2,
    hp: { rho: 0.9 },
    gluon: { rho: 0.9 },
  },
  adam: {
    fn: (ps, st: [Pair, Pair], hp) => {
      ps.forEach((p, i) => {
        const [v, s] = st[i];
        v.set(':', v.mul(0.9).add(p.grad.mul(0.1)));
        s.set(':', s.mul(0.999).add(p.grad.square().mul(0.001)));
        const vHat = v.div(1 - 0.9 ** hp.t);
        const sHat = s.div(1 - 0.999 ** hp.t);
        p.set(':', p.sub(vHat.mul(hp.lr).div(sHat.sqrt().add(1e-8))));
      });
      hp.t += 1;
    },
    states: zeros2,
    hp: { lr: 0.01, t: 1 },
    gluon: { learningRate: 0.01 },
  },
};

test("Gluon's sgd (with momentum), adagrad, rmsprop (gamma1), adadelta (rho) and adam follow the book's scratch rules step for step", async () => {
  // Synthetic data (the rules do not depend on the data set): 300 examples, 4 features.
  nd.random.seed(11);
  const X = nd.random.normal(0, 1, [300, 4]);
  const y = nd.dot(X, nd.array([0.5, -1, 0.25, 2])).add(nd.random.normal(0, 0.5, [300]));
  for (const [name, s] of Object.entries(scratch)) {
    nd.random.seed(5);
    const a = await d2l.trainCh7(s.fn, s.states(4), { ...s.hp }, X, y, 10, 2, { print: () => {} });
    nd.random.seed(5);
    const b = await d2l.trainGluonCh7(name === 'momentum' ? 'sgd' : name, s.gluon, X, y, 10, 2, { print: () => {} });
    assert.equal(a.losses.length, 7);
    assert.ok(a.losses[6] < a.losses[0] / 2, `${name} trains: ${a.losses[0]} -> ${a.losses[6]}`);
    const diff = Math.max(...a.losses.map((v, i) => Math.abs(v - b.losses[i]) / v));
    assert.ok(diff < 2e-6, `${name}: scratch and Gluon differ by ${diff} (relative)`);
  }
});
