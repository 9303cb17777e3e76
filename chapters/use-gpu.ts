/**
 * # 4.6 GPU computing (GPU计算)
 *
 * Arrays and Gluon models on a GPU. The GPU here is WebGPU (Dawn in Node through the optional
 * `webgpu` package, or a browser's `navigator.gpu`): `d2l.tryGpu()` initialises it and returns
 * `gpu(0)`, or returns `cpu()` when there is none, so this program runs everywhere; on a machine
 * without a GPU every array below is on cpu(0) and the program says so.
 *
 * Two things differ from MXNet: a GPU array's values are read asynchronously (`await
 * x.toStringAsync()`, `await x.data()`), and WebGPU exposes one device, so the book's second GPU
 * (`mx.gpu(1)`) is the same `ctx` here.
 *
 * Run it: `d2l-ts run use-gpu [--seed 1]`.
 */
import { nd, d2l, gluon, initWebGpu, destroyWebGpu, type Context, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { pyBool } from './pyrepr.js';

const { nn } = gluon;

export const meta = {
  slug: 'use-gpu',
  title: '4.6 GPU计算 (GPU computing)',
};

export interface UseGpuResult {
  lines: string[];
  /** The device the program computed on: gpu(0), or cpu(0) without a GPU. */
  ctx: Context;
  /** (z + 2).exp() * y, on ctx: [20.085537, 109.1963, 445.2395]. */
  result: number[];
  /** The Dense(1) network's output on ctx, and its weight. */
  netOut: number[];
  weight: number;
}

/**
 * Runs 4.6: contexts, arrays and copies on the GPU, computing there, and a Gluon model there.
 *
 * @example
 * const { ctx, result } = await run({ seed: 1 });
 * ctx.toString(); // 'gpu(0)' with WebGPU, else 'cpu(0)'
 */
export async function run(opts: ChapterOptions = {}): Promise<UseGpuResult> {
  const { print, lines } = startRun(opts);
  gluon.resetNameCounters();

  // ## Computing devices
  // Instead of `nvidia-smi`: which GPU WebGPU found, if any. `--ctx cpu` keeps the program on the CPU.
  const ctx = opts.ctx ?? (await d2l.tryGpu());
  // (initWebGpu returns the device tryGpu initialised.)
  const gpuName = ctx.deviceType === 'gpu' ? (await initWebGpu({ deviceId: ctx.deviceId })).adapterDescription : undefined;
  print(ctx.deviceType === 'gpu' ? `GPU: ${gpuName ?? ctx.toString()}` : 'no GPU found (WebGPU unavailable): running on cpu(0)');
  // Contexts by name: the CPU (all its cores are cpu(0)), the first and the second GPU.
  print(`(${nd.cpu()}, ${nd.gpu()}, ${nd.gpu(1)})`);

  try {
    // ## NDArrays on the GPU
    // By default an array is created in main memory, on cpu(0).
    const x = nd.array([1, 2, 3]);
    print(x);
    print(x.context);

    // ### Storage on the GPU
    // The ctx option creates an array on a device.
    const a = nd.array([1, 2, 3], { ctx });
    print(await a.toStringAsync());
    const B = nd.random.uniform(0, 1, [2, 3], { ctx });
    print(await B.toStringAsync());
    // copyto and asInContext move data between devices (CPU to GPU is synchronous).
    const y = x.copyto(ctx);
    print(await y.toStringAsync());
    const z = x.asInContext(ctx);
    print(await z.toStringAsync());
    // asInContext returns the array itself when it is already there; copyto always copies.
    print(pyBool(y.asInContext(ctx) === y));
    print(pyBool(y.copyto(ctx) === y));

    // ### Computing on the GPU
    // An operation runs where its inputs live, and its result lives there too.
    const r = z.add(2).exp().mul(y);
    print(await r.toStringAsync());
    await nd.waitall();

    // ## Gluon on the GPU
    // initialize({ ctx }) creates the model's parameters on the device.
    const net = new nn.Sequential();
    net.add(new nn.Dense(1));
    net.initialize(undefined, { ctx });
    // The input must be on the same device as the parameters.
    const netOut: NDArray = net.forward(y);
    print(await netOut.toStringAsync());
    const w = net.get<gluon.nn.Dense>(0).weight.data();
    print(await w.toStringAsync());
    return {
      lines,
      ctx,
      result: Array.from(await r.data()),
      netOut: Array.from(await netOut.data()),
      weight: (await w.data())[0],
    };
  } finally {
    // Node exits only once Dawn's device is gone; a cpu-only run has nothing to release.
    if (ctx.deviceType === 'gpu' && !opts.ctx) await destroyWebGpu(ctx.deviceId);
  }
}

runIfMain(import.meta.url, run);
