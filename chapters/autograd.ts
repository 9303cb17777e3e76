/**
 * # 2.3 Automatic differentiation (自动求梯度)
 *
 * Deep learning often needs gradients. The autograd module computes them automatically: it
 * records the computation while it runs, then backpropagates through the recorded graph.
 *
 * Run it: `d2l-ts run autograd` or `node dist/chapters/autograd.js`.
 */
import { nd, autograd, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'autograd',
  title: '2.3 自动求梯度 (automatic differentiation)',
};

/** Python's rendering of a boolean. */
const py = (b: boolean) => (b ? 'True' : 'False');

export async function run(opts: ChapterOptions = {}): Promise<{ lines: string[] }> {
  const { print, lines } = startRun(opts);

  // ## A simple example
  // Differentiate y = 2 x^T x with respect to the column vector x.
  const x = nd.arange(4).reshape([4, 1]);
  print(x);
  // attachGrad allocates the memory for the gradient we ask for.
  x.attachGrad();
  // record() remembers the computation so its gradient can be found.
  const y = autograd.record(() => nd.dot(x.T, x).mul(2));
  // backward() computes the gradient. The gradient of y = 2 x^T x is 4x; check it.
  y.backward();
  print(py(x.grad.sub(x.mul(4)).norm().asScalar() === 0));
  print(x.grad);

  // ## Training mode and predict mode
  // record() switches to training mode (some layers, like dropout, behave differently there).
  print(py(autograd.isTraining()));
  autograd.record(() => print(py(autograd.isTraining())));

  // ## Gradients through JS control flow
  // Even when a function's computation graph depends on loops and conditionals, autograd gets the
  // gradient: the number of iterations of the while loop and the branch taken depend on a.
  function f(a: NDArray): NDArray {
    let b = a.mul(2);
    while (b.norm().asScalar() < 1000) b = b.mul(2);
    let c: NDArray;
    if (b.sum().asScalar() > 0) c = b;
    else c = b.mul(100);
    return c;
  }
  // a is a random scalar (shape (1,)), as in the book.
  const a = nd.random.normal(0, 1, [1]);
  a.attachGrad();
  const c = autograd.record(() => f(a));
  c.backward();
  // f is linear in a: f(a) = x * a for some x, so the gradient is x = c / a.
  print(a.grad.equal(c.div(a)));
  return { lines };
}

runIfMain(import.meta.url, run);
