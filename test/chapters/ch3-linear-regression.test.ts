import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as scratch from '../../chapters/linear-regression-scratch.js';
import * as concise from '../../chapters/linear-regression-gluon.js';

const outDir = () => mkdtempSync(join(tmpdir(), 'd2l-ch3-linreg-'));

// Reference §4/§18: epoch-3 loss < 1e-4, |w - true_w| < 1e-2, |b - 4.2| < 1e-2. The full program is
// fast, so it runs in full with three seeds.
for (const seed of [1, 2, 3]) {
  test(`3.2 linear-regression-scratch (seed ${seed}): book lines and the book's band`, async () => {
    const lines: string[] = [];
    const dir = outDir();
    const r = await scratch.run({ seed, outDir: dir, print: (l) => lines.push(l) });
    const epochLines = lines.filter((l) => l.startsWith('epoch'));
    assert.equal(epochLines.length, 3);
    epochLines.forEach((l, i) => assert.match(l, new RegExp(`^epoch ${i + 1}, loss \\d\\.\\d{6}$`)));
    assert.equal(epochLines[2], `epoch 3, loss ${r.losses[2].toFixed(6)}`);
    assert.ok(r.losses[2] < 1e-4, `epoch-3 loss ${r.losses[2]}`);
    assert.ok(r.losses[0] < 0.5, `epoch-1 loss ${r.losses[0]} (book: 0.040678)`);
    r.w.forEach((w, i) => assert.ok(Math.abs(w - r.trueW[i]) < 1e-2, `w[${i}] = ${w}`));
    assert.ok(Math.abs(r.b - 4.2) < 1e-2, `b = ${r.b}`);
    // the first minibatch is printed as in the book, then the learned parameters
    const text = lines.join('\n');
    assert.match(text, /<NDArray 10x2 @cpu\(0\)>/);
    assert.match(text, /<NDArray 10 @cpu\(0\)>/);
    assert.match(text, /w:\n\[\[ ?[12]\.\d+ *\]\n \[-3\.\d+ *\]\]\n<NDArray 2x1 @cpu\(0\)>/);
    assert.ok(existsSync(join(dir, 'scatter.png')));
  });
}

test('3.2: options override the book hyperparameters (epochs, lr, limit)', async () => {
  const lines: string[] = [];
  const r = await scratch.run({ seed: 4, epochs: 1, lr: 0.01, limit: 200, outDir: outDir(), print: (l) => lines.push(l) });
  assert.equal(r.losses.length, 1);
  assert.equal(lines.filter((l) => l.startsWith('epoch')).length, 1);
  assert.ok(r.losses[0] > 1e-3, 'a fifth of the data at a third of the rate does not converge in one epoch');
});

for (const seed of [1, 2, 3]) {
  test(`3.3 linear-regression-gluon (seed ${seed}): 'epoch 1, loss: ...' lines and the book's band`, async () => {
    const lines: string[] = [];
    const r = await concise.run({ seed, print: (l) => lines.push(l) });
    const epochLines = lines.filter((l) => l.startsWith('epoch'));
    assert.equal(epochLines.length, 3);
    epochLines.forEach((l, i) => assert.match(l, new RegExp(`^epoch ${i + 1}, loss: \\d\\.\\d{6}$`)));
    assert.ok(r.losses[2] < 1e-4, `epoch-3 loss ${r.losses[2]}`);
    r.w.forEach((w, i) => assert.ok(Math.abs(w - r.trueW[i]) < 1e-2, `w[${i}] = ${w}`));
    assert.ok(Math.abs(r.b - 4.2) < 1e-2, `b = ${r.b}`);
    const text = lines.join('\n');
    assert.match(text, /dense\.weight\.data\(\):\n\[\[ ?[12]\.\d+ +-3\.\d+ *\]\]\n<NDArray 1x2 @cpu\(0\)>/);
    assert.match(text, /dense\.bias\.data\(\):\n\[4\.\d+\]\n<NDArray 1 @cpu\(0\)>/);
  });
}
