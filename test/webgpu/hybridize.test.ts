// hybridize() on gpu(0): the fused elementwise chains run as generated WGSL kernels
// (Backend.fusedMap), forward and backward, and equal the eager GPU result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, type NDArray } from '../../src/index.js';
import { nn, init } from '../../src/gluon/index.js';
import { hybridStats } from '../../src/compile/hybrid.js';
import { useGpu, gpuAvailable, gpuState, G } from './setup.js';
import { assertClose } from '../helpers.js';

useGpu();

class Chain extends nn.HybridBlock {
  hybridForward(F: any, a: any, b: any): any {
    return F.sigmoid(a.mul(b)).add(F.exp(a).mul(0.5)).rsub(2).maximum(b).tanh();
  }
}

test('gpu(0): a hybridized chain and an MLP run generated WGSL kernels with the eager values and gradients', async (t) => {
  if (!gpuAvailable(t)) return;
  const be = gpuState.backend!;
  let launched = 0;
  const orig = be.fusedMap.bind(be);
  be.fusedMap = (...args: Parameters<typeof orig>) => {
    const ok = orig(...args);
    if (ok) launched++;
    return ok;
  };
  try {
    const a = nd.random.normal(0, 1, [3, 5]).copyto(G());
    const b = nd.random.normal(0, 1, [5]).copyto(G());
    const net = new Chain();
    const run = async () => {
      a.attachGrad();
      b.attachGrad();
      const y = autograd.record(() => net.forward(a, b));
      y.backward();
      return [await y.copytoAsync(nd.cpu()), await a.grad.copytoAsync(nd.cpu()), await b.grad.copytoAsync(nd.cpu())] as NDArray[];
    };
    const eager = await run();
    net.hybridize();
    const compiled = await run();
    assert.equal(launched, 2, 'one forward and one backward kernel');
    assert.ok(hybridStats(net).last!.program.fused.length === 1);
    eager.forEach((e, i) => assertClose(compiled[i], e, 1e-5, `output ${i}`));

    const mlp = new nn.HybridSequential();
    mlp.add(new nn.Dense(8, { activation: 'relu' }), new nn.Dense(3, { activation: 'sigmoid' }));
    mlp.initialize(new init.Xavier(), { ctx: G() });
    const x = nd.random.normal(0, 1, [4, 6]).copyto(G());
    const ye = await mlp.forward(x).copytoAsync(nd.cpu());
    mlp.hybridize();
    launched = 0;
    const yc = await mlp.forward(x).copytoAsync(nd.cpu());
    assert.equal(launched, 2, 'the two bias + activation epilogues');
    assertClose(yc, ye, 1e-5);
  } finally {
    be.fusedMap = orig;
  }
});
