// 6.6 bptt: the section's BPTT formulas on a tiny float64 RNN agree with autograd, and the powers
// of W_hhᵀ grow or shrink geometrically.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as bptt from '../../chapters/bptt.js';
import { loadChapter } from '../../chapters/index.js';

test('6.6 bptt: formula gradients equal autograd to rounding, the closed form equals the recursion', async () => {
  const r = await bptt.run({ print: () => {} });
  assert.equal(r.lines[0], 'W_hx (3, 2), W_hh (3, 3), W_qh (2, 3), T = 4');
  assert.equal(r.lines[1], 'L = (1/T) Σ_t ½‖o_t − y_t‖² = 1.647918');
  assert.match(r.lines[2], /^max \|recursion − closed form\| over ∂L\/∂h_1\.\.∂L\/∂h_T = \d\.\d\de[-+]\d+$/);
  assert.ok(r.closedFormDiff < 1e-14, `closed form off by ${r.closedFormDiff}`);
  assert.equal(r.lines[3], '∂L/∂W_hx (formula)  [[0.599579, -1.418273], [-0.243450, 1.439475], [-0.700223, 0.104809]]');
  assert.equal(r.lines[4], '∂L/∂W_hx (autograd) [[0.599579, -1.418273], [-0.243450, 1.439475], [-0.700223, 0.104809]]');
  assert.equal(
    r.lines[5],
    '∂L/∂W_hh (formula)  [[-0.109002, -0.621863, 0.358916], [0.158375, 0.676973, -0.421757], [-0.527600, 0.742204, 0.313251]]',
  );
  assert.equal(r.lines[8], '∂L/∂W_qh (autograd) [[0.885604, -1.837872, -0.316962], [-0.551134, 0.318390, 0.545126]]');
  assert.ok(r.autogradDiff < 1e-14, `formula and autograd differ by ${r.autogradDiff}`);
  assert.equal(r.lines.length, 14);
  assert.equal((await loadChapter('bptt')).meta.slug, 'bptt');
});

test('6.6 bptt: ‖(γQ)^k‖_F = γ^k √3 for an orthogonal Q: vanishing below 1, exploding above', async () => {
  const r = await bptt.run({ print: () => {} });
  for (const { gamma, norms } of r.powerNorms)
    r.powers.forEach((k, i) => {
      const expected = gamma ** k * Math.sqrt(3);
      assert.ok(Math.abs(norms[i] - expected) < 1e-10 * expected, `γ=${gamma}, k=${k}: ${norms[i]} vs ${expected}`);
    });
  assert.equal(r.lines[13], "the model's W_hh: ‖(W_hhᵀ)^k‖_F for k = 1, 5, 10, 20, 50: 1.058e+0, 1.579e-1, 1.596e-2, 1.745e-4, 2.258e-10");
});
