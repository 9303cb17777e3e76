// Fast tier: the chapter-3 programs after the MLP (3.11-3.16) on small settings, checking what they
// print and write and the properties the book's text states. The bands at the book's settings,
// with three seeds, are in test/full/ch3-more-bands.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveDataFiles, haveFashionMnist, requireResource } from '../helpers.js';
import { pyFloat32 } from '../../chapters/pyrepr.js';
import * as underfitOverfit from '../../chapters/underfit-overfit.js';
import * as weightDecay from '../../chapters/weight-decay.js';
import * as dropout from '../../chapters/dropout.js';
import * as backprop from '../../chapters/backprop.js';
import * as numerical from '../../chapters/numerical-stability-and-init.js';
import * as kaggle from '../../chapters/kaggle-house-price.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'd2l-ch3-more-'));

const HAVE_FASHION = haveFashionMnist();
const HAVE_KAGGLE = haveDataFiles('kaggle_house_pred_train.csv', 'kaggle_house_pred_test.csv');

test('pyFloat32 writes float32 values as numpy does', () => {
  assert.equal(pyFloat32(0.0069049126), '0.0069049126');
  assert.equal(pyFloat32(43.997696), '43.997696');
  assert.equal(pyFloat32(11), '11.0');
  assert.equal(pyFloat32(-7.212293e-10), '-7.212293e-10');
  assert.equal(pyFloat32(9.313226e20), '9.313226e+20');
  assert.equal(pyFloat32(0), '0.0');
  assert.throws(() => pyFloat32('1' as unknown as number), /expected a number/);
});

test("3.11 underfit-overfit (seed 1, the book's settings): the book's lines, and underfitting and overfitting as the text says", async () => {
  const dir = tmp();
  const r = await underfitOverfit.run({ seed: 1, outDir: dir, print: () => {} });
  assert.match(
    r.lines[0],
    /^\(\n \[\[.*\]\n {2}\[.*\]\]\n <NDArray 2x1 @cpu\(0\)>, \n \[\[.*\]\n {2}\[.*\]\]\n <NDArray 2x3 @cpu\(0\)>, \n \[.*\]\n <NDArray 2 @cpu\(0\)>\)$/,
  );
  const finals = r.lines.filter((l) => l.startsWith('final epoch'));
  assert.equal(finals.length, 3);
  for (const l of finals) assert.match(l, /^final epoch: train loss \d[\d.e+-]* test loss \d[\d.e+-]*$/);
  assert.match(r.lines[2], /^weight: \[\[.*\]\] \nbias: \[.*\]$/);
  // Normal fit: small losses, parameters near the truth; linear: both losses high; two samples: test >> train.
  assert.ok(r.thirdOrder.trainLs[99] < 0.02 && r.thirdOrder.testLs[99] < 0.03, `${r.thirdOrder.trainLs[99]} ${r.thirdOrder.testLs[99]}`);
  r.thirdOrder.weight.forEach((w, i) => assert.ok(Math.abs(w - r.trueW[i]) < 0.3, `w[${i}] = ${w}`));
  assert.ok(r.linear.trainLs[99] > 1000 * r.thirdOrder.trainLs[99]);
  assert.ok(r.fewSamples.testLs[99] > 3 * r.fewSamples.trainLs[99] && r.fewSamples.testLs[99] > 10);
  for (const f of ['third-order.png', 'linear.png', 'few-samples.png']) assert.ok(existsSync(join(dir, f)), f);
});

test('3.12 weight-decay (30 epochs): four "L2 norm of w" lines; weight decay shrinks w and the test loss', async () => {
  const r = await weightDecay.run({ seed: 1, epochs: 30, outDir: tmp(), print: () => {} });
  assert.equal(r.lines.length, 4);
  for (const l of r.lines) assert.match(l, /^L2 norm of w: \d+\.\d+(e-\d+)?$/);
  for (const runs of [r.scratch, r.gluon]) {
    const [none, decay] = runs;
    assert.ok(decay.wNorm < none.wNorm / 10, `${decay.wNorm} vs ${none.wNorm}`);
    assert.ok(decay.testLs.at(-1)! < none.testLs.at(-1)!, 'decay lowers the test loss');
    assert.ok(none.trainLs.at(-1)! < none.testLs.at(-1)! / 100, 'without decay the model overfits');
  }
});

test("3.13 dropout on a slice of Fashion-MNIST: the book's dropout(X, p) demo, then both versions train", async (t) => {
  if (!requireResource(t, HAVE_FASHION, 'Fashion-MNIST')) return;
  const r = await dropout.run({ seed: 1, epochs: 1, limit: 8192, progress: false, print: () => {} });
  assert.equal(r.lines[0], '\n[[ 0.  1.  2.  3.  4.  5.  6.  7.]\n [ 8.  9. 10. 11. 12. 13. 14. 15.]]\n<NDArray 2x8 @cpu(0)>');
  assert.equal(r.lines[2], '\n[[0. 0. 0. 0. 0. 0. 0. 0.]\n [0. 0. 0. 0. 0. 0. 0. 0.]]\n<NDArray 2x8 @cpu(0)>');
  const half = Array.from(r.demo[1].dataSync());
  half.forEach((v, i) => assert.ok(v === 0 || v === 2 * i, `element ${i}: ${v}`));
  assert.ok(half.some((v) => v === 0) && half.some((v) => v !== 0));
  const epochs = r.lines.filter((l) => l.startsWith('epoch'));
  assert.equal(epochs.length, 2);
  for (const l of epochs) assert.match(l, /^epoch 1, loss \d+\.\d{4}, train acc \d\.\d{3}, test acc \d\.\d{3}$/);
  // 32 steps: the loss is already below chance level (ln 10 = 2.303), the accuracy above it (0.1).
  for (const h of [r.scratch, r.gluon]) assert.ok(h[0].loss < 2.25 && h[0].testAcc > 0.15, `${h[0].loss} ${h[0].testAcc}`);
});

test('3.14 backprop: the chain-rule gradients of the text agree with autograd and with finite differences', async () => {
  for (const seed of [1, 2]) {
    const r = await backprop.run({ seed, print: () => {} });
    assert.ok(r.autogradDiff < 1e-12, `autograd ${r.autogradDiff}`);
    assert.ok(r.finiteDiff < 1e-7, `finite differences ${r.finiteDiff}`);
    assert.match(r.lines[1], /^z = W1 x \(5, 1\), h = φ\(z\) \(5, 1\), o = W2 h \(3, 1\)$/);
    assert.ok(r.J > 0);
  }
});

test('3.15 numerical-stability-and-init: 0.2^30 and 5^30, symmetry kept by equal starts, the default and Xavier ranges', async () => {
  const r = await numerical.run({ seed: 1, print: () => {} });
  assert.ok(Math.abs(r.vanishing.output / 0.2 ** 30 - 1) < 1e-5 && Math.abs(r.vanishing.grad / 0.2 ** 30 - 1) < 1e-5);
  assert.ok(Math.abs(r.exploding.output / 5 ** 30 - 1) < 1e-5 && Math.abs(r.exploding.grad / 5 ** 30 - 1) < 1e-5);
  assert.equal(r.symmetricSpread, 0);
  assert.ok(r.randomSpread > 0.1);
  assert.ok(r.defaultRange[0] >= -0.07 && r.defaultRange[1] <= 0.07 && r.defaultRange[1] - r.defaultRange[0] > 0.13);
  assert.equal(r.defaultBiasMax, 0);
  assert.ok(Math.abs(r.xavierBound - Math.sqrt(6 / 1040)) < 1e-12);
  assert.ok(r.xavierRange[0] >= -r.xavierBound && r.xavierRange[1] <= r.xavierBound);
  assert.ok(Math.abs(r.varianceRatio - 1568 / 1040) < 0.1, `${r.varianceRatio}`);
});

test("3.16 kaggle-house-price (10 epochs): the book's data lines, 5 folds, the summary and predictions.csv", async (t) => {
  if (!requireResource(t, HAVE_KAGGLE, 'the Kaggle house-price CSVs (D2L_DATA_DIR)')) return;
  const dir = tmp();
  const r = await kaggle.run({ seed: 1, epochs: 10, outDir: dir, print: () => {} });
  assert.deepEqual(r.lines.slice(0, 2), ['(1460, 81)', '(1459, 80)']);
  assert.equal(r.lines[2].split('\n')[1], '0   1          60       RL         65.0       WD        Normal     208500');
  assert.equal(r.lines[3], '(2919, 331)');
  assert.deepEqual(r.featureShape, [2919, 331]);
  const folds = r.lines.filter((l) => l.startsWith('fold'));
  assert.equal(folds.length, 5);
  folds.forEach((l, i) => assert.match(l, new RegExp(`^fold ${i}, train rmse \\d\\.\\d{6}, valid rmse \\d\\.\\d{6}$`)));
  assert.match(
    r.lines.find((l) => l.startsWith('5-fold'))!,
    /^5-fold validation: avg train rmse \d\.\d{6}, avg valid rmse \d\.\d{6}$/,
  );
  assert.match(
    r.lines.find((l) => l.startsWith('train rmse'))!,
    /^train rmse \d\.\d{6}$/,
  );
  const csv = readFileSync(r.predictionsFile, 'utf8').trimEnd().split('\n');
  assert.equal(csv[0], 'Id,SalePrice');
  assert.equal(csv.length, 1460);
  assert.ok(csv[1].startsWith('1461,'));
  assert.equal(Math.fround(Number(csv[1].split(',')[1])), r.predictions[0], 'the written value reads back as the float32 prediction');
  // Adam at lr 5 lowers the log RMSE at every one of the first epochs (from about 3.5; the book's
  // 100 epochs reach 0.16).
  r.finalTrainLs.slice(1).forEach((v, i) => assert.ok(v < r.finalTrainLs[i], `epoch ${i + 2}: ${v} after ${r.finalTrainLs[i]}`));
  assert.ok(r.finalTrainLs[9] < 0.5 * r.finalTrainLs[0]);
  assert.equal(r.predictions.length, 1459);
});
