import { test } from 'node:test';
import { nd, NDArray, autograd, type Context } from '../../src/index.js';
import { G, assertNear, gpuAvailable, randArray, rng, useGpu } from './setup.js';

useGpu();

/** The book's MLP (mlp-scratch): relu hidden layer, softmax cross-entropy through logSoftmax + pick. */
function mlpLoss(X: NDArray, y: NDArray, params: NDArray[]): NDArray {
  const [W1, b1, W2, b2] = params;
  const H = nd.relu(nd.dot(X, W1).add(b1));
  const O = nd.dot(H, W2).add(b2);
  return nd.pick(nd.logSoftmax(O), y).neg().mean();
}

test('webgpu: MLP gradients and SGD steps on gpu(0) match the CPU', async (t) => {
  if (!gpuAvailable(t)) return;
  const r = rng(21);
  const X = randArray(r, [12, 20], 'float32', 0, 1);
  const y = nd.array([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 4, 2]);
  const init = [randArray(r, [20, 16], 'float32', -0.3, 0.3), nd.zeros([16]), randArray(r, [16, 5], 'float32', -0.3, 0.3), nd.zeros([5])];
  const run = async (ctx: Context) => {
    const params = init.map((p) => p.copyto(ctx));
    for (const p of params) p.attachGrad();
    const Xc = X.copyto(ctx);
    const yc = y.copyto(ctx);
    const losses: number[] = [];
    const grads: Float32Array[] = [];
    for (let step = 0; step < 4; step++) {
      const l = autograd.record(() => mlpLoss(Xc, yc, params));
      l.backward();
      losses.push((await l.data())[0]);
      if (step === 0) for (const p of params) grads.push((await p.grad.data()) as Float32Array);
      for (const p of params) {
        const d = p.grad.mul(0.5);
        p.isub(d);
        d.dispose();
      }
      l.dispose();
    }
    const final = await Promise.all(params.map(async (p) => (await p.data()) as Float32Array));
    return { losses, grads, final };
  };
  const cpu = await run(nd.cpu());
  const gpu = await run(G());
  cpu.grads.forEach((g, i) => assertNear(gpu.grads[i], g, 1e-4, `gradient of parameter ${i}`));
  assertNear(gpu.losses, cpu.losses, 1e-5, 'losses over 4 SGD steps');
  cpu.final.forEach((p, i) => assertNear(gpu.final[i], p, 1e-4, `parameter ${i} after 4 steps`));
});

test('webgpu: gradients through broadcasting, reductions, views and elementwise ops', async (t) => {
  if (!gpuAvailable(t)) return;
  const r = rng(22);
  const a0 = randArray(r, [4, 1, 6], 'float32', 0.5, 2);
  const b0 = randArray(r, [3, 6], 'float32', -1, 1);
  const grads = async (ctx: Context) => {
    const a = a0.copyto(ctx);
    const b = b0.copyto(ctx);
    a.attachGrad();
    b.attachGrad();
    autograd
      .record(() => {
        const u = a.mul(b).tanh().add(a.sqrt().mul(b.T.T)).sigmoid();
        const v = nd
          .softmax(u.reshape([12, 6]), { axis: 1 })
          .max({ axis: 0 })
          .sum();
        return v.add(u.get(':, 1:3, ::2').square().mean()).add(nd.maximum(a, 1).pow(2).sum());
      })
      .backward();
    return [(await a.grad.data()) as Float32Array, (await b.grad.data()) as Float32Array];
  };
  const [ca, cb] = await grads(nd.cpu());
  const [ga, gb] = await grads(G());
  assertNear(ga, ca, 1e-4, 'da');
  assertNear(gb, cb, 1e-4, 'db');
});
