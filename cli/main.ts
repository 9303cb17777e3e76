#!/usr/bin/env node
/**
 * `d2l-ts`: runs the book's sections as programs.
 *
 *   d2l-ts list
 *   d2l-ts run softmax-regression-scratch --epochs 10 --lr 0.1 --batch-size 256
 *   d2l-ts run resnet --resume      (the long CNN programs save a checkpoint after each epoch)
 *   d2l-ts start            (npm start: trains the MLP on Fashion-MNIST, writes ./out/)
 *
 * `main(argv, io)` is the whole program as a function returning the exit code, so tests run it in
 * process; the file runs it when executed.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DataNotFoundError, setDefaultDataDir } from '../src/data/resolver.js';
import { BatchSizeError, setLargeBatchPolicy } from '../src/gluon/data/dataloader.js';
import { nd, kv, D2LError, initWebGpu, type Context } from '../src/index.js';
import { chapterSlugs, loadChapter, hasChapter } from '../chapters/index.js';
import type { Chapter, ChapterOptions } from '../chapters/common.js';
import { readCheckpoint } from '../chapters/checkpoint.js';
import { EXIT, parseCommandLine, BUILD_NATIVE_USAGE, RUN_USAGE, START_USAGE, USAGE, UsageError, type RunFlags } from './args.js';

/** Where the CLI writes: program output, and messages/errors. Tests pass their own. */
export interface CliIO {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIO: CliIO = {
  out: (l) => console.log(l),
  err: (l) => console.error(l),
};

/** How to get Fashion-MNIST when it is missing (added to the resolver's list of places looked). */
export const FASHION_MNIST_HELP = `How to get Fashion-MNIST:
  - Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist   (installs /usr/share/datasets/fashion-mnist)
  - or download the four files from the official site into a directory D
      http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz
      http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-labels-idx1-ubyte.gz
      http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-images-idx3-ubyte.gz
      http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-labels-idx1-ubyte.gz
    (see https://github.com/zalandoresearch/fashion-mnist), then pass --data-dir D
    (files in D or D/fashion-mnist) or set D2L_DATA_DIR=D.`;

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Makes the device context named on the command line usable, or explains why it is not. */
async function resolveContext(c: RunFlags['ctx']): Promise<Context | undefined> {
  if (!c) return undefined;
  if (c.deviceType === 'cpu') return nd.cpu(c.deviceId);
  try {
    await initWebGpu({ deviceId: c.deviceId }); // registers the WebGPU backend as gpu(deviceId)
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new D2LError(`--ctx gpu(${c.deviceId}): no usable GPU (${why}); run on the CPU with --ctx cpu`);
  }
  return nd.gpu(c.deviceId);
}

/**
 * The seed every process of a dist_sync job uses: rank 0's (a broadcast through the store's
 * init), so that a seed chosen at random is still one seed, and the parameters start equal.
 */
function agreedSeed(store: kv.KVStore, seed: number): number {
  if (store.numWorkers === 1) return seed;
  const key = 'd2l-ts:seed';
  const value = nd.array([seed], { dtype: 'float64' });
  store.init(key, value);
  store.pull(key, value);
  return value.asScalar();
}

/**
 * Turns validated flags into chapter options (with a seed chosen and shown when none was given),
 * and this process' rank (0 outside a dist_sync job): only rank 0 prints.
 */
async function chapterOptions(flags: RunFlags, io: CliIO): Promise<{ opts: ChapterOptions; rank: number }> {
  const store = flags.kvstore ? kv.create(flags.kvstore) : undefined;
  const rank = store?.rank ?? 0;
  const seed = store
    ? agreedSeed(store, flags.seed ?? Math.floor(Math.random() * 0x100000000))
    : (flags.seed ?? Math.floor(Math.random() * 0x100000000));
  if (flags.seed === undefined && rank === 0) io.err(`(seed ${seed}; rerun with --seed ${seed} to repeat this run)`);
  if (flags.dataDir) {
    // A mistyped --data-dir must not fall through to another copy of the data.
    const st = statSync(flags.dataDir, { throwIfNoEntry: false });
    if (!st?.isDirectory())
      throw new UsageError(
        `--data-dir ${flags.dataDir}: ${st ? 'is not a directory' : 'no such directory'} (expected the directory holding the data sets)`,
      );
    setDefaultDataDir(flags.dataDir);
  }
  // A --batch-size larger than the training set is refused rather than training with a tiny step.
  setLargeBatchPolicy('error');
  const ctx = await resolveContext(flags.ctx);
  const opts: ChapterOptions = { print: rank === 0 ? io.out : () => {}, seed };
  if (flags.epochs !== undefined) opts.epochs = flags.epochs;
  if (flags.lr !== undefined) opts.lr = flags.lr;
  if (flags.batchSize !== undefined) opts.batchSize = flags.batchSize;
  if (flags.limit !== undefined) opts.limit = flags.limit;
  if (flags.resize !== undefined) opts.resize = flags.resize;
  if (flags.dataDir !== undefined) opts.dataDir = flags.dataDir;
  if (flags.outDir !== undefined) opts.outDir = flags.outDir;
  if (flags.progress !== undefined) opts.progress = flags.progress;
  if (rank !== 0) opts.progress = false;
  if (ctx) opts.ctx = ctx;
  if (store) opts.kvstore = store;
  return { opts, rank };
}

/** The slugs of the programs that save checkpoints and take --resume (`meta.resumable`), in book order. */
async function resumableSlugs(): Promise<string[]> {
  const slugs: string[] = [];
  for (const slug of chapterSlugs()) {
    try {
      if ((await loadChapter(slug)).meta.resumable) slugs.push(slug);
    } catch {
      // A program that cannot load is not offered (`d2l-ts list` shows why).
    }
  }
  return slugs;
}

/**
 * The checkpoint folder of a run of `chapter`: --checkpoint-dir, else `<out-dir>/checkpoint`
 * (`out/<slug>/checkpoint`) for a resumable program; undefined for the others, which refuse the
 * flags with the list of those that take them.
 */
async function checkpointFolder(chapter: Chapter, flags: RunFlags): Promise<string | undefined> {
  const slug = chapter.meta.slug;
  if (!chapter.meta.resumable) {
    if (flags.resume || flags.checkpointDir)
      throw new UsageError(
        `${flags.resume ? '--resume' : '--checkpoint-dir'}: ${slug} saves no checkpoints; ` +
          `the programs that do and take --resume: ${(await resumableSlugs()).join(', ')}`,
      );
    return undefined;
  }
  const dir = flags.checkpointDir ?? join(flags.outDir ?? join('out', slug), 'checkpoint');
  const st = statSync(dir, { throwIfNoEntry: false });
  if (st && !st.isDirectory())
    throw new UsageError(`--checkpoint-dir ${dir}: is not a directory (expected the folder holding ${slug}'s checkpoints)`);
  // Before the program starts (the shape walks take a while): the message trainBookCnn would give.
  if (flags.resume && !readCheckpoint(dir))
    throw new UsageError(
      `${slug} --resume: no checkpoint in ${resolve(dir)} (a run saves one there after each epoch); run without --resume to start`,
    );
  return dir;
}

async function listChapters(io: CliIO): Promise<number> {
  const slugs = chapterSlugs();
  const width = Math.max(...slugs.map((s) => s.length));
  for (const slug of slugs) {
    let title: string;
    try {
      title = (await loadChapter(slug)).meta.title;
    } catch (e) {
      title = `(cannot load: ${e instanceof Error ? e.message : String(e)})`;
    }
    io.out(`${slug.padEnd(width)}  ${title}`);
  }
  return EXIT.ok;
}

/**
 * Runs the `d2l-ts` command line `argv` (without `node` and the script) and returns the exit code.
 *
 * @example
 * const code = await main(['run', 'linear-regression-scratch', '--seed', '1']);
 */
export async function main(argv: readonly string[], io: CliIO = defaultIO): Promise<number> {
  let cmd;
  try {
    cmd = parseCommandLine(argv);
    if (cmd.command === 'run' && !hasChapter(cmd.slug))
      throw new UsageError(`unknown chapter '${cmd.slug}'. Valid chapters:\n  ${chapterSlugs().join('\n  ')}`);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`d2l-ts: ${e.message}`);
      io.err('Run `d2l-ts --help` for usage.');
      return EXIT.usage;
    }
    throw e;
  }

  try {
    switch (cmd.command) {
      case 'help': {
        const topic = cmd.topic;
        if (topic === undefined || topic === 'list' || topic === 'help') io.out(USAGE);
        else if (topic === 'run') io.out(RUN_USAGE);
        else if (topic === 'start') io.out(START_USAGE);
        else if (topic === 'build-native') io.out(BUILD_NATIVE_USAGE);
        else {
          io.err(`d2l-ts: no help for '${topic}'; commands are list, run, start, build-native, help`);
          return EXIT.usage;
        }
        return EXIT.ok;
      }
      case 'version':
        io.out(version());
        return EXIT.ok;
      case 'list':
        return await listChapters(io);
      case 'build-native': {
        const { buildNative } = await import('./build-native.js');
        return buildNative(cmd.strict, io);
      }
      case 'run': {
        const chapter = await loadChapter(cmd.slug);
        if (cmd.flags.kvstore && !chapter.meta.dataParallel)
          throw new UsageError(`--kvstore: ${cmd.slug} does not train through a KVStore (mlp-gluon does)`);
        const checkpointDir = await checkpointFolder(chapter, cmd.flags);
        const { opts, rank } = await chapterOptions(cmd.flags, io);
        if (checkpointDir !== undefined) opts.checkpointDir = checkpointDir;
        if (cmd.flags.resume) opts.resume = true;
        if (rank === 0) io.err(`# ${chapter.meta.slug}: ${chapter.meta.title}`);
        await chapter.run(opts);
        return EXIT.ok;
      }
      case 'start': {
        const { opts } = await chapterOptions(cmd.flags, io);
        const { startJob } = await import('./start.js');
        await startJob(opts, io);
        return EXIT.ok;
      }
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`d2l-ts: ${e.message}`);
      return EXIT.usage;
    }
    if (e instanceof BatchSizeError) {
      io.err(`d2l-ts: --batch-size ${cmd.command === 'run' || cmd.command === 'start' ? (cmd.flags.batchSize ?? '') : ''}: ${e.message}`);
      return EXIT.usage;
    }
    if (e instanceof DataNotFoundError) {
      io.err(`d2l-ts: ${e.message}`);
      if (/fashion-mnist/i.test(e.message)) io.err(FASHION_MNIST_HELP);
      return EXIT.missingData;
    }
    // The library's own errors say what went wrong; anything else shows its stack.
    io.err(`d2l-ts: ${e instanceof D2LError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT.failure;
  }
}

function isEntry(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    // npm's bin link is a symlink to this file: compare real paths.
    return pathToFileURL(realpathSync(entry)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isEntry()) {
  // Exit explicitly once the work is done: a CLI must not linger on a background handle (a
  // worker thread's port, a pending timer of a plotting library). stdout/stderr writes to files
  // and pipes are synchronous on POSIX, so nothing printed is lost.
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(EXIT.failure);
    },
  );
}
