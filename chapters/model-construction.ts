/**
 * # 4.1 Model construction (模型构造)
 *
 * Besides adding layers to a Sequential, a model can be built by subclassing Block: it makes model
 * construction more flexible. A Block can be a layer (Dense), a whole model (the MLP below) or a
 * part of one, and Blocks nest.
 *
 * Run it: `d2l-ts run model-construction [--seed 1]`.
 *
 * Differences from the book's printout: `x.sum()` is a 0-d array here (it prints `<NDArray  @cpu(0)>`;
 * MXNet 1.x gave shape (1,)); the printed values are random draws (MXNet's generator is not ours).
 */
import { nd, gluon, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

const { nn } = gluon;

export const meta = {
  slug: 'model-construction',
  title: '4.1 模型构造 (model construction)',
};

// ## Constructing a model by subclassing Block
// The MLP class overrides Block's constructor and forward: the first creates the model
// parameters (two fully connected layers), the second defines the forward computation. There is
// no backward to write: autograd derives it.
class MLP extends nn.Block {
  hidden: gluon.nn.Dense;
  output: gluon.nn.Dense;
  // Declare the layers with model parameters: two fully connected layers.
  constructor(opts: gluon.BlockOptions = {}) {
    // Block's constructor does the necessary set-up; options such as `params` (4.2) pass through.
    super(opts);
    this.hidden = new nn.Dense(256, { activation: 'relu' }); // hidden layer
    this.output = new nn.Dense(10); // output layer
  }

  // The forward computation: how the model's output is computed from the input x.
  override forward(x: NDArray): NDArray {
    return this.output.forward(this.hidden.forward(x));
  }
}

// ## Sequential is a subclass of Block
// A class with Sequential's job: `add` stores blocks as children, `forward` runs them in order.
class MySequential extends nn.Block {
  constructor(opts: gluon.BlockOptions = {}) {
    super(opts);
  }

  add(block: gluon.Block): void {
    // block is a Block instance with, we assume, a unique name. Storing it in the Block's
    // _children (an ordered Map) makes initialize() initialize it too.
    this._children.set(block.name, block);
  }

  override forward(x: NDArray): NDArray {
    // A Map iterates in insertion order, so the children run in the order they were added.
    for (const block of this._children.values()) x = block.forward(x);
    return x;
  }
}

// ## Constructing complex models
// FancyMLP uses a constant parameter (created with getConstant, never updated by training),
// NDArray functions, JS control flow, and the same layer twice.
class FancyMLP extends nn.Block {
  randWeight: gluon.Constant;
  dense: gluon.nn.Dense;
  constructor(opts: gluon.BlockOptions = {}) {
    super(opts);
    // A random weight created with getConstant is not iterated during training (a constant).
    this.randWeight = this.params.getConstant('rand_weight', nd.random.uniform(0, 1, [20, 20]));
    this.dense = new nn.Dense(20, { activation: 'relu' });
  }

  override forward(x: NDArray): NDArray {
    x = this.dense.forward(x);
    // The constant parameter, with NDArray's relu and dot.
    x = nd.relu(nd.dot(x, this.randWeight.data()).add(1));
    // Reuse the fully connected layer: the same as two layers sharing parameters.
    x = this.dense.forward(x);
    // Control flow; asScalar returns a JS number to compare.
    while (x.norm().asScalar() > 1) x.idiv(2);
    if (x.norm().asScalar() < 0.8) x.imul(10);
    return x.sum();
  }
}

// FancyMLP and Sequential are both Blocks, so they nest.
class NestMLP extends nn.Block {
  net: gluon.Sequential;
  dense: gluon.nn.Dense;
  constructor(opts: gluon.BlockOptions = {}) {
    super(opts);
    this.net = new nn.Sequential();
    this.net.add(new nn.Dense(64, { activation: 'relu' }), new nn.Dense(32, { activation: 'relu' }));
    this.dense = new nn.Dense(16, { activation: 'relu' });
  }

  override forward(x: NDArray): NDArray {
    return this.dense.forward(this.net.forward(x));
  }
}

export interface ModelConstructionResult {
  lines: string[];
  /** The outputs of MLP, MySequential, FancyMLP and the nested model on X. */
  outputs: { mlp: NDArray; mySequential: NDArray; fancy: NDArray; nested: NDArray };
  X: NDArray;
}

/**
 * Runs 4.1: an MLP as a Block subclass, a Sequential of our own, FancyMLP and nested blocks.
 *
 * @example
 * const { outputs } = await run({ seed: 1 });
 * outputs.mlp.shape; // [2, 10]
 */
export async function run(opts: ChapterOptions = {}): Promise<ModelConstructionResult> {
  const { print, lines } = startRun(opts);
  gluon.resetNameCounters(); // names as in a fresh notebook (dense0, ...)

  // ## Constructing a model by subclassing Block
  const X = nd.random.uniform(0, 1, [2, 20]);
  let net: gluon.Block = new MLP();
  net.initialize();
  const mlp = net.forward(X);
  print(mlp);

  // ## Sequential is a subclass of Block
  const seq = new MySequential();
  seq.add(new nn.Dense(256, { activation: 'relu' }));
  seq.add(new nn.Dense(10));
  seq.initialize();
  const mySequential = seq.forward(X);
  print(mySequential);

  // ## Constructing complex models
  net = new FancyMLP();
  net.initialize();
  const fancy = net.forward(X);
  print(fancy);

  const nestNet = new nn.Sequential();
  nestNet.add(new NestMLP(), new nn.Dense(20), new FancyMLP());
  nestNet.initialize();
  const nested = nestNet.forward(X);
  print(nested);
  return { lines, outputs: { mlp, mySequential, fancy, nested }, X };
}

runIfMain(import.meta.url, run);
