/**
 * The book's chapter-7 helpers (d2lzh `train_2d`, `show_trace_2d`, `get_data_ch7`, `train_ch7`,
 * `train_gluon_ch7`) in camelCase. The 2-D helpers work on plain numbers, as the book's Python
 * floats; the airfoil helpers train a linear regression the book's way, reading the loss over the
 * whole data set every 100 examples. A plot is drawn when a file is given (there is no screen).
 */
import type { TopLevelSpec } from 'vega-lite';
import { ValueError } from '../core/errors.js';
import { record } from '../autograd/autograd.js';
import { NDArray } from '../ndarray/ndarray.js';
import * as nd from '../ndarray/nd.js';
import { L2Loss } from '../gluon/loss.js';
import { Sequential } from '../gluon/block.js';
import { Dense } from '../gluon/nn/basic-layers.js';
import { Normal } from '../gluon/init.js';
import { Trainer, type TrainerOptimizerParams } from '../gluon/trainer.js';
import { ArrayDataset } from '../gluon/data/dataset.js';
import { DataLoader } from '../gluon/data/dataloader.js';
import { bookFileBytes, type DataOptions } from './data-files.js';
import { linreg, squaredLoss } from './linreg.js';
import { getFigsize, plot, renderVegaLite, setFigsize, type Figure } from './plot.js';

/**
 * Python's `'%.6f' % v` (the book's `%f`): fixed notation with `digits` decimals, `-0.000000` for
 * a negative value that rounds to zero (and for -0), `nan`, `inf` and `-inf` as Python writes them.
 *
 * @example
 * d2l.pyFixed(-0.0576460752303423); // '-0.057646'
 * d2l.pyFixed(-1e-9); // '-0.000000'
 */
export function pyFixed(v: number, digits = 6): string {
  if (typeof v !== 'number') throw new ValueError(`pyFixed: expected a number, got ${typeof v} ${String(v)}`);
  if (!Number.isInteger(digits) || digits < 0 || digits > 100)
    throw new ValueError(`pyFixed: digits must be an integer in [0, 100], got ${digits}`);
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const neg = v < 0 || Object.is(v, -0);
  const a = Math.abs(v);
  // toFixed switches to exponent notation at 1e21; Python keeps every digit.
  const body = a < 1e21 ? a.toFixed(digits) : BigInt(Math.round(a)).toString() + (digits > 0 ? '.' + '0'.repeat(digits) : '');
  return (neg ? '-' : '') + body;
}

// ----------------------------------------------------------------------------- 1-D demo (7.2)

/** Options of showTrace. */
export interface ShowTraceOptions {
  /** Where to write the figure (`.png` or `.svg`); without it the figure is only returned. */
  file?: string;
}

/**
 * The 7.2 section's `show_trace`: f(x) = x² over [-n, n) in steps of 0.1 with
 * n = max(|min(res)|, |max(res)|, 10), and the iterates `res` of gradient descent drawn on it as
 * orange points joined by a line, at the book's default figure size.
 *
 * @example
 * await d2l.showTrace([10, 6, 3.6, 2.16], { file: 'out/gd-sgd/gd-0.2.png' });
 */
export async function showTrace(res: readonly number[], opts: ShowTraceOptions = {}): Promise<Figure> {
  if (!Array.isArray(res) || res.length === 0 || !res.every((v) => typeof v === 'number' && Number.isFinite(v)))
    throw new ValueError('d2l.showTrace: res must be a non-empty list of finite numbers (the iterates of gradient descent)');
  const n = Math.max(Math.abs(Math.min(...res)), Math.abs(Math.max(...res)), 10);
  const line = arange(-n, n, 0.1).map((x, order) => ({ x, y: x * x, order }));
  const trace = res.map((x, order) => ({ x, y: x * x, order }));
  setFigsize();
  const [w, h] = getFigsize();
  const x = { field: 'x', type: 'quantitative' as const, title: 'x', scale: { zero: false, nice: false } };
  const y = { field: 'y', type: 'quantitative' as const, title: 'f(x)' };
  const order = { field: 'order', type: 'quantitative' as const };
  const spec: TopLevelSpec = {
    width: Math.round(w * 100),
    height: Math.round(h * 100),
    layer: [
      { data: { values: line }, mark: { type: 'line', color: '#1f77b4', strokeWidth: 1.5 }, encoding: { x, y, order } },
      {
        data: { values: trace },
        mark: { type: 'line', color: '#ff7f0e', strokeWidth: 1.5, point: { filled: true, size: 40, color: '#ff7f0e' } },
        encoding: { x, y, order },
      },
    ],
  };
  return renderVegaLite(spec, opts.file);
}

// ----------------------------------------------------------------------------- 2-D demos (7.2-7.6)

/** One step of a 2-D optimizer: the point (x1, x2) and two state variables in, the new four out. */
export type Trainer2d = (x1: number, x2: number, s1: number, s2: number) => readonly [number, number, number, number];

/** Options of train2d. */
export interface Train2dOptions {
  /** Where the line goes (default console.log). */
  print?: (line: string) => void;
  /** Steps to take (default 20, the book's). */
  steps?: number;
  /** The start point (default [-5, -2], the book's). */
  start?: readonly [number, number];
}

/**
 * The book's `train_2d` (7.2): 20 steps of the 2-D optimizer `trainer` from (x1, x2) = (-5, -2)
 * with the states s1 = s2 = 0; prints `epoch 20, x1 -0.057646, x2 -0.000073` and returns every
 * point visited, the start first (21 points).
 *
 * @example
 * const eta = 0.1;
 * const gd2d: d2l.Trainer2d = (x1, x2) => [x1 - eta * 2 * x1, x2 - eta * 4 * x2, 0, 0];
 * const res = d2l.train2d(gd2d); // prints 'epoch 20, x1 -0.057646, x2 -0.000073'
 */
export function train2d(trainer: Trainer2d, opts: Train2dOptions = {}): [number, number][] {
  if (typeof trainer !== 'function')
    throw new ValueError(`d2l.train2d: trainer must be a function (x1, x2, s1, s2) => [x1, x2, s1, s2], got ${typeof trainer}`);
  const steps = opts.steps ?? 20;
  if (!Number.isInteger(steps) || steps < 1) throw new ValueError(`d2l.train2d: steps must be a positive integer, got ${steps}`);
  let [x1, x2] = opts.start ?? [-5, -2];
  let s1 = 0;
  let s2 = 0;
  const results: [number, number][] = [[x1, x2]];
  for (let i = 0; i < steps; i++) {
    const out = trainer(x1, x2, s1, s2);
    if (!Array.isArray(out) || out.length !== 4 || !out.every((v) => typeof v === 'number'))
      throw new ValueError(
        `d2l.train2d: the trainer must return four numbers [x1, x2, s1, s2], got ${JSON.stringify(out)} at step ${i + 1}`,
      );
    [x1, x2, s1, s2] = out;
    results.push([x1, x2]);
  }
  (opts.print ?? ((l: string) => console.log(l)))(`epoch ${steps}, x1 ${pyFixed(x1)}, x2 ${pyFixed(x2)}`);
  return results;
}

/**
 * numpy's `arange(start, stop, step)` as numbers: start + i·step for i = 0, 1, ... while below
 * stop, with numpy's count ceil((stop - start) / step).
 */
function arange(start: number, stop: number, step: number): number[] {
  const n = Math.max(0, Math.ceil((stop - start) / step));
  return Array.from({ length: n }, (_, i) => start + i * step);
}

/**
 * The contour levels matplotlib's `contour(X, Y, Z)` picks by default: `MaxNLocator(8)` ticks
 * (steps 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 times a power of ten) over [zmin, zmax], keeping
 * those strictly inside.
 *
 * @example
 * d2l.contourLevels(0, 48.25); // [8, 16, 24, 32, 40, 48]
 */
export function contourLevels(zmin: number, zmax: number, nbins = 8): number[] {
  if (!(Number.isFinite(zmin) && Number.isFinite(zmax)))
    throw new ValueError(`d2l.contourLevels: zmin and zmax must be finite, got ${zmin} and ${zmax}`);
  if (!(zmax > zmin)) return [];
  const steps = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
  const raw = (zmax - zmin) / nbins;
  const scale = 10 ** Math.floor(Math.log10(raw));
  for (const s of [...steps, 15, 20]) {
    const step = s * scale;
    if (step < raw * (1 - 1e-10)) continue;
    const first = Math.floor(zmin / step) * step;
    const levels: number[] = [];
    // Rounded to the step's decimals, as the printed tick values: 0.1 * 3 is 0.3, not 0.30000000000000004.
    for (let k = 0; first + k * step <= zmax + step; k++) {
      const v = Number((first + k * step).toPrecision(12));
      if (v > zmin && v < zmax) levels.push(v);
    }
    return levels;
  }
  return [];
}

/** A contour line piece: from (x, y) to (x2, y2), at `level`. */
export interface ContourSegment {
  x: number;
  y: number;
  x2: number;
  y2: number;
  level: number;
}

/**
 * The contour lines of z over a grid (marching squares with linear interpolation along the cell
 * edges; a saddle cell is split by the value at its centre): `z[j][i]` is the value at
 * (xs[i], ys[j]). Returns the pieces of every level.
 *
 * @example
 * const segs = d2l.contourSegments([0, 1], [0, 1], [[0, 1], [1, 2]], [1]); // one piece through (1, 0) and (0, 1)
 */
export function contourSegments(
  xs: readonly number[],
  ys: readonly number[],
  z: readonly (readonly number[])[],
  levels: readonly number[],
): ContourSegment[] {
  if (z.length !== ys.length || z.some((row) => row.length !== xs.length))
    throw new ValueError(
      `d2l.contourSegments: z must have ys.length = ${ys.length} rows of xs.length = ${xs.length} values, got ${z.length} rows of ${z[0]?.length ?? 0}`,
    );
  const segs: ContourSegment[] = [];
  for (const L of levels) {
    for (let j = 0; j + 1 < ys.length; j++) {
      for (let i = 0; i + 1 < xs.length; i++) {
        // Corners counter-clockwise from the lower left; edges e_k join corner k and k + 1.
        const cx = [xs[i], xs[i + 1], xs[i + 1], xs[i]];
        const cy = [ys[j], ys[j], ys[j + 1], ys[j + 1]];
        const cz = [z[j][i], z[j][i + 1], z[j + 1][i + 1], z[j + 1][i]];
        const pts: ([number, number] | null)[] = [];
        for (let k = 0; k < 4; k++) {
          const a = cz[k];
          const b = cz[(k + 1) % 4];
          if (a < L === b < L) {
            pts.push(null);
            continue;
          }
          const t = (L - a) / (b - a);
          pts.push([cx[k] + t * (cx[(k + 1) % 4] - cx[k]), cy[k] + t * (cy[(k + 1) % 4] - cy[k])]);
        }
        const found = pts.filter((p): p is [number, number] => p !== null);
        const add = (p: [number, number], q: [number, number]) => segs.push({ x: p[0], y: p[1], x2: q[0], y2: q[1], level: L });
        if (found.length === 2) add(found[0], found[1]);
        else if (found.length === 4) {
          const centre = (cz[0] + cz[1] + cz[2] + cz[3]) / 4;
          const [e0, e1, e2, e3] = pts as [number, number][];
          // Corner 0 on the centre's side: the lines cut off corners 1 and 3; else corners 0 and 2.
          if (cz[0] < L === centre < L) {
            add(e0, e1);
            add(e2, e3);
          } else {
            add(e3, e0);
            add(e1, e2);
          }
        }
      }
    }
  }
  return segs;
}

/** Options of showTrace2d. */
export interface ShowTrace2dOptions {
  /** Where to write the figure (`.png` or `.svg`); without it the figure is only returned. */
  file?: string;
  /** The contour levels (default: matplotlib's choice, see `contourLevels`). */
  levels?: readonly number[];
}

/**
 * The book's `show_trace_2d` (7.2): the contour lines of `f` over x1 in [-5.5, 1), x2 in [-3, 1)
 * (grid step 0.1, matplotlib's default levels) with the optimizer's path `results` drawn over them
 * as orange points joined by a line. The axes span the grid and the path, as matplotlib's
 * autoscaling does, at the size `setFigsize` set.
 *
 * @example
 * const f2d = (x1: number, x2: number) => x1 ** 2 + 2 * x2 ** 2;
 * await d2l.showTrace2d(f2d, d2l.train2d(gd2d), { file: 'out/gd-sgd/gd-2d.png' });
 */
export async function showTrace2d(
  f: (x1: number, x2: number) => number,
  results: readonly (readonly [number, number])[],
  opts: ShowTrace2dOptions = {},
): Promise<Figure> {
  if (typeof f !== 'function') throw new ValueError(`d2l.showTrace2d: f must be a function (x1, x2) => number, got ${typeof f}`);
  if (!Array.isArray(results) || results.length === 0 || !results.every((p) => Array.isArray(p) && p.length === 2))
    throw new ValueError('d2l.showTrace2d: results must be a non-empty list of [x1, x2] points (what train2d returns)');
  const xs = arange(-5.5, 1.0, 0.1);
  const ys = arange(-3.0, 1.0, 0.1);
  const z = ys.map((y) => xs.map((x) => f(x, y)));
  const flat = z.flat();
  if (!flat.every(Number.isFinite)) throw new ValueError('d2l.showTrace2d: f must be finite over the grid [-5.5, 1) x [-3, 1)');
  const levels = opts.levels ?? contourLevels(Math.min(...flat), Math.max(...flat));
  const segs = contourSegments(xs, ys, z, levels);
  // Points far outside float range (a diverging run) are left out of the drawing, not of the data.
  const trace = results
    .map(([x1, x2], order) => ({ x: x1, y: x2, order }))
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && Math.abs(p.x) < 1e15 && Math.abs(p.y) < 1e15);
  const allX = [xs[0], xs[xs.length - 1], ...trace.map((p) => p.x)];
  const allY = [ys[0], ys[ys.length - 1], ...trace.map((p) => p.y)];
  const [w, h] = getFigsize();
  const scale = (vals: number[]) => ({ domain: [Math.min(...vals), Math.max(...vals)], nice: false, zero: false });
  const spec: TopLevelSpec = {
    width: Math.round(w * 100),
    height: Math.round(h * 100),
    layer: [
      {
        data: { values: segs },
        mark: { type: 'rule', color: '#1f77b4', strokeWidth: 1.5, clip: true },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: 'x1', scale: scale(allX) },
          y: { field: 'y', type: 'quantitative', title: 'x2', scale: scale(allY) },
          x2: { field: 'x2' },
          y2: { field: 'y2' },
        },
      },
      {
        data: { values: trace },
        mark: { type: 'line', color: '#ff7f0e', strokeWidth: 1.5, point: { filled: true, size: 40, color: '#ff7f0e' }, clip: true },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          order: { field: 'order', type: 'quantitative' },
        },
      },
    ],
  };
  return renderVegaLite(spec, opts.file);
}

// ----------------------------------------------------------------------------- airfoil (7.3-7.8)

/**
 * Parses the airfoil file's text: one row per line, tab-separated numbers (the book's
 * `np.genfromtxt(..., delimiter='\t')`); blank lines are skipped.
 */
function parseTable(text: string, name: string): number[][] {
  const rows: number[][] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const row = line.split('\t').map(Number);
    if (row.some((v) => !Number.isFinite(v)))
      throw new ValueError(`d2l.getDataCh7: line ${i + 1} of ${name} is not tab-separated numbers: '${line}'`);
    if (rows.length && row.length !== rows[0].length)
      throw new ValueError(`d2l.getDataCh7: line ${i + 1} of ${name} has ${row.length} columns, the first line ${rows[0].length}`);
    rows.push(row);
  });
  return rows;
}

/**
 * The book's `get_data_ch7` (7.3): NASA's airfoil self-noise data (`airfoil_self_noise.dat`,
 * through the data resolver), each column standardised with the mean and the population
 * standard deviation over all 1503 rows (in double precision, as numpy), then the first 1500
 * rows kept: `[features (1500, 5), labels (1500,)]`, float32.
 *
 * @example
 * const [features, labels] = await d2l.getDataCh7({ dataDir: '../shared/data' });
 * features.shape; // [1500, 5]
 */
export async function getDataCh7(opts: DataOptions = {}): Promise<[NDArray, NDArray]> {
  const name = 'airfoil_self_noise.dat';
  const data = parseTable(new TextDecoder('utf-8').decode(await bookFileBytes(name, opts)), name);
  const n = data.length;
  const cols = data[0]?.length ?? 0;
  if (n < 1500 || cols < 2) throw new ValueError(`d2l.getDataCh7: ${name} has ${n} rows of ${cols} columns; expected 1503 rows of 6`);
  for (let c = 0; c < cols; c++) {
    let mean = 0;
    for (const row of data) mean += row[c];
    mean /= n;
    let v = 0;
    for (const row of data) v += (row[c] - mean) ** 2;
    const std = Math.sqrt(v / n);
    for (const row of data) row[c] = (row[c] - mean) / std;
  }
  const kept = data.slice(0, 1500);
  return [nd.array(kept.map((r) => r.slice(0, -1))), nd.array(kept.map((r) => r[r.length - 1]))];
}

/** What trainCh7 and trainGluonCh7 return. */
export interface TrainCh7Result {
  /** The loss over the whole data set at the start and after every 100 examples. */
  losses: number[];
  /** The epoch of each loss (0 to numEpochs, evenly spaced as the book's `np.linspace`). */
  epochs: number[];
  /** Seconds the last epoch took (the book's "sec per epoch"). */
  secPerEpoch: number;
  /** The loss plot, when `opts.file` was given. */
  figure?: Figure;
}

/** Options of trainCh7 and trainGluonCh7 beyond the book's arguments. */
export interface TrainCh7Options {
  /** Where the line goes (default console.log). */
  print?: (line: string) => void;
  /** Where to write the loss-against-epoch plot (`.png` or `.svg`); no plot without it. */
  file?: string;
}

/** An optimizer step of the book's scratch sections: updates `params` in place from their gradients. */
export type TrainerFnCh7<S> = (params: NDArray[], states: S, hyperparams: Record<string, number>) => void;

function checkCh7Args(fn: string, features: NDArray, labels: NDArray, batchSize: number, numEpochs: number): void {
  if (!(features instanceof NDArray) || !(labels instanceof NDArray))
    throw new ValueError(`d2l.${fn}: features and labels must be NDArrays`);
  if (features.ndim !== 2 || labels.shape[0] !== features.shape[0])
    throw new ValueError(
      `d2l.${fn}: features must be (n, d) and labels (n,), got (${features.shape.join(', ')}) and (${labels.shape.join(', ')})`,
    );
  if (!Number.isInteger(batchSize) || batchSize <= 0)
    throw new ValueError(`d2l.${fn}: batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(numEpochs) || numEpochs < 1)
    throw new ValueError(`d2l.${fn}: numEpochs must be a positive integer, got ${numEpochs}`);
}

/**
 * The loop both trainers share: the loss over all examples at the start and after every 100
 * examples, shuffled minibatches of `batchSize`, `step(X, y)` per batch; then the book's line and
 * the plot of the losses against the epoch.
 */
async function runCh7(
  features: NDArray,
  labels: NDArray,
  batchSize: number,
  numEpochs: number,
  evalLoss: () => number,
  step: (X: NDArray, y: NDArray) => void,
  opts: TrainCh7Options,
): Promise<TrainCh7Result> {
  const losses = [evalLoss()];
  const dataIter = new DataLoader(new ArrayDataset(features, labels), { batchSize, shuffle: true });
  let secs = 0;
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    const start = performance.now();
    let batchI = 0;
    for (const [X, y] of dataIter as Iterable<[NDArray, NDArray]>) {
      step(X, y);
      if (((batchI + 1) * batchSize) % 100 === 0) losses.push(evalLoss());
      batchI++;
    }
    secs = (performance.now() - start) / 1000;
  }
  (opts.print ?? ((l: string) => console.log(l)))(`loss: ${pyFixed(losses[losses.length - 1])}, ${pyFixed(secs)} sec per epoch`);
  const epochs = losses.map((_, i) => (losses.length === 1 ? 0 : (numEpochs * i) / (losses.length - 1)));
  let figure: Figure | undefined;
  if (opts.file) {
    setFigsize();
    figure = await plot(epochs, losses, { xLabel: 'epoch', yLabel: 'loss', file: opts.file });
  }
  return { losses, epochs, secPerEpoch: secs, ...(figure ? { figure } : {}) };
}

/**
 * The book's `train_ch7` (7.3): linear regression on (features, labels) from w ~ N(0, 0.01²),
 * b = 0, minibatches of `batchSize` shuffled by a DataLoader, the mean squared loss
 * (`squaredLoss`) differentiated and `trainerFn(params, states, hyperparams)` updating [w, b];
 * the loss over all examples is read at the start and after every 100 examples. Prints
 * `loss: 0.243, 0.05 sec per epoch` as `'loss: %f, %f sec per epoch'` and plots the losses.
 *
 * @example
 * const sgd = (params: NDArray[], _s: null, hp: Record<string, number>) => {
 *   for (const p of params) p.set(':', p.sub(p.grad.mul(hp.lr)));
 * };
 * await d2l.trainCh7(sgd, null, { lr: 0.05 }, features, labels, 10, 2, { file: 'out/sgd.png' });
 */
export async function trainCh7<S>(
  trainerFn: TrainerFnCh7<S>,
  states: S,
  hyperparams: Record<string, number>,
  features: NDArray,
  labels: NDArray,
  batchSize = 10,
  numEpochs = 2,
  opts: TrainCh7Options = {},
): Promise<TrainCh7Result> {
  if (typeof trainerFn !== 'function')
    throw new ValueError(`d2l.trainCh7: trainerFn must be a function (params, states, hyperparams), got ${typeof trainerFn}`);
  if (hyperparams === null || typeof hyperparams !== 'object')
    throw new ValueError(`d2l.trainCh7: hyperparams must be an object such as { lr: 0.05 }, got ${String(hyperparams)}`);
  checkCh7Args('trainCh7', features, labels, batchSize, numEpochs);
  // The model: the book's linreg and squared_loss.
  const w = nd.random.normal(0, 0.01, [features.shape[1], 1]);
  const b = nd.zeros([1]);
  w.attachGrad();
  b.attachGrad();
  const evalLoss = () =>
    squaredLoss(linreg(features, w, b), labels)
      .mean()
      .asScalar();
  const step = (X: NDArray, y: NDArray) => {
    const l = record(() => squaredLoss(linreg(X, w, b), y).mean()); // the mean loss
    l.backward();
    trainerFn([w, b], states, hyperparams);
  };
  return runCh7(features, labels, batchSize, numEpochs, evalLoss, step, opts);
}

/**
 * The book's `train_gluon_ch7` (7.3): the same linear regression as a Gluon `Dense(1)` initialised
 * from N(0, 0.01²), `L2Loss`, and a `gluon.Trainer(net.collectParams(), trainerName,
 * trainerHyperparams)` stepped by `batchSize` (the gradient of the summed loss, averaged); prints
 * and plots as `trainCh7`. The hyperparameters are the Trainer's, in camelCase:
 * `{ learningRate: 0.004, momentum: 0.9 }`, `{ learningRate: 0.01, gamma1: 0.9 }`, `{ rho: 0.9 }`.
 *
 * @example
 * await d2l.trainGluonCh7('sgd', { learningRate: 0.05 }, features, labels, 10);
 */
export async function trainGluonCh7(
  trainerName: string,
  trainerHyperparams: TrainerOptimizerParams,
  features: NDArray,
  labels: NDArray,
  batchSize = 10,
  numEpochs = 2,
  opts: TrainCh7Options = {},
): Promise<TrainCh7Result> {
  if (typeof trainerName !== 'string')
    throw new ValueError(`d2l.trainGluonCh7: trainerName must be an optimizer name such as 'sgd', got ${typeof trainerName}`);
  checkCh7Args('trainGluonCh7', features, labels, batchSize, numEpochs);
  const net = new Sequential();
  net.add(new Dense(1));
  net.initialize(new Normal(0.01));
  const loss = new L2Loss();
  const evalLoss = () => loss.forward(net.forward(features), labels).mean().asScalar();
  const trainer = new Trainer(net.collectParams(), trainerName, trainerHyperparams);
  const step = (X: NDArray, y: NDArray) => {
    const l = record(() => loss.forward(net.forward(X), y));
    l.backward();
    trainer.step(batchSize); // the Trainer averages the gradient over the batch
  };
  return runCh7(features, labels, batchSize, numEpochs, evalLoss, step, opts);
}
