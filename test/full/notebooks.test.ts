// The full tier of the notebook test: the notebooks of the Fashion-MNIST training sections run
// on the book's data and settings (all 60000 examples, the book's epochs and learning rates) in
// Deno's kernel and print what their programs print, numbers within 0.02 (test/notebooks/harness.ts); the fast tier
// runs every notebook on small data (test/notebooks/notebooks.test.ts).
import test from 'node:test';
import { checkNotebooks, type NotebookCase } from '../notebooks/harness.js';

/** The book's settings (no overrides) and the figures each notebook draws. */
const FULL: Record<string, NotebookCase> = {
  'softmax-regression-scratch': { opts: {}, figures: 1 },
  'softmax-regression-gluon': { opts: {}, figures: 1 },
  'mlp-scratch': { opts: {}, figures: 0 },
};

test("notebooks on the book's full data: 3.6, 3.7 and 3.9 print their programs' lines", async (t) => {
  // 1175 steps of minibatch SGD: the float rounding of Deno's and Node's runs drifts apart in the
  // third decimal (mlp-scratch, measured 2026-12-04), so numbers agree to 0.02 here.
  await checkNotebooks(t, FULL, false, 0.02);
});
