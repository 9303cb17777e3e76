/**
 * W6: the book's LeNet (5.5) training step, batch 256, 1x28x28, SGD lr 0.9, as MXNet's Gluon
 * writes it: Conv2D(6, 5, sigmoid), MaxPool2D(2, 2), Conv2D(16, 5, sigmoid), MaxPool2D(2, 2),
 * Dense(120, sigmoid), Dense(84, sigmoid), Dense(10), Xavier init (train_ch5's `init.Xavier()`).
 *
 * Data: the first `data_batches` batches of 256 Fashion-MNIST training images in file order,
 * pixels / 255, shaped (256, 1, 28, 28) (loading not timed), cycled. One step (all timed): the
 * book's train_ch5 body, `l = loss(net(X), y).sum(); l.backward(); trainer.step(256)`, and the
 * loss read back (`l.asscalar()`). 3 warm-up steps, then >= 10 timed steps and >= `min_time_s`;
 * reports the median ms/step. bench/torch_w6_w7.py runs the same step in PyTorch.
 *
 *   node dist/bench/w6-lenet.js [--peer=LABEL] [--min-time-s=S]
 *   D2L_CPU_KERNELS=wasm node dist/bench/w6-lenet.js   # peer d2l-ts-portable
 */
import { autograd, gluon, init, nd, type NDArray } from '../src/index.js';
import { loadFashionMnist } from './w3-w4-classifier.js';
import { baseRecord, emit, median, parseArgs, runIfMain, startKernelThreads, timeRepeated, workloads } from './w3-w5-harness.js';
import { cnnParams } from './cnn-params.js';

export function w6_lenet(argv = process.argv.slice(2)): { msPerStep: number; lastLoss: number } {
  const args = parseArgs(argv);
  startKernelThreads();
  const base = baseRecord(args);
  const cfg = cnnParams().w6_lenet;
  const B = cfg.batch_size;
  nd.seed(0);
  const { nn } = gluon;
  const net = new nn.Sequential();
  net.add(
    new nn.Conv2D(6, 5, { activation: 'sigmoid' }),
    new nn.MaxPool2D(2, { strides: 2 }),
    new nn.Conv2D(16, 5, { activation: 'sigmoid' }),
    new nn.MaxPool2D(2, { strides: 2 }),
    new nn.Dense(120, { activation: 'sigmoid' }),
    new nn.Dense(84, { activation: 'sigmoid' }),
    new nn.Dense(10),
  );
  net.initialize(new init.Xavier());
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();

  // The first data_batches batches of the training set, in file order (not timed).
  const d = loadFashionMnist(workloads().fashion_mnist_dir);
  const batches: [NDArray, NDArray][] = [];
  for (let i = 0; i < cfg.data_batches; i++) {
    // The row views are freed at once: an undisposed view keeps the whole image array alive
    // after its dispose() below.
    batches.push(
      nd.tidy(() => [
        d.trainX
          .get(`${i * B}:${(i + 1) * B}`)
          .reshape([B, 1, 28, 28])
          .copy(),
        d.trainY.get(`${i * B}:${(i + 1) * B}`).copy(),
      ]),
    );
  }
  for (const a of [d.trainX, d.trainY, d.testX, d.testY]) a.dispose();
  net.forward(batches[0][0]).dispose(); // deferred shape inference, before the trainer collects the parameters
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: cfg.lr });

  let k = 0;
  let lastLoss = NaN;
  const step = (): void => {
    const [X, y] = batches[k++ % batches.length];
    lastLoss = nd.tidy(() => {
      const l = autograd.record(() => loss.forward(net.forward(X), y).sum());
      l.backward();
      trainer.step(B);
      return l.asScalar() / B;
    });
  };
  const minTimeS = typeof args['min-time-s'] === 'string' ? Number(args['min-time-s']) : cfg.min_time_s;
  const samples = timeRepeated(step, { warmup: cfg.warmup_steps, reps: cfg.min_steps, minTimeS, maxReps: 500 });
  const ms = median(samples);
  emit({
    ...base,
    workload: 'w6_lenet',
    case: 'train_step',
    metric: 'ms_per_step',
    unit: 'ms/step',
    value: ms,
    steps_per_s: 1000 / ms,
    samples_ms: samples.map((s) => +s.toFixed(3)),
    last_loss: lastLoss,
    heap_reserved_mb: +(nd.memory().reservedBytes / 2 ** 20).toFixed(1),
  });
  return { msPerStep: ms, lastLoss };
}

runIfMain(import.meta.url, () => void w6_lenet());
