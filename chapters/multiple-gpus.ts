/**
 * # 8.4 Multi-GPU computation (多GPU计算)
 *
 * Data parallelism from scratch: every device holds a copy of the model parameters, each takes a
 * slice of the minibatch, computes its loss and gradients, and the gradients are summed over the
 * devices (`allreduce`) before every device applies the same update. The model is the book's
 * LeNet variant written with `nd.Convolution` and `nd.Pooling`.
 *
 * Devices: the book runs on gpu(0) and gpu(1). d2l-ts has at most one GPU (WebGPU's adapter), so
 * this program runs its devices as the contexts cpu(0) and cpu(1): separate arrays that ops refuse
 * to mix, exactly as two GPUs, on the same processor (so the results are the book's, and the
 * two-device run is not faster). A GPU's values are read asynchronously, and the book's
 * synchronous `allreduce` and prints cannot mix it with the CPU; `--ctx` is not taken here.
 *
 * Run it: `d2l-ts run multiple-gpus [--limit N]` (the book: 4 epochs, batch 256 with lr 0.2 on one
 * device, then 512 with lr 0.4 on two). `--epochs` changes the 4.
 *
 * Differences from the book's printout: the device names (see above) and the times; the test
 * accuracies are a different random run.
 */
import { nd, autograd, gluon, d2l, type Context, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'multiple-gpus',
  title: '8.4 多GPU计算 (multi-GPU computation)',
  needsData: ['fashion-mnist'],
};

export interface MultipleGpusResult {
  lines: string[];
  /** Test accuracy after each epoch, of the one-device run and of the two-device run. */
  testAcc: [number[], number[]];
}

/** Python's str() of a list: its items' reprs (an NDArray's starts on a new line), joined by ', '. */
const pyStrList = (items: readonly unknown[]) => `[${items.map(String).join(', ')}]`;

/**
 * Runs 8.4: parameters copied to a device, allreduce and splitAndLoad demos, then LeNet trained
 * on one device and on two.
 *
 * @example
 * const { testAcc } = await run({ limit: 512, epochs: 1 });
 */
export async function run(opts: ChapterOptions = {}): Promise<MultipleGpusResult> {
  const { print, lines } = startRun(opts);
  if (opts.ctx && !opts.ctx.equals(nd.cpu()))
    throw new Error(`multiple-gpus: runs on the contexts cpu(0) and cpu(1) (see the program's header); --ctx ${opts.ctx} is not taken`);
  const devices: Context[] = [nd.cpu(0), nd.cpu(1)];

  // ## Defining the model
  const scale = 0.01;
  const W1 = nd.random.normal(0, scale, [20, 1, 3, 3]);
  const b1 = nd.zeros([20]);
  const W2 = nd.random.normal(0, scale, [50, 20, 5, 5]);
  const b2 = nd.zeros([50]);
  const W3 = nd.random.normal(0, scale, [800, 128]);
  const b3 = nd.zeros([128]);
  const W4 = nd.random.normal(0, scale, [128, 10]);
  const b4 = nd.zeros([10]);
  const params = [W1, b1, W2, b2, W3, b3, W4, b4];

  const lenet = (X: NDArray, params: NDArray[]): NDArray => {
    const h1Conv = nd.Convolution({ data: X, weight: params[0], bias: params[1], kernel: [3, 3], numFilter: 20 });
    const h1Activation = nd.relu(h1Conv);
    const h1 = nd.Pooling({ data: h1Activation, poolType: 'avg', kernel: [2, 2], stride: [2, 2] });
    const h2Conv = nd.Convolution({ data: h1, weight: params[2], bias: params[3], kernel: [5, 5], numFilter: 50 });
    const h2Activation = nd.relu(h2Conv);
    let h2 = nd.Pooling({ data: h2Activation, poolType: 'avg', kernel: [2, 2], stride: [2, 2] });
    h2 = nd.flatten(h2);
    const h3Linear = nd.dot(h2, params[4]).add(params[5]);
    const h3 = nd.relu(h3Linear);
    const yHat = nd.dot(h3, params[6]).add(params[7]);
    return yHat;
  };

  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();

  // ## Synchronising data across devices
  // The parameters are copied to a device, and each copy gets its gradient buffer.
  const getParams = (params: NDArray[], ctx: Context): NDArray[] => {
    const newParams = params.map((p) => p.copyto(ctx));
    for (const p of newParams) p.attachGrad();
    return newParams;
  };

  const newParams = getParams(params, devices[0]);
  print('b1 weight:', newParams[1]);
  print('b1 grad:', newParams[1].grad);

  // allreduce sums the arrays of all devices into the first, then copies the sum back to each.
  const allreduce = (data: NDArray[]): void => {
    for (let i = 1; i < data.length; i++) data[0].iadd(data[i].copyto(data[0].context));
    for (let i = 1; i < data.length; i++) data[0].copyto(data[i]);
  };

  const data = [0, 1].map((i) => nd.ones([1, 2], { ctx: devices[i] }).mul(i + 1));
  print('before allreduce:', pyStrList(data));
  allreduce(data);
  print('after allreduce:', pyStrList(data));

  // splitAndLoad (the book writes its own split_and_load here; gluon.utils has the same).
  const splitAndLoad = (data: NDArray, ctx: Context[]): NDArray[] => {
    const n = data.shape[0];
    const k = ctx.length;
    const m = Math.floor(n / k); // for simplicity, assume n is divisible by k
    if (m * k !== n) throw new Error('# examples is not divided by # devices.');
    return ctx.map((c, i) => data.get(`${i * m}:${(i + 1) * m}`).asInContext(c));
  };

  const batch = nd.arange(24).reshape([6, 4]);
  const splitted = splitAndLoad(batch, devices);
  print('input: ', batch);
  print('load into', pyStrList(devices));
  print('output:', pyStrList(splitted));

  // ## Training on one minibatch
  const trainBatch = (X: NDArray, y: NDArray, gpuParams: NDArray[][], ctx: Context[], lr: number): void => {
    // Split the minibatch and copy each slice to its device.
    const gpuXs = splitAndLoad(X, ctx);
    const gpuYs = splitAndLoad(y, ctx);
    // Compute the loss on each device.
    const ls = autograd.record(() => gpuXs.map((gpuX, i) => loss.forward(lenet(gpuX, gpuParams[i]), gpuYs[i])));
    for (const l of ls) l.backward(); // back-propagate on each device
    // Sum the gradients over the devices and copy the sum to every device.
    for (let i = 0; i < gpuParams[0].length; i++) allreduce(ctx.map((_, c) => gpuParams[c][i].grad));
    for (const param of gpuParams) d2l.sgd(param, lr, X.shape[0]); // the whole minibatch's size
  };

  // ## Training
  const numEpochs = opts.epochs ?? 4;
  const train = async (numGpus: number, batchSize: number, lr: number): Promise<number[]> => {
    const [trainIter, testIter] = await d2l.loadDataFashionMnist(batchSize, { dataDir: opts.dataDir, limit: opts.limit });
    const ctx = devices.slice(0, numGpus);
    print('running on:', pyStrList(ctx));
    // Copy the model parameters to each of the numGpus devices.
    const gpuParams = ctx.map((c) => getParams(params, c));
    const accs: number[] = [];
    for (let epoch = 0; epoch < numEpochs; epoch++) {
      const timer = new d2l.Timer();
      for (const [X, y] of trainIter) {
        trainBatch(X, y, gpuParams, ctx, lr);
        await nd.waitall();
      }
      const trainTime = timer.stop();
      const net = (x: NDArray) => lenet(x, gpuParams[0]); // evaluate on the first device
      const testAcc = await d2l.evaluateAccuracy(testIter, net, ctx[0]);
      accs.push(testAcc);
      print(`epoch ${epoch + 1}, time ${trainTime.toFixed(1)} sec, test acc ${testAcc.toFixed(2)}`);
    }
    return accs;
  };

  const one = await train(1, opts.batchSize ?? 256, opts.lr ?? 0.2);
  const two = await train(2, 2 * (opts.batchSize ?? 256), 2 * (opts.lr ?? 0.2));
  return { lines, testAcc: [one, two] };
}

runIfMain(import.meta.url, run);
