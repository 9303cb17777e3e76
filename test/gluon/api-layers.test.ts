// Gluon 1.x's Conv1D, 1-D pooling, Conv2DTranspose, LayerNorm and InstanceNorm: parameter names
// and shapes, deferred initialisation, reprs, forward values (MXNet's doc examples and PyTorch
// references), gradients against finite differences (float64), and bad input.
import { test } from 'node:test';
import { hybridStats } from '../../src/compile/hybrid.js';
import assert from 'node:assert/strict';
import { nd, autograd, NDArray, ShapeError, ValueError, D2LError } from '../../src/index.js';
import { nn, init, resetNameCounters } from '../../src/gluon/index.js';
import type { Block } from '../../src/gluon/index.js';
import { assertClose } from '../helpers.js';

/** ((i * mul) % mod - off) / div over a row-major index, in float64: the same sequence as the PyTorch script. */
function seq(shape: number[], mul = 7, mod = 11, off = 5, div = 4): NDArray {
  const n = shape.reduce((a, b) => a * b, 1);
  return nd.array(
    Array.from({ length: n }, (_, i) => (((i * mul) % mod) - off) / div),
    { shape, dtype: 'float64' },
  );
}

function throwsTyped(fn: () => unknown, cls: new (...a: never[]) => Error, ...patterns: RegExp[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected ${cls.name}, nothing was thrown`);
  assert.ok(err instanceof cls, `expected ${cls.name}, got ${(err as Error).name}: ${(err as Error).message}`);
  assert.ok(err instanceof D2LError);
  for (const p of patterns) assert.match((err as Error).message, p);
}

/** Central differences of the scalar f in every element of x (float64, written in place). */
function numericGrad(f: () => number, x: NDArray, eps = 1e-6): Float64Array {
  const flat = x.reshape([x.size]);
  const g = new Float64Array(x.size);
  for (let i = 0; i < x.size; i++) {
    const v = flat.get([i]).asScalar();
    flat.set([i], v + eps);
    const fp = f();
    flat.set([i], v - eps);
    const fm = f();
    flat.set([i], v);
    g[i] = (fp - fm) / (2 * eps);
  }
  return g;
}

/**
 * Checks a float64 block's gradients of sum(block(x) · R), for x and every parameter that takes a
 * gradient, against central differences.
 */
function layerGradCheck(block: Block, x: NDArray, tol = 1e-6): void {
  block.forward(x); // finishes deferred initialisation
  const probe = block.forward(x);
  const R = seq([...probe.shape], 3, 13, 6, 5);
  x.attachGrad();
  autograd.record(() => block.forward(x).mul(R).sum()).backward();
  const f = () => nd.tidy(() => block.forward(x).mul(R).sum().asScalar());
  assertClose(x.grad, numericGrad(f, x), tol, `${block.name}: input gradient`);
  let checked = 0;
  for (const p of block.collectParams().values()) {
    if (p.gradReq === 'null') continue;
    assertClose(p.grad(), numericGrad(f, p.data()), tol, `${p.name}: gradient`);
    checked++;
  }
  assert.ok(checked > 0, 'some parameter was checked');
}

test('Conv1D: Gluon names and shapes, deferred inChannels, repr, values as PyTorch conv1d', () => {
  resetNameCounters();
  const conv = new nn.Conv1D(4, 3, { strides: 2, padding: 1, dilation: 2 });
  assert.equal(conv.toString(), 'Conv1D(None -> 4, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,))');
  assert.deepEqual([...conv.collectParams().keys()], ['conv0_weight', 'conv0_bias']);
  assert.deepEqual(conv.weight.shape, [4, 0, 3]);
  conv.initialize();
  conv.cast('float64');
  const x = seq([2, 3, 7]);
  conv.forward(x);
  assert.deepEqual(conv.weight.data().shape, [4, 3, 3]);
  assert.equal(conv.toString(), 'Conv1D(3 -> 4, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,))');
  // Expected values: torch.nn.functional.conv1d in float64 (PyTorch 1.13), the same seq() inputs.
  conv.weight.setData(seq([4, 3, 3], 5, 7, 3, 3));
  conv.bias!.setData(nd.array([0.1, 0.2, -0.3, 0.4], { dtype: 'float64' }));
  // prettier-ignore
  const expected = [-0.23333333333333336, -0.7333333333333335, -0.31666666666666654, 1.0333333333333334, -1.3, 1.1166666666666667, -0.6333333333333333, 2.1999999999999997, -0.38333333333333336, 0.06666666666666654, -0.09999999999999998, 1.0666666666666669, -2.233333333333333, 1.6833333333333336, -0.7333333333333333, 0.2833333333333332, 2.6166666666666667, 0.20000000000000004, 0.45, -2.883333333333333, -1.8, 2.4, 0.3999999999999999, 0.9];
  assertClose(conv.forward(x), expected, 1e-12);
  layerGradCheck(conv, x);

  // The keyword form, groups, no bias, an activation, inChannels given (no deferral).
  const g = new nn.Conv1D({ channels: 4, kernelSize: [2], groups: 2, useBias: false, activation: 'relu', inChannels: 2 });
  assert.deepEqual(g.weight.shape, [4, 1, 2]);
  assert.equal(g.bias, null);
  assert.equal(g.toString(), 'Conv1D(1 -> 4, kernel_size=(2,), stride=(1,), groups=2, bias=False, Activation(relu))');
  g.initialize(new init.Normal(1));
  const y = g.forward(nd.ones([1, 2, 5]));
  assert.deepEqual(y.shape, [1, 4, 4]);
  assert.ok(y.dataSync().every((v) => v >= 0));
});

test('1-D pooling layers: values, defaults, reprs and the global forms', () => {
  const x = nd.array([
    [
      [1, 3, 2, 5, 4],
      [0, -1, -2, 6, 1],
    ],
  ]);
  assert.deepEqual(new nn.MaxPool1D().forward(x).toArray(), [
    [
      [3, 5],
      [0, 6],
    ],
  ]);
  assert.deepEqual(new nn.MaxPool1D({ poolSize: 3, strides: 1 }).forward(x).toArray(), [
    [
      [3, 5, 5],
      [0, 6, 6],
    ],
  ]);
  // padding 1 with the count of padded cells (countIncludePad, the default) and without.
  assertClose(new nn.AvgPool1D(2, { padding: 1 }).forward(x), [0.5, 2.5, 4.5, 0, -1.5, 3.5]);
  assertClose(new nn.AvgPool1D(2, { padding: 1, countIncludePad: false }).forward(x), [1, 2.5, 4.5, 0, -1.5, 3.5]);
  assert.deepEqual(new nn.MaxPool1D(2, { ceilMode: true }).forward(x).shape, [1, 2, 3]);
  assert.deepEqual(new nn.GlobalMaxPool1D().forward(x).toArray(), [[[5], [6]]]);
  assertClose(new nn.GlobalAvgPool1D().forward(x), [3, 0.8]);
  assert.equal(
    new nn.AvgPool1D(3, { strides: 2, padding: 1 }).toString(),
    'AvgPool1D(size=(3,), stride=(2,), padding=(1,), ceil_mode=False, global_pool=False, pool_type=avg, layout=NCW)',
  );
  assert.equal(
    new nn.GlobalAvgPool1D().toString(),
    'GlobalAvgPool1D(size=(1,), stride=(1,), padding=(0,), ceil_mode=True, global_pool=True, pool_type=avg, layout=NCW)',
  );
  resetNameCounters();
  assert.equal(new nn.GlobalMaxPool1D().name, 'pool0');
  // Gradients: max routes to the maximum, the global max to each channel's maximum.
  const xs = x.astype('float64');
  xs.attachGrad();
  autograd.record(() => new nn.GlobalMaxPool1D().forward(xs).sum()).backward();
  assert.deepEqual(xs.grad.toArray(), [
    [
      [0, 0, 0, 1, 0],
      [0, 0, 0, 1, 0],
    ],
  ]);
  const seqX = seq([2, 2, 6]);
  for (const b of [new nn.MaxPool1D(2), new nn.AvgPool1D(3, { strides: 2, padding: 1 }), new nn.GlobalAvgPool1D()]) {
    const v = seqX.copy();
    v.attachGrad();
    const R = seq([...b.forward(v).shape], 3, 13, 6, 5);
    autograd.record(() => b.forward(v).mul(R).sum()).backward();
    const f = () => nd.tidy(() => b.forward(v).mul(R).sum().asScalar());
    // Max pooling: seq's values are spaced 0.25 apart, so a 1e-6 step never changes the argmax.
    assertClose(v.grad, numericGrad(f, v), 1e-6, b.toString());
  }
  throwsTyped(() => new nn.MaxPool1D(2).forward(nd.ones([2, 3])), ShapeError, /MaxPool1D 'pool\d+'/, /3-D NCW/, /\(2, 3\)/);
  throwsTyped(() => new nn.MaxPool1D([2, 2]), ValueError, /nn.MaxPool1D: poolSize must be an integer >= 1 or a list of one/);
  throwsTyped(() => new nn.MaxPool1D(2, { layout: 'NWC' as never }), ValueError, /only the NCW layout/);
  throwsTyped(() => new nn.MaxPool1D(2, { countIncludePad: true } as never), ValueError, /unknown option 'countIncludePad'/);
  throwsTyped(() => new nn.GlobalMaxPool1D({ poolSize: 2 } as never), ValueError, /nn.GlobalMaxPool1D: unknown option 'poolSize'/);
});

test('Conv2DTranspose: Gluon names and shapes (weight (in, out / groups, kh, kw)), deferral, repr, PyTorch values, gradients', () => {
  resetNameCounters();
  const up = new nn.Conv2DTranspose(3, 3, { strides: 2, padding: 1, outputPadding: 1 });
  assert.deepEqual([...up.collectParams().keys()], ['conv0_weight', 'conv0_bias']);
  assert.deepEqual(up.weight.shape, [0, 3, 3, 3]);
  // Gluon 1.x's repr prints weight.shape[1] -> weight.shape[0] and leaves out output_padding.
  assert.equal(up.toString(), 'Conv2DTranspose(3 -> 0, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))');
  up.initialize();
  up.cast('float64');
  const x = seq([1, 2, 3, 3]);
  assert.deepEqual(up.forward(x).shape, [1, 3, 6, 6]);
  assert.deepEqual(up.weight.data().shape, [2, 3, 3, 3]);
  assert.equal(up.toString(), 'Conv2DTranspose(3 -> 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))');
  up.weight.setData(seq([2, 3, 3, 3], 5, 7, 3, 3));
  up.bias!.setData(nd.array([0.5, -1, 2], { dtype: 'float64' }));
  // Expected: torch.nn.functional.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1), float64.
  const y = up.forward(x);
  assertClose(y.get('0, 0, 0'), [-1.25, 0.5, 1.1666666666666665, 0.75, 0.8333333333333333, -0.9166666666666667], 1e-12);
  assertClose(
    y.get('0, 2, 5'),
    [2.8333333333333335, 2.583333333333333, 2.5, 1.9166666666666665, 0.3333333333333335, 2.666666666666667],
    1e-12,
  );
  layerGradCheck(up, x);

  // The keyword form with groups, no bias and inChannels given.
  const g = new nn.Conv2DTranspose({ channels: 4, kernelSize: [2, 3], groups: 2, useBias: false, inChannels: 2 });
  assert.deepEqual(g.weight.shape, [2, 2, 2, 3]);
  g.initialize();
  assert.deepEqual(g.forward(nd.ones([1, 2, 3, 3])).shape, [1, 4, 4, 5]);
  assert.equal(g.toString(), 'Conv2DTranspose(2 -> 2, kernel_size=(2, 3), stride=(1, 1), groups=2, bias=False)');
  throwsTyped(
    () => new nn.Conv2DTranspose(3, 3, { strides: 2, outputPadding: 2 }),
    ValueError,
    /outputPadding \(2, 2\) must be smaller than strides \(2, 2\)/,
  );
  throwsTyped(
    () => new nn.Conv2DTranspose(3, 3, { output_padding: 1 } as never),
    ValueError,
    /unknown option 'output_padding'/,
    /outputPadding/,
  );
  throwsTyped(() => g.forward(nd.ones([1, 3, 3, 3])), ShapeError, /Conv2DTranspose 'conv\d+'/, /3 channels/);
  throwsTyped(() => g.forward(nd.ones([3, 3, 3])), ShapeError, /4-D NCHW/);
});

test('LayerNorm: the MXNet doc example, parameters, PyTorch layer_norm values with gamma/beta, other axes, gradients', () => {
  resetNameCounters();
  const ln = new nn.LayerNorm();
  assert.equal(ln.toString(), 'LayerNorm(eps=1e-05, axis=-1, center=True, scale=True, in_channels=0)');
  assert.deepEqual([...ln.collectParams().keys()], ['layernorm0_gamma', 'layernorm0_beta']);
  ln.initialize();
  // MXNet 1.x's docstring example (printed by MXNet, float32).
  assertClose(
    ln.forward(
      nd.array([
        [1, 2, 3, 4, 5],
        [1, 1, 2, 2, 2],
      ]),
    ),
    [-1.41421, -0.707105, 0, 0.707105, 1.41421, -1.2247195, -1.2247195, 0.81647956, 0.81647956, 0.81647956],
    1e-5,
  );
  assert.deepEqual(ln.gamma.data().shape, [5]);
  assert.equal(ln.toString(), 'LayerNorm(eps=1e-05, axis=-1, center=True, scale=True, in_channels=5)');

  // torch.nn.functional.layer_norm(x, (4,), gamma, beta, eps=1e-5) in float64 (PyTorch 1.13).
  const l2 = new nn.LayerNorm({ inChannels: 4 });
  l2.initialize();
  l2.cast('float64');
  l2.gamma.setData(nd.array([1, 2, -0.5, 0.25], { dtype: 'float64' }));
  l2.beta.setData(nd.array([0, 1, 0.5, -1], { dtype: 'float64' }));
  const x = seq([2, 3, 4]);
  // prettier-ignore
  const expected = [-1.3130570841643319, 2.0504456673314655, 0.7626114168328664, -0.671735728958917, 0.19999744004915102, -1.7999641606881132, -0.1999910401720284, -1.0499993600122877, -0.7228914263528607, 4.052208244600967, 0.37951809560785654, -1.2610441261829775, 0.199997440049151, -1.7999641606881136, -0.1999910401720284, -1.0499993600122877, -0.7228914263528609, 4.052208244600967, 0.37951809560785654, -1.2610441261829775, 1.04417650473191, 0.5180723824314262, 1.2630520611502418, -0.8192771434117848];
  assertClose(l2.forward(x), expected, 1e-12);
  layerGradCheck(l2, x);

  // axis 1 normalises over that axis alone; scale/center false freeze gamma/beta.
  const l3 = new nn.LayerNorm({ axis: 1, scale: false, center: false, epsilon: 1e-3 });
  l3.initialize();
  l3.cast('float64');
  const y = l3.forward(x);
  const mean = x.mean({ axis: 1, keepdims: true });
  const v = x.sub(mean).square().mean({ axis: 1, keepdims: true });
  assertClose(y, x.sub(mean).div(v.add(1e-3).sqrt()), 1e-12);
  assert.equal(l3.gamma.gradReq, 'null');
  assert.equal(l3.beta.gradReq, 'null');
  assert.equal(l3.toString(), 'LayerNorm(eps=0.001, axis=1, center=False, scale=False, in_channels=3)');
  throwsTyped(
    () => l3.forward(nd.ones([2, 4, 4], { dtype: 'float64' })),
    ShapeError,
    /LayerNorm 'layernorm\d+'/,
    /4 elements on axis 1 but the layer has 3/,
  );
  throwsTyped(
    () => new nn.LayerNorm({ eps: 1e-3 } as never),
    ValueError,
    /nn.LayerNorm: unknown option 'eps' \(did you mean 'epsilon'\?\)/,
  );
  throwsTyped(() => new nn.LayerNorm().forward(nd.ones([2], { dtype: 'int32' })), D2LError, /float32 or float64/);
});

test('InstanceNorm: the MXNet doc example, scale false by default, PyTorch instance_norm values, another axis, gradients', () => {
  resetNameCounters();
  const inorm = new nn.InstanceNorm();
  assert.equal(inorm.toString(), 'InstanceNorm(eps=1e-05, axis=1, center=True, scale=False, in_channels=0)');
  assert.deepEqual([...inorm.collectParams().keys()], ['instancenorm0_gamma', 'instancenorm0_beta']);
  assert.equal(inorm.gamma.gradReq, 'null');
  assert.equal(inorm.beta.gradReq, 'write');
  inorm.initialize();
  // MXNet 1.x's docstring example (printed by MXNet, float32).
  assertClose(inorm.forward(nd.array([[[1.1, 2.2]], [[3.3, 4.4]]])), [-0.99998355, 0.99998331, -0.99998319, 0.99998361], 1e-6);

  // torch.nn.functional.instance_norm(x, weight=gamma, bias=beta, eps=1e-5) in float64 (PyTorch 1.13).
  const i2 = new nn.InstanceNorm({ scale: true });
  i2.initialize();
  i2.cast('float64');
  const x = seq([2, 3, 2, 2]);
  i2.forward(x);
  assert.deepEqual(i2.gamma.data().shape, [3]);
  i2.gamma.setData(nd.array([1, 2, 0.5], { dtype: 'float64' }));
  i2.beta.setData(nd.array([0, -1, 1], { dtype: 'float64' }));
  // prettier-ignore
  const expected = [-1.3130570841643319, 0.5252228336657327, -0.5252228336657327, 1.3130570841643319, -0.6000051199016981, -3.7999641606881136, 1.7999641606881134, -1.399994880098302, 0.6385542868235695, 1.7630520611502418, 1.1204819043921435, 0.47791174763404487, 0.199997440049151, -1.3999820803440568, 1.3999820803440568, -0.19999744004915093, -2.4457828527057215, 2.0522082446009677, -0.5180723824314262, -3.08835300946382, 1.522088252365955, 0.8795180956078564, 0.23694793884975798, 1.3614457131764304];
  assertClose(i2.forward(x), expected, 1e-12);
  layerGradCheck(i2, x);

  // axis -1 (NWC-like data): channels last, normalised over axis 1 with the batch axis excluded.
  const i3 = new nn.InstanceNorm({ axis: -1 });
  i3.initialize();
  i3.cast('float64');
  const xt = x.transpose([0, 2, 3, 1]);
  const ref = new nn.InstanceNorm();
  ref.initialize();
  ref.cast('float64');
  assertClose(i3.forward(xt), ref.forward(x).transpose([0, 2, 3, 1]), 1e-12);
  assert.deepEqual(i3.gamma.data().shape, [3]);
  throwsTyped(() => new nn.InstanceNorm().forward(nd.ones([2, 3])), ShapeError, /at least 3 dimensions/, /\(2, 3\)/);
});

test('HybridSequential runs the new layers as Sequential does, eagerly and hybridized (traced into one compiled program)', () => {
  resetNameCounters();
  // The book's TextCNN shape walk: embeddings (batch, channels, time) -> Conv1D -> GlobalMaxPool1D.
  const net = new nn.HybridSequential();
  net.add(new nn.Conv1D(6, 3, { activation: 'relu' }), new nn.GlobalMaxPool1D(), new nn.Flatten(), new nn.LayerNorm(), new nn.Dense(2));
  net.initialize(new init.Xavier());
  const x = seq([4, 5, 9]).astype('float32');
  const before = net.forward(x);
  assert.deepEqual(before.shape, [4, 2]);
  assert.deepEqual(
    [...net.collectParams().keys()],
    // Created outside net.nameScope(), as in the book: Gluon's own prefixes.
    ['conv0_weight', 'conv0_bias', 'layernorm0_gamma', 'layernorm0_beta', 'dense0_weight', 'dense0_bias'],
  );
  assert.equal(net.name, 'hybridsequential0');
  assert.equal(net.hybridize(), net);
  assert.ok(net.isHybridized && net.get(0).isHybridized);
  assertClose(net.forward(x), before, 0);
  assert.equal(hybridStats(net).traces, 1, 'the hybridized call traced once');
  const seqNet = new nn.Sequential();
  for (const b of net) seqNet.add(b);
  assertClose(seqNet.forward(x), before, 0);
});
