/**
 * The README-like program the browser bundle test runs in Chromium and, for reference, in Node:
 * create arrays, `nd.dot`, a view, autograd, then Gluon training steps on the README's
 * synthetic linear-regression data. It returns what it printed, so both runs can be compared.
 *
 * @example
 * const lines = await readmeSnippet(await import('../../src/index.js'));
 */
import type * as D2l from '../../src/index.js';

/** Runs the snippet against `d2l` (the Node package or the browser bundle) and returns its printed lines. */
export async function readmeSnippet(d2l: typeof D2l): Promise<string[]> {
  const { nd, autograd, gluon, init } = d2l;
  const out: string[] = [];
  const X = nd.arange(12).reshape([3, 4]);
  const Y = nd.array([
    [2, 1, 4, 3],
    [1, 2, 3, 4],
    [4, 3, 2, 1],
  ]);
  out.push(nd.dot(X, Y.T).toString());
  out.push(X.get('1:3').toString());
  const x = nd.arange(4).reshape([4, 1]);
  x.attachGrad();
  const y = autograd.record(() => nd.dot(x.T, x).mul(2));
  y.backward();
  out.push(x.grad.toString());

  nd.random.seed(1);
  const F = nd.random.normal(0, 1, [1000, 2]);
  const t = nd.dot(F, nd.array([[2], [-3.4]])).add(4.2);
  const net = new gluon.nn.Sequential();
  net.add(new gluon.nn.Dense(1));
  net.initialize(new init.Normal(0.01));
  const loss = new gluon.loss.L2Loss();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.03 });
  const data = new gluon.data.DataLoader(new gluon.data.ArrayDataset(F, t), { batchSize: 10, shuffle: false });
  for (const [Xb, yb] of data) {
    const l = autograd.record(() => loss.forward(net.forward(Xb), yb));
    l.backward();
    trainer.step(10);
  }
  out.push(`loss after one epoch: ${loss.forward(net.forward(F), t).mean().asScalar().toFixed(4)}`);
  // A figure as the book draws one: SVG text (a page inserts it; only Node also rasterises it).
  const fig = await d2l.d2l.plot([1, 2, 3, 4], [1, 4, 9, 16], { xLabel: 'x', yLabel: 'y' });
  out.push(`figure: ${fig.svg.startsWith('<svg') ? 'svg' : 'not svg'}, ${(fig.svg.match(/<path/g) ?? []).length} paths`);
  return out;
}
