// nd.random: a seeded generator (nd.random.seed) and MXNet's samplers (uniform, normal,
// randint, shuffle, ...).
import { checkDType } from '../core/dtype.js';
import { ValueError } from '../core/errors.js';
import { checkShape } from '../core/shape.js';
import { currentContext } from './context.js';
import type { CreateOptions } from './creation.js';
import { NDArray } from './ndarray.js';

/**
 * xoshiro128** seeded through splitmix32: fast, 32-bit, and the same sequence on every platform,
 * so `nd.random.seed(n)` gives bit-identical runs.
 */
export class RandomState {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed = Date.now() >>> 0) {
    this.seed(seed);
  }

  seed(seed: number): void {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    this.spare = null;
  }

  /** The generator's state, a plain JSON-serialisable value (see `getState`). */
  getState(): RandomGeneratorState {
    return { algorithm: ALGORITHM, s: Array.from(this.s), spare: this.spare };
  }

  /** Restores a state from `getState` (validated: a malformed one throws and changes nothing). */
  setState(state: unknown): void {
    const st = checkState(state);
    this.s.set(st.s);
    this.spare = st.spare;
  }

  /** A uniformly random uint32. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A uniform integer in [low, high). */
  randint(low: number, high: number): number {
    return low + Math.floor(this.random() * (high - low));
  }

  /** Shuffles a JS array in place (Fisher-Yates). */
  shuffle<T>(a: T[] | Int32Array | Float64Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      const t = a[i];
      a[i] = a[j];
      a[j] = t as never;
    }
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    this.shuffle(p);
    return p;
  }
}

const ALGORITHM = 'xoshiro128**';

/**
 * The state of the library's random generator, as `nd.random.getState()` returns it: the
 * algorithm, its four 32-bit words, and the second Box-Muller normal value waiting to be used.
 */
export interface RandomGeneratorState {
  algorithm: 'xoshiro128**';
  s: number[];
  spare: number | null;
}

function checkState(state: unknown): RandomGeneratorState {
  const bad = (why: string) =>
    new ValueError(
      `random.setState: ${why}; expected the object nd.random.getState() returns: { algorithm: '${ALGORITHM}', s: [4 uint32], spare: number | null }`,
    );
  if (!state || typeof state !== 'object' || Array.isArray(state))
    throw bad(`got ${Array.isArray(state) ? 'an array' : (JSON.stringify(state) ?? typeof state)}`);
  const st = state as Record<string, unknown>;
  if (st.algorithm !== ALGORITHM) throw bad(`algorithm is ${JSON.stringify(st.algorithm)}, not '${ALGORITHM}'`);
  const w = st.s;
  if (!Array.isArray(w) || w.length !== 4 || !w.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff))
    throw bad(`s is ${JSON.stringify(w)}, not 4 integers in [0, 2^32)`);
  if (w.every((x) => x === 0)) throw bad('s is all zeros, which the generator can never reach (it would only draw zeros)');
  if (st.spare !== null && !(typeof st.spare === 'number' && Number.isFinite(st.spare)))
    throw bad(`spare is ${JSON.stringify(st.spare)}, not a finite number or null`);
  const extra = Object.keys(st).filter((k) => !['algorithm', 's', 'spare'].includes(k));
  if (extra.length) throw bad(`unknown fields ${extra.join(', ')}`);
  return { algorithm: ALGORITHM, s: w as number[], spare: st.spare as number | null };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The generator behind nd.random and every library shuffle (DataLoader, d2l.dataIter...). */
export const globalRandom = new RandomState();

/**
 * Seeds every random draw of the library (nd.random, initializers, shuffles, dropout).
 * @example nd.random.seed(42)
 */
export function seed(n: number): void {
  if (!Number.isFinite(n)) throw new ValueError(`random.seed: expected a number, got ${n}`);
  globalRandom.seed(n);
}

/**
 * The state of the generator behind every random draw of the library (nd.random, initializers,
 * dropout, DataLoader/RandomSampler shuffles, the d2l iterators): a plain JSON-serialisable
 * value. `setState` with it continues the exact same sequence. `trainer.saveStates` stores it in
 * its checkpoint and `trainer.loadStates` restores it.
 *
 * @example
 * const st = nd.random.getState();
 * const a = nd.random.uniform(0, 1, [3]);
 * nd.random.setState(st);
 * nd.random.uniform(0, 1, [3]); // the same values as a
 * JSON.stringify(st); // '{"algorithm":"xoshiro128**","s":[...],"spare":null}'
 */
export function getState(): RandomGeneratorState {
  return globalRandom.getState();
}

/**
 * Restores the generator's state from `getState` (also after a JSON round trip). A value that is
 * not such a state is a ValueError saying what is wrong, and changes nothing.
 * @example nd.random.setState(JSON.parse(saved));
 */
export function setState(state: RandomGeneratorState): void {
  globalRandom.setState(state);
}

function fill(shape: number | readonly number[], opts: CreateOptions, draw: () => number, op: string): NDArray {
  const sh = checkShape(shape, op);
  const dtype = checkDType(opts.dtype ?? 'float32', op);
  const n = sh.reduce((a, b) => a * b, 1);
  const vals = new Float64Array(n);
  for (let i = 0; i < n; i++) vals[i] = draw();
  return NDArray._fromData(dtype === 'float64' ? vals : Float32Array.from(vals), sh, dtype, opts.ctx ?? currentContext());
}

/**
 * Normal draws with mean `loc` and standard deviation `scale`.
 * @example nd.random.normal(0, 1, [3, 4])
 */
export function normal(loc = 0, scale = 1, shape: number | readonly number[] = [1], opts: CreateOptions = {}): NDArray {
  if (!(scale >= 0)) throw new ValueError(`random.normal: scale must be >= 0, got ${scale}`);
  return fill(shape, opts, () => loc + scale * globalRandom.normal(), 'random.normal');
}

/**
 * Uniform draws in [low, high).
 * @example nd.random.uniform(-1, 1, [2, 2])
 */
export function uniform(low = 0, high = 1, shape: number | readonly number[] = [1], opts: CreateOptions = {}): NDArray {
  if (!(high >= low)) throw new ValueError(`random.uniform: high (${high}) must be >= low (${low})`);
  return fill(shape, opts, () => low + (high - low) * globalRandom.random(), 'random.uniform');
}

/**
 * Uniform integers in [low, high); int32 by default.
 * @example nd.random.randint(0, 10, [5])
 */
export function randint(low: number, high: number, shape: number | readonly number[] = [1], opts: CreateOptions = {}): NDArray {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low)
    throw new ValueError(`random.randint: need integers low < high, got ${low}, ${high}`);
  return fill(shape, { dtype: 'int32', ...opts }, () => globalRandom.randint(low, high), 'random.randint');
}

/**
 * A copy of x with its first axis shuffled.
 * @example nd.random.shuffle(nd.arange(10))
 */
export function shuffle(x: NDArray): NDArray {
  if (x.ndim === 0) throw new ValueError('random.shuffle: cannot shuffle a 0-d array');
  const perm = globalRandom.permutation(x.shape[0]);
  return x.take(Array.from(perm), { axis: 0 });
}
