/**
 * # 8.3 Automatic parallelism (自动并行计算)
 *
 * The book runs ten matrix products on the CPU and ten on the GPU, first one device after the
 * other and then both at once, and then overlaps the GPU's products with the copies of their
 * results to the CPU: with nothing depending on each other, the back end runs the work of two
 * devices (or of a device and the bus) at the same time, and the whole takes less than its parts.
 *
 * How d2l-ts does it. The CPU's kernels run as they are called (a product has finished when
 * `nd.dot` returns); WebGPU queues its kernels and runs them on the GPU while JavaScript goes on.
 * So the GPU's work is handed over first and the CPU's runs while the GPU computes (the book
 * writes `run(x_cpu); run(x_gpu)`; MXNet's engine queues both, here the order matters). WebGPU
 * has one queue that runs in order, so a copy queued after all ten products would wait for the
 * last of them: "run and copy in parallel" queues each copy right after its product (MXNet gets
 * the same order from the dependencies: copy i needs only y[i]), and the GPU computes y[i+1]
 * while y[i] travels to the host.
 *
 * What it shows. Every product and copy is traced: when it was handed to its device and when its
 * result was there (GPU completions as the program observes them between its own steps, so a
 * little late). The trace of the two parallel blocks is printed, all six are drawn in
 * `<outDir>/trace.png`, and the results are checked: the parallel runs give exactly the values of
 * the runs one after the other, and the GPU's products agree with the CPU's. The overlap is
 * measured only on a real GPU: on a software adapter (lavapipe/llvmpipe, SwiftShader: CI's
 * "GPU") the GPU's kernels run on the CPU's own cores, so the program prints the book's lines
 * and the trace and says that the overlap was not measured. Without WebGPU it runs the CPU half
 * and says why the GPU half was skipped.
 *
 * Run it: `d2l-ts run auto-parallelism [--ctx cpu|gpu] [--limit N]`. The book: x_cpu 2000x2000,
 * x_gpu 6000x6000 (500x500 on a software adapter, where 6000 would take minutes per product);
 * `--limit N` makes both N-by-N (for tests).
 */
import { join } from 'node:path';
import { nd, d2l, initWebGpu, destroyWebGpu, WebGpuError, WebGpuUnavailableError, type Context, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'auto-parallelism',
  title: '8.3 自动并行计算 (automatic parallelism)',
};

/** One traced operation: seconds from the start of its Benchmark block. */
export interface TraceEvent {
  /** The Benchmark block's prefix, e.g. 'Run on both CPU and GPU in parallel.'. */
  block: string;
  /** 'dot 3' (the fourth product) or 'copy 3' (its copy to the CPU). */
  op: string;
  /** Where it ran: 'cpu(0)', 'gpu(0)', or 'gpu(0)->cpu(0)' for a copy. */
  device: string;
  /** When it was handed to its device (a CPU product: when it started). */
  submitted: number;
  /** When its result was there (a GPU's: when the program saw its completion). */
  completed: number;
}

export interface AutoParallelismResult {
  lines: string[];
  /** The GPU the program ran its GPU half on, or null when that half was skipped. */
  gpu: Context | null;
  /** The adapter's description (null without a GPU). */
  adapter: string | null;
  /** Whether the GPU is a software adapter on the CPU's cores (its times are the CPU's). */
  software: boolean;
  /** Why the GPU half was skipped (null when it ran). */
  skipped: string | null;
  /** The matrices' sizes: x_cpu is nCpu x nCpu, x_gpu nGpu x nGpu. */
  nCpu: number;
  nGpu: number;
  /** The seconds of each Benchmark block, by its prefix. */
  times: Record<string, number>;
  /**
   * The largest absolute differences between results that must agree: the CPU's and the GPU's
   * products run in parallel against the same run alone, the copies made in parallel against
   * the copies made after the products, and (relative to the largest entry) the GPU's product
   * against the CPU's product of the same matrix. All null where the GPU half was skipped (then
   * nothing ran in parallel).
   */
  maxDiff: { cpuParallel: number | null; gpuParallel: number | null; copies: number | null; gpuVsCpu: number | null };
  trace: TraceEvent[];
  /**
   * Per parallel block, how many of one device's operations finished while the other was still
   * busy (GPU products before the CPU's last product ended; copies before the GPU's last product
   * ended), and the block's time against its two parts run one after the other. Null when the
   * overlap was not measured (a software adapter, or no GPU).
   */
  overlap: {
    cpuGpu: { finishedDuring: number; seconds: number; sequential: number };
    runCopy: { finishedDuring: number; seconds: number; sequential: number };
  } | null;
  /** The images written: the trace timeline. */
  files: string[];
}

/** How many products `run` makes (the book's 10). */
const REPEATS = 10;
/** The rows of x_gpu·x_gpu recomputed on the CPU to check the GPU's values (the whole would take minutes at 6000). */
const CHECK_ROWS = 64;
/** The largest |GPU - CPU| / max|CPU| accepted: float32 sums in a different order, over up to 6000 terms. */
const GPU_CPU_TOLERANCE = 1e-4;

/** Records the submission and completion of each operation of one Benchmark block. */
class Trace {
  readonly events: TraceEvent[] = [];
  private readonly pending: Promise<void>[] = [];
  private readonly start = performance.now();

  constructor(readonly block: string) {}

  private now(): number {
    return (performance.now() - this.start) / 1000;
  }

  /**
   * Runs `f` (one operation producing `y` on `device`) and traces it. A GPU's product is handed
   * to the device at once: starting `waitToRead` submits the queued kernel (d2l-ts otherwise
   * collects kernels until a read), and its resolution is the product's completion.
   */
  op(op: string, device: Context, f: () => NDArray): NDArray {
    const ev: TraceEvent = { block: this.block, op, device: String(device), submitted: this.now(), completed: Number.NaN };
    this.events.push(ev);
    const y = f();
    if (device.deviceType === 'cpu') ev.completed = this.now();
    else
      this.pending.push(
        y.waitToRead().then(() => {
          ev.completed = this.now();
        }),
      );
    return y;
  }

  /** Starts copying `y` to the CPU, traced as `op`; the promise resolves to the copy. */
  copy(op: string, y: NDArray, to: Context): Promise<NDArray> {
    const ev: TraceEvent = { block: this.block, op, device: `${y.context}->${to}`, submitted: this.now(), completed: Number.NaN };
    this.events.push(ev);
    const p = y.copytoAsync(to).then((h) => {
      ev.completed = this.now();
      return h;
    });
    this.pending.push(p.then(() => undefined));
    return p;
  }

  /** Lets the GPU's completions be seen between the CPU's products (JavaScript runs one thing at a time). */
  async tick(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Resolves once every traced operation has completed. */
  async done(): Promise<void> {
    await Promise.all(this.pending);
  }
}

/** The largest |a - b| over lists of arrays on one device (read asynchronously, so any device works). */
async function maxAbsDiff(a: readonly NDArray[], b: readonly NDArray[]): Promise<number> {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, await a[i].sub(b[i]).abs().max().asScalarAsync());
  return m;
}

/** Why WebGPU could not be used (its error's first line), or null when gpu(0) works. */
async function gpuProblem(): Promise<string | null> {
  try {
    await initWebGpu();
    return null;
  } catch (e) {
    if (e instanceof WebGpuUnavailableError || e instanceof WebGpuError) return e.message.split('\n')[0];
    throw e;
  }
}

/**
 * Runs 8.3: ten products on the CPU, then on the GPU, then on both at once; the GPU's products,
 * their copies to the CPU, and both at once. Traces every operation, checks that the parallel
 * runs give the sequential runs' values, and times the overlap on a real GPU only.
 *
 * @example
 * const { lines, maxDiff, trace } = await run({ limit: 64 });
 */
export async function run(opts: ChapterOptions = {}): Promise<AutoParallelismResult> {
  const { print, lines } = startRun(opts);
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1))
    throw new Error(`auto-parallelism: --limit must be a positive integer (the matrices' size), got ${opts.limit}`);
  const outDir = opts.outDir ?? join('out', meta.slug);
  const cpu = nd.cpu();

  // ## Which devices
  // The book needs a GPU; here the GPU half is skipped, with the reason, when there is none.
  let gpu: Context | null = null;
  let skipped: string | null = null;
  let adapter: string | null = null;
  let software = false;
  if (opts.ctx?.deviceType === 'cpu') skipped = `--ctx ${opts.ctx} keeps the program on the CPU`;
  else {
    const problem = await gpuProblem();
    if (problem) skipped = `no GPU (${problem})`;
    else {
      gpu = opts.ctx ?? nd.gpu(0);
      const backend = await initWebGpu({ deviceId: gpu.deviceId });
      adapter = backend.adapterDescription;
      software = backend.software;
    }
  }
  const nCpu = opts.limit ?? 2000;
  const nGpu = opts.limit ?? (software ? 500 : 6000);
  if (gpu) {
    print(`GPU: ${adapter}`);
    if (software)
      print(
        `(a software adapter: ${gpu} runs its kernels on this machine's CPU cores, so its times are the CPU's` +
          `${opts.limit === undefined ? `; x_gpu is ${nGpu}x${nGpu} here, the book's is 6000x6000` : ''})`,
      );
  } else print(`${skipped}: the GPU half is skipped`);

  const times: Record<string, number> = {};
  const traces: Trace[] = [];
  // A Benchmark block with its trace: the body gets the block's Trace, and the block ends once
  // everything traced has completed (the book's nd.waitall() at the end of each block).
  const block = async <T>(prefix: string, body: (tr: Trace) => Promise<T>): Promise<T> => {
    const tr = new Trace(prefix);
    traces.push(tr);
    return d2l.benchmark(
      prefix,
      async () => {
        const out = await body(tr);
        await tr.done();
        await nd.waitall();
        return out;
      },
      {
        print: (line) => {
          times[prefix] = Number(/time: ([\d.]+) sec/.exec(line)![1]);
          print(line);
        },
      },
    );
  };

  try {
    // ## Parallel computation on the CPU and the GPU
    // run(x) makes ten products of x with itself (nothing depends on anything else).
    const run = async (x: NDArray, tr?: Trace): Promise<NDArray[]> => {
      const ys: NDArray[] = [];
      for (let i = 0; i < REPEATS; i++) {
        ys.push(tr ? tr.op(`dot ${i}`, x.context, () => nd.dot(x, x)) : nd.dot(x, x));
        if (tr && x.context.deviceType === 'cpu') await tr.tick();
      }
      return ys;
    };

    const xCpu = nd.random.uniform(0, 1, [nCpu, nCpu]);
    const xGpu = gpu ? nd.random.uniform(0, 1, [nGpu, nGpu], { ctx: gpu }) : null;

    // Warm up (the GPU compiles its kernels on first use), then wait for everything.
    await run(xCpu);
    if (xGpu) await run(xGpu);
    await nd.waitall();

    const yCpu = await block('Run on CPU.', (tr) => run(xCpu, tr));
    if (!xGpu) {
      print('the overlap was not measured: there is no GPU to overlap with the CPU');
      const files = await drawTrace(traces, outDir);
      return result({
        lines,
        gpu,
        adapter,
        software,
        skipped,
        nCpu,
        nGpu,
        times,
        maxDiff: { cpuParallel: null, gpuParallel: null, copies: null, gpuVsCpu: null },
        trace: traces.flatMap((t) => t.events),
        overlap: null,
        files,
      });
    }
    const yGpu = await block('Then run on GPU.', (tr) => run(xGpu, tr));
    // The GPU's work first: it is queued and runs while the CPU computes its own.
    const [yGpuBoth, yCpuBoth] = await block('Run on both CPU and GPU in parallel.', async (tr) => {
      const g = await run(xGpu, tr);
      const c = await run(xCpu, tr);
      return [g, c];
    });

    // ## Parallel computation and communication
    // copy_to_cpu(x) copies each array to the CPU (asynchronously: a GPU's values are read so).
    const copyToCpu = (x: NDArray[], tr?: Trace): Promise<NDArray[]> =>
      Promise.all(x.map((y, i) => (tr ? tr.copy(`copy ${i}`, y, cpu) : y.copytoAsync(cpu))));

    const y = await block('Run on GPU.', (tr) => run(xGpu, tr));
    const yCopied = await block('Then copy to CPU.', (tr) => copyToCpu(y, tr));
    // Each copy queued right after its product, so that y[i] travels while y[i+1] is computed.
    const yCopiedBoth = await block('Run and copy in parallel.', async (tr) => {
      const copies: Promise<NDArray>[] = [];
      for (let i = 0; i < REPEATS; i++) {
        const yi = tr.op(`dot ${i}`, gpu!, () => nd.dot(xGpu, xGpu));
        copies.push(tr.copy(`copy ${i}`, yi, cpu));
      }
      return Promise.all(copies);
    });

    // ## The results are the same
    // Work run in parallel gives exactly the values of the same work run alone (each product is
    // the same kernel on the same data), and the GPU's product agrees with the CPU's to float32
    // rounding (checked on its first rows: the whole product takes minutes on the CPU).
    const cpuParallel = await maxAbsDiff(yCpu, yCpuBoth);
    const gpuParallel = await maxAbsDiff(yGpu, yGpuBoth);
    const copies = await maxAbsDiff(yCopied, yCopiedBoth);
    const xHost = await xGpu.copytoAsync(cpu);
    const rows = Math.min(CHECK_ROWS, nGpu);
    const reference = nd.dot(xHost.get(`0:${rows}`), xHost);
    const gpuVsCpu = (await maxAbsDiff([yCopied[0].get(`0:${rows}`)], [reference])) / reference.abs().max().asScalar();
    print(`max |difference| of the CPU's products, in parallel vs alone: ${cpuParallel}`);
    print(`max |difference| of the GPU's products, in parallel vs alone: ${gpuParallel}`);
    print(`max |difference| of the copies, made in parallel vs after the products: ${copies}`);
    print(`max |GPU - CPU| / max |CPU| of x_gpu·x_gpu (its first ${rows} rows): ${gpuVsCpu.toExponential(2)}`);
    if (cpuParallel !== 0 || gpuParallel !== 0 || copies !== 0)
      throw new Error(
        `auto-parallelism: running in parallel changed the results (max differences: CPU ${cpuParallel}, GPU ${gpuParallel}, copies ${copies}; expected 0)`,
      );
    if (!(gpuVsCpu <= GPU_CPU_TOLERANCE))
      throw new Error(
        `auto-parallelism: the GPU's product differs from the CPU's by ${gpuVsCpu} of its largest entry (expected <= ${GPU_CPU_TOLERANCE})`,
      );

    // ## The trace
    const both = traces.find((t) => t.block === 'Run on both CPU and GPU in parallel.')!;
    const runCopy = traces.find((t) => t.block === 'Run and copy in parallel.')!;
    for (const t of [both, runCopy]) printTrace(t, print);
    const files = await drawTrace(traces, outDir);
    print(`trace of all six blocks: ${files[0]}`);

    // ## The overlap
    // From the trace: the GPU products that finished while the CPU was still computing, and the
    // copies that reached the CPU while the GPU was still computing; and the time saved.
    const finishedBefore = (t: Trace, what: (e: TraceEvent) => boolean, until: (e: TraceEvent) => boolean): number => {
      const end = Math.max(...t.events.filter(until).map((e) => e.completed));
      return t.events.filter((e) => what(e) && e.completed < end).length;
    };
    const cpuGpu = {
      finishedDuring: finishedBefore(
        both,
        (e) => e.device === String(gpu),
        (e) => e.device === String(cpu),
      ),
      seconds: times['Run on both CPU and GPU in parallel.'],
      sequential: times['Run on CPU.'] + times['Then run on GPU.'],
    };
    const runCopyOverlap = {
      finishedDuring: finishedBefore(
        runCopy,
        (e) => e.op.startsWith('copy'),
        (e) => e.op.startsWith('dot'),
      ),
      seconds: times['Run and copy in parallel.'],
      sequential: times['Run on GPU.'] + times['Then copy to CPU.'],
    };
    let overlap: AutoParallelismResult['overlap'] = null;
    if (software)
      print(
        `the overlap was not measured: ${gpu} is a software adapter (${adapter}) on the CPU's own cores, ` +
          "so the times above are the CPU's, and the trace shows the order of the work, not two devices at once",
      );
    else {
      overlap = { cpuGpu, runCopy: runCopyOverlap };
      print(
        `overlap of CPU and GPU: ${cpuGpu.finishedDuring} of the GPU's ${REPEATS} products finished while the CPU was computing; ` +
          `${cpuGpu.seconds.toFixed(4)} sec in parallel against ${cpuGpu.sequential.toFixed(4)} sec one after the other`,
      );
      print(
        `overlap of computation and copies: ${runCopyOverlap.finishedDuring} of the ${REPEATS} copies reached the CPU while the GPU was computing; ` +
          `${runCopyOverlap.seconds.toFixed(4)} sec in parallel against ${runCopyOverlap.sequential.toFixed(4)} sec one after the other`,
      );
    }
    return result({
      lines,
      gpu,
      adapter,
      software,
      skipped,
      nCpu,
      nGpu,
      times,
      maxDiff: { cpuParallel, gpuParallel, copies, gpuVsCpu },
      trace: traces.flatMap((t) => t.events),
      overlap,
      files,
    });
  } finally {
    // Node exits only once Dawn's device is gone; a GPU handed in by the caller stays theirs.
    if (gpu && !opts.ctx) await destroyWebGpu(gpu.deviceId);
  }
}

/** The result, checked: every traced operation completed. */
function result(r: AutoParallelismResult): AutoParallelismResult {
  const open = r.trace.filter((e) => !Number.isFinite(e.completed));
  if (open.length)
    throw new Error(`auto-parallelism: ${open.length} traced operations never completed (first: ${open[0].block} ${open[0].op})`);
  return r;
}

/** Prints a block's trace as a table: seconds from the block's start, in submission order. */
function printTrace(t: Trace, print: (...values: unknown[]) => void): void {
  print(`trace of '${t.block}' (sec from the block's start):`);
  print(`  ${'op'.padEnd(8)} ${'device'.padEnd(15)} ${'submitted'.padStart(9)} ${'completed'.padStart(9)}`);
  for (const e of t.events)
    print(`  ${e.op.padEnd(8)} ${e.device.padEnd(15)} ${e.submitted.toFixed(4).padStart(9)} ${e.completed.toFixed(4).padStart(9)}`);
}

/** Draws every block's trace as a timeline (a bar from submission to completion per operation) in `<outDir>/trace.png`. */
async function drawTrace(traces: readonly Trace[], outDir: string): Promise<string[]> {
  const file = join(outDir, 'trace.png');
  const values = traces.flatMap((t, b) =>
    t.events.map((e, i) => ({
      block: `${b + 1}. ${t.block}`,
      row: `${String(i).padStart(2, '0')} ${e.device} ${e.op}`,
      device: e.device,
      submitted: e.submitted,
      completed: e.completed,
    })),
  );
  await d2l.renderVegaLite(
    {
      data: { values },
      facet: {
        row: {
          field: 'block',
          type: 'nominal',
          title: null,
          header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top' },
        },
      },
      spec: {
        width: 480,
        height: { step: 7 },
        mark: { type: 'bar', height: 5 },
        encoding: {
          x: { field: 'submitted', type: 'quantitative', title: "seconds from the block's start (submitted → completed)" },
          x2: { field: 'completed' },
          y: { field: 'row', type: 'nominal', axis: null, sort: 'ascending' },
          color: { field: 'device', type: 'nominal', title: 'device' },
        },
      },
      resolve: { scale: { y: 'independent', x: 'independent' } },
    },
    file,
  );
  return [file];
}

runIfMain(import.meta.url, run);
