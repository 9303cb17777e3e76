/**
 * The `d2l-ts` command line: parsing and validation, kept apart from running so it can be tested
 * without side effects. Errors are `UsageError`s whose message says what is wrong and what is
 * accepted.
 */
import { parseArgs } from 'node:util';

/** A command-line mistake: printed with a hint to `--help`, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit codes of `d2l-ts`. */
export const EXIT = {
  ok: 0,
  /** The program failed while running. */
  failure: 1,
  /** Bad command line. */
  usage: 2,
  /** A data set is missing and could not be fetched. */
  missingData: 3,
} as const;

/** Options shared by `run` and `start`, validated. */
export interface RunFlags {
  epochs?: number;
  lr?: number;
  batchSize?: number;
  seed?: number;
  limit?: number;
  /** Resize the images to N x N in the loader (the CNN chapters). */
  resize?: number;
  dataDir?: string;
  outDir?: string;
  /** 'cpu' or 'gpu', with a device id. */
  ctx?: { deviceType: 'cpu' | 'gpu'; deviceId: number };
  progress?: boolean;
  /** The key-value store summing gradients: 'dist_sync' trains across the processes of mpirun. */
  kvstore?: KVStoreFlag;
  /** Continue a resumable program from the last checkpoint in the checkpoint folder (run only). */
  resume?: boolean;
  /** Where a resumable program saves its checkpoints (run only; default `<out-dir>/checkpoint`). */
  checkpointDir?: string;
}

/** The store types `--kvstore` accepts. */
export const KVSTORE_FLAGS = ['local', 'device', 'dist_sync'] as const;
export type KVStoreFlag = (typeof KVSTORE_FLAGS)[number];

export type Command =
  | { command: 'help'; topic?: string }
  | { command: 'version' }
  | { command: 'list' }
  | { command: 'build-native'; strict: boolean }
  | { command: 'run'; slug: string; flags: RunFlags }
  | { command: 'start'; flags: RunFlags };

const RUN_OPTIONS = {
  epochs: { type: 'string' },
  lr: { type: 'string' },
  'batch-size': { type: 'string' },
  seed: { type: 'string' },
  limit: { type: 'string' },
  resize: { type: 'string' },
  'data-dir': { type: 'string' },
  'out-dir': { type: 'string' },
  ctx: { type: 'string' },
  kvstore: { type: 'string' },
  resume: { type: 'boolean' },
  'checkpoint-dir': { type: 'string' },
  progress: { type: 'boolean' },
  'no-progress': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const USAGE = `Usage: d2l-ts <command> [options]

Dive into Deep Learning (MXNet/Gluon edition) in TypeScript: runs the book's sections as programs.

Commands:
  list                 list the chapter programs (book section slugs)
  run <slug>           run one chapter program, e.g. d2l-ts run softmax-regression-scratch
  start                the main job: train the book's MLP (3.10) on Fashion-MNIST with progress
                       bars, write training curves, a prediction grid and the parameters to ./out/
  build-native         build the optional native addons (OpenBLAS, Open MPI) of an installed
                       d2l-ts: npm 11 skips a dependency's install script unless approved
  help [command]       show help

Options for run and start:
  --epochs N           number of epochs (positive integer)
  --lr X               learning rate (positive number)
  --batch-size N       minibatch size (positive integer)
  --seed N             random seed (integer 0..4294967295); a random one is chosen and shown if omitted
  --limit N            train on the first N examples only (quick runs)
  --resize N           resize the images to N x N, per batch in the loader (the CNN chapters)
  --data-dir D         directory holding the data sets (else D2L_DATA_DIR, the cache, system places)
  --out-dir D          where images and parameters go (default ./out/<slug>, ./out for start)
  --ctx cpu|gpu[:N]    device to compute on (default cpu)
  --kvstore T          run only: the store summing gradients (local, device or dist_sync);
                       dist_sync trains across the processes of an mpirun job, e.g.
                       mpirun -np 2 --bind-to none npx d2l-ts run mlp-gluon --kvstore dist_sync
                       (--batch-size is then the batch of all processes together)
  --resume             run only: continue after the last epoch saved in the checkpoint folder
                       (alexnet, vgg, nin, googlenet, resnet, densenet, sentiment-analysis-cnn)
  --checkpoint-dir D   run only, the same programs: where a checkpoint is saved after each epoch
                       (default <out-dir>/checkpoint, i.e. ./out/<slug>/checkpoint)
  --progress, --no-progress
                       show or hide progress bars (default: shown on a terminal)
  -h, --help           show help
  --version            print the version

Exit codes: 0 success, 1 the program failed, 2 bad command line, 3 a data set is missing.`;

export const RUN_USAGE = `Usage: d2l-ts run <slug> [--epochs N] [--lr X] [--batch-size N] [--seed N] [--limit N] [--resize N]
                        [--data-dir D] [--out-dir D] [--ctx cpu|gpu[:N]] [--kvstore T] [--[no-]progress]
                        [--resume] [--checkpoint-dir D]

Runs one chapter program, named by its book section slug (see \`d2l-ts list\`). Options override
the book's hyperparameters where the section has them.
Example: d2l-ts run softmax-regression-scratch --epochs 10 --lr 0.1 --batch-size 256
The long programs (alexnet, vgg, nin, googlenet, resnet, densenet, sentiment-analysis-cnn) print
their estimated time and a shorter command first, save a checkpoint after each epoch to
--checkpoint-dir D (default <out-dir>/checkpoint, i.e. ./out/<slug>/checkpoint), and --resume
continues after the last complete epoch, with the same settings (--batch-size, --lr, --resize,
--limit; --epochs may differ):
  d2l-ts run resnet --epochs 5     (stopped during epoch 3)
  d2l-ts run resnet --epochs 5 --resume     (prints: resuming at epoch 3 of 5 ...)
Across processes (Open MPI; only rank 0 prints and writes files; as root add
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1):
  mpirun -np 2 --bind-to none --oversubscribe npx d2l-ts run mlp-gluon --kvstore dist_sync`;

export const BUILD_NATIVE_USAGE = `Usage: d2l-ts build-native [--strict]

Builds the optional native addons of this d2l-ts package (its install script's job): the OpenBLAS
GEMM addon and the Open MPI addon of kv.create('dist_sync'), each when its library and a C compiler
are present. Run it once after \`npm install d2l-ts\` in a project: npm 11 runs a dependency's install
script only when approved (\`npm install-scripts approve d2l-ts\` does that for later installs).
Without the addons d2l-ts runs its portable Wasm kernels. Each addon prints one line: built, or
why not. --strict exits 1 when one was not built.`;

export const START_USAGE = `Usage: d2l-ts start [--epochs N] [--lr X] [--batch-size N] [--seed N] [--data-dir D] [--out-dir D]
                    [--ctx cpu|gpu[:N]] [--[no-]progress]

Trains the book's concise MLP (3.10: Dense(256, relu), Dense(10), sgd lr 0.5, batch 256, 5 epochs)
on Fashion-MNIST, prints the book's epoch lines, and writes to the output directory (default ./out):
  training-curves.png   loss and train/test accuracy per epoch
  predictions.png       test images with true and predicted labels
  mlp.safetensors       the trained parameters
If Fashion-MNIST is missing it says how to get it and exits with code 3.`;

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v)))
    throw new UsageError(`--${name} must be a positive integer, got '${v}'`);
  return Number(v);
}

function positiveNumber(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got '${v}'`);
  return n;
}

function seedValue(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || n > 0xffffffff) throw new UsageError(`--seed must be an integer from 0 to 4294967295, got '${v}'`);
  return n;
}

function ctxValue(v: string | undefined): RunFlags['ctx'] {
  if (v === undefined) return undefined;
  const m = /^(cpu|gpu)(?:[:(](\d+)\)?)?$/.exec(v.trim());
  if (!m) throw new UsageError(`--ctx must be cpu or gpu (optionally gpu:N), got '${v}'`);
  return { deviceType: m[1] as 'cpu' | 'gpu', deviceId: m[2] ? Number(m[2]) : 0 };
}

function kvstoreValue(v: string | undefined): KVStoreFlag | undefined {
  if (v === undefined) return undefined;
  if (!(KVSTORE_FLAGS as readonly string[]).includes(v))
    throw new UsageError(`--kvstore must be one of ${KVSTORE_FLAGS.join(', ')}, got '${v}'`);
  return v as KVStoreFlag;
}

function nonEmpty(name: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (v.trim() === '') throw new UsageError(`--${name} needs a directory, got an empty string`);
  return v;
}

/**
 * Parses `argv` (without `node` and the script) into a validated command.
 *
 * @example
 * parseCommandLine(['run', 'mlp-gluon', '--epochs', '2']);
 * // { command: 'run', slug: 'mlp-gluon', flags: { epochs: 2 } }
 */
export function parseCommandLine(argv: readonly string[]): Command {
  if (argv.length === 0) return { command: 'help' };
  const [cmd, ...rest] = argv;
  if (cmd === '-h' || cmd === '--help') return { command: 'help' };
  if (cmd === '--version' || cmd === '-v') return { command: 'version' };
  if (cmd === 'help') return rest[0] ? { command: 'help', topic: rest[0] } : { command: 'help' };
  if (cmd === 'list') {
    if (rest.includes('-h') || rest.includes('--help')) return { command: 'help', topic: 'list' };
    if (rest.length) throw new UsageError(`list takes no arguments, got '${rest.join(' ')}'`);
    return { command: 'list' };
  }
  if (cmd === 'build-native') {
    if (rest.includes('-h') || rest.includes('--help')) return { command: 'help', topic: 'build-native' };
    const unknown = rest.filter((a) => a !== '--strict');
    if (unknown.length) throw new UsageError(`build-native takes only --strict, got '${unknown.join(' ')}'`);
    return { command: 'build-native', strict: rest.includes('--strict') };
  }
  if (cmd !== 'run' && cmd !== 'start')
    throw new UsageError(cmd.startsWith('-') ? `unknown option '${cmd}' (expected a command first)` : `unknown command '${cmd}'`);

  // `--lr -1` would be read as a missing value followed by an option; join negative numbers to
  // their option so the validation below can say what is wrong with them.
  const args: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const name = a.startsWith('--') ? a.slice(2) : '';
    const next = rest[i + 1];
    if (
      name in RUN_OPTIONS &&
      RUN_OPTIONS[name as keyof typeof RUN_OPTIONS].type === 'string' &&
      next !== undefined &&
      /^-[\d.]/.test(next)
    ) {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options: RUN_OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = e instanceof Error ? e.message.replace(/\. To specify a positional argument.*$/s, '') : String(e);
    throw new UsageError(msg.replace(/^Unknown option '([^']+)'/, "unknown option '$1'"));
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help', topic: cmd };
  if (values.progress && values['no-progress']) throw new UsageError('--progress and --no-progress contradict each other');
  const flags: RunFlags = {};
  const set = <K extends keyof RunFlags>(k: K, v: RunFlags[K] | undefined) => {
    if (v !== undefined) flags[k] = v;
  };
  set('epochs', positiveInt('epochs', values.epochs));
  set('lr', positiveNumber('lr', values.lr));
  set('batchSize', positiveInt('batch-size', values['batch-size']));
  set('seed', seedValue(values.seed));
  set('limit', positiveInt('limit', values.limit));
  set('resize', positiveInt('resize', values.resize));
  set('dataDir', nonEmpty('data-dir', values['data-dir']));
  set('outDir', nonEmpty('out-dir', values['out-dir']));
  set('ctx', ctxValue(values.ctx));
  set('kvstore', kvstoreValue(values.kvstore));
  set('checkpointDir', nonEmpty('checkpoint-dir', values['checkpoint-dir']));
  if (values.resume) flags.resume = true;
  if (values.progress) flags.progress = true;
  if (values['no-progress']) flags.progress = false;

  if (cmd === 'start') {
    if (positionals.length) throw new UsageError(`start takes no positional arguments, got '${positionals.join(' ')}'`);
    if (flags.kvstore) throw new UsageError('--kvstore is an option of run (e.g. d2l-ts run mlp-gluon --kvstore dist_sync), not of start');
    if (flags.resume || flags.checkpointDir)
      throw new UsageError(
        `${flags.resume ? '--resume' : '--checkpoint-dir'} is an option of run for the long CNN programs (e.g. d2l-ts run resnet --resume), not of start`,
      );
    return { command: 'start', flags };
  }
  if (positionals.length === 0)
    throw new UsageError('run needs a chapter slug, e.g. `d2l-ts run linear-regression-scratch` (see `d2l-ts list`)');
  if (positionals.length > 1) throw new UsageError(`run takes one chapter slug, got '${positionals.join(' ')}'`);
  return { command: 'run', slug: positionals[0], flags };
}
