// Lifetimes: the live-array registry behind nd.memory(), `nd.tidy` scopes (also the scope
// composed ops run in), keep, and the garbage collector as a safety net.
import { setGcWithdraw, type GcCell, type GcToken, type Storage } from '../backend/backend.js';
import type { NDArray } from './ndarray.js';

/**
 * Array lifetime. Storage is reference counted; handles release their reference on `dispose()`,
 * at the end of an `nd.tidy()` scope, or (as a safety net) when the garbage collector finds them.
 *
 * The safety net is a FinalizationRegistry, and registering with it is the most expensive part of
 * creating a small array (a weak cell per handle, a hash lookup to unregister, and extra GC work).
 * A handle created inside a tidy scope is certain to be disposed by that scope or to leave it
 * (returned to the parent scope, `keep`, or an exception), so it is registered only when it
 * leaves every scope without being disposed: a training step inside `nd.tidy` registers nothing.
 */
let liveArrays = 0;
const scopes: Set<NDArray>[] = [];

const registry = new FinalizationRegistry<GcToken>((token) => {
  liveArrays--;
  dropToken(token);
  const cell = token.cell;
  const s = cell.storage;
  if (!s) {
    // The storage was moved out of its backend's memory and may be gone already: settled when
    // (if ever) it moves back.
    cell.lost++;
    return;
  }
  s.watched--;
  releaseStorage(s);
});

/** Removes a token from its cell's list (swapping the last one into its place). */
function dropToken(token: GcToken): void {
  const tokens = token.cell.tokens;
  const i = token.index;
  if (i < 0) return;
  const last = tokens.pop()!;
  if (last !== token) {
    tokens[i] = last;
    last.index = i;
  }
  token.index = -1;
}

export function releaseStorage(s: Storage): void {
  if (--s.refs === 0) s.backend.free(s);
}

/** Puts a handle under the garbage collector's watch (once). */
function register(a: NDArray): void {
  if (a._gcToken || a.isDisposed) return;
  const s = a._storage;
  s.watched++;
  const cell = (s.gcCell ??= { storage: s, lost: 0, tokens: [] });
  const token: GcToken = { cell, index: cell.tokens.length, withdrawn: false };
  a._gcToken = token;
  cell.tokens.push(token);
  registry.register(a, token, token);
}

/**
 * Withdraws the registrations of a storage's handles when the storage moves out of its backend's
 * memory (backend.ts `releaseGcCell`): its bytes then die with it, so no handle needs a callback,
 * while V8 would keep a record of every collected handle until the event loop turns (never, in a
 * synchronous loop: ~80 MiB over a 20,000-step loop). Any record kept to count them would pile up
 * the same way, so the withdrawn handles stop counting in `nd.memory().arrays`, as their storage
 * stops counting in `storages` and `bytes`: those count what is in a device's memory.
 */
setGcWithdraw((cell) => {
  for (const token of cell.tokens) {
    registry.unregister(token);
    token.withdrawn = true;
    token.index = -1;
  }
  liveArrays -= cell.tokens.length;
  cell.tokens.length = 0;
});

/** Called for every new handle; an untracked one is only counted (its owner disposes it). */
export function trackArray(a: NDArray, tracked = true): void {
  liveArrays++;
  if (!tracked) return;
  const top = scopes.length > 0 ? scopes[scopes.length - 1] : undefined;
  if (top) {
    top.add(a);
    a._scope = top;
  } else register(a);
}

/** Called once by `dispose()`. */
export function untrackArray(a: NDArray): void {
  const token = a._gcToken;
  if (token) {
    a._gcToken = null;
    a._storage.watched--;
    if (token.withdrawn) return untrackScope(a); // uncounted since its storage moved out
    registry.unregister(token);
    dropToken(token);
  }
  liveArrays--;
  untrackScope(a);
}

function untrackScope(a: NDArray): void {
  if (a._scope) {
    a._scope.delete(a);
    a._scope = null;
  }
}

/** Removes `a` from every open tidy scope so it outlives them. */
export function keep<T extends NDArray>(a: T): T {
  if (a._scope) {
    a._scope.delete(a);
    a._scope = null;
  }
  register(a);
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
  return scoped(fn, false);
}

/**
 * The scope primitive behind `nd.tidy` and the ops' `composite()`: runs `fn` and disposes every
 * array created inside it that is neither in its result nor kept; the result's arrays move to the
 * enclosing scope. Arrays made before (an op's inputs) are not in the scope and are never touched.
 * When `fn` throws, the scope's arrays are freed (`disposeOnThrow`: an op's temporaries, which no
 * one else holds) or left to the garbage collector (a tidy: user code may still hold them).
 */
export function scoped<T>(fn: () => T, disposeOnThrow: boolean): T {
  const scope = new Set<NDArray>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const a of scope) {
      a._scope = null;
      if (disposeOnThrow) a.dispose();
      else register(a); // the scope's arrays outlive it, as before: the garbage collector takes them from here
    }
    throw e;
  }
  scopes.pop();
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    for (const a of scope) {
      a._scope = null;
      register(a);
    }
    throw new TypeError(
      'nd.tidy: the function returned a Promise; tidy scopes are for synchronous code (use `using` or dispose() in async code)',
    );
  }
  // One returned array (the common case) is compared directly; anything else is collected.
  const single = result && (result as { __isNDArray?: boolean }).__isNDArray ? (result as unknown as NDArray) : null;
  let kept: Set<NDArray> | null = null;
  if (!single) collect(result, (kept = new Set<NDArray>()), 0);
  const parent = scopes.length > 0 ? scopes[scopes.length - 1] : undefined;
  for (const a of scope) {
    if (a === single || (kept !== null && kept.has(a))) {
      if (parent) {
        parent.add(a);
        a._scope = parent;
      } else {
        a._scope = null;
        register(a);
      }
    } else {
      a._scope = null; // the scope is being emptied: dispose need not delete from it
      a.dispose();
    }
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
