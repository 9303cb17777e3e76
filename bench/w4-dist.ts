/**
 * W4 across processes (issue 15): the W4 MLP (784-256-10, sgd lr 0.5, a step of 256 examples)
 * trained through gluon.Trainer with kv.create('dist_sync'), 1 process of 1 thread against 2
 * processes of 1 thread each (`mpirun -np 2 --bind-to none`), and the allreduce's bandwidth.
 *
 *   npm run bench -- w4_dist                        # through bench/run.ts
 *   node dist/bench/w4-dist.js [--pairs=3] [--epochs=1] [--limit=N] [--scaling=strong|weak]
 *
 * Scaling efficiency = (examples/s with 2 processes) / (2 x examples/s with 1), from `--pairs`
 * alternating (1-process, 2-process) runs, so a change in the machine's load hits both sides
 * alike; the median over the pairs is reported. Each round also runs two 1-process jobs at once with
 * no MPI between them (`independent_ceiling`): the most two processes can get out of this machine. `strong` (default): the 256 examples of a step
 * are split over the processes (128 each), as `d2l-ts run mlp-gluon --kvstore dist_sync` does;
 * `weak`: every process takes 256 a step. Examples/s counts every process' examples over rank 0's
 * timed loop (from a barrier after loading to the end of the last epoch; test accuracy not
 * timed). The allreduce case sums 1M float32 (4 MB, the order of W4's 0.8 MB gradients x 5) in
 * place, 20 times after 3 untimed, and reports the algorithmic bandwidth (bytes / time).
 *
 * Roles: without --role this is the coordinator (spawns the runs, prints RESULT lines); the
 * runs themselves are `--role=train` and `--role=allreduce`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { autograd, gluon, init, kv, nd } from '../src/index.js';
import { loadFashionMnist } from './w3-w4-classifier.js';
import { baseRecord, emit, median, mulberry32, parseArgs, permutation, runIfMain, workloads } from './w3-w5-harness.js';

const MPI_ENV = { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', D2L_CPU_THREADS: '1' };

/** One training run (either side of a pair): prints `TRAIN {json}` on rank 0. */
function train(args: ReturnType<typeof parseArgs>): void {
  const cfg = workloads().w4_mlp;
  const store = kv.create('dist_sync');
  const weak = args.scaling === 'weak';
  const epochs = typeof args.epochs === 'string' ? Number(args.epochs) : 1;
  const bs = weak ? cfg.batch_size : cfg.batch_size / store.numWorkers;
  const d = loadFashionMnist(workloads().fashion_mnist_dir);
  const nTrain = typeof args.limit === 'string' ? Math.min(Number(args.limit), d.nTrain) : d.nTrain;
  // This rank's part (SplitSampler's: equal contiguous parts, the remainder dropped).
  const part = Math.floor(nTrain / store.numWorkers);
  const first = part * store.rank;
  nd.random.seed(0);
  const net = new gluon.nn.Sequential();
  net.add(
    new gluon.nn.Dense(cfg.num_hiddens, { activation: 'relu', inUnits: cfg.num_inputs }),
    new gluon.nn.Dense(cfg.num_outputs, { inUnits: cfg.num_hiddens }),
  );
  net.initialize(new init.Normal(cfg.init_std));
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: cfg.lr }, store);
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const rng = mulberry32(42 + store.rank);
  store.barrier();
  const t0 = performance.now();
  let examples = 0;
  for (let e = 0; e < epochs; e++) {
    const perm = permutation(part, rng);
    for (let start = 0; start + bs <= part; start += bs) {
      nd.tidy(() => {
        const idx = nd.array(
          Array.from(perm.subarray(start, start + bs), (i) => i + first),
          { dtype: 'int32' },
        );
        const X = d.trainX.take(idx);
        const y = d.trainY.take(idx);
        const l = autograd.record(() => loss.forward(net.forward(X), y));
        l.backward();
        trainer.step(bs);
      });
      examples += bs;
    }
  }
  store.barrier();
  const sec = (performance.now() - t0) / 1e3;
  if (store.rank === 0) {
    const acc = nd.tidy(() => net.forward(d.testX).argmax({ axis: 1 }).equal(d.testY).mean().asScalar());
    console.log('TRAIN ' + JSON.stringify({ workers: store.numWorkers, sec, examples: examples * store.numWorkers, test_acc: acc }));
  }
}

/** Allreduce bandwidth on the CPU heap, in place; prints `ALLREDUCE {json}` on rank 0. */
function allreduce(): void {
  const store = kv.create('dist_sync');
  const n = 1 << 20;
  const a = nd.ones([n]);
  store.init('a', a);
  const timed: number[] = [];
  for (let i = 0; i < 23; i++) {
    const t = performance.now();
    store.pushpull('a', a);
    if (i >= 3) timed.push(performance.now() - t);
  }
  const ms = median(timed);
  if (store.rank === 0) console.log('ALLREDUCE ' + JSON.stringify({ floats: n, ms, gb_per_s: (4 * n) / (ms / 1e3) / 1e9 }));
}

function spawnRun(np: number, extra: string[]): Record<string, number> {
  const self = fileURLToPath(import.meta.url);
  const cmd = np === 1 ? process.execPath : 'mpirun';
  const argv = np === 1 ? [self, ...extra] : ['-np', String(np), '--bind-to', 'none', '--oversubscribe', process.execPath, self, ...extra];
  const r = spawnSync(cmd, argv, { env: { ...process.env, ...MPI_ENV }, encoding: 'utf8', maxBuffer: 16 << 20 });
  const line = (r.stdout ?? '').split('\n').find((l) => /^(TRAIN|ALLREDUCE) /.test(l));
  if (r.status !== 0 || !line) throw new Error(`w4_dist: ${cmd} ${argv.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return JSON.parse(line.slice(line.indexOf(' ') + 1)) as Record<string, number>;
}

/**
 * The machine's own ceiling for two processes: two 1-process runs at the same time, with no MPI
 * between them. Their examples/s over 2 x one alone is the best any 2-process job can do here
 * (the cores share caches and memory bandwidth, and each Node process has GC and compiler threads).
 */
async function spawnConcurrent(extra: string[]): Promise<number> {
  const self = fileURLToPath(import.meta.url);
  const one = (): Promise<Record<string, number>> =>
    new Promise((done, fail) => {
      const child = spawn(process.execPath, [self, ...extra], { env: { ...process.env, ...MPI_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.on('close', (code) => {
        const line = out.split('\n').find((l) => l.startsWith('TRAIN '));
        if (code !== 0 || !line) fail(new Error(`w4_dist: concurrent run failed (${code}):\n${err}`));
        else done(JSON.parse(line.slice(6)) as Record<string, number>);
      });
    });
  const [a, b] = await Promise.all([one(), one()]);
  return (a.examples + b.examples) / Math.max(a.sec, b.sec);
}

async function coordinate(args: ReturnType<typeof parseArgs>): Promise<void> {
  const base = baseRecord(args);
  const pairs = typeof args.pairs === 'string' ? Number(args.pairs) : 3;
  const pass = process.argv.slice(2).filter((a) => /^--(epochs|limit|scaling)=/.test(a));
  const one: number[] = [];
  const two: number[] = [];
  const eff: number[] = [];
  const ceiling: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const a = spawnRun(1, ['--role=train', ...pass]);
    const b = spawnRun(2, ['--role=train', ...pass]);
    const c = await spawnConcurrent(['--role=train', ...pass]);
    const r1 = a.examples / a.sec;
    const r2 = b.examples / b.sec;
    one.push(r1);
    two.push(r2);
    eff.push(r2 / (2 * r1));
    ceiling.push(c / (2 * r1));
    console.error(
      `w4_dist round ${p + 1}/${pairs}: 1 process ${r1.toFixed(0)} ex/s, 2 processes ${r2.toFixed(0)} ex/s, efficiency ${(100 * eff[p]).toFixed(1)}%; ` +
        `2 independent processes ${c.toFixed(0)} ex/s (${(100 * ceiling[p]).toFixed(1)}% of 2 x 1) (test acc ${a.test_acc.toFixed(3)} / ${b.test_acc.toFixed(3)})`,
    );
  }
  const scaling = args.scaling === 'weak' ? 'weak' : 'strong';
  const rec = { ...base, workload: 'w4_dist', threads_per_process: 1, scaling, pairs };
  emit({ ...rec, case: 'np1', unit: 'examples/s', value: median(one) });
  emit({ ...rec, case: 'np2', unit: 'examples/s', value: median(two) });
  emit({ ...rec, case: 'efficiency', unit: 'ratio', value: median(eff), samples: eff });
  emit({ ...rec, case: 'independent_ceiling', unit: 'ratio', value: median(ceiling), samples: ceiling });
  const ar = spawnRun(2, ['--role=allreduce']);
  emit({ ...rec, case: 'allreduce_1M_float32', unit: 'GB/s', value: ar.gb_per_s, ms: ar.ms });
}

export async function w4Dist(argv = process.argv.slice(2)): Promise<void> {
  const args = parseArgs(argv);
  if (args.role === 'train') train(args);
  else if (args.role === 'allreduce') allreduce();
  else await coordinate(args);
}

runIfMain(import.meta.url, () => w4Dist());
