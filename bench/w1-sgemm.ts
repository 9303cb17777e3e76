/**
 * W1: C = A·B for square float32 A, B ~ N(0, 1), n in workloads.json's sizes
 * (../shared/bench/WORKLOADS.md). Per n: warm-up calls, then >= min_reps timed calls and
 * >= min_time_s; GFLOP/s = 2n^3 / median time. C is a new array every call (its allocation is
 * timed) and is disposed after.
 *
 *   node dist/bench/w1-sgemm.js [--sizes=128,512] [--peer=LABEL]
 *   D2L_CPU_KERNELS=wasm node dist/bench/w1-sgemm.js    # peer d2l-ts-portable
 */
import { nd } from '../src/index.js';
import { getCpuBackend } from '../src/backend/registry.js';
import { baseRecord, emit, median, parseArgs, runIfMain, timeRepeated } from './w3-w5-harness.js';
import { workloadParams } from './workload-params.js';

export function w1_sgemm(argv = process.argv.slice(2)): void {
  const args = parseArgs(argv);
  const cfg = workloadParams().params.w1_sgemm;
  const sizes = typeof args.sizes === 'string' ? args.sizes.split(',').map(Number) : cfg.sizes;
  // The worker threads start with the process, as torch.set_num_threads does (not timed).
  getCpuBackend().startThreads();
  const base = baseRecord(args);
  nd.random.seed(1);
  for (const n of sizes) {
    const A = nd.random.normal(0, 1, [n, n]);
    const B = nd.random.normal(0, 1, [n, n]);
    const samples = timeRepeated(
      () => {
        const C = nd.dot(A, B);
        C.dispose();
      },
      { warmup: cfg.min_warmup, reps: cfg.min_reps, minTimeS: cfg.min_time_s, maxReps: 200 },
    );
    const ms = median(samples);
    emit({
      ...base,
      workload: 'w1_sgemm',
      case: `n=${n}`,
      metric: 'gflops',
      unit: 'GFLOP/s',
      value: (2 * n ** 3) / (ms / 1e3) / 1e9,
      ms_median: ms,
      samples_ms: samples,
    });
    A.dispose();
    B.dispose();
  }
}

runIfMain(import.meta.url, () => w1_sgemm());
