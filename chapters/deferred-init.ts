/**
 * # 4.3 Deferred initialization of model parameters (模型参数的延后初始化)
 *
 * Gluon creates a layer's parameters only when it knows their shape: `initialize()` does not
 * allocate a Dense layer's weight until the first forward pass shows the number of inputs. This
 * program makes that visible with an initializer that prints whenever it runs.
 *
 * Run it: `d2l-ts run deferred-init`. Everything it prints is deterministic and matches the book.
 */
import { nd, gluon, init, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { pyShape } from './pyrepr.js';

const { nn } = gluon;

export const meta = {
  slug: 'deferred-init',
  title: '4.3 模型参数的延后初始化 (deferred initialization)',
};

/**
 * Runs 4.3: an initializer that prints, run at the first forward pass (deferred), not at the
 * second, at a forced re-initialization, and at `initialize()` when `inUnits` is given.
 *
 * @example
 * const { lines } = await run();
 * lines[0]; // 'Init dense0_weight (256, 20)'
 */
export async function run(opts: ChapterOptions = {}): Promise<{ lines: string[]; marks: string[] }> {
  const { print, lines } = startRun(opts);
  gluon.resetNameCounters(); // names as in a fresh notebook (dense0, ...)
  // Where in the program each Init line came from (for the tests: which step initialized what).
  const marks: string[] = [];
  let step = '';

  // ## Deferred initialization
  class MyInit extends init.Initializer {
    override initWeight(name: string, data: NDArray): void {
      print('Init', name, pyShape(data.shape));
      marks.push(`${step}: ${name}`);
      // The actual initialization is left out here.
    }
  }

  let net = new nn.Sequential();
  net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));

  step = 'initialize';
  net.initialize(new MyInit()); // prints nothing: the input size is not known yet

  // The first forward pass: now the shapes are known and MyInit runs.
  const X = nd.random.uniform(0, 1, [2, 20]);
  step = 'first forward';
  let Y = net.forward(X);
  // A second forward pass initializes nothing.
  step = 'second forward';
  Y = net.forward(X);

  // ## Avoiding deferred initialization
  // Re-initializing a network whose shapes are known happens at once.
  step = 'forceReinit';
  net.initialize(new MyInit(), { forceReinit: true });

  // So does initializing layers whose input size is given (inUnits).
  net = new nn.Sequential();
  net.add(new nn.Dense(256, { inUnits: 20, activation: 'relu' }));
  net.add(new nn.Dense(10, { inUnits: 256 }));

  step = 'initialize with inUnits';
  net.initialize(new MyInit());
  if (Y.shape[1] !== 10) throw new Error(`deferred-init: the network's output has shape ${pyShape(Y.shape)}, expected (2, 10)`);
  return { lines, marks };
}

runIfMain(import.meta.url, run);
