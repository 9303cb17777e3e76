/**
 * # 4.5 Reading and storing (读取和存储)
 *
 * Saving arrays and a trained model's parameters to files, and reading them back: `nd.save` /
 * `nd.load` for arrays (one array, a list or a dict of them), `saveParameters` /
 * `loadParameters` for a Gluon model. The files are safetensors (see src/ndarray/io.ts for how
 * lists and dicts map to tensor names); they go to `<outDir>` (default ./out/read-write).
 *
 * Run it: `d2l-ts run read-write [--out-dir D]`. Everything it prints is deterministic and matches
 * the book.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { nd, gluon, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { pyDict, pyList, pyTuple } from './pyrepr.js';

const { nn } = gluon;

export const meta = {
  slug: 'read-write',
  title: '4.5 读取和存储 (reading and storing)',
};

// The MLP of 4.1, whose parameters we save and load.
class MLP extends nn.Block {
  hidden: gluon.nn.Dense;
  output: gluon.nn.Dense;
  constructor(opts: gluon.BlockOptions = {}) {
    super(opts);
    this.hidden = new nn.Dense(256, { activation: 'relu' });
    this.output = new nn.Dense(10);
  }

  override forward(x: NDArray): NDArray {
    return this.output.forward(this.hidden.forward(x));
  }
}

export interface ReadWriteResult {
  lines: string[];
  /** The files written. */
  files: string[];
  /** The original and the reloaded model's outputs on the same input. */
  Y: NDArray;
  Y2: NDArray;
}

/**
 * Runs 4.5: nd.save/nd.load of an array, a list and a dict, then saveParameters/loadParameters.
 *
 * @example
 * const { Y, Y2 } = await run({ outDir: 'out/read-write' });
 * Y2.equal(Y).min().asScalar(); // 1
 */
export async function run(opts: ChapterOptions = {}): Promise<ReadWriteResult> {
  const { print, lines } = startRun(opts);
  gluon.resetNameCounters();
  const outDir = opts.outDir ?? join('out', meta.slug);
  mkdirSync(outDir, { recursive: true });
  const file = (name: string) => join(outDir, name);

  // ## Reading and writing NDArrays
  // Save an array to the file 'x' and read it back: nd.load returns a list, as MXNet does.
  const x = nd.ones([3]);
  nd.save(file('x'), x);

  const x2 = nd.load(file('x'));
  print(pyList(x2 as NDArray[]));

  // A list of arrays, read back into variables.
  const y = nd.zeros([4]);
  nd.save(file('xy'), [x, y]);
  const [x3, y2] = nd.load(file('xy')) as NDArray[];
  print(pyTuple([x3, y2]));

  // A dict from strings to arrays.
  const mydict = { x, y };
  nd.save(file('mydict'), mydict);
  const mydict2 = nd.load(file('mydict')) as Record<string, NDArray>;
  print(pyDict(mydict2));

  // ## Reading and writing Gluon model parameters
  const net = new MLP();
  net.initialize();
  const X = nd.random.uniform(0, 1, [2, 20]);
  const Y = net.forward(X);

  // Save the parameters of the model (not the model: its code is the class above).
  const filename = file('mlp.params');
  net.saveParameters(filename);

  // A second instance of the model reads the parameters from the file.
  const net2 = new MLP();
  net2.loadParameters(filename);

  // Both instances hold the same parameters, so they compute the same output.
  const Y2 = net2.forward(X);
  print(Y2.equal(Y));
  return { lines, files: ['x', 'xy', 'mydict', 'mlp.params'].map(file), Y, Y2 };
}

runIfMain(import.meta.url, run);
