/**
 * # 4.2 Access, initialization and sharing of model parameters (模型参数的访问、初始化和共享)
 *
 * How to read a model's parameters, initialize them (with the built-in initializers or our own)
 * and share them between layers.
 *
 * Run it: `d2l-ts run parameters [--seed 1]`.
 *
 * Differences from the book's printout: the type of a ParameterDict prints as
 * `gluon.ParameterDict` (the book's `mxnet.gluon.parameter.ParameterDict`); random values are our
 * generator's draws.
 */
import { nd, gluon, init, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { pyName, pyShape, pyTuple } from './pyrepr.js';

const { nn } = gluon;

export const meta = {
  slug: 'parameters',
  title: '4.2 模型参数的访问、初始化和共享 (model parameters)',
};

export interface ParametersResult {
  lines: string[];
  /** The network of the first parts (two Dense layers), after the custom initialization and setData. */
  net: gluon.Sequential;
  /** The network with a shared layer (parts 4): net[1] and net[2] share parameters. */
  sharedNet: gluon.Sequential;
  /** What MyInit printed and the values it drew (before setData added 1). */
  myInitRow: NDArray;
}

/**
 * Runs 4.2: parameter access, initialization (Normal, Constant, Xavier, a custom MyInit) and
 * sharing.
 *
 * @example
 * const { net } = await run({ seed: 1 });
 * net.get<gluon.nn.Dense>(0).weight.data().shape; // [256, 20]
 */
export async function run(opts: ChapterOptions = {}): Promise<ParametersResult> {
  const { print, lines } = startRun(opts);
  gluon.resetNameCounters(); // names as in a fresh notebook (dense0, ...)

  // An MLP with one hidden layer, default initialization, one forward pass.
  const net = new nn.Sequential();
  net.add(new nn.Dense(256, { activation: 'relu' }));
  net.add(new nn.Dense(10));
  net.initialize(); // the default initialization

  let X = nd.random.uniform(0, 1, [2, 20]);
  net.forward(X); // forward computation

  // ## Accessing model parameters
  // A layer's `params` is a ParameterDict: parameter names to Parameter instances.
  const dense0 = net.get<gluon.nn.Dense>(0);
  print(pyTuple([dense0.params, pyName(`gluon.${dense0.params.constructor.name}`)]));
  // A parameter by name, or as the layer's attribute.
  print(pyTuple([dense0.params.get('dense0_weight'), dense0.weight]));
  // data() is the parameter's value, grad() its gradient (zero: no backward yet).
  print(dense0.weight.data());
  print(dense0.weight.grad());
  print(net.get<gluon.nn.Dense>(1).bias!.data());
  // collectParams: every parameter of the nested blocks; a regular expression filters them.
  print(net.collectParams());
  print(net.collectParams('.*weight'));

  // ## Initializing model parameters
  // A second initialization needs forceReinit.
  net.initialize(new init.Normal(0.01), { forceReinit: true });
  print(dense0.weight.data().get(0));
  net.initialize(new init.Constant(1), { forceReinit: true });
  print(dense0.weight.data().get(0));
  // One parameter on its own: Xavier for the hidden layer's weight.
  dense0.weight.initialize(new init.Xavier(), { forceReinit: true });
  print(dense0.weight.data().get(0));

  // ## Custom initialization
  // Weights: half of them zero, the other half uniform on [-10, -5] and [5, 10].
  class MyInit extends init.Initializer {
    override initWeight(name: string, data: NDArray): void {
      print('Init', name, pyShape(data.shape));
      data.set(':', nd.random.uniform(-10, 10, data.shape));
      data.imul(data.abs().greaterEqual(5));
    }
  }
  net.initialize(new MyInit(), { forceReinit: true });
  const myInitRow = dense0.weight.data().get(0).copy();
  print(dense0.weight.data().get(0));
  // setData writes a parameter's value directly.
  dense0.weight.setData(dense0.weight.data().add(1));
  print(dense0.weight.data().get(0));

  // ## Sharing model parameters
  // The third layer is built with the second one's parameters.
  const sharedNet = new nn.Sequential();
  const shared = new nn.Dense(8, { activation: 'relu' });
  sharedNet.add(
    new nn.Dense(8, { activation: 'relu' }),
    shared,
    new nn.Dense(8, { activation: 'relu', params: shared.params }),
    new nn.Dense(10),
  );
  sharedNet.initialize();

  X = nd.random.uniform(0, 1, [2, 20]);
  sharedNet.forward(X);

  print(sharedNet.get<gluon.nn.Dense>(1).weight.data().get(0).equal(sharedNet.get<gluon.nn.Dense>(2).weight.data().get(0)));
  return { lines, net, sharedNet, myInitRow };
}

runIfMain(import.meta.url, run);
