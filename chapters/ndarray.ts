/**
 * # 2.2 Data manipulation (数据操作)
 *
 * In deep learning we constantly store and manipulate data. MXNet's tool for this is NDArray;
 * d2l-ts has the same, with MXNet's names in camelCase. An NDArray is much like a NumPy
 * multi-dimensional array, with extras for deep learning: it runs on different devices and it
 * supports automatic differentiation (section 2.3).
 *
 * Run it: `d2l-ts run ndarray` or `node dist/chapters/ndarray.js`.
 */
import { nd } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'ndarray',
  title: '2.2 数据操作 (data manipulation)',
};

/** Python's rendering of a boolean. */
const py = (b: boolean) => (b ? 'True' : 'False');

/** A Python-like rendering of a shape: (12,) or (3, 4). */
const pyShape = (s: readonly number[]) => `(${s.join(', ')}${s.length === 1 ? ',' : ''})`;

/** The shortest decimal text that reads back as the float32 value v (as numpy prints a float32). */
export function float32Str(v: number): string {
  for (let p = 1; p <= 9; p++) {
    const t = Number(v.toPrecision(p));
    if (Math.fround(t) === Math.fround(v)) return String(t);
  }
  return String(v);
}

export async function run(opts: ChapterOptions = {}): Promise<{ lines: string[] }> {
  const { print, lines } = startRun(opts);

  // ## Creating an NDArray
  // arange(12) creates a row vector of 12 consecutive integers starting at 0 (stored as float32).
  const x = nd.arange(12);
  print(x);
  // Its shape, and its total number of elements.
  print(pyShape(x.shape));
  print(x.size);
  // reshape turns x into a matrix X of 3 rows and 4 columns; reshape([-1, 4]) would infer the 3.
  const X = x.reshape([3, 4]);
  print(X);
  // A tensor of shape (2, 3, 4) with every element 0, and a matrix of ones.
  print(nd.zeros([2, 3, 4]));
  print(nd.ones([3, 4]));
  // A JS list (nested arrays) gives the value of every element.
  let Y = nd.array([
    [2, 1, 4, 3],
    [1, 2, 3, 4],
    [4, 3, 2, 1],
  ]);
  print(Y);
  // Random elements: each drawn from the normal distribution with mean 0 and standard deviation 1.
  print(nd.random.normal(0, 1, [3, 4]));

  // ## Operations
  // Elementwise addition, multiplication, division, and exponentiation.
  print(X.add(Y));
  print(X.mul(Y));
  print(X.div(Y));
  print(Y.exp());
  // Matrix multiplication with dot: X times the transpose of Y.
  print(nd.dot(X, Y.T));
  // Concatenating along rows (dim 0, the first axis) and along columns (dim 1).
  print(nd.concat([X, Y], { dim: 0 }), nd.concat([X, Y], { dim: 1 }));
  // A conditional gives a new array of 0s and 1s: 1 where X and Y are equal.
  print(X.equal(Y));
  // Summing every element gives an array with a single element (a 0-d array here).
  print(X.sum());
  // asScalar turns a one-element result into a JS number; here the L2 norm of X.
  print(float32Str(X.norm().asScalar()));

  // ## Broadcasting
  // When two arrays of different shapes are combined elementwise, elements are copied so the two
  // shapes match: A's column is copied across 2 columns, B's row down 3 rows.
  const A = nd.arange(3).reshape([3, 1]);
  const B = nd.arange(2).reshape([1, 2]);
  print(A, B);
  print(A.add(B));

  // ## Indexing
  // Indices start at 0; a range includes its start and excludes its end. Rows 1 and 2 of X:
  print(X.get('1:3'));
  // Writing a single element (the book's X[1, 2] = 9)...
  X.set('1, 2', 9);
  print(X);
  // ...and a whole row: every column of row 1 (X[1:2, :] = 12).
  X.set('1:2, :', 12);
  print(X);

  // ## Memory overhead of operations
  // Every operation above allocates new memory for its result: after Y = Y + X, Y names a new
  // array (the book compares Python's id()).
  let before = Y;
  Y = Y.add(X);
  print(py(Y === before));
  // To write into an existing array, index the whole of it: Z[:] = X + Y keeps Z's identity
  // (X + Y still makes a temporary).
  const Z = Y.zerosLike();
  before = Z;
  Z.set(':', X.add(Y));
  print(py(Z === before));
  // The out option writes the result straight into Z, without the temporary.
  nd.elemwiseAdd(X, Y, { out: Z });
  print(py(Z === before));
  // When X is not used afterwards, X += Y (iadd) also saves memory.
  before = X;
  X.iadd(Y);
  print(py(X === before));

  // ## NDArray and JS arrays
  // nd.array converts JS data (nested arrays, typed arrays) to an NDArray; toArray converts back.
  const P = new Float32Array(6).fill(1);
  const D = nd.array(P, { shape: [2, 3] });
  print(D);
  print(JSON.stringify(D.toArray()));
  return { lines };
}

runIfMain(import.meta.url, run);
