// d2lzh's Benchmark (book §8.2): times a block of code and prints '<prefix> time: 0.0123 sec'.
import { ValueError } from '../core/errors.js';

export interface BenchmarkOptions {
  /** Where the line goes (default: console.log). */
  print?: (line: string) => void;
}

/**
 * Times a block of code, as d2lzh's `Benchmark` context manager: `with Benchmark('x'): body` in the
 * book. The block form is {@link benchmark}; the class also works with `using` in code that
 * manages scopes itself.
 *
 * @example
 * const b = new d2l.Benchmark('Workloads are queued.').enter();
 * const y = nd.dot(x, x).sum();
 * b.exit(); // prints 'Workloads are queued. time: 0.0020 sec'
 */
export class Benchmark {
  readonly prefix: string;
  private readonly print: (line: string) => void;
  private start: number | null = null;

  constructor(prefix?: string | null, opts: BenchmarkOptions = {}) {
    if (prefix !== undefined && prefix !== null && typeof prefix !== 'string')
      throw new ValueError(`d2l.Benchmark: the prefix must be a string, got ${typeof prefix}`);
    if (opts === null || typeof opts !== 'object') throw new ValueError('d2l.Benchmark: options must be an object');
    if (opts.print !== undefined && typeof opts.print !== 'function')
      throw new ValueError('d2l.Benchmark: options.print must be a function');
    this.prefix = prefix ? `${prefix} ` : '';
    this.print = opts.print ?? ((line: string) => console.log(line));
  }

  /** Starts the clock (Python's `__enter__`); returns the benchmark. */
  enter(): this {
    this.start = performance.now();
    return this;
  }

  /** Stops the clock, prints '<prefix>time: %.4f sec' (Python's `__exit__`) and returns the seconds. */
  exit(): number {
    if (this.start === null) throw new ValueError('d2l.Benchmark.exit: enter() was not called');
    const sec = (performance.now() - this.start) / 1000;
    this.start = null;
    this.print(`${this.prefix}time: ${sec.toFixed(4)} sec`);
    return sec;
  }

  [Symbol.dispose](): void {
    if (this.start !== null) this.exit();
  }
}

/**
 * The book's `with Benchmark(prefix): body`: runs `body`, prints how long it took, and returns its
 * value. An async body is awaited before the clock stops (the result is then a Promise).
 *
 * @example
 * await d2l.benchmark('asynchronous.', async () => {
 *   for (let i = 0; i < 1000; i++) y = x.add(1);
 *   await nd.waitall();
 * }); // prints 'asynchronous. time: 0.0123 sec'
 */
export function benchmark<T>(prefix: string | null | undefined, body: () => T, opts: BenchmarkOptions = {}): T {
  if (typeof body !== 'function') throw new ValueError(`d2l.benchmark: the body must be a function, got ${typeof body}`);
  const b = new Benchmark(prefix, opts).enter();
  let out: T;
  try {
    out = body();
  } catch (e) {
    b.exit();
    throw e;
  }
  if (out && typeof (out as { then?: unknown }).then === 'function') {
    return (out as unknown as Promise<unknown>).then(
      (v) => {
        b.exit();
        return v;
      },
      (e: unknown) => {
        b.exit();
        throw e;
      },
    ) as unknown as T;
  }
  b.exit();
  return out;
}
