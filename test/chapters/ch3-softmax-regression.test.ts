// 3.4 softmax regression: the section's examples, computed (deterministic, so compared exactly).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as softmaxRegression from '../../chapters/softmax-regression.js';

test('3.4 softmax-regression prints the softmax, cross-entropy and accuracy of its examples', async () => {
  const { lines } = await softmaxRegression.run({ print: () => {} });
  assert.deepEqual(lines, [
    'outputs [0.1, 10.0, 0.1] -> predicted class 2',
    'softmax [5.0169652e-05, 0.9998996, 5.0169652e-05] sum 0.99999994',
    'argmax unchanged: True',
    'softmax of o - 10 [5.0169667e-05, 0.9998996, 5.0169667e-05]',
    'row sums [0.99999994, 0.99999994]',
    'cross-entropy per example [0.00010037926, 0.41703007]',
    'mean loss 0.20856522',
    'predicted [1, 0] labels [1, 0] accuracy 1',
  ]);
  // The values the text claims: exp(0.1 - 10) / (2 exp(0.1 - 10) + 1) and -log of the 2nd row's first entry.
  const small = Math.exp(-9.9) / (2 * Math.exp(-9.9) + 1);
  assert.ok(Math.abs(Number(lines[1].match(/\[([^,]+),/)![1]) - small) < 1e-10);
  const e = [2, 1, 0.1].map(Math.exp);
  assert.ok(Math.abs(Number(lines[5].match(/, ([^\]]+)\]/)![1]) + Math.log(e[0] / (e[0] + e[1] + e[2]))) < 1e-6);
});
