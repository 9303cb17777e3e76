// Gluon on gpu(0) (WebGPU; lavapipe in CI): parameters initialised on the device, every layer and
// loss forward and backward, the Trainer with every optimizer, parameter and state files, context
// moves and clipGlobalNorm, all against the CPU reference. Parameters stay on the GPU between steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nd, autograd, gluon, init, type NDArray, type Context } from '../../src/index.js';
import { useGpu, gpuAvailable, G, assertNear } from './setup.js';

useGpu();
const { nn, loss: gloss } = gluon;
const tmp = () => mkdtempSync(join(tmpdir(), 'd2l-webgpu-gluon-'));

/** A small MLP; the same seed gives the same initial values on every device (drawn on the host). */
function mlp(ctx: Context, seed = 3): gluon.Sequential {
  nd.random.seed(seed);
  const net = new nn.Sequential();
  net.add(new nn.Dense(16, { activation: 'relu' }), new nn.Dense(5));
  net.initialize(new init.Xavier(), { ctx });
  // Deferred shapes: the first forward pass allocates (and draws) on the initialize() context.
  net.forward(nd.zeros([1, 7], { ctx })).dispose();
  return net;
}

function batch(seed: number, n = 12): [NDArray, NDArray] {
  nd.random.seed(seed);
  const X = nd.random.normal(0, 1, [n, 7]);
  const y = nd.array(
    Array.from({ length: n }, (_, i) => (i * 3 + seed) % 5),
    { dtype: 'int32' },
  );
  return [X, y];
}

async function paramValues(net: gluon.Block): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const p of net.collectParams().values()) out.push((await p.data().data()) as Float32Array);
  return out;
}

async function assertSameParams(gpuNet: gluon.Block, cpuNet: gluon.Block, tol: number, what: string): Promise<void> {
  const g = await paramValues(gpuNet);
  const c = await paramValues(cpuNet);
  assert.equal(g.length, c.length);
  g.forEach((v, i) => assertNear(v, c[i], tol, `${what}: parameter ${i}`));
}

test('Block.initialize({ ctx: gpu(0) }) puts every parameter and gradient on the GPU with the CPU values', async (t) => {
  if (!gpuAvailable(t)) return;
  const net = mlp(G());
  const ref = mlp(nd.cpu());
  const [X] = batch(1);
  const out = net.forward(X.copyto(G()));
  assertNear(await out.data(), ref.forward(X).dataSync(), 1e-5, 'forward');
  for (const p of net.collectParams().values()) {
    assert.equal(String(p.context), 'gpu(0)', p.name);
    assert.equal(String(p.grad().context), 'gpu(0)', `${p.name} grad`);
  }
  await assertSameParams(net, ref, 0, 'initial values');
});

test('every nn layer runs forward and backward on gpu(0) as on the CPU', async (t) => {
  if (!gpuAvailable(t)) return;
  const layers: [string, () => gluon.Block, number[]][] = [
    ['Dense', () => new nn.Dense(4, { activation: 'sigmoid' }), [3, 6]],
    ['Conv2D', () => new nn.Conv2D(3, 3, { padding: 1, strides: 2, activation: 'relu' }), [2, 2, 7, 7]],
    ['MaxPool2D', () => new nn.MaxPool2D(2), [2, 3, 6, 6]],
    ['AvgPool2D', () => new nn.AvgPool2D(3, { strides: 2, padding: 1 }), [2, 3, 7, 7]],
    ['GlobalAvgPool2D', () => new nn.GlobalAvgPool2D(), [2, 3, 5, 5]],
    ['BatchNorm', () => new nn.BatchNorm(), [4, 3, 2, 2]],
    ['Dropout', () => new nn.Dropout(0.5), [4, 9]],
    ['Flatten', () => new nn.Flatten(), [2, 3, 4]],
  ];
  for (const [name, make, shape] of layers) {
    const run = async (ctx: Context): Promise<[Float32Array, Float32Array, Float32Array[]]> => {
      nd.random.seed(11);
      const layer = make();
      layer.initialize(new init.Normal(0.5), { ctx });
      const x = nd.random.normal(0, 1, shape).copyto(ctx);
      x.attachGrad();
      nd.random.seed(12); // Dropout's mask: drawn on the host, the same on every device
      const y = autograd.record(() => layer.forward(x).square().sum());
      y.backward();
      const grads: Float32Array[] = [];
      for (const p of layer.collectParams().values()) if (p.gradReq !== 'null') grads.push((await p.grad().data()) as Float32Array);
      // Running statistics (BatchNorm) are updated in place during training.
      for (const p of layer.collectParams().values()) if (p.gradReq === 'null') grads.push((await p.data().data()) as Float32Array);
      return [(await y.data()) as Float32Array, (await x.grad.data()) as Float32Array, grads];
    };
    const [yc, gc, pc] = await run(nd.cpu());
    const [yg, gg, pg] = await run(G());
    assertNear(yg, yc, 1e-4, `${name} forward`);
    assertNear(gg, gc, 1e-4, `${name} input gradient`);
    pg.forEach((v, i) => assertNear(v, pc[i], 1e-4, `${name} parameter ${i}`));
  }
  // Embedding: an integer input on the GPU, the gradient scattered with repeated rows.
  const emb = async (ctx: Context) => {
    nd.random.seed(5);
    const e = new nn.Embedding(6, 3);
    e.initialize(undefined, { ctx });
    const l = autograd.record(() =>
      e
        .forward(
          nd
            .array(
              [
                [1, 4, 1],
                [0, 5, 4],
              ],
              { dtype: 'int32' },
            )
            .copyto(ctx),
        )
        .mul(nd.arange(3).copyto(ctx))
        .sum(),
    );
    l.backward();
    return e.weight.grad().data();
  };
  assertNear(await emb(G()), await emb(nd.cpu()), 1e-6, 'Embedding gradient');
});

test('every Gluon loss, forward and gradient, on gpu(0) as on the CPU', async (t) => {
  if (!gpuAvailable(t)) return;
  nd.random.seed(8);
  const pred = nd.random.normal(0, 2, [6, 4]);
  const dense = nd.random.uniform(0, 1, [6, 4]);
  const sparse = nd.array([0, 3, 1, 2, 3, 0]);
  const binary = nd.array(
    Array.from({ length: 24 }, (_, i) => ((i * 5) % 3 === 0 ? 1 : 0)),
    { shape: [6, 4] },
  );
  const w = nd.array([[1], [0.5], [2], [0], [1], [3]]);
  const cases: [string, gluon.loss.Loss, NDArray, NDArray | null][] = [
    ['L2Loss', new gloss.L2Loss(), dense, null],
    ['L2Loss weighted', new gloss.L2Loss({ weight: 3 }), dense, w],
    ['L1Loss', new gloss.L1Loss(), dense, null],
    ['SoftmaxCrossEntropyLoss (fused)', new gloss.SoftmaxCrossEntropyLoss(), sparse, null],
    ['SoftmaxCrossEntropyLoss sample weights', new gloss.SoftmaxCrossEntropyLoss(), sparse, w],
    ['SoftmaxCrossEntropyLoss axis 0', new gloss.SoftmaxCrossEntropyLoss({ axis: 0 }), nd.array([1, 5, 0, 2]), null],
    ['SoftmaxCrossEntropyLoss dense labels', new gloss.SoftmaxCrossEntropyLoss({ sparseLabel: false }), dense, null],
    ['SoftmaxCrossEntropyLoss fromLogits', new gloss.SoftmaxCrossEntropyLoss({ fromLogits: true }), sparse, null],
    ['SigmoidBinaryCrossEntropyLoss', new gloss.SigmoidBinaryCrossEntropyLoss(), binary, null],
    ['SigmoidBinaryCrossEntropyLoss fromSigmoid', new gloss.SigmoidBinaryCrossEntropyLoss({ fromSigmoid: true }), binary, null],
  ];
  for (const [name, L, label, sw] of cases) {
    const run = async (ctx: Context): Promise<[ArrayLike<number>, ArrayLike<number>]> => {
      const x = (name.includes('fromSigmoid') ? pred.sigmoid() : pred).copyto(ctx);
      x.attachGrad();
      const l = autograd.record(() => (sw ? L.forward(x, label.copyto(ctx), sw.copyto(ctx)) : L.forward(x, label.copyto(ctx))));
      l.backward();
      return [await l.data(), await x.grad.data()];
    };
    const [lc, gc] = await run(nd.cpu());
    const [lg, gg] = await run(G());
    assertNear(lg, lc, 1e-5, `${name} loss`);
    assertNear(gg, gc, 1e-5, `${name} gradient`);
  }
});

test('the Trainer with every optimizer updates GPU parameters in place as on the CPU', async (t) => {
  if (!gpuAvailable(t)) return;
  const configs: [string, Record<string, unknown>][] = [
    ['sgd', { learningRate: 0.3 }],
    ['sgd', { learningRate: 0.1, momentum: 0.9, wd: 0.01, clipGradient: 0.05 }],
    ['nag', { learningRate: 0.1, momentum: 0.9, wd: 0.001 }],
    ['adagrad', { learningRate: 0.1, wd: 0.01 }],
    ['rmsprop', { learningRate: 0.01 }],
    ['rmsprop', { learningRate: 0.01, centered: true, clipWeights: 0.5 }],
    ['adadelta', { rho: 0.9 }],
    ['adam', { learningRate: 0.01, wd: 0.001 }],
    ['adamw', { learningRate: 0.01, wd: 0.01 }],
  ];
  const L = new gloss.SoftmaxCrossEntropyLoss();
  for (const [opt, params] of configs) {
    const train = async (ctx: Context) => {
      const net = mlp(ctx);
      const trainer = new gluon.Trainer(net.collectParams(), opt, params);
      const before = [...net.collectParams().values()].map((p) => p.data());
      for (let step = 0; step < 3; step++) {
        const [X, y] = batch(20 + step);
        const Xc = X.copyto(ctx);
        const yc = y.copyto(ctx);
        const l = autograd.record(() => L.forward(net.forward(Xc), yc));
        l.backward();
        trainer.step(Xc.shape[0]);
        for (const a of [X, y, Xc, yc, l]) a.dispose();
      }
      // The arrays keep their identity and device (updated in place, never copied back).
      [...net.collectParams().values()].forEach((p, i) => {
        assert.equal(p.data(), before[i]);
        assert.equal(String(p.data().context), String(ctx));
      });
      return net;
    };
    const gpuNet = await train(G());
    const cpuNet = await train(nd.cpu());
    await assertSameParams(gpuNet, cpuNet, 2e-4, `${opt} ${JSON.stringify(params)}`);
  }
});

test('a GPU training loop frees its temporaries: nd.memory() reports gpu(0) bytes, flat across steps', async (t) => {
  if (!gpuAvailable(t)) return;
  const net = mlp(G());
  const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 0.01 });
  const L = new gloss.SoftmaxCrossEntropyLoss();
  const [X0, y0] = batch(4);
  const X = X0.copyto(G());
  const y = y0.copyto(G());
  const step = () =>
    nd.tidy(() => {
      const l = autograd.record(() => L.forward(net.forward(X), y));
      l.backward();
      trainer.step(X.shape[0]);
    });
  step();
  step();
  const before = nd.memory();
  assert.ok(before.devices['gpu(0)'], 'nd.memory() lists gpu(0)');
  assert.equal(before.devices['gpu(0)'].backend, 'webgpu');
  assert.ok(before.devices['gpu(0)'].bytes > 0);
  assert.equal(before.bytes, before.devices['cpu(0)'].bytes + before.devices['gpu(0)'].bytes);
  for (let i = 0; i < 5; i++) step();
  const after = nd.memory();
  assert.equal(after.devices['gpu(0)'].bytes, before.devices['gpu(0)'].bytes, 'gpu bytes after 5 more steps');
  assert.equal(after.devices['gpu(0)'].storages, before.devices['gpu(0)'].storages);
  assert.ok(after.arrays <= before.arrays);
  // An array made and freed on the GPU shows up in the GPU's share only.
  const z = nd.zeros([1000], { ctx: G() });
  assert.equal(nd.memory().devices['gpu(0)'].bytes, after.devices['gpu(0)'].bytes + 4000);
  z.dispose();
  assert.equal(nd.memory().devices['gpu(0)'].bytes, after.devices['gpu(0)'].bytes);
});

test('parameters and trainer states of a GPU model save asynchronously and load onto any device', async (t) => {
  if (!gpuAvailable(t)) return;
  const dir = tmp();
  const net = mlp(G());
  const [X, y] = batch(2);
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
  const l = autograd.record(() => new gloss.SoftmaxCrossEntropyLoss().forward(net.forward(X.copyto(G())), y.copyto(G())));
  l.backward();
  trainer.step(12);
  const file = join(dir, 'mlp.params');
  assert.throws(() => net.saveParameters(file), /saveParametersAsync/);
  await net.saveParametersAsync(file);
  // Into a CPU model, and into a GPU model (loadParameters writes, which needs no read).
  const onCpu = mlp(nd.cpu(), 99);
  onCpu.forward(X);
  onCpu.loadParameters(file);
  await assertSameParams(onCpu, net, 0, 'loaded on cpu');
  const onGpu = mlp(nd.cpu(), 98);
  onGpu.forward(X);
  onGpu.loadParameters(file, { ctx: G() });
  for (const p of onGpu.collectParams().values()) assert.equal(String(p.context), 'gpu(0)');
  await assertSameParams(onGpu, net, 0, 'loaded on gpu');
  // A CPU model's file and a GPU model's file are the same bytes.
  const cpuFile = join(dir, 'cpu.params');
  onCpu.saveParameters(cpuFile);
  const again = mlp(G(), 97);
  again.forward(X.copyto(G()));
  again.loadParameters(cpuFile);
  await assertSameParams(again, net, 0, 'cpu file into a gpu model');

  const states = join(dir, 'mlp.states');
  assert.throws(() => trainer.saveStates(states), /saveStatesAsync/);
  await trainer.saveStatesAsync(states);
  const t2 = new gluon.Trainer(onGpu.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
  t2.loadStates(states);
  const t3 = new gluon.Trainer(onCpu.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
  t3.loadStates(states);
  // One more identical step on both: the loaded momentum must agree.
  for (const [n, tr, ctx] of [
    [onGpu, t2, G()],
    [onCpu, t3, nd.cpu()],
  ] as const) {
    const l2 = autograd.record(() => new gloss.SoftmaxCrossEntropyLoss().forward(n.forward(X.copyto(ctx)), y.copyto(ctx)));
    l2.backward();
    tr.step(12);
  }
  await assertSameParams(onGpu, onCpu, 1e-5, 'a step after loadStates');
});

test('resetCtx / resetCtxAsync move parameters between the CPU and gpu(0)', async (t) => {
  if (!gpuAvailable(t)) return;
  const net = mlp(nd.cpu());
  const [X] = batch(6);
  const ref = net.forward(X).dataSync();
  net.collectParams().resetCtx(G());
  for (const p of net.collectParams().values()) assert.equal(String(p.context), 'gpu(0)');
  assertNear(await net.forward(X.copyto(G())).data(), ref, 1e-5, 'after resetCtx(gpu)');
  assert.throws(() => net.collectParams().resetCtx(nd.cpu()), /resetCtxAsync/);
  await net.collectParams().resetCtxAsync(nd.cpu());
  for (const p of net.collectParams().values()) assert.equal(String(p.context), 'cpu(0)');
  assertNear(net.forward(X).dataSync(), ref, 1e-5, 'after resetCtxAsync(cpu)');
  // A deferred parameter just changes where it will be allocated.
  const d = new nn.Dense(3);
  d.initialize(undefined, { ctx: nd.cpu() });
  d.collectParams().resetCtx(G());
  d.forward(X.copyto(G()));
  assert.equal(String(d.weight.context), 'gpu(0)');
});

test('clipGlobalNorm on gpu(0): clipping on the device, the norm read asynchronously', async (t) => {
  if (!gpuAvailable(t)) return;
  nd.random.seed(4);
  const a = nd.random.normal(0, 3, [5, 4]);
  const b = nd.random.normal(0, 3, [7]);
  const cpu = [a.copy(), b.copy()];
  const normCpu = gluon.utils.clipGlobalNorm(cpu, 2);
  const gpu = [a.copyto(G()), b.copyto(G())];
  assert.throws(() => gluon.utils.clipGlobalNorm(gpu, 2), /clipGlobalNormAsync/);
  const normGpu = await gluon.utils.clipGlobalNormAsync(gpu, 2);
  assert.ok(Math.abs(normGpu - normCpu) < 1e-4 * normCpu, `norm ${normGpu} vs ${normCpu}`);
  for (let i = 0; i < 2; i++) assertNear(await gpu[i].data(), cpu[i].dataSync(), 1e-5, `clipped ${i}`);
  // checkIsfinite: false clips on the device and returns the norm as a 0-d GPU array.
  const again = [a.copyto(G()), b.copyto(G())];
  const n = gluon.utils.clipGlobalNorm(again, 2, { checkIsfinite: false });
  assert.equal(String(n.context), 'gpu(0)');
  assert.ok(Math.abs((await n.data())[0] - normCpu) < 1e-4 * normCpu);
  for (let i = 0; i < 2; i++) assertNear(await again[i].data(), cpu[i].dataSync(), 1e-5, `clipped (no check) ${i}`);
  // Below the limit nothing changes.
  const small = [nd.array([0.1, 0.2]).copyto(G())];
  await gluon.utils.clipGlobalNormAsync(small, 10);
  assertNear(await small[0].data(), [0.1, 0.2], 1e-6, 'unclipped');
});
