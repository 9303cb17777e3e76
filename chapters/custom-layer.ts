/**
 * # 4.4 Custom layers (自定义层)
 *
 * Layers of our own: one without parameters (CenteredLayer subtracts the mean) and one with
 * parameters (MyDense, a fully connected layer with ReLU), used alone and inside a Sequential.
 *
 * Run it: `d2l-ts run custom-layer [--seed 1]`.
 *
 * Differences from the book's printout: a parameter created with `params.get` prints
 * `dtype=float32` (MXNet printed the numpy type, `<class 'numpy.float32'>`); the mean of the
 * centered output is a rounding-error-sized number, not the book's exact -7.212293e-10; other
 * values are random draws.
 */
import { nd, gluon, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { pyFloat32 } from './pyrepr.js';

const { nn } = gluon;

export const meta = {
  slug: 'custom-layer',
  title: '4.4 自定义层 (custom layers)',
};

// ## A custom layer without model parameters
// forward subtracts the input's mean from the input.
class CenteredLayer extends nn.Block {
  constructor(opts: gluon.BlockOptions = {}) {
    super(opts);
  }

  override forward(x: NDArray): NDArray {
    return x.sub(x.mean());
  }
}

// ## A custom layer with model parameters
// units: the number of outputs of the layer; inUnits: the number of inputs.
class MyDense extends nn.Block {
  weight: gluon.Parameter;
  bias: gluon.Parameter;
  constructor(units: number, inUnits: number, opts: gluon.BlockOptions = {}) {
    super(opts);
    this.weight = this.params.get('weight', { shape: [inUnits, units] });
    this.bias = this.params.get('bias', { shape: [units] });
  }

  override forward(x: NDArray): NDArray {
    const linear = nd.dot(x, this.weight.data()).add(this.bias.data());
    return nd.relu(linear);
  }
}

export interface CustomLayerResult {
  lines: string[];
  centered: NDArray;
  /** The mean of CenteredLayer's output after a Dense(128) layer (about 0). */
  centeredMean: number;
  dense: MyDense;
  denseOut: NDArray;
  netOut: NDArray;
}

/**
 * Runs 4.4: CenteredLayer and MyDense, alone and in a Sequential.
 *
 * @example
 * const { centered } = await run({ seed: 1 });
 * centered.toArray(); // [-2, -1, 0, 1, 2]
 */
export async function run(opts: ChapterOptions = {}): Promise<CustomLayerResult> {
  const { print, lines } = startRun(opts);
  gluon.resetNameCounters(); // names as in a fresh notebook (dense0, mydense0, ...)

  // ## A custom layer without model parameters
  const layer = new CenteredLayer();
  const centered = layer.forward(nd.array([1, 2, 3, 4, 5]));
  print(centered);

  // It composes with other layers into a more complex model.
  let net = new nn.Sequential();
  net.add(new nn.Dense(128), new CenteredLayer());

  // The mean of the centered output is 0 (up to float32 rounding).
  net.initialize();
  const y = net.forward(nd.random.uniform(0, 1, [4, 8]));
  const centeredMean = y.mean().asScalar();
  print(pyFloat32(centeredMean));

  // ## A custom layer with model parameters
  // A ParameterDict creates parameters with `get`.
  const params = new gluon.ParameterDict();
  params.get('param2', { shape: [2, 3] });
  print(params);

  const dense = new MyDense(3, 5);
  print(dense.params);

  // Forward computation with the custom layer's parameters.
  dense.initialize();
  const denseOut = dense.forward(nd.random.uniform(0, 1, [2, 5]));
  print(denseOut);

  // A model built from custom layers.
  net = new nn.Sequential();
  net.add(new MyDense(8, 64), new MyDense(1, 8));
  net.initialize();
  const netOut = net.forward(nd.random.uniform(0, 1, [2, 64]));
  print(netOut);
  return { lines, centered, centeredMean, dense, denseOut, netOut };
}

runIfMain(import.meta.url, run);
