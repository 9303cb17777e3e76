/**
 * Metric helpers: the book's `accuracy`, a device-side accumulator for running sums (a loop that
 * wants to read values once per epoch, not once per batch), and a stopwatch.
 */
import { ValueError } from '../core/errors.js';
import type { Context } from '../ndarray/context.js';
import { keep } from '../ndarray/memory.js';
import type { NDArray } from '../ndarray/ndarray.js';
import * as nd from '../ndarray/nd.js';

/**
 * The fraction of rows of `yHat` whose largest entry is at the label `y` (3.6's `accuracy`), as a
 * number. Reads the value, so prefer {@link correctCount} inside loops.
 *
 * @example
 * d2l.accuracy(nd.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]]), nd.array([0, 2])); // 0.5
 */
export function accuracy(yHat: NDArray, y: NDArray): number {
  const n = yHat.shape[0];
  if (n === 0) throw new ValueError('accuracy: yHat has no rows');
  if (yHat.context.deviceType !== 'cpu')
    throw new ValueError(
      `accuracy: yHat lives on ${yHat.context}, which is read only asynchronously: use \`await d2l.accuracyAsync(yHat, y)\``,
    );
  return correctCount(yHat, y).asScalar() / n;
}

/**
 * `accuracy` for every device: counts on the arrays' device, then reads the count asynchronously.
 *
 * @example
 * await d2l.accuracyAsync(yHat, y); // yHat and y on gpu(0)
 */
export async function accuracyAsync(yHat: NDArray, y: NDArray): Promise<number> {
  const n = yHat.shape[0];
  if (n === 0) throw new ValueError('accuracyAsync: yHat has no rows');
  return (await correctCount(yHat, y).asScalarAsync()) / n;
}

/**
 * The number of rows of `yHat` whose argmax equals the label, as a 0-d float32 array on
 * `yHat`'s device (nothing is read).
 *
 * @example
 * const c = d2l.correctCount(yHat, y); // 0-d array
 */
export function correctCount(yHat: NDArray, y: NDArray): NDArray {
  const pred = yHat.argmax({ axis: 1 });
  return pred.equal(y.reshape(pred.shape).astype(pred.dtype)).astype('float32').sum();
}

/**
 * Running sums of several metrics kept as 0-d arrays on one device; `add` never reads values, and
 * `read()` reads them all once (asynchronously, so it works on a GPU too). Its arrays need no
 * freeing; `dispose()` frees them now, for those who manage memory by hand.
 *
 * @example
 * const acc = new d2l.Accumulator(2);       // [loss sum, correct count]
 * acc.add(l.sum(), d2l.correctCount(yHat, y));
 * const [lossSum, correct] = await acc.read();
 */
export class Accumulator implements Disposable {
  private sums: NDArray[] | null = null;
  private readonly ctx: Context | undefined;

  /** `n` sums, on `ctx` (default: the device of the first values added). */
  constructor(
    readonly n: number,
    ctx?: Context,
  ) {
    this.ctx = ctx;
    if (ctx) this.sums = Array.from({ length: n }, () => keep(nd.zeros([], { ctx })));
  }

  /** Adds each value (a number, or an array that is summed) to its running sum, on the device. */
  add(...values: (NDArray | number)[]): void {
    if (values.length !== this.n) throw new ValueError(`Accumulator.add: expected ${this.n} values, got ${values.length}`);
    if (!this.sums) {
      const first = values.find((v): v is NDArray => typeof v !== 'number');
      const ctx = first?.context ?? this.ctx;
      this.sums = Array.from({ length: this.n }, () => keep(nd.zeros([], ctx ? { ctx } : {})));
    }
    const sums = this.sums;
    values.forEach((v, i) => {
      if (typeof v === 'number') sums[i].iadd(v);
      else sums[i].iadd(v.size === 1 ? v.reshape([]).astype('float32') : v.sum().astype('float32'));
    });
  }

  /** Reads every sum (one read per sum, no per-batch synchronisation). */
  async read(): Promise<number[]> {
    if (!this.sums) return new Array(this.n).fill(0);
    return Promise.all(this.sums.map(async (s) => (await s.data())[0]));
  }

  /** Reads every sum synchronously (CPU arrays only). */
  readSync(): number[] {
    if (!this.sums) return new Array(this.n).fill(0);
    return this.sums.map((s) => s.dataSync()[0]);
  }

  /** Sets every sum back to 0. */
  reset(): void {
    if (!this.sums) return;
    this.sums = this.sums.map((s) => keep(s.zerosLike()));
  }

  /** Frees the sums now (optional: dropped ones are freed by the library). */
  dispose(): void {
    for (const s of this.sums ?? []) s.dispose();
    this.sums = null;
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * A stopwatch for timing epochs (d2l's Timer / the book's `time.time()` pairs).
 *
 * @example
 * const timer = new d2l.Timer();
 * // ... work ...
 * console.log(`${timer.stop().toFixed(2)} sec`);
 */
export class Timer {
  private start = performance.now();
  private readonly times: number[] = [];

  /** Restarts the watch. */
  restart(): void {
    this.start = performance.now();
  }
  /** Seconds since the (re)start; records them. */
  stop(): number {
    const s = (performance.now() - this.start) / 1000;
    this.times.push(s);
    return s;
  }
  /** Seconds since the (re)start, without recording. */
  elapsed(): number {
    return (performance.now() - this.start) / 1000;
  }
  /** Every recorded time. */
  get all(): readonly number[] {
    return this.times;
  }
  /** The mean of the recorded times. */
  avg(): number {
    return this.times.length ? this.sum() / this.times.length : 0;
  }
  /** The sum of the recorded times. */
  sum(): number {
    return this.times.reduce((a, b) => a + b, 0);
  }
}
