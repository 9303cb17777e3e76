/**
 * W4: MLP 784-256-10 on Fashion-MNIST (../shared/bench/WORKLOADS.md), 5 epochs of
 * H = ReLU(X W1 + b1), logits = H W2 + b2, mean softmax cross-entropy, backward, SGD lr 0.5.
 *
 *   node dist/bench/w4-mlp.js [--peer=LABEL] [--epochs=N]
 *   D2L_CPU_KERNELS=wasm node dist/bench/w4-mlp.js   # peer d2l-ts-portable
 */
import { nd, type NDArray } from '../src/index.js';
import { normalParam, runClassifier, zeroParam, type EpochRecord } from './w3-w4-classifier.js';
import { runIfMain, workloads } from './w3-w5-harness.js';

export function w4_mlp(argv = process.argv.slice(2)): EpochRecord[] {
  const cfg = workloads().w4_mlp;
  nd.seed(0);
  const W1 = normalParam([cfg.num_inputs, cfg.num_hiddens], cfg.init_std);
  const b1 = zeroParam(cfg.num_hiddens);
  const W2 = normalParam([cfg.num_hiddens, cfg.num_outputs], cfg.init_std);
  const b2 = zeroParam(cfg.num_outputs);
  const forward = (X: NDArray): NDArray => {
    const H = nd.relu(nd.dot(X, W1).add(b1));
    return nd.dot(H, W2).add(b2);
  };
  return runClassifier('w4_mlp', cfg, [W1, b1, W2, b2], forward, argv);
}

runIfMain(import.meta.url, () => void w4_mlp());
