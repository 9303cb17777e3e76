// 10.2 approx-training: negative sampling's loss and hierarchical softmax's probabilities, checked;
// and the tree builders of src/d2l/hierarchical-softmax.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as approx from '../../chapters/approx-training.js';
import { nd, d2l, ValueError } from '../../src/index.js';

test('10.2 approx-training: the negative-sampling loss equals BCE × (K+1); hierarchical P sums to 1 on both trees', async () => {
  const r = await approx.run({ print: () => {} });
  assert.equal(r.lines[0], 'vocabulary 8 words, counts [12,9,7,5,3,2,1,1], center vector v_c [0.5000, -0.3000, 0.8000]');
  assert.equal(r.lines[1], 'full softmax over |V| = 8: P(w_2 | w_c) = 0.1609 (8 dot products)');
  assert.match(r.lines[2], /^context word w_2, K = 5 noise words \["w_\d"(,"w_\d"){4}\]$/);
  assert.ok(!r.lines[2].includes('"w_2"'), 'the context word must not be drawn as noise');
  assert.ok(Math.abs(r.negativeSamplingLoss - r.bceLoss) < 1e-12, `${r.negativeSamplingLoss} vs ${r.bceLoss}`);
  assert.equal(r.lines[6], 'positive events only: σ(u_oᵀ(λ u_o)) for λ = 1, 2, 4: [0.846304, 0.968071, 0.998913]');
  assert.deepEqual(r.lines.slice(7), [
    "w_3's path: nodes [0,1,4], left, right, left, L(w_3) − 1 = 3 = log2 |V|",
    'P(w_3 | w_c) = σ(u_0ᵀv_c) σ(−u_1ᵀv_c) σ(u_4ᵀv_c) = 0.162255, by the formula over the path 0.162255',
    'P(w | w_c) for w_1..w_8: [0.0805, 0.0686, 0.1623, 0.0970, 0.1541, 0.0953, 0.1782, 0.1641], sum 1.000000',
    'Huffman tree: path lengths [2,2,3,3,3,4,5,5], expected 2.6250 terms per word',
    'P(w | w_c) for w_1..w_8: [0.2962, 0.1948, 0.0843, 0.0989, 0.1374, 0.0688, 0.0489, 0.0708], sum 1.000000',
    '∂(−log P(w_3 | w_c))/∂v_c = [0.427310, 0.092627, -0.451179], autograd [0.427310, 0.092627, -0.451179]',
  ]);
  assert.ok(Math.abs(r.completeTreeSum - 1) < 1e-12 && Math.abs(r.huffmanTreeSum - 1) < 1e-12);
  assert.ok(r.gradientDiff < 1e-12, `gradient off by ${r.gradientDiff}`);
});

test('hierarchical softmax: tree paths, the sum over leaves for random vectors, argument errors', () => {
  assert.deepEqual(d2l.completeTreePaths(8)[2], { nodes: [0, 1, 4], left: [true, false, true] });
  assert.deepEqual(d2l.completeTreePaths(2), [
    { nodes: [0], left: [true] },
    { nodes: [0], left: [false] },
  ]);
  assert.deepEqual(d2l.huffmanPaths([5, 1, 1]), [
    { nodes: [1], left: [false] },
    { nodes: [1, 0], left: [true, true] },
    { nodes: [1, 0], left: [true, false] },
  ]);
  nd.random.seed(3);
  const counts = [4, 8, 1, 3, 3, 9, 2, 5, 7, 1, 6];
  const U = nd.random.normal(0, 1, [counts.length - 1, 5], { dtype: 'float64' });
  const vc = nd.random.normal(0, 1, [5], { dtype: 'float64' });
  const total = d2l.huffmanPaths(counts).reduce((s, p) => s + d2l.hierarchicalSoftmaxProb(vc, U, p).asScalar(), 0);
  assert.ok(Math.abs(total - 1) < 1e-12, `sum ${total}`);
  assert.throws(() => d2l.completeTreePaths(6), ValueError);
  assert.throws(() => d2l.huffmanPaths([3, 0]), /positive counts/);
  assert.throws(() => d2l.hierarchicalSoftmaxProb(vc, U, { nodes: [10], left: [true] }), /nodes in \[0, 10\)/);
  assert.throws(() => d2l.hierarchicalSoftmaxProb(vc.reshape([1, 5]), U, { nodes: [0], left: [true] }), /expected vc \(embed,\)/);
});
