// net.export and SymbolBlock.imports: MXNet's symbol JSON and a safetensors parameter file, read
// back with the same outputs (eager and hybridized), and the errors for what cannot be exported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { nd, autograd, ValueError } from '../../src/index.js';
import { nn, init, SymbolBlock, resetNameCounters, readSafetensors } from '../../src/gluon/index.js';
import { assertClose } from '../helpers.js';

const dir = () => mkdtempSync(join(tmpdir(), 'd2l-export-'));

test('export writes MXNet op names and safetensors; SymbolBlock.imports gives the same outputs and gradients', () => {
  resetNameCounters();
  class Net extends nn.HybridBlock {
    body = new nn.HybridSequential();
    constructor() {
      super();
      this.body.add(new nn.Dense(8, { activation: 'relu' }), new nn.Dropout(0.5), new nn.Dense(3, { activation: 'softsign' }));
    }
    hybridForward(F: any, x: any): any {
      const h = this.body.forward(x);
      return F.exp(h.mul(2))
        .rsub(1)
        .add(F.sum(h, { axis: 1, keepdims: true }));
    }
  }
  const net = new Net();
  net.initialize(new init.Xavier());
  net.hybridize();
  const x = nd.random.normal(0, 1, [4, 5]);
  const y = net.forward(x);
  const path = join(dir(), 'net');
  const [symFile, paramFile] = net.export(path);
  assert.equal(symFile, `${path}-symbol.json`);
  assert.equal(paramFile, `${path}-0000.params`);
  const json = JSON.parse(readFileSync(symFile, 'utf8'));
  const ops = json.nodes.map((n: { op: string }) => n.op);
  for (const op of ['FullyConnected', 'Activation', 'Dropout', 'exp', '_mul_scalar', '_rminus_scalar', 'sum', 'broadcast_add'])
    assert.ok(ops.includes(op), `${op} in ${ops.join(', ')}`);
  assert.equal(json.nodes[0].name, 'data');
  const fc = json.nodes.find((n: { op: string }) => n.op === 'FullyConnected');
  assert.deepEqual(fc.attrs, { num_hidden: '8', no_bias: 'False', flatten: 'True' });
  // Fields built outside nameScope keep Gluon's global names; the symbol is the layer's prefix + 'fwd'.
  assert.equal(fc.name, 'dense0_fwd');
  assert.deepEqual([...readSafetensors(paramFile).tensors.keys()].sort(), [
    'arg:dense0_bias',
    'arg:dense0_weight',
    'arg:dense1_bias',
    'arg:dense1_weight',
  ]);

  const back = SymbolBlock.imports(symFile, ['data'], paramFile);
  assertClose(back.forward(x), y, 1e-6, 'eager replay');
  back.hybridize();
  assertClose(back.forward(x), y, 1e-6, 'compiled replay');
  // Gradients through the imported block equal the original's (in predict mode: no dropout).
  const grad = (b: { forward(x: nd.NDArray): nd.NDArray }) => {
    x.attachGrad();
    autograd.record(() => b.forward(x), { trainMode: false }).backward();
    return x.grad.copy();
  };
  assertClose(grad(back), grad(net), 1e-5);
});

test('export and imports refuse what they cannot do, naming the block or the file', () => {
  const net = new nn.HybridSequential();
  net.add(new nn.Conv2D(2, 3), new nn.LayerNorm({ axis: 1 }), new nn.Flatten(), new nn.Dense(2));
  net.initialize();
  assert.throws(() => net.export(join(dir(), 'x')), /nothing was compiled yet; call hybridize\(\) and run the block once/);
  net.hybridize();
  net.forward(nd.ones([1, 1, 5, 5]));
  assert.throws(
    () => net.export(join(dir(), 'x')),
    (e: Error) => e instanceof ValueError && /opaque nodes .*layernorm\d+_fwd \(LayerNorm\)/.test(e.message),
  );
  const mlp = new nn.HybridSequential();
  mlp.add(new nn.Dense(2));
  mlp.initialize();
  mlp.hybridize();
  mlp.forward(nd.ones([1, 3]));
  assert.throws(() => mlp.export(join(dir(), 'x'), -1), /epoch must be an integer/);
  const [s, p] = mlp.export(join(dir(), 'm'), 12);
  assert.match(p, /m-0012\.params$/);
  assert.throws(() => SymbolBlock.imports(s, ['input'], p), /has no input named input \(variables: data, /);
  assert.throws(() => SymbolBlock.imports(join(dir(), 'missing.json'), ['data'], p), /cannot read the symbol file/);
  assert.throws(() => SymbolBlock.imports(s, ['data'], null), /parameter file has no value for/);
});

test('a CNN (Conv2D, pooling with and without ceil mode, global pooling) compiles to graph ops and exports', () => {
  const build = () => {
    const net = new nn.HybridSequential();
    net.add(
      new nn.Conv2D(4, 3, { padding: 1, activation: 'relu' }),
      new nn.MaxPool2D(2, { ceilMode: true }),
      new nn.Conv2D(3, 2, { strides: 2, useBias: false }),
      new nn.AvgPool2D(2, { strides: 1, padding: 1, countIncludePad: false }),
      new nn.GlobalAvgPool2D(),
      new nn.Flatten(),
      new nn.Dense(2),
    );
    net.initialize(new init.Xavier());
    return net;
  };
  const net = build();
  const x = nd.random.normal(0, 1, [2, 3, 7, 7]);
  x.attachGrad();
  const ye = autograd.record(() => net.forward(x));
  ye.backward();
  const ge = x.grad.copy();
  net.hybridize();
  const yc = autograd.record(() => net.forward(x));
  yc.backward();
  assertClose(yc, ye, 1e-5, 'compiled forward');
  assertClose(x.grad, ge, 1e-5, 'compiled input gradient');
  const [s, p] = net.export(join(dir(), 'cnn'));
  const ops = JSON.parse(readFileSync(s, 'utf8')).nodes.map((n: { op: string }) => n.op);
  assert.deepEqual(
    ops.filter((o: string) => o !== 'null'),
    ['Convolution', 'Activation', 'Pooling', 'Convolution', 'Pooling', 'Pooling', 'Flatten', 'FullyConnected'],
  );
  const back = SymbolBlock.imports(s, 'data', p);
  assertClose(back.forward(x), ye, 1e-5, 'imported CNN');
});
