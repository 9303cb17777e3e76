/**
 * W3: softmax regression on Fashion-MNIST (../shared/bench/WORKLOADS.md), 5 epochs of
 * logits = X W + b, mean softmax cross-entropy, backward, SGD lr 0.1.
 *
 *   node dist/bench/w3-softmax-regression.js [--peer=LABEL] [--epochs=N]
 *   D2L_CPU_KERNELS=wasm node dist/bench/w3-softmax-regression.js   # peer d2l-ts-portable
 */
import { nd, type NDArray } from '../src/index.js';
import { normalParam, runClassifier, zeroParam, type EpochRecord, type FashionMnistArrays } from './w3-w4-classifier.js';
import { runIfMain, workloads } from './w3-w5-harness.js';

/** W3 (see the top); `data`: Fashion-MNIST already loaded (the browser peer fetches it). */
export function w3_softmax_regression(argv = process.argv.slice(2), data?: FashionMnistArrays): EpochRecord[] {
  const cfg = workloads().w3_softmax_regression;
  nd.seed(0);
  const W = normalParam([cfg.num_inputs, cfg.num_outputs], cfg.init_std);
  const b = zeroParam(cfg.num_outputs);
  return runClassifier('w3_softmax_regression', cfg, [W, b], (X: NDArray) => nd.dot(X, W).add(b), argv, data);
}

runIfMain(import.meta.url, () => void w3_softmax_regression());
