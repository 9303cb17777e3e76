/**
 * W7: the book's ResNet-18 (5.11) training step, batch 64, 1x96x96, SGD lr 0.05, as MXNet's
 * Gluon writes it: Conv2D(64, 7, strides 2, padding 3), BatchNorm, relu, MaxPool2D(3, 2, 1); four
 * resnet_blocks of two Residuals each (64 first, then 128, 256, 512 channels with a strided 1x1
 * shortcut); GlobalAvgPool2D, Dense(10); Xavier init (train_ch5's `init.Xavier()`).
 *
 * Data: the first `data_batches` batches of 64 Fashion-MNIST training images in file order,
 * pixels / 255, resized 28 -> 96 by nearest neighbour (source index floor(i * 28 / 96), as
 * PyTorch's F.interpolate 'nearest'), (64, 1, 96, 96) (not timed), cycled. One step (timed):
 * `l = loss(net(X), y).sum(); l.backward(); trainer.step(64)` and the loss read back. 1 warm-up
 * step, then >= 3 timed steps and >= `min_time_s`; reports the median ms/step and the peak RSS.
 * bench/torch_w6_w7.py runs the same step in PyTorch.
 *
 *   node dist/bench/w7-resnet18.js [--peer=LABEL] [--min-time-s=S]
 */
import { autograd, gluon, init, nd, type NDArray } from '../src/index.js';
import { loadFashionMnist } from './w3-w4-classifier.js';
import { baseRecord, emit, median, parseArgs, runIfMain, startKernelThreads, timeRepeated, workloads } from './w3-w5-harness.js';
import { cnnParams } from './cnn-params.js';

const { nn } = gluon;

/** The book's Residual block (5.11). */
class Residual extends nn.Block {
  conv1: gluon.nn.Conv2D;
  conv2: gluon.nn.Conv2D;
  conv3: gluon.nn.Conv2D | null;
  bn1: gluon.nn.BatchNorm;
  bn2: gluon.nn.BatchNorm;
  constructor(channels: number, use1x1 = false, strides = 1) {
    super();
    [this.conv1, this.conv2, this.conv3, this.bn1, this.bn2] = this.nameScope(
      () =>
        [
          new nn.Conv2D(channels, 3, { padding: 1, strides }),
          new nn.Conv2D(channels, 3, { padding: 1 }),
          use1x1 ? new nn.Conv2D(channels, 1, { strides }) : null,
          new nn.BatchNorm(),
          new nn.BatchNorm(),
        ] as const,
    );
  }
  override forward(x: NDArray): NDArray {
    return nd.tidy(() => {
      const y = this.bn2.forward(this.conv2.forward(nd.relu(this.bn1.forward(this.conv1.forward(x)))));
      return nd.relu(y.add(this.conv3 ? this.conv3.forward(x) : x));
    });
  }
}

function resnetBlock(channels: number, residuals: number, first = false): gluon.nn.Sequential {
  const blk = new nn.Sequential();
  for (let i = 0; i < residuals; i++) blk.add(i === 0 && !first ? new Residual(channels, true, 2) : new Residual(channels));
  return blk;
}

/** Nearest-neighbour resize of n flattened 28x28 images to size x size (floor(i * 28 / size)). */
function resizeNearest(src: Float32Array, n: number, size: number): Float32Array {
  const out = new Float32Array(n * size * size);
  const map = Array.from({ length: size }, (_, i) => Math.floor((i * 28) / size));
  for (let b = 0; b < n; b++)
    for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) out[(b * size + i) * size + j] = src[b * 784 + map[i] * 28 + map[j]];
  return out;
}

export function w7_resnet18(argv = process.argv.slice(2)): { msPerStep: number; lastLoss: number } {
  const args = parseArgs(argv);
  startKernelThreads();
  const base = baseRecord(args);
  const cfg = cnnParams().w7_resnet18;
  const B = cfg.batch_size;
  const S = cfg.image_size;
  nd.seed(0);
  const net = new nn.Sequential();
  net.add(
    new nn.Conv2D(64, 7, { strides: 2, padding: 3 }),
    new nn.BatchNorm(),
    new nn.Activation('relu'),
    new nn.MaxPool2D(3, { strides: 2, padding: 1 }),
  );
  net.add(resnetBlock(64, 2, true), resnetBlock(128, 2), resnetBlock(256, 2), resnetBlock(512, 2));
  net.add(new nn.GlobalAvgPool2D(), new nn.Dense(10));
  net.initialize(new init.Xavier());
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();

  const d = loadFashionMnist(workloads().fashion_mnist_dir);
  const batches: [NDArray, NDArray][] = [];
  for (let i = 0; i < cfg.data_batches; i++) {
    // The row views are freed at once: an undisposed view would keep the whole 188 MB image
    // array alive after its dispose() below (and the heap would move it out to JS memory).
    const [rows, labels] = [d.trainX.get(`${i * B}:${(i + 1) * B}`), d.trainY.get(`${i * B}:${(i + 1) * B}`)];
    batches.push([nd.array(resizeNearest(rows.dataSync() as Float32Array, B, S), { shape: [B, 1, S, S] }), labels.copy()]);
    rows.dispose();
    labels.dispose();
  }
  for (const a of [d.trainX, d.trainY, d.testX, d.testY]) a.dispose();
  // Deferred shape inference, as W6 does it: a forward outside record(). A recorded one would tape
  // the activations its BatchNorm layers save, held until the garbage collector finds the graph.
  nd.tidy(() => void net.forward(batches[0][0]));
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
  const samples = timeRepeated(step, { warmup: cfg.warmup_steps, reps: cfg.min_steps, minTimeS, maxReps: 100 });
  const ms = median(samples);
  emit({
    ...base,
    workload: 'w7_resnet18',
    case: 'train_step',
    metric: 'ms_per_step',
    unit: 'ms/step',
    value: ms,
    steps_per_s: 1000 / ms,
    samples_ms: samples.map((s) => +s.toFixed(1)),
    last_loss: lastLoss,
    heap_reserved_mb: +(nd.memory().reservedBytes / 2 ** 20).toFixed(1),
  });
  return { msPerStep: ms, lastLoss };
}

runIfMain(import.meta.url, () => void w7_resnet18());
