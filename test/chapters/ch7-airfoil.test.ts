// Fast tier, on the full airfoil data (1500 examples: each program takes a few seconds): the
// programs 7.3-7.8 at the book's settings, seed 1. Their 2-D lines must be the book's exactly
// (nb485); the final airfoil losses must land in bands derived from the book's printed runs:
//   - the least-squares optimum of this linear regression is 0.241688 (numpy lstsq), a floor no
//     run can go below; the book's 14 runs ended at 0.2426-0.2534, ours over seeds 1-6 at
//     0.2419-0.2527, so every run must end in [0.2416, 0.26];
//   - except momentum at lr 0.02, γ 0.9, which the text calls noisy: the book 0.253310, ours over
//     seeds 1-6 0.2434-0.2620, band [0.2416, 0.28];
//   - every run starts at the loss of w ≈ 0, b = 0: half the mean square of the standardised
//     labels, about 0.5 (band 0.45-0.55).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveDataFiles, inBand, requireResource } from '../helpers.js';
import type { Ch7Run } from '../../chapters/minibatch-sgd.js';
import * as minibatchSgd from '../../chapters/minibatch-sgd.js';
import * as momentum from '../../chapters/momentum.js';
import * as adagrad from '../../chapters/adagrad.js';
import * as rmsprop from '../../chapters/rmsprop.js';
import * as adadelta from '../../chapters/adadelta.js';
import * as adam from '../../chapters/adam.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'd2l-ch7-airfoil-'));
const haveAirfoil = () => haveDataFiles('airfoil_self_noise.dat');
const AIRFOIL = 'airfoil_self_noise.dat (D2L_DATA_DIR)';
const LOSS_LINE = /^loss: 0\.\d{6}, \d+\.\d{6} sec per epoch$/;

/** The bands above, for each run, and its plot written. */
function checkRuns(runs: Ch7Run[], lines: string[], names: string[]): void {
  assert.deepEqual(
    runs.map((r) => r.name),
    names,
  );
  const lossLines = lines.filter((l) => l.startsWith('loss: '));
  assert.equal(lossLines.length, runs.length);
  runs.forEach((r, i) => {
    assert.match(lossLines[i], LOSS_LINE);
    assert.ok(lossLines[i].startsWith(`loss: ${r.losses.at(-1)!.toFixed(6)},`), `${lossLines[i]} vs ${r.losses.at(-1)}`);
    inBand(r.losses[0], 0.45, 0.55, `${r.name}: the initial loss`);
    const hi = r.name === 'momentum lr 0.02 momentum 0.9' ? 0.28 : 0.26;
    inBand(r.losses.at(-1)!, 0.2416, hi, `${r.name}: the final loss`);
    assert.ok(existsSync(r.file), r.file);
  });
}

test("7.3 minibatch-sgd: (1500, 5); gradient descent, SGD, minibatch SGD and Gluon's sgd land in the book's bands", async (t) => {
  if (!requireResource(t, haveAirfoil(), AIRFOIL)) return;
  const r = await minibatchSgd.run({ seed: 1, outDir: tmp(), print: () => {} });
  assert.equal(r.lines[0], '(1500, 5)');
  checkRuns(r.runs, r.lines, ['sgd lr 1 batch 1500', 'sgd lr 0.005 batch 1', 'sgd lr 0.05 batch 10', 'gluon sgd lr 0.05 batch 10']);
  // Batch 1500 for 6 epochs: one loss per step (7); batch 1 and 10 for 2 epochs: every 100 examples (31).
  assert.deepEqual(
    r.runs.map((x) => x.losses.length),
    [7, 31, 31, 31],
  );
  assert.deepEqual(r.runs[0].epochs, [0, 1, 2, 3, 4, 5, 6]);
});

test("7.4 momentum: the book's four 2-D lines exactly; momentum SGD from scratch and Gluon's in the bands", async (t) => {
  if (!requireResource(t, haveAirfoil(), AIRFOIL)) return;
  const r = await momentum.run({ seed: 1, outDir: tmp(), print: () => {} });
  assert.deepEqual(r.lines.slice(0, 4), [
    'epoch 20, x1 -0.943467, x2 -0.000073',
    'epoch 20, x1 -0.387814, x2 -1673.365109',
    'epoch 20, x1 -0.062843, x2 0.001202',
    'epoch 20, x1 0.007188, x2 0.002553',
  ]);
  for (const f of r.files) assert.ok(existsSync(f), f);
  checkRuns(r.runs, r.lines, [
    'momentum lr 0.02 momentum 0.5',
    'momentum lr 0.02 momentum 0.9',
    'momentum lr 0.004 momentum 0.9',
    'gluon sgd lr 0.004 momentum 0.9',
  ]);
});

test("7.5 adagrad: the book's 2-D lines exactly; AdaGrad from scratch and Gluon's in the bands", async (t) => {
  if (!requireResource(t, haveAirfoil(), AIRFOIL)) return;
  const r = await adagrad.run({ seed: 1, outDir: tmp(), print: () => {} });
  assert.deepEqual(r.lines.slice(0, 2), ['epoch 20, x1 -2.382563, x2 -0.158591', 'epoch 20, x1 -0.002295, x2 -0.000000']);
  checkRuns(r.runs, r.lines, ['adagrad lr 0.1', 'gluon adagrad lr 0.1']);
});

test("7.6 rmsprop: the book's 2-D line exactly; RMSProp from scratch and Gluon's (gamma1) in the bands", async (t) => {
  if (!requireResource(t, haveAirfoil(), AIRFOIL)) return;
  const r = await rmsprop.run({ seed: 1, outDir: tmp(), print: () => {} });
  assert.equal(r.lines[0], 'epoch 20, x1 -0.010599, x2 0.000000');
  assert.equal(r.path.length, 21);
  checkRuns(r.runs, r.lines, ['rmsprop lr 0.01 gamma 0.9', 'gluon rmsprop lr 0.01 gamma1 0.9']);
});

test("7.7 adadelta and 7.8 adam: from scratch and Gluon's, in the bands", async (t) => {
  if (!requireResource(t, haveAirfoil(), AIRFOIL)) return;
  const a = await adadelta.run({ seed: 1, outDir: tmp(), print: () => {} });
  checkRuns(a.runs, a.lines, ['adadelta rho 0.9', 'gluon adadelta rho 0.9']);
  const b = await adam.run({ seed: 1, outDir: tmp(), print: () => {} });
  checkRuns(b.runs, b.lines, ['adam lr 0.01', 'gluon adam lr 0.01']);
});
