#!/usr/bin/env node
// GPU checks and benchmarks of the WebGPU backend, for the NVIDIA machines (../shared/gpu/README.md).
// Plain ES module over the compiled library (no bundler, no node_modules needed): it imports only
// dist/src modules that have no third-party dependencies, and loads Dawn from D2L_DAWN_NODE when
// the `webgpu` package is absent.
//
//   node bench/gpu/bench.mjs [phase ...]      phases: info checks sgemm mlp stress all (default all)
//
// Every result is one line `RESULT {json}` (as ../shared/bench); progress lines start with `#` and are
// flushed before each step so that a crash shows where it happened.
// Environment:
//   D2L_DIST               compiled library root (default: <repo>/dist)
//   D2L_DAWN_NODE          path of dawn.node (the GPU machine: /tmp/gpu-node/dawn.node)
//   D2L_DAWN_FLAGS         Dawn flags for create(), groups separated by ';'
//                          (e.g. 'enable-dawn-features=disable_robustness;disable-dawn-features=lazy_clear_resource_on_first_use')
//   D2L_SGEMM_SIZES        comma list (default 1024,2048,4096); D2L_SGEMM_REPS timed calls per size
//   D2L_MATMUL_TILES       'auto' (default), a config name (default|large|skinnyN|skinnyM) or 'all'
//   D2L_MLP_ROWS           rows of the random MLP data set (default 60000; lavapipe binds at most 128 MiB)
//   D2L_MLP_EPOCHS         timed epochs (default 5, after one warm-up epoch)
//   D2L_SYNC_EVERY         await the GPU every N steps/calls (default 0: only where the workload reads)
//   D2L_STRESS_ITERS       matmul dispatches of the stress phase (default 400)
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join, resolve } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(process.env.D2L_DIST ?? join(here, '..', '..', 'dist'));
const load = (p) => import(pathToFileURL(join(dist, p)).href);
const nd = await load('src/ndarray/nd.js');
const autograd = await load('src/autograd/index.js');
const webgpu = await load('src/backend/webgpu/index.js');

const env = (k, d) => process.env[k] ?? d;
const log = (s) => process.stdout.write(`# ${s}\n`);
let device = 'unknown';
const emit = (r) =>
  process.stdout.write(`RESULT ${JSON.stringify({ framework: 'd2l-ts-webgpu', device, date: new Date().toISOString(), ...r })}\n`);

const phasesArg = process.argv.slice(2);
const phases = new Set(phasesArg.length === 0 || phasesArg.includes('all') ? ['info', 'checks', 'sgemm', 'mlp'] : phasesArg);
phases.add('info');

const flags = env('D2L_DAWN_FLAGS', '');
log(`node ${process.version}, dist ${dist}, dawn flags '${flags}'`);
const backend = await webgpu.initWebGpu({});
device = backend.adapterDescription;
const G = nd.gpu(0);

/** A seeded generator (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function randn(r, n, scale = 1) {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(r(), 1e-12);
    const w = r();
    const m = Math.sqrt(-2 * Math.log(u)) * scale;
    v[i] = m * Math.cos(2 * Math.PI * w);
    if (i + 1 < n) v[i + 1] = m * Math.sin(2 * Math.PI * w);
  }
  return v;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---------------------------------------------------------------- info
if (phases.has('info')) {
  const lim = backend.device.limits;
  emit({
    workload: 'info',
    adapter: device,
    maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
    maxComputeWorkgroupStorageSize: lim.maxComputeWorkgroupStorageSize,
    dawnFlags: flags,
    node: process.version,
  });
}

// ---------------------------------------------------------------- checks (GPU vs CPU reference)
async function check(name, cpuFn, gpuFn, tol) {
  const c = cpuFn();
  const g = await gpuFn();
  let worst = 0;
  for (let i = 0; i < c.length; i++) worst = Math.max(worst, Math.abs(c[i] - g[i]) / (1 + Math.abs(c[i])));
  const ok = c.length === g.length && worst <= tol;
  emit({ workload: 'check', case: name, ok, maxRelErr: worst });
  return ok;
}

if (phases.has('checks')) {
  log('checks');
  const r = rng(1);
  let ok = true;
  for (const [m, k, n] of [
    [256, 784, 10],
    [255, 129, 257],
    [1024, 1024, 1024],
    [7, 3000, 5],
  ]) {
    const a = nd.array(randn(r, m * k), { shape: [m, k] });
    const b = nd.array(randn(r, k * n), { shape: [k, n] });
    ok =
      (await check(
        `matmul ${m}x${k}x${n}`,
        () => nd.dot(a, b).dataSync(),
        () => nd.dot(a.copyto(G), b.copyto(G)).data(),
        1e-4 * Math.sqrt(k),
      )) && ok;
    ok =
      (await check(
        `matmul^T ${m}x${k}x${n}`,
        () => nd.dot(b.T, a.T).dataSync(),
        async () => {
          const ag = a.copyto(G),
            bg = b.copyto(G);
          return nd.dot(bg.T, ag.T).data();
        },
        1e-4 * Math.sqrt(k),
      )) && ok;
  }
  const x = nd.array(randn(r, 4096 * 33), { shape: [4096, 33] });
  ok =
    (await check(
      'softmax rows',
      () => nd.softmax(x).dataSync(),
      () => nd.softmax(x.copyto(G)).data(),
      1e-5,
    )) && ok;
  ok =
    (await check(
      'sum axis 0',
      () => x.sum({ axis: 0 }).dataSync(),
      () => x.copyto(G).sum({ axis: 0 }).data(),
      1e-4,
    )) && ok;
  ok =
    (await check(
      'argmax axis 1',
      () => x.argmax({ axis: 1 }).dataSync(),
      () => x.copyto(G).argmax({ axis: 1 }).data(),
      0,
    )) && ok;
  ok =
    (await check(
      'exp*2+x',
      () => x.exp().mul(2).add(x).dataSync(),
      () => {
        const g = x.copyto(G);
        return g.exp().mul(2).add(g).data();
      },
      1e-5,
    )) && ok;
  emit({ workload: 'check', case: 'all', ok });
}

// ---------------------------------------------------------------- sgemm
if (phases.has('sgemm')) {
  const sizes = env('D2L_SGEMM_SIZES', '1024,2048,4096').split(',').map(Number);
  const tilesEnv = env('D2L_MATMUL_TILES', 'auto');
  const tileSets = tilesEnv === 'all' ? ['auto', ...Object.keys(webgpu.MATMUL_CONFIGS)] : [tilesEnv];
  const syncEvery = Number(env('D2L_SYNC_EVERY', '0'));
  for (const n of sizes) {
    const r = rng(n);
    const A = nd.array(randn(r, n * n), { shape: [n, n], ctx: G });
    const B = nd.array(randn(r, n * n), { shape: [n, n], ctx: G });
    const hostA = await A.data();
    const hostB = await B.data();
    for (const tiles of tileSets) {
      backend.setMatmulConfig(tiles === 'auto' ? undefined : webgpu.MATMUL_CONFIGS[tiles]);
      log(`sgemm n=${n} tiles=${tiles}: warm-up`);
      for (let i = 0; i < 2; i++) nd.dot(A, B).dispose();
      await backend.sync();
      // Spot-check 16 entries against float64 dot products on the host.
      const C = nd.dot(A, B);
      const c = await C.data();
      C.dispose();
      let worst = 0;
      for (let s = 0; s < 16; s++) {
        const i = Math.floor(r() * n),
          j = Math.floor(r() * n);
        let acc = 0;
        for (let k = 0; k < n; k++) acc += hostA[i * n + k] * hostB[k * n + j];
        worst = Math.max(worst, Math.abs(acc - c[i * n + j]) / Math.sqrt(n));
      }
      const reps = Number(env('D2L_SGEMM_REPS', '0')) || Math.min(200, Math.max(5, Math.ceil(2e12 / (2 * n ** 3))));
      log(`sgemm n=${n} tiles=${tiles}: ${reps} timed calls`);
      const times = [];
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) {
        const s = performance.now();
        nd.dot(A, B).dispose();
        if (syncEvery > 0 && (i + 1) % syncEvery === 0) await backend.sync();
        times.push(performance.now() - s);
      }
      await backend.sync();
      const total = (performance.now() - t0) / 1000;
      const gflops = (2 * n ** 3 * reps) / total / 1e9;
      emit({
        workload: 'w1_sgemm',
        case: `n=${n}`,
        tiles,
        metric: 'gflops',
        unit: 'GFLOP/s',
        value: gflops,
        reps,
        seconds: total,
        spotCheckErr: worst,
        ok: worst < 1e-4,
      });
    }
    backend.setMatmulConfig(undefined);
    A.dispose();
    B.dispose();
  }
}

// ---------------------------------------------------------------- MLP epoch (W4 shapes, data on the GPU)
if (phases.has('mlp')) {
  const rows = Number(env('D2L_MLP_ROWS', '60000'));
  const epochs = Number(env('D2L_MLP_EPOCHS', '5'));
  const syncEvery = Number(env('D2L_SYNC_EVERY', '0'));
  const batch = 256;
  const lr = 0.5;
  const r = rng(4);
  log(`mlp: ${rows} x 784 random data to the GPU`);
  const xs = new Float32Array(rows * 784);
  for (let i = 0; i < xs.length; i++) xs[i] = r();
  const ys = new Int32Array(rows);
  for (let i = 0; i < rows; i++) ys[i] = Math.floor(r() * 10);
  const X = nd.array(xs, { shape: [rows, 784], ctx: G });
  const Y = nd.array(ys, { ctx: G });
  const params = [
    nd.array(randn(r, 784 * 256, 0.01), { shape: [784, 256], ctx: G }),
    nd.zeros([256], { ctx: G }),
    nd.array(randn(r, 256 * 10, 0.01), { shape: [256, 10], ctx: G }),
    nd.zeros([10], { ctx: G }),
  ];
  for (const p of params) p.attachGrad();
  const [W1, b1, W2, b2] = params;
  async function epoch() {
    // A fresh permutation per epoch (host Fisher-Yates, 240 KB upload).
    const perm = new Int32Array(rows);
    for (let i = 0; i < rows; i++) perm[i] = i;
    for (let i = rows - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    const P = nd.array(perm, { ctx: G });
    const tot = nd.zeros([], { ctx: G });
    const cor = nd.zeros([], { ctx: G });
    let step = 0;
    for (let i = 0; i < rows; i += batch) {
      const m = Math.min(batch, rows - i);
      nd.tidy(() => {
        const idx = P.get(`${i}:${i + m}`);
        const Xb = nd.take(X, idx);
        const yb = nd.take(Y, idx);
        let O;
        const l = autograd.record(() => {
          const H = nd.relu(nd.dot(Xb, W1).add(b1));
          O = nd.dot(H, W2).add(b2);
          return nd.pick(nd.logSoftmax(O), yb).neg().mean();
        });
        l.backward();
        for (const p of params) p.isub(p.grad.mul(lr));
        tot.iadd(l.mul(m));
        cor.iadd(O.argmax({ axis: 1 }).equal(yb.astype('float32')).sum());
      });
      step++;
      if (syncEvery > 0 && step % syncEvery === 0) await backend.sync();
    }
    const [lt, ct] = [(await tot.data())[0], (await cor.data())[0]];
    for (const a of [P, tot, cor]) a.dispose();
    return { loss: lt / rows, acc: ct / rows };
  }
  log('mlp: warm-up epoch');
  let m = await epoch();
  log(`mlp warm-up: loss ${m.loss.toFixed(4)} acc ${m.acc.toFixed(4)}`);
  const times = [];
  for (let e = 0; e < epochs; e++) {
    const t0 = performance.now();
    m = await epoch();
    await backend.sync();
    times.push((performance.now() - t0) / 1000);
    log(`mlp epoch ${e + 1}: ${times[e].toFixed(3)} s, loss ${m.loss.toFixed(4)}, acc ${m.acc.toFixed(4)}`);
  }
  emit({
    workload: 'w4_mlp',
    case: 'train',
    metric: 'sec_per_epoch',
    unit: 's',
    value: median(times),
    times,
    rows,
    batch,
    finalLoss: m.loss,
    finalAcc: m.acc,
    lossFinite: Number.isFinite(m.loss),
    stats: backend.stats,
  });
}

// ---------------------------------------------------------------- stress (the driver-abort hunt)
if (phases.has('stress')) {
  const iters = Number(env('D2L_STRESS_ITERS', '400'));
  const n = Number(env('D2L_STRESS_N', '2048'));
  const syncEvery = Number(env('D2L_SYNC_EVERY', '0'));
  const r = rng(7);
  const A = nd.array(randn(r, n * n), { shape: [n, n], ctx: G });
  const B = nd.array(randn(r, n * n), { shape: [n, n], ctx: G });
  log(`stress: ${iters} matmuls n=${n}, host garbage between batches, sync every ${syncEvery || 'read'}`);
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) {
    const C = nd.dot(A, B);
    if (i % 25 === 24) {
      // Host work and ArrayBuffer churn between dispatches, as the probe that crashed did.
      const junk = [];
      for (let j = 0; j < 20; j++) junk.push(new Float32Array(1 << 20).fill(j));
      const v = await C.data();
      log(`stress ${i + 1}/${iters}: c[0] ${v[0].toFixed(3)} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    C.dispose();
    if (syncEvery > 0 && (i + 1) % syncEvery === 0) await backend.sync();
  }
  await backend.sync();
  emit({ workload: 'stress', case: `matmul n=${n} x${iters}`, ok: true, seconds: (performance.now() - t0) / 1000 });
}

await webgpu.destroyWebGpu();
log('done');
