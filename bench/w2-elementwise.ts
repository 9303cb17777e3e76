/**
 * W2: y = exp(x) * 2 + x on x ~ N(0, 1) of workloads.json's n float32 elements, eager (3 ops,
 * each allocating its result), as ../shared/bench/WORKLOADS.md defines it. Warm-up calls, then
 * >= min_reps timed calls and >= min_time_s; reports the median ms.
 *
 *   node dist/bench/w2-elementwise.js [--peer=LABEL]
 */
import { nd } from '../src/index.js';
import { getCpuBackend } from '../src/backend/registry.js';
import { baseRecord, emit, median, parseArgs, runIfMain, timeRepeated } from './w3-w5-harness.js';
import { workloadParams } from './workload-params.js';

export function w2_elementwise(argv = process.argv.slice(2)): void {
  const args = parseArgs(argv);
  const cfg = workloadParams().params.w2_elementwise;
  getCpuBackend().startThreads();
  const base = baseRecord(args);
  nd.random.seed(3);
  const x = nd.random.normal(0, 1, [cfg.n]);
  const samples = timeRepeated(
    () => {
      // tidy frees the two temporaries, as tf.tidy does in the tfjs peer
      const y = nd.tidy(() => nd.exp(x).mul(2).add(x));
      y.dispose();
    },
    { warmup: cfg.min_warmup, reps: cfg.min_reps, minTimeS: cfg.min_time_s },
  );
  emit({ ...base, workload: 'w2_elementwise', case: 'eager', metric: 'ms', unit: 'ms', value: median(samples), samples_ms: samples });
  x.dispose();
}

runIfMain(import.meta.url, () => w2_elementwise());
