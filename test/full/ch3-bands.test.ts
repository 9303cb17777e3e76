// Full tier: the book's trained sections of chapter 3 on the whole of Fashion-MNIST, with three
// different seeds each, must land in the acceptance bands of reference §18:
//   softmax regression (3.6, 3.7): epoch-1 test acc 0.78-0.81, epoch-5 test acc 0.81-0.85,
//                                  epoch-5 loss 0.47-0.50
//   MLP (3.9, 3.10):               epoch-5 loss 0.36-0.39, epoch-5 test acc 0.84-0.88
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveDataFileSync } from '../../src/data/resolver.js';
import type { d2l } from '../../src/index.js';
import { requireResource } from '../helpers.js';
import * as softmaxScratch from '../../chapters/softmax-regression-scratch.js';
import * as softmaxGluon from '../../chapters/softmax-regression-gluon.js';
import * as mlpScratch from '../../chapters/mlp-scratch.js';
import * as mlpGluon from '../../chapters/mlp-gluon.js';

function fashionMnistAvailable(): boolean {
  try {
    for (const f of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'])
      resolveDataFileSync(`fashion-mnist/${f}`, { verify: false });
    return true;
  } catch {
    return false;
  }
}
const HAVE_DATA = fashionMnistAvailable();
const SEEDS = [1, 2, 3];

type Band = [number, number];
interface Bands {
  epoch1TestAcc?: Band;
  epoch5TestAcc: Band;
  epoch5Loss: Band;
}
const SOFTMAX: Bands = { epoch1TestAcc: [0.78, 0.81], epoch5TestAcc: [0.81, 0.85], epoch5Loss: [0.47, 0.5] };
const MLP: Bands = { epoch5TestAcc: [0.84, 0.88], epoch5Loss: [0.36, 0.39] };

function inBand(v: number, [lo, hi]: Band, what: string): void {
  assert.ok(v >= lo && v <= hi, `${what} = ${v.toFixed(4)} is outside [${lo}, ${hi}]`);
}

const chapters: [string, { run: (o: object) => Promise<{ history: d2l.EpochMetrics[] }> }, Bands][] = [
  ['softmax-regression-scratch', softmaxScratch, SOFTMAX],
  ['softmax-regression-gluon', softmaxGluon, SOFTMAX],
  ['mlp-scratch', mlpScratch, MLP],
  ['mlp-gluon', mlpGluon, MLP],
];

for (const [slug, chapter, bands] of chapters)
  for (const seed of SEEDS)
    test(`${slug}, seed ${seed}: 5 epochs on Fashion-MNIST land in the book's bands`, async (t) => {
      if (!requireResource(t, HAVE_DATA, 'Fashion-MNIST')) return;
      const lines: string[] = [];
      const { history } = await chapter.run({
        seed,
        outDir: mkdtempSync(join(tmpdir(), 'd2l-full-')),
        progress: false,
        print: (l: string) => lines.push(l),
      });
      t.diagnostic(lines.filter((l) => l.startsWith('epoch')).join(' | '));
      t.diagnostic(`sec/epoch ${(history.reduce((s, m) => s + m.seconds, 0) / history.length).toFixed(2)}`);
      assert.equal(history.length, 5);
      if (bands.epoch1TestAcc) inBand(history[0].testAcc, bands.epoch1TestAcc, 'epoch-1 test acc');
      inBand(history[4].testAcc, bands.epoch5TestAcc, 'epoch-5 test acc');
      inBand(history[4].loss, bands.epoch5Loss, 'epoch-5 loss');
    });
