/**
 * Shared pieces of the W3-W5 workloads (and word2vec): the parameters from
 * ../shared/bench/workloads.json, the shared harness's conventions (RESULT lines, peak RSS,
 * timing, seeded RNG, permutation), the peer label and the kernel path in use.
 *
 * The conventions mirror ../shared/bench/lib/harness.mjs exactly, so our lines sit in the same
 * table as the peers': `RESULT {json}` with `rss_peak_mb` = getrusage max RSS in MB.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nd } from '../src/index.js';

/** The repository root: the nearest folder above this file holding the d2l-ts package.json. */
export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(d, 'package.json');
    if (existsSync(p) && (JSON.parse(readFileSync(p, 'utf8')) as { name?: string }).name === 'd2l-ts') return d;
    const up = dirname(d);
    if (up === d) throw new Error('bench: cannot find the d2l-ts repository root above ' + fileURLToPath(import.meta.url));
    d = up;
  }
}

/** The shared peer-bench folder: $D2L_BENCH_SHARED, else <repo>/../shared/bench. */
export function sharedBenchDir(): string {
  const env = process.env.D2L_BENCH_SHARED;
  if (env) return resolve(env);
  return resolve(repoRoot(), '..', 'shared', 'bench');
}

export interface W3Config {
  epochs: number;
  batch_size: number;
  lr: number;
  init_std: number;
  num_inputs: number;
  num_outputs: number;
}
export interface W4Config extends W3Config {
  num_hiddens: number;
}
export interface W5Config {
  vocab_size: number;
  num_hiddens: number;
  num_steps: number;
  batch_size: number;
  lr: number;
  clip_theta: number;
  init_std: number;
  warmup_steps: number;
  min_steps: number;
  min_time_s: number;
  data_batches: number;
}
export interface Workloads {
  fashion_mnist_dir: string;
  w3_softmax_regression: W3Config;
  w4_mlp: W4Config;
  w5_rnn: W5Config;
}

let cachedWorkloads: Workloads | undefined;
/**
 * The parameters: ../shared/bench/workloads.json (the source of truth, shared with the peers'
 * scripts) when that folder exists, else the copy bench/workloads.json.
 */
export function workloads(): Workloads {
  if (cachedWorkloads) return cachedWorkloads;
  const shared = join(sharedBenchDir(), 'workloads.json');
  const p = existsSync(shared) ? shared : join(repoRoot(), 'bench', 'workloads.json');
  cachedWorkloads = JSON.parse(readFileSync(p, 'utf8')) as Workloads;
  return cachedWorkloads;
}

export const now = (): number => performance.now();

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Peak resident set size of this process so far, in MB (getrusage max RSS, as the harness). */
export function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Command-line `--key=value` / `--flag` options and positional arguments. */
export function parseArgs(argv = process.argv.slice(2)): { _: string[]; [k: string]: string | boolean | string[] } {
  const out: { _: string[]; [k: string]: string | boolean | string[] } = { _: [] };
  for (const a of argv) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (m) out[m[1]] = m[2] ?? true;
    else out._.push(a);
  }
  return out;
}

/**
 * `--memory=none` runs a workload's loop as the book writes it, with no memory calls (no
 * `nd.tidy`, no `dispose`): the library's eviction keeps the heap flat. The default, `tidy`, wraps
 * each step in `nd.tidy` and disposes the batch indices. Returns the step wrapper and a dispose
 * that is a no-op under `none`, so both variants run the same code otherwise (issue 18's A/B).
 */
export function memoryMode(args: ReturnType<typeof parseArgs>): {
  mode: 'tidy' | 'none';
  scope: <T>(fn: () => T) => T;
  release: (a: { dispose(): void }) => void;
} {
  const mode = args.memory === undefined ? 'tidy' : args.memory;
  if (mode !== 'tidy' && mode !== 'none') throw new Error(`--memory must be 'tidy' or 'none' (got '${String(mode)}')`);
  if (mode === 'none') return { mode, scope: (fn) => fn(), release: () => {} };
  return { mode, scope: (fn) => nd.tidy(fn), release: (a) => a.dispose() };
}

/** The kernels in use, as CpuBackend reports them (mode, active path, Wasm variant, threads). */
export function kernelInfo(): Record<string, unknown> {
  const b = nd.cpu().backend as unknown as { kernelInfo?: () => Record<string, unknown> };
  return b.kernelInfo ? b.kernelInfo() : { active: 'ts' };
}

/**
 * Starts the CPU kernels' worker threads and waits for them (not timed), as the peers start
 * theirs with the process (torch.set_num_threads); they would otherwise start during the first
 * large kernel of the first timed step or epoch.
 */
export function startKernelThreads(): void {
  const b = nd.cpu().backend as unknown as { startThreads?: () => number };
  b.startThreads?.();
}

/**
 * The peer label: `--peer=` wins; else 'd2l-ts-portable' when the Wasm kernels are forced
 * (D2L_CPU_KERNELS=wasm, what runs in a browser too) and 'd2l-ts' for the best available path.
 */
export function peerLabel(args: ReturnType<typeof parseArgs>): string {
  if (typeof args.peer === 'string') return args.peer;
  return process.env.D2L_CPU_KERNELS === 'wasm' ? 'd2l-ts-portable' : 'd2l-ts';
}

/** The fields every RESULT line of ours carries. */
export function baseRecord(args: ReturnType<typeof parseArgs>): Record<string, unknown> {
  const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
  return { peer: peerLabel(args), version: `d2l-ts ${pkg.version}`, node: process.version, kernels: kernelInfo() };
}

/** Prints one `RESULT {json}` line with the peak RSS added (the shared harness's `emit`). */
export function emit(rec: Record<string, unknown>): void {
  console.log('RESULT ' + JSON.stringify({ ...rec, rss_peak_mb: +peakRssMB().toFixed(1) }));
}

/**
 * The fields every recurrent training-step RESULT shares (W5, W5-fused): the median ms/step of
 * `samples`, the rate, the samples, the last loss, the memory mode and the live array count.
 */
export function stepFields(samples: number[], lastLoss: number, memory: string): Record<string, unknown> {
  const ms = median(samples);
  return {
    metric: 'ms_per_step',
    unit: 'ms/step',
    value: ms,
    steps_per_s: 1000 / ms,
    samples_ms: samples.map((s) => +s.toFixed(3)),
    last_loss: lastLoss,
    memory,
    arrays_alive: nd.memory().arrays,
  };
}

/**
 * `warmup` untimed calls, then at least `reps` timed calls and at least `minTimeS` seconds
 * (at most `maxReps`). Returns the samples in ms.
 */
export function timeRepeated(fn: () => void, o: { warmup: number; reps: number; minTimeS: number; maxReps?: number }): number[] {
  for (let i = 0; i < o.warmup; i++) fn();
  const samples: number[] = [];
  const maxReps = o.maxReps ?? 1000;
  const t0 = now();
  while (samples.length < o.reps || ((now() - t0) / 1e3 < o.minTimeS && samples.length < maxReps)) {
    const t = now();
    fn();
    samples.push(now() - t);
  }
  return samples;
}

/** The shared harness's deterministic RNG (shuffling, token data). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Fisher-Yates permutation of 0..n-1 from `rng` (the shared harness's `permutation`). */
export function permutation(n: number, rng: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Random token ids in [0, vocab) for a [batch, steps] batch (the shared harness's `randomTokens`). */
export function randomTokens(batch: number, steps: number, vocab: number, rng: () => number): Int32Array {
  const a = new Int32Array(batch * steps);
  for (let i = 0; i < a.length; i++) a[i] = Math.floor(rng() * vocab);
  return a;
}

/** Runs `main` when this module is the process's entry point, reporting errors with exit code 1. */
export function runIfMain(metaUrl: string, main: () => void | Promise<void>): void {
  const entry = process.argv[1] ? resolve(process.argv[1]) : '';
  if (entry !== fileURLToPath(metaUrl)) return;
  Promise.resolve()
    .then(main)
    .then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e instanceof Error ? (e.stack ?? e.message) : e);
        process.exit(1);
      },
    );
}
