/**
 * # 8.5 Concise implementation of multi-GPU computation (多GPU计算的简洁实现)
 *
 * Data parallelism with Gluon: `net.initialize({ ctx: [...] })` keeps one copy of every parameter
 * on each device, `gluon.utils.splitAndLoad` cuts a minibatch into one slice per device, each
 * device computes its slice's loss and gradients, and `trainer.step` sums the gradients over the
 * devices (through the KVStore), updates once and copies the result to every device. The model is
 * the book's `d2l.resnet18(10)`: ResNet-18 with a 3x3 stem and no max pooling, for 28x28 images.
 *
 * Devices: as in 8.4, the program's two devices are the contexts cpu(0) and cpu(1), separate
 * arrays that ops refuse to mix, on the same processor: the results are the book's, and the
 * two-device run is not faster. So that the book's "not initialized" demonstration has a device
 * without a copy, it asks for cpu(2) (the book asks for the CPU next to its two GPUs).
 *
 * Run it: `d2l-ts run multiple-gpus-gluon [--limit N --epochs N --batch-size N --lr X]` (the book:
 * 4 epochs, batch 256 with lr 0.1 on one device, then 512 with lr 0.2 on two). ResNet-18 on the
 * full data takes hours on a small CPU: the program prints the estimate and a shorter command first.
 *
 * Differences from the book's printout: the device names (see above), the times, the parameter
 * values (a different random initialisation) and the test accuracies (a different random run).
 */
import { nd, autograd, gluon, init, d2l, type Context, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { estimateRun } from './long-run.js';

const { utils: gutils } = gluon;

export const meta = {
  slug: 'multiple-gpus-gluon',
  title: '8.5 多GPU计算的简洁实现 (multi-GPU computation, concisely)',
  needsData: ['fashion-mnist'],
};

export interface MultipleGpusGluonResult {
  lines: string[];
  /** The two devices' outputs for their halves of one 4-example input. */
  outputs: [NDArray, NDArray];
  /** Test accuracy after each epoch, of the one-device run and of the two-device run. */
  testAcc: [number[], number[]];
  net: gluon.Sequential;
}

/** Python's str() of a list of contexts: `[cpu(0), cpu(1)]`. */
const pyStrList = (items: readonly unknown[]) => `[${items.map(String).join(', ')}]`;

/**
 * Runs 8.5: ResNet-18 initialised on two devices, a forward pass on each, then training on one
 * device and on two.
 *
 * @example
 * const { testAcc } = await run({ limit: 64, batchSize: 16, epochs: 1 });
 */
export async function run(opts: ChapterOptions = {}): Promise<MultipleGpusGluonResult> {
  const { print, lines } = startRun(opts);
  if (opts.ctx && !opts.ctx.equals(nd.cpu()))
    throw new Error(
      `multiple-gpus-gluon: runs on the contexts cpu(0) and cpu(1) (see the program's header); --ctx ${opts.ctx} is not taken`,
    );
  gluon.resetNameCounters(); // layer names as in a fresh notebook (conv0, batchnorm0, ...)

  // ## Initialising the model's parameters on several devices
  const net = d2l.resnet18(10);
  const ctx: Context[] = [nd.cpu(0), nd.cpu(1)];
  net.initialize({ init: new init.Normal(0.01), ctx });

  // Half of a 4-example minibatch on each device; each computes with its own parameter copies.
  const x = nd.random.uniform(0, 1, [4, 1, 28, 28]);
  const gpuX = gutils.splitAndLoad(x, ctx);
  const outputs: [NDArray, NDArray] = [net.forward(gpuX[0]!), net.forward(gpuX[1]!)];
  print(outputs[0], outputs[1]);

  // The parameters exist on the devices they were initialised on, and nowhere else.
  const weight = net.get(0).params.get('weight');
  const elsewhere = nd.cpu(2);
  try {
    weight.data(elsewhere);
  } catch {
    print('not initialized on', String(elsewhere));
  }
  print(weight.data(ctx[0]).get(0), weight.data(ctx[1]).get(0));

  // ## Training the model on several devices
  const numEpochs = opts.epochs ?? 4;
  const train = async (numGpus: number, batchSize: number, lr: number): Promise<number[]> => {
    const [trainIter, testIter] = await d2l.loadDataFashionMnist(batchSize, { dataDir: opts.dataDir, limit: opts.limit });
    const ctx = [nd.cpu(0), nd.cpu(1)].slice(0, numGpus);
    print('running on:', pyStrList(ctx));
    net.initialize({ init: new init.Normal(0.01), ctx, forceReinit: true });
    if (numGpus === 1)
      await estimateRun(net, trainIter, {
        ctx: ctx[0]!,
        epochs: numEpochs,
        trainBatches: trainIter.length,
        testBatches: testIter.length,
        nets: 2, // the one-device run, then the two-device run over the same examples
        shorter: `d2l-ts run multiple-gpus-gluon --limit ${Math.ceil((opts.limit ?? 60000) / 20)} --epochs 1 (a twentieth of the data, one epoch)`,
        print,
      });
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    const accs: number[] = [];
    for (let epoch = 0; epoch < numEpochs; epoch++) {
      const timer = new d2l.Timer();
      for (const [X, y] of trainIter) {
        const gpuXs = gutils.splitAndLoad(X, ctx);
        const gpuYs = gutils.splitAndLoad(y, ctx);
        const ls = autograd.record(() => gpuXs.map((gpuX, i) => loss.forward(net.forward(gpuX), gpuYs[i]!)));
        for (const l of ls) l.backward();
        trainer.step(batchSize);
      }
      await nd.waitall();
      const trainTime = timer.stop();
      const testAcc = await d2l.evaluateAccuracy(testIter, net, ctx[0]!);
      accs.push(testAcc);
      print(`epoch ${epoch + 1}, time ${trainTime.toFixed(1)} sec, test acc ${testAcc.toFixed(2)}`);
    }
    return accs;
  };

  const batchSize = opts.batchSize ?? 256;
  const lr = opts.lr ?? 0.1;
  const one = await train(1, batchSize, lr);
  const two = await train(2, 2 * batchSize, 2 * lr);
  return { lines, outputs, testAcc: [one, two], net };
}

runIfMain(import.meta.url, run);
