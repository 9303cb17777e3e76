import type { Storage } from '../backend/backend.js';
import type { NDArray } from './ndarray.js';

/**
 * Array lifetime. Storage is reference counted; handles release their reference on `dispose()`,
 * at the end of an `nd.tidy()` scope, or (as a safety net) when the garbage collector finds them.
 */
let liveArrays = 0;
const scopes: Set<NDArray>[] = [];

const registry = new FinalizationRegistry<Storage>((s) => {
  liveArrays--;
  releaseStorage(s);
});

export function releaseStorage(s: Storage): void {
  if (--s.refs === 0) s.backend.free(s);
}

/** Called for every new handle. */
export function trackArray(a: NDArray, storage: Storage): void {
  liveArrays++;
  registry.register(a, storage, a);
  const top = scopes[scopes.length - 1];
  if (top) top.add(a);
}

/** Called once by `dispose()`. */
export function untrackArray(a: NDArray): void {
  liveArrays--;
  registry.unregister(a);
  for (const s of scopes) s.delete(a);
}

/** Removes `a` from every open tidy scope so it outlives them. */
export function keep<T extends NDArray>(a: T): T {
  for (const s of scopes) s.delete(a);
  return a;
}

/**
 * Runs a synchronous `fn` and disposes every array created inside it, except those it returns
 * (an array, or arrays inside a returned list or object) and those passed to `nd.keep`.
 *
 * @example
 * const loss = nd.tidy(() => net.forward(X).sub(y).square().mean());
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<NDArray>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  if (result && typeof (result as { then?: unknown }).then === 'function')
    throw new TypeError('nd.tidy: the function returned a Promise; tidy scopes are for synchronous code (use `using` or dispose() in async code)');
  const kept = new Set<NDArray>();
  collect(result, kept, 0);
  const parent = scopes[scopes.length - 1];
  for (const a of scope) {
    if (kept.has(a)) {
      if (parent) parent.add(a);
    } else a.dispose();
  }
  return result;
}

function collect(v: unknown, out: Set<NDArray>, depth: number): void {
  if (!v || typeof v !== 'object' || depth > 4) return;
  if ((v as { __isNDArray?: boolean }).__isNDArray) {
    out.add(v as NDArray);
    return;
  }
  if (Array.isArray(v)) for (const x of v) collect(x, out, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collect(x, out, depth + 1);
}

/** Live handles (not disposed, not yet collected). */
export function liveArrayCount(): number {
  return liveArrays;
}
