/**
 * What every chapter program shares: its options, and how it prints. A chapter is a literate
 * version of one book section (`chapters/<slug>.ts`) exporting `meta` and `run(opts)`; the
 * `d2l-ts` CLI and the tests run it by slug, and `node dist/chapters/<slug>.js` runs it directly.
 */
import { pathToFileURL } from 'node:url';
import type { Context } from '../src/ndarray/context.js';
import type { KVStore } from '../src/kvstore/kvstore.js';
import { seed } from '../src/ndarray/random.js';
import { cpu } from '../src/ndarray/context.js';
import { tryGpu } from '../src/d2l/devices.js';
import { initWebGpu } from '../src/backend/webgpu/index.js';

export interface ChapterMeta {
  /** The book's section slug (ARCHITECTURE.md "Chapter programs"), e.g. 'softmax-regression-scratch'. */
  slug: string;
  /** The book's section number and title, e.g. '3.6 softmax回归的从零开始实现'. */
  title: string;
  /** Whether it needs a data set that may be missing (Fashion-MNIST, the lyrics...). */
  needsData?: string[];
  /**
   * Whether the program saves a checkpoint after each epoch to `ChapterOptions.checkpointDir` and
   * continues from it with `resume` (the long CNN programs, through `run(opts)`).
   */
  resumable?: boolean;
  /** Whether it trains data-parallel through a KVStore (`--kvstore`, `opts.kvstore`). */
  dataParallel?: boolean;
}

export interface ChapterOptions {
  /** Where program output goes (default: console.log). Tests capture it. */
  print?: (line: string) => void;
  epochs?: number;
  lr?: number;
  batchSize?: number;
  seed?: number;
  ctx?: Context;
  /** Directory with the data sets (else the data resolver's search order). */
  dataDir?: string;
  /** Directory for images and saved parameters (default: ./out/<slug>). */
  outDir?: string;
  /** Show progress bars (default: when stdout is a TTY). */
  progress?: boolean;
  /** Use this many examples of the training data (fast tests); all by default. */
  limit?: number;
  /** Resize the images to resize x resize in the loader (the CNN chapters; default: the book's). */
  resize?: number;
  /**
   * Where a resumable program (`meta.resumable`) saves a checkpoint after each epoch; none is
   * saved without it. `d2l-ts run <slug>` always sets it: `--checkpoint-dir`, by default
   * `<out-dir>/checkpoint` (`out/<slug>/checkpoint`).
   */
  checkpointDir?: string;
  /** Continue from the last complete epoch saved in `checkpointDir` (which must hold one). */
  resume?: boolean;
  /**
   * The store summing gradients (chapters with `meta.dataParallel`): a type or a KVStore. With
   * a dist_sync store each process trains on its part of the data with batchSize / numWorkers
   * examples per step, so one step still counts batchSize examples in all.
   */
  kvstore?: string | KVStore;
}

export interface Chapter {
  meta: ChapterMeta;
  run(opts?: ChapterOptions): Promise<unknown>;
}

/** The print function of a chapter run. */
export function printer(opts: ChapterOptions): (line: string) => void {
  return opts.print ?? ((line: string) => console.log(line));
}

/**
 * The run's plumbing that the book's code does not show, as one object a chapter passes as the
 * last argument (or spreads into the options) of the d2l training calls: where their lines go
 * (recorded with the program's own), whether progress bars are drawn, and the device asked for.
 * The notebook generator (scripts/notebooks/build.mjs) removes it from the cells, so there each
 * call takes its defaults: console.log, bars when shown, the CPU.
 */
export interface RunIO {
  print: (line: string) => void;
  progress?: boolean;
  ctx?: Context;
}

/**
 * The start of a chapter run that prints as the book's Python does: `print(...values)` joins its
 * arguments with spaces (as Python's print) and records each line, and `opts.seed` seeds the
 * random generator. `io` carries the rest of `opts` that d2l calls need (see {@link RunIO}); its
 * `print` records into the same `lines`; `dev` is `{ ctx }` of `opts.ctx` alone (or `{}`), for the
 * calls that reject other options (array creation, `initialize`), and `dataOpts` the
 * `{ dataDir }` of `opts.dataDir` for the data loaders. The notebook generator removes all three where they are a call's last argument or spread into its options.
 *
 * @example
 * const { print, lines, io } = startRun(opts);
 * print('x.shape:', x.shape); // also lines[0]
 * await d2l.trainCh3(net, trainIter, testIter, loss, numEpochs, batchSize, params, lr, null, io);
 */
export function startRun(opts: ChapterOptions): {
  print: (...values: unknown[]) => void;
  lines: string[];
  io: RunIO;
  dev: { ctx?: Context };
  dataOpts: { dataDir?: string };
} {
  const lines: string[] = [];
  const out = printer(opts);
  if (opts.seed !== undefined) seed(opts.seed);
  const print = (...values: unknown[]) => {
    const line = values.map(String).join(' ');
    lines.push(line);
    out(line);
  };
  const io: RunIO = {
    print: (line: string) => print(line),
    ...(opts.progress !== undefined ? { progress: opts.progress } : {}),
    ...(opts.ctx !== undefined ? { ctx: opts.ctx } : {}),
  };
  // The device alone, for the calls that check their options (array creation, initialize).
  const dev = opts.ctx !== undefined ? { ctx: opts.ctx } : {};
  // The data directory alone, for the data loaders (their `progress` is the download's).
  const dataOpts = opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {};
  return { lines, print, io, dev, dataOpts };
}

/** Runs `run` when the module is the program being executed (`node dist/chapters/x.js`). */
export function runIfMain(moduleUrl: string, run: (opts?: ChapterOptions) => Promise<unknown>): void {
  const entry = process.argv[1];
  if (entry && pathToFileURL(entry).href === moduleUrl)
    run().catch((e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    });
}

/**
 * The device a training program runs on when `opts.ctx` is not given: the book's `tryGpu()`,
 * except that a software WebGPU adapter (lavapipe, SwiftShader: its "GPU" kernels run on this
 * machine's CPU cores, several times slower than the CPU backend's) gives cpu(0), with a note on
 * stderr; `--ctx gpu` (opts.ctx) still trains there.
 *
 * @example
 * const ctx = await trainingContext(opts); // gpu(0) on a real GPU, else cpu(0)
 */
export async function trainingContext(opts: ChapterOptions): Promise<Context> {
  if (opts.ctx) return opts.ctx;
  const ctx = await tryGpu();
  if (ctx.deviceType !== 'gpu') return ctx;
  const backend = await initWebGpu({ deviceId: ctx.deviceId });
  if (!backend.software) return ctx;
  console.error(
    `# ${ctx} is a software adapter (${backend.adapterDescription}) running on the CPU's cores: training on cpu(0), which is faster (--ctx gpu trains there anyway)`,
  );
  return cpu();
}
