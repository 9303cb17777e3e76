// The layers and losses of MXNet 1.x's docs added for chapters 4-5 (Conv1D, the 1-D pools,
// Conv2DTranspose, LayerNorm, InstanceNorm; Huber, hinge, logistic, KL, cosine, triplet losses)
// and topk's pair and mask results on gpu(0) (WebGPU; lavapipe in CI), forward and backward,
// against the CPU. They are compositions of existing kernels, so this checks the composition.
import { test } from 'node:test';
import { nd, autograd, gluon, init, type NDArray, type Context } from '../../src/index.js';
import { useGpu, gpuAvailable, G, assertNear } from './setup.js';

useGpu();
const { nn, loss: gloss } = gluon;

test('Conv1D, the 1-D pools, Conv2DTranspose, LayerNorm and InstanceNorm run forward and backward on gpu(0) as on the CPU', async (t) => {
  if (!gpuAvailable(t)) return;
  const layers: [string, () => gluon.Block, number[]][] = [
    ['Conv1D', () => new nn.Conv1D(4, 3, { padding: 1, strides: 2, dilation: 2, activation: 'relu' }), [2, 3, 9]],
    ['Conv1D groups', () => new nn.Conv1D(4, 2, { groups: 2 }), [2, 4, 5]],
    ['MaxPool1D', () => new nn.MaxPool1D(3, { strides: 2, padding: 1 }), [2, 3, 7]],
    ['AvgPool1D', () => new nn.AvgPool1D(2, { ceilMode: true }), [2, 3, 7]],
    ['GlobalMaxPool1D', () => new nn.GlobalMaxPool1D(), [2, 3, 6]],
    ['GlobalAvgPool1D', () => new nn.GlobalAvgPool1D(), [2, 3, 6]],
    ['Conv2DTranspose', () => new nn.Conv2DTranspose(3, 3, { strides: 2, padding: 1, outputPadding: 1 }), [2, 2, 3, 4]],
    ['Conv2DTranspose groups', () => new nn.Conv2DTranspose(4, 2, { groups: 2, dilation: 2 }), [1, 4, 3, 3]],
    ['LayerNorm', () => new nn.LayerNorm({ gammaInitializer: new init.Normal(1) }), [3, 5]],
    ['LayerNorm axis 1', () => new nn.LayerNorm({ axis: 1, betaInitializer: new init.Normal(1) }), [2, 4, 3]],
    ['InstanceNorm', () => new nn.InstanceNorm({ scale: true, gammaInitializer: new init.Normal(1) }), [2, 3, 2, 3]],
  ];
  for (const [name, make, shape] of layers) {
    const run = async (ctx: Context): Promise<[ArrayLike<number>, ArrayLike<number>, ArrayLike<number>[]]> => {
      nd.random.seed(21);
      const layer = make();
      layer.initialize(new init.Normal(0.5), { ctx });
      const x = nd.random.normal(0, 1, shape).copyto(ctx);
      x.attachGrad();
      const y = autograd.record(() => layer.forward(x).square().sum());
      y.backward();
      const grads: ArrayLike<number>[] = [];
      for (const p of layer.collectParams().values()) if (p.gradReq !== 'null') grads.push(await p.grad().data());
      return [await y.data(), await x.grad.data(), grads];
    };
    const [yc, gc, pc] = await run(nd.cpu());
    const [yg, gg, pg] = await run(G());
    assertNear(yg, yc, 1e-4, `${name} forward`);
    assertNear(gg, gc, 1e-4, `${name} input gradient`);
    pg.forEach((v, i) => assertNear(v, pc[i], 1e-4, `${name} parameter ${i}`));
  }
});

test('the new Gluon losses, forward and gradient, on gpu(0) as on the CPU', async (t) => {
  if (!gpuAvailable(t)) return;
  nd.random.seed(9);
  const pred = nd.random.normal(0, 2, [6, 4]);
  const other = nd.random.normal(0, 1, [6, 4]);
  const signs = nd.array(
    Array.from({ length: 24 }, (_, i) => ((i * 5) % 3 === 0 ? 1 : -1)),
    { shape: [6, 4] },
  );
  const probs = nd.softmax(other, { axis: 1 });
  const w = nd.array([[1], [0.5], [2], [0], [1], [3]]);
  const pairs = nd.array([1, -1, 1, -1, -1, 1]);
  const cases: [string, (x: NDArray, ctx: Context) => NDArray][] = [
    ['HuberLoss', (x, c) => new gloss.HuberLoss({ rho: 0.5 }).forward(x, other.copyto(c), w.copyto(c))],
    ['HingeLoss', (x, c) => new gloss.HingeLoss().forward(x, signs.copyto(c))],
    ['SquaredHingeLoss', (x, c) => new gloss.SquaredHingeLoss({ margin: 2, weight: 0.5 }).forward(x, signs.copyto(c))],
    ['LogisticLoss', (x, c) => new gloss.LogisticLoss().forward(x, signs.copyto(c))],
    ['LogisticLoss binary', (x, c) => new gloss.LogisticLoss({ labelFormat: 'binary' }).forward(x, signs.add(1).div(2).copyto(c))],
    ['KLDivLoss', (x, c) => new gloss.KLDivLoss({ fromLogits: false }).forward(x, probs.copyto(c))],
    ['CosineEmbeddingLoss', (x, c) => new gloss.CosineEmbeddingLoss({ margin: 0.2 }).forward(x, other.copyto(c), pairs.copyto(c))],
    ['TripletLoss', (x, c) => new gloss.TripletLoss({ margin: 2 }).forward(x, other.copyto(c), signs.copyto(c))],
  ];
  for (const [name, f] of cases) {
    const run = async (ctx: Context): Promise<[ArrayLike<number>, ArrayLike<number>]> => {
      const x = pred.copyto(ctx);
      x.attachGrad();
      const l = autograd.record(() => f(x, ctx));
      l.backward();
      return [await l.data(), await x.grad.data()];
    };
    const [lc, gc] = await run(nd.cpu());
    const [lg, gg] = await run(G());
    assertNear(lg, lc, 1e-5, `${name} loss`);
    assertNear(gg, gc, 1e-5, `${name} gradient`);
  }
});

test('topk on gpu(0): both (values with their gradient, indices) and mask as on the CPU', async (t) => {
  if (!gpuAvailable(t)) return;
  nd.random.seed(4);
  const data = nd.random.normal(0, 1, [3, 7]);
  const run = async (ctx: Context): Promise<ArrayLike<number>[]> => {
    const x = data.copyto(ctx);
    x.attachGrad();
    const [v, i] = autograd.record(() => nd.topk(x, { k: 3, retTyp: 'both', axis: 0, isAscend: true }));
    autograd.record(() => v.mul(v).sum()).backward();
    const m = nd.topk(x, { k: 4, retTyp: 'mask', dtype: 'int32' });
    return [await v.data(), await i.data(), await x.grad.data(), await m.data()];
  };
  const c = await run(nd.cpu());
  const g = await run(G());
  ['values', 'indices', 'gradient', 'mask'].forEach((what, k) => assertNear(g[k], c[k], 1e-6, `topk ${what}`));
});
