/**
 * # 3.15 Numerical stability and model initialization (数值稳定性和模型初始化)
 *
 * The book's section is text: deep models suffer from vanishing and exploding values and
 * gradients; parameters must be initialized randomly to break the symmetry between hidden units;
 * MXNet's default initialization and Xavier's. This program shows each point numerically:
 *
 * - 30 layers with weight 0.2 or 5 (identity activation, scalars) multiply the input by
 *   0.2^30 ≈ 1e-21 or 5^30 ≈ 9e20, and the gradient with respect to the input vanishes or
 *   explodes the same way (computed by autograd through the 30 layers);
 * - a hidden layer whose units start equal stays equal under gradient descent (one unit's
 *   worth), while a random start lets the units differ;
 * - `net.initialize()` draws weights from U(-0.07, 0.07) and sets biases to 0;
 * - Xavier's U(-√(6/(a+b)), √(6/(a+b))) keeps the variance of a layer's outputs near that of its
 *   inputs.
 *
 * Run it: `d2l-ts run numerical-stability-and-init [--seed 1]`.
 */
import { nd, autograd, gluon, init, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { pyFloat32 } from './pyrepr.js';

const { loss: gloss, nn } = gluon;

export const meta = {
  slug: 'numerical-stability-and-init',
  title: '3.15 数值稳定性和模型初始化 (numerical stability and initialization)',
};

export interface NumericalStabilityResult {
  lines: string[];
  /** H^(30) / X and ∂H^(30)/∂X for weights 0.2 and 5. */
  vanishing: { output: number; grad: number };
  exploding: { output: number; grad: number };
  /** The largest difference between hidden units' weights after training, from equal and from random starts. */
  symmetricSpread: number;
  randomSpread: number;
  /** The default initializer's weight range and bias values. */
  defaultRange: [number, number];
  defaultBiasMax: number;
  /** Xavier: the bound, the observed range, and the variance of outputs over that of inputs. */
  xavierBound: number;
  xavierRange: [number, number];
  varianceRatio: number;
}

/** The largest difference between any two rows of a matrix (0 when every row is the same). */
function rowSpread(W: NDArray): number {
  return W.max({ axis: 0 })
    .sub(W.min({ axis: 0 }))
    .max()
    .asScalar();
}

/**
 * Runs 3.15: vanishing and exploding products, symmetric vs random initialization, the default
 * initializer and Xavier's.
 *
 * @example
 * const { vanishing, exploding } = await run({ seed: 1 });
 * vanishing.output; // about 1e-21
 */
export async function run(opts: ChapterOptions = {}): Promise<NumericalStabilityResult> {
  const { print, lines } = startRun(opts);
  gluon.resetNameCounters();

  // ## Vanishing and exploding
  // With identity activations and no biases, layer l of an MLP outputs H^(l) = X W^(1) ... W^(l).
  // With scalar weights 0.2 or 5, layer 30 multiplies the input by 0.2^30 or 5^30; so does the
  // gradient with respect to the input.
  const deepChain = (w: number) => {
    const X = nd.array([1]);
    X.attachGrad();
    const H = autograd.record(() => {
      let Hl = X;
      for (let l = 0; l < 30; l++) Hl = Hl.mul(nd.array([w]));
      return Hl;
    });
    H.backward();
    return { output: H.asScalar(), grad: X.grad.asScalar() };
  };
  const vanishing = deepChain(0.2);
  const exploding = deepChain(5);
  print(`weights 0.2: H^(30) = ${pyFloat32(vanishing.output)} X (0.2^30 ≈ 1e-21), ∂H^(30)/∂X = ${pyFloat32(vanishing.grad)}`);
  print(`weights 5:   H^(30) = ${pyFloat32(exploding.output)} X (5^30 ≈ 9e20), ∂H^(30)/∂X = ${pyFloat32(exploding.grad)}`);

  // ## Random initialization of model parameters
  // An MLP with one output unit. If every hidden unit starts with the same parameters, each
  // computes the same value in the forward pass and gets the same gradient in the backward pass:
  // after any number of gradient steps they are still equal, and the layer works as one unit.
  const X = nd.random.normal(0, 1, [64, 4]);
  const y = nd.dot(X, nd.array([[1], [-2], [3], [0.5]])).tanh();
  const loss = new gloss.L2Loss();
  const trainHidden = (initializer: gluon.Initializer): NDArray => {
    const net = new nn.Sequential();
    net.add(new nn.Dense(3, { activation: 'tanh' }), new nn.Dense(1));
    net.initialize(initializer, { forceReinit: true });
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
    for (let step = 0; step < 50; step++) {
      const l = autograd.record(() => loss.forward(net.forward(X), y));
      l.backward();
      trainer.step(X.shape[0]);
    }
    return net.get<gluon.nn.Dense>(0).weight.data();
  };
  const symmetric = trainHidden(new init.Constant(0.5));
  const symmetricSpread = rowSpread(symmetric);
  print('hidden weights after 50 steps from equal starts (one row per hidden unit):', symmetric);
  print(`largest difference between hidden units: ${pyFloat32(symmetricSpread)}`);
  const random = trainHidden(new init.Normal(0.5));
  const randomSpread = rowSpread(random);
  print(`from a random start (Normal(0.5)): largest difference between hidden units: ${pyFloat32(randomSpread)}`);

  // ### MXNet's default random initialization
  // net.initialize() without an initializer: weights from U(-0.07, 0.07), biases set to 0.
  const dense = new nn.Dense(256, { inUnits: 784 });
  dense.initialize();
  const W = dense.weight.data();
  const defaultRange: [number, number] = [W.min().asScalar(), W.max().asScalar()];
  const defaultBiasMax = dense.bias!.data().abs().max().asScalar();
  print(
    `default initialization of a Dense(256) on 784 inputs: weights in [${pyFloat32(defaultRange[0])}, ${pyFloat32(defaultRange[1])}], ` +
      `max |bias| = ${pyFloat32(defaultBiasMax)}`,
  );

  // ### Xavier random initialization
  // For a fully connected layer with a inputs and b outputs, Xavier draws each weight from
  // U(-√(6/(a+b)), √(6/(a+b))): the variance 2/(a+b) keeps a layer's output variance from depending
  // on its number of inputs, and its gradient's variance from depending on its number of outputs.
  const a = 784;
  const b = 256;
  const xavierBound = Math.sqrt(6 / (a + b));
  const xd = new nn.Dense(b, { inUnits: a, useBias: false });
  xd.initialize(new init.Xavier());
  const XW = xd.weight.data();
  const xavierRange: [number, number] = [XW.min().asScalar(), XW.max().asScalar()];
  print(
    `Xavier for a = ${a}, b = ${b}: bound √(6/(a+b)) = ${pyFloat32(xavierBound)}, weights in ` +
      `[${pyFloat32(xavierRange[0])}, ${pyFloat32(xavierRange[1])}], variance ${pyFloat32(XW.square().mean().asScalar())} (2/(a+b) = ${pyFloat32(2 / (a + b))})`,
  );
  // The output of a Xavier layer has a variance near its inputs' times a·2/(a+b).
  const inputs = nd.random.normal(0, 1, [512, a]);
  const outputs = xd.forward(inputs);
  const varianceRatio = outputs.square().mean().asScalar() / inputs.square().mean().asScalar();
  print(`variance of the outputs / variance of the inputs: ${pyFloat32(varianceRatio)} (a·2/(a+b) = ${pyFloat32((2 * a) / (a + b))})`);
  return {
    lines,
    vanishing,
    exploding,
    symmetricSpread,
    randomSpread,
    defaultRange,
    defaultBiasMax,
    xavierBound,
    xavierRange,
    varianceRatio,
  };
}

runIfMain(import.meta.url, run);
