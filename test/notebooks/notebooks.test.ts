// Every converted chapter's notebook (scripts/notebooks/build.mjs) runs in Deno's Jupyter kernel
// on small data and prints exactly what its program prints with the same seed and settings, its
// figures inline (test/notebooks/harness.ts). Skips with a reason when jupyter or deno is
// missing; fails then under CI=true.
import test from 'node:test';
import { checkNotebooks, type NotebookCase } from './harness.js';

/**
 * Each converted chapter's small-data settings (ChapterOptions keys, set in the notebook's
 * parameter cell and passed to run()) and the number of figures it draws inline. A converted
 * chapter missing here fails the test: every notebook runs in CI.
 */
const SMALL: Record<string, NotebookCase> = {
  ndarray: { opts: {}, figures: 0 },
  autograd: { opts: {}, figures: 0 },
  'linear-regression-scratch': { opts: {}, figures: 1 },
  'linear-regression-gluon': { opts: {}, figures: 0 },
  'softmax-regression': { opts: {}, figures: 0 },
  'fashion-mnist': { opts: { limit: 1024 }, figures: 1 },
  'softmax-regression-scratch': { opts: { limit: 1024, epochs: 1 }, figures: 1 },
  'softmax-regression-gluon': { opts: { limit: 1024, epochs: 1 }, figures: 1 },
  mlp: { opts: {}, figures: 6 },
  'mlp-scratch': { opts: { limit: 1024, epochs: 1 }, figures: 0 },
  'underfit-overfit': { opts: { epochs: 20 }, figures: 3 },
  'weight-decay': { opts: { epochs: 10 }, figures: 4 },
  dropout: { opts: { limit: 1024, epochs: 1 }, figures: 0 },
  backprop: { opts: {}, figures: 0 },
  'numerical-stability-and-init': { opts: {}, figures: 0 },
  'kaggle-house-price': { opts: { epochs: 5 }, figures: 2 },
  'model-construction': { opts: {}, figures: 0 },
  parameters: { opts: {}, figures: 0 },
  'deferred-init': { opts: {}, figures: 0 },
  'custom-layer': { opts: {}, figures: 0 },
  'read-write': { opts: {}, figures: 0 },
  'conv-layer': { opts: {}, figures: 0 },
  'padding-and-strides': { opts: {}, figures: 0 },
  channels: { opts: {}, figures: 0 },
  pooling: { opts: {}, figures: 0 },
  'lang-model': { opts: {}, figures: 0 },
  rnn: { opts: {}, figures: 0 },
  'lang-model-dataset': { opts: {}, figures: 0 },
  bptt: { opts: {}, figures: 0 },
  'bi-rnn': { opts: {}, figures: 0 },
  'gd-sgd': { opts: {}, figures: 5 },
  'minibatch-sgd': { opts: {}, figures: 4 },
  momentum: { opts: {}, figures: 8 },
  adagrad: { opts: {}, figures: 4 },
  rmsprop: { opts: {}, figures: 3 },
  adadelta: { opts: {}, figures: 2 },
  adam: { opts: {}, figures: 2 },
  'approx-training': { opts: {}, figures: 0 },
  fasttext: { opts: {}, figures: 0 },
  attention: { opts: {}, figures: 0 },
};

test('notebooks: each converted chapter executes in the Deno kernel and prints its program lines', async (t) => {
  await checkNotebooks(t, SMALL, true);
});
