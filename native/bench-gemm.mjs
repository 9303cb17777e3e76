#!/usr/bin/env node
// GEMM paths side by side (docs/PERF-blas.md): W1-like sgemm GFLOP/s per CPU path, the small-size
// crossover between the Wasm and BLAS paths, and a W4-like training step that mixes GEMMs with
// elementwise kernels on the worker pool (where thread oversubscription would show).
//
//   npm run build && node native/bench-gemm.mjs [--dist DIR] [w1|small|mlp ...]
//
// Every configuration runs in its own process (the CPU path is chosen by D2L_CPU_KERNELS at start,
// OpenBLAS' variant by LD_LIBRARY_PATH), one after another; each prints the median of 3 processes.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const argv = process.argv.slice(2);
const distIdx = argv.indexOf('--dist');
const dist = distIdx >= 0 ? argv.splice(distIdx, 2)[1] : join(root, 'dist');
const addon = join(root, 'build', 'Release', 'd2l_blas.node');

// ------------------------------------------------------------------ child: one measurement
if (process.env.BENCH_CHILD) {
  const { nd, autograd } = await import(join(dist, 'src', 'index.js'));
  const { getCpuBackend } = await import(join(dist, 'src', 'ndarray', 'context.js'));
  const { blasInfo } = await import(join(dist, 'src', 'backend', 'cpu', 'blas', 'index.js'));
  const be = getCpuBackend();
  be.startThreads?.();
  const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  const timeIt = (fn, { warmup = 2, reps = 5, minS = 1 } = {}) => {
    for (let i = 0; i < warmup; i++) fn();
    const s = [];
    const t0 = performance.now();
    while (s.length < reps || performance.now() - t0 < minS * 1e3) {
      const t = performance.now();
      fn();
      s.push(performance.now() - t);
      if (s.length >= 2000) break;
    }
    best = Math.min(...s);
    return median(s);
  };
  let best = 0; // the fastest sample of the last timeIt: what an uncontended machine would give
  const gemm = be.kernelInfo().gemm;
  const out = { gemm, blas: gemm === 'blas' ? blasInfo().parallel : null };
  const task = process.env.BENCH_CHILD;
  if (task === 'w1') {
    for (const n of process.env.BENCH_SIZES.split(',').map(Number)) {
      const A = nd.random.normal(0, 1, [n, n]);
      const B = nd.random.normal(0, 1, [n, n]);
      const ms = timeIt(() => nd.dot(A, B).dispose(), n >= 1024 && out.gemm === 'ts' ? { warmup: 0, reps: 1, minS: 0 } : {});
      out[`n=${n}`] = (2 * n ** 3) / (ms / 1e3) / 1e9;
      out[`best n=${n}`] = (2 * n ** 3) / (best / 1e3) / 1e9;
      A.dispose();
      B.dispose();
    }
  } else if (task === 'small') {
    // per-call microseconds for square products (and a batch of 64) of small sizes
    for (const n of [8, 16, 32, 48, 64, 96, 128]) {
      const A = nd.random.normal(0, 1, [n, n]);
      const B = nd.random.normal(0, 1, [n, n]);
      out[`n=${n}`] = timeIt(() => nd.dot(A, B).dispose(), { warmup: 20, reps: 200, minS: 0.3 }) * 1e3;
      const Ab = nd.random.normal(0, 1, [64, n, n]);
      const Bb = nd.random.normal(0, 1, [64, n, n]);
      out[`b64 n=${n}`] = timeIt(() => nd.batchDot(Ab, Bb).dispose(), { warmup: 5, reps: 50, minS: 0.3 }) * 1e3;
      for (const a of [A, B, Ab, Bb]) a.dispose();
    }
  } else if (task === 'shapes') {
    // The products of W4 (MLP 784-256-10, batch 256) and W5 (RNN, batch 32, hidden 256, vocab
    // 1027), alone and each followed by a pooled elementwise kernel (tanh over 256x256), as in training.
    const shapes = [
      [256, 784, 256],
      [784, 256, 256],
      [256, 256, 10],
      [32, 1027, 256],
      [32, 256, 256],
      [32, 256, 1027],
      [128, 128, 128],
      [192, 192, 192],
    ];
    const E = nd.random.normal(0, 1, [256, 256]);
    for (const [m, k, n] of shapes) {
      const A = nd.random.normal(0, 1, [m, k]);
      const B = nd.random.normal(0, 1, [k, n]);
      out[`${m}x${k}x${n}`] = timeIt(() => nd.dot(A, B).dispose(), { warmup: 10, reps: 100, minS: 0.4 }) * 1e3;
      out[`best ${m}x${k}x${n}`] = best * 1e3;
      out[`+ew ${m}x${k}x${n}`] =
        timeIt(
          () => {
            nd.dot(A, B).dispose();
            nd.tanh(E).dispose();
          },
          { warmup: 10, reps: 100, minS: 0.4 },
        ) * 1e3;
      out[`best +ew ${m}x${k}x${n}`] = best * 1e3;
      A.dispose();
      B.dispose();
    }
    out['ew alone'] = timeIt(() => nd.tanh(E).dispose(), { warmup: 10, reps: 100, minS: 0.4 }) * 1e3;
  } else if (task === 'mlp') {
    // W4-like step on random data: 256x784 -> 256 (relu) -> 10, softmax CE, backward, SGD.
    const X = nd.random.normal(0, 1, [256, 784]);
    const y = nd.random.randint(0, 10, [256]);
    const ps = [nd.random.normal(0, 0.01, [784, 256]), nd.zeros([256]), nd.random.normal(0, 0.01, [256, 10]), nd.zeros([10])];
    for (const p of ps) p.attachGrad();
    const Y = nd.oneHot ? nd.oneHot(y, 10) : null;
    const step = () => {
      const l = autograd.record(() => {
        const H = nd.relu(nd.dot(X, ps[0]).add(ps[1]));
        const o = nd.dot(H, ps[2]).add(ps[3]);
        const ls = nd.logSoftmax(o, { axis: 1 });
        return (Y ? ls.mul(Y) : ls).sum().mul(-1 / 256);
      });
      l.backward();
      nd.tidy(() => {
        for (const p of ps) p.set(':', p.sub(p.grad.mul(0.5)));
      });
      l.dispose();
    };
    out.step_ms = timeIt(step, { warmup: 5, reps: 50, minS: 2 });
    out['best step_ms'] = best;
  }
  console.log(`BENCH ${JSON.stringify(out)}`);
  process.exit(0);
}

// ------------------------------------------------------------------ driver
const tasks = argv.length ? argv : ['w1', 'shapes', 'mlp'];
const OMP = '/usr/lib/x86_64-linux-gnu/openblas-openmp';
const PTH = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
// name -> environment. The library variant is picked with LD_LIBRARY_PATH (it overrides the
// addon's run path); GOMP_SPINCOUNT / OPENBLAS_THREAD_TIMEOUT set how long idle OpenBLAS threads
// spin; D2L_BLAS_MT_MIN the product size (m*n*k) from which OpenBLAS gets more than one thread.
const B = (lib, extra) => ({ D2L_CPU_KERNELS: 'blas', LD_LIBRARY_PATH: lib === 'omp' ? OMP : PTH, ...extra });
const configs = [
  { name: 'ts', env: { D2L_CPU_KERNELS: 'ts' } },
  // PyTorch as ../shared/bench runs it (W1 only; needs python3-torch and libopenblas0-openmp).
  { name: 'torch', env: { LD_LIBRARY_PATH: OMP }, torch: true },
  { name: 'wasm', env: { D2L_CPU_KERNELS: 'wasm' } },
  { name: 'auto', env: { D2L_CPU_KERNELS: 'auto' } },
  { name: 'omp spin300k mt-any', env: B('omp', { GOMP_SPINCOUNT: '300000', D2L_BLAS_MT_MIN: '1' }) },
  { name: 'omp spin10k mt-any', env: B('omp', { GOMP_SPINCOUNT: '10000', D2L_BLAS_MT_MIN: '1' }) },
  { name: 'omp spin300k mt192', env: B('omp', { GOMP_SPINCOUNT: '300000', D2L_BLAS_MT_MIN: String(192 ** 3) }) },
  { name: 'omp spin30k mt192', env: B('omp', { GOMP_SPINCOUNT: '30000', D2L_BLAS_MT_MIN: String(192 ** 3) }) },
  { name: 'omp spin10k mt192', env: B('omp', { GOMP_SPINCOUNT: '10000', D2L_BLAS_MT_MIN: String(192 ** 3) }) },
  { name: 'omp 1 thread', env: B('omp', { BENCH_BLAS_THREADS: '1' }) },
  { name: 'pth timeout28 mt-any', env: B('pth', { OPENBLAS_THREAD_TIMEOUT: '28', D2L_BLAS_MT_MIN: '1' }) },
  { name: 'pth timeout28 mt192', env: B('pth', { OPENBLAS_THREAD_TIMEOUT: '28', D2L_BLAS_MT_MIN: String(192 ** 3) }) },
  { name: 'pth policy', env: B('pth', {}) },
];
const sel = process.env.BENCH_CONFIGS?.split(',');
const runs = Number(process.env.BENCH_RUNS ?? 3);
for (const task of tasks) {
  console.log(`\n## ${task} (median of ${runs} processes per configuration, run in interleaved rounds)`);
  const torchDir = join(root, '..', 'shared', 'bench');
  const active = configs.filter(
    (c) =>
      (!sel || sel.some((s) => c.name.startsWith(s))) &&
      !(c.env.D2L_CPU_KERNELS === 'blas' && !existsSync(addon)) &&
      !((c.name === 'ts' || c.torch) && task !== 'w1') &&
      !(c.torch && !existsSync(join(torchDir, 'torch_bench.py'))),
  );
  const results = new Map(active.map((c) => [c, []]));
  // Rounds outermost, so that load from other processes on the machine spreads over all configurations.
  for (let r = 0; r < runs; r++) {
    for (const c of active) {
      const env = {
        ...process.env,
        ...c.env,
        BENCH_CHILD: task,
        BENCH_SIZES: c.name === 'ts' ? '128,512' : '128,512,1024,2048',
        D2L_BLAS_ADDON: addon,
      };
      if (c.env.BENCH_BLAS_THREADS) env.D2L_CPU_THREADS = c.env.BENCH_BLAS_THREADS;
      if (c.torch) {
        const p = spawnSync('/usr/bin/python3', [join(torchDir, 'torch_bench.py'), 'w1_sgemm'], {
          env: { ...process.env, ...c.env, PYTHONDONTWRITEBYTECODE: '1' },
          cwd: torchDir,
          encoding: 'utf8',
        });
        const res = { gemm: 'torch' };
        for (const l of p.stdout.split('\n').filter((x) => x.startsWith('RESULT '))) {
          const j = JSON.parse(l.slice(7));
          res[j.case] = j.value;
        }
        if (Object.keys(res).length > 1) results.get(c).push(res);
        else console.log(`torch: failed: ${p.stderr.slice(-400)}`);
        continue;
      }
      const p = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--dist', dist], { env, encoding: 'utf8' });
      const line = p.stdout.split('\n').find((l) => l.startsWith('BENCH '));
      if (line) results.get(c).push(JSON.parse(line.slice(6)));
      else console.log(`${c.name}: failed: ${p.stderr.slice(-400)}`);
    }
  }
  for (const c of active) {
    const res = results.get(c);
    if (!res.length) continue;
    const keys = Object.keys(res[0]).filter((k) => typeof res[0][k] === 'number');
    const med = keys.map((k) => {
      const v = res.map((x) => x[k]).sort((a, b) => a - b);
      // Medians over processes; for the fastest samples ('best'), the best over processes.
      const agg = !k.startsWith('best ') ? v[v.length >> 1] : task === 'w1' ? v[v.length - 1] : v[0];
      return `${k} ${agg.toFixed(task === 'w1' ? 1 : 1)}`;
    });
    console.log(`${c.name.padEnd(32)} [gemm=${res[0].gemm}${res[0].blas ? `/${res[0].blas}` : ''}] ${med.join(' | ')}`);
  }
}
