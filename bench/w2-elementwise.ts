/**
 * W2: y = exp(x) * 2 + x on x ~ N(0, 1) of workloads.json's n float32 elements, as
 * ../shared/bench/WORKLOADS.md defines it. Three cases, each warm-up calls, then >= min_reps
 * timed calls and >= min_time_s, reporting the median ms:
 * - eager: 3 ops, each allocating its result;
 * - hybridized: the same expression as a HybridBlock after hybridize(), one generated kernel
 *   (src/compile/, docs/COMPILE.md): one read of x and one write of y;
 * - copy floor: x.copy(), one read and one write of n floats, the memory floor the hybridized
 *   case is measured against (issue 14: within 1.2x of it).
 *
 *   node dist/bench/w2-elementwise.js [--peer=LABEL] [--n=N (default: workloads.json's n)]
 */
import { nd, gluon } from '../src/index.js';
import { getCpuBackend } from '../src/backend/registry.js';
import { hybridStats } from '../src/compile/hybrid.js';
import { baseRecord, emit, median, parseArgs, runIfMain, timeRepeated } from './w3-w5-harness.js';
import { workloadParams } from './workload-params.js';

/** W2 as a HybridBlock: F is nd eagerly and the symbol namespace while hybridize() traces. */
class W2Net extends gluon.HybridBlock {
  hybridForward(F: any, x: any): any {
    return F.exp(x).mul(2).add(x);
  }
}

export function w2_elementwise(argv = process.argv.slice(2)): void {
  const args = parseArgs(argv);
  const cfg = workloadParams().params.w2_elementwise;
  const n = args.n === undefined ? cfg.n : Number(args.n);
  if (!Number.isInteger(n) || n < 1) throw new Error(`w2-elementwise: --n must be a positive integer, got ${String(args.n)}`);
  getCpuBackend().startThreads();
  const base = baseRecord(args);
  nd.random.seed(3);
  const x = nd.random.normal(0, 1, [n]);
  const opts = { warmup: cfg.min_warmup, reps: cfg.min_reps, minTimeS: cfg.min_time_s };
  const row = (c: string, samples: number[]) =>
    emit({ ...base, workload: 'w2_elementwise', case: c, metric: 'ms', unit: 'ms', value: median(samples), samples_ms: samples, n });
  // tidy frees the two temporaries, as tf.tidy does in the tfjs peer
  row(
    'eager',
    timeRepeated(() => nd.tidy(() => nd.exp(x).mul(2).add(x)).dispose(), opts),
  );
  const net = new W2Net();
  net.hybridize();
  const check = net.forward(x);
  const eager = nd.exp(x).mul(2).add(x);
  const diff = check.sub(eager).abs().max().asScalar();
  if (!(diff <= 1e-5 * (1 + eager.abs().max().asScalar())))
    throw new Error(`w2-elementwise: the hybridized result differs from the eager one by ${diff}`);
  check.dispose();
  eager.dispose();
  const fused = hybridStats(net).last!.program.fused.length;
  if (fused !== 1) throw new Error(`w2-elementwise: expected one fused kernel after hybridize(), got ${fused}`);
  row(
    'hybridized',
    timeRepeated(() => net.forward(x).dispose(), opts),
  );
  row(
    'copy floor',
    timeRepeated(() => x.copy().dispose(), opts),
  );
  x.dispose();
}

runIfMain(import.meta.url, () => w2_elementwise());
