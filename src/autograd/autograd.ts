// record/pause/train and predict mode, and the backward pass: a topological walk of the tape
// calling each gradient rule and summing gradients per array.
import { AutogradError, ShapeError, ValueError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import { shapeStr, shapesEqual } from '../core/shape.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { onesLike } from '../ndarray/creation.js';
import { tidy, keep } from '../ndarray/memory.js';
import { state } from './state.js';
import { releaseNode, type GradSink, type GradTarget, type TapeNode } from './tape.js';

function checkSync(fnName: string, r: unknown): void {
  if (r && typeof (r as { then?: unknown }).then === 'function')
    throw new TypeError(
      `autograd.${fnName}: the function returned a Promise; recording scopes are synchronous. ` +
        `Do the forward pass synchronously inside ${fnName}() and await outside it`,
    );
}

function withFlags<T>(recording: boolean, training: boolean, name: string, fn: () => T): T {
  const prev = { ...state };
  state.recording = recording;
  state.training = training;
  try {
    const r = fn();
    checkSync(name, r);
    return r;
  } finally {
    state.recording = prev.recording;
    state.training = prev.training;
  }
}

/**
 * Records the ops run by `fn` so `backward()` can compute gradients; training mode is on inside
 * (pass `{ trainMode: false }` to record in predict mode).
 *
 * @example
 * const x = nd.arange(4).reshape([4, 1]);
 * x.attachGrad();
 * const y = autograd.record(() => nd.dot(x.T, x).mul(2));
 * y.backward();
 * x.grad.toArray(); // [[0], [4], [8], [12]]
 */
export function record<T>(fn: () => T, opts: { trainMode?: boolean } = {}): T {
  return withFlags(true, opts.trainMode ?? true, 'record', fn);
}

/**
 * Runs `fn` without recording (training mode off unless `{ trainMode: true }`), as Gluon's pause.
 *
 * @example
 * autograd.record(() => { const z = autograd.pause(() => x.mul(2)); return z; });
 */
export function pause<T>(fn: () => T, opts: { trainMode?: boolean } = {}): T {
  return withFlags(false, opts.trainMode ?? false, 'pause', fn);
}

/** Runs `fn` in training mode without changing recording. @example autograd.trainMode(() => net.forward(X)) */
export function trainMode<T>(fn: () => T): T {
  return withFlags(state.recording, true, 'trainMode', fn);
}

/** Runs `fn` in predict mode without changing recording. @example autograd.predictMode(() => net.forward(X)) */
export function predictMode<T>(fn: () => T): T {
  return withFlags(state.recording, false, 'predictMode', fn);
}

/** Whether ops are being recorded. @example autograd.isRecording() // false */
export function isRecording(): boolean {
  return state.recording;
}

/** Whether layers like Dropout run in training mode. @example autograd.isTraining() // false */
export function isTraining(): boolean {
  return state.training;
}

/** Sets the recording flag and returns its old value (MXNet's set_recording). @example autograd.setRecording(false) */
export function setRecording(on: boolean): boolean {
  const old = state.recording;
  state.recording = on;
  return old;
}

/** Sets the training flag and returns its old value (MXNet's set_training). @example autograd.setTraining(true) */
export function setTraining(on: boolean): boolean {
  const old = state.training;
  state.training = on;
  return old;
}

export interface BackwardOptions {
  /** Gradients of the heads; default ones (a non-scalar head is summed, as in MXNet). */
  headGrads?: (NDArray | null)[];
  /** Keep the graph for another backward pass through it (default: createGraph, as MXNet and PyTorch). */
  retainGraph?: boolean;
  /** Record the backward pass itself, for higher-order gradients. */
  createGraph?: boolean;
  /** Run layers in training mode during backward (matters only with createGraph). */
  trainMode?: boolean;
}

/** Nodes reachable from the heads, in topological order (inputs before outputs). */
function topoSort(heads: NDArray[]): NDArray[] {
  const order: NDArray[] = [];
  const seen = new Set<NDArray>();
  const stack: [NDArray, number][] = [];
  for (const h of heads) {
    if (seen.has(h)) continue;
    seen.add(h);
    stack.push([h, 0]);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [a, i] = top;
      const node = a._node;
      if (node && i < node.inputs.length) {
        top[1]++;
        const x = node.inputs[i];
        if (!seen.has(x) && (x._node || x._gradReq !== 'null')) {
          seen.add(x);
          stack.push([x, 0]);
        }
      } else {
        stack.pop();
        order.push(a);
      }
    }
  }
  return order;
}

/**
 * Computes gradients of `heads` with respect to every array reachable through the tape, and
 * returns the gradients of the leaves that asked for them (attachGrad) in a map.
 */
function runBackward(heads: NDArray[], opts: BackwardOptions, wanted: NDArray[] | null, intoGrad = false): Map<NDArray, NDArray> {
  for (const h of heads)
    if (!h._node && h._gradReq === 'null')
      throw new AutogradError(
        h._graphFreed
          ? `backward: the graph that computed the array of shape ${shapeStr(h.shape)} was already freed by an earlier ` +
              `backward pass; pass { retainGraph: true } to the first backward() to run backward through it again, or record the forward pass again`
          : `backward: the array of shape ${shapeStr(h.shape)} was not computed inside autograd.record() from ` +
              `arrays with attached gradients, so there is nothing to differentiate (call x.attachGrad() and run the forward pass inside record())`,
      );
  const order = topoSort(heads);
  const grads = new Map<NDArray, NDArray>();
  const create = opts.createGraph ?? false;
  const result = new Map<NDArray, NDArray>();
  const wantedSet = wanted ? new Set(wanted) : null;
  // Leaves whose `.grad` a gradient rule may write directly (backward() without createGraph): a
  // weight gradient's GEMM then writes `.grad` itself instead of a new array copied there after.
  // `inGrad` holds the running sums that are such `.grad` buffers: never disposed by the pass.
  const direct = intoGrad && !create;
  // Without retainGraph, each node's saved values go as soon as its rule has run (reverse
  // topological order: no later rule reads them), not at the end of the pass: a deep network's
  // activations are then freed layer by layer while the gradients flow, as PyTorch frees its
  // saved tensors, instead of all staying alive until the first layer's gradient is done.
  const freeAsWeGo = !(opts.retainGraph ?? create);
  const inGrad = new Set<NDArray>();
  if (direct) for (const a of order) if (a._node) checkVersions(a._node); // fail before any `.grad` is written
  // Without createGraph, rules may write into running sums (a taped backward needs new arrays).
  const sink = create ? undefined : new BufferSink(grads, direct);

  /** Adds input x's gradient contribution gx (owned by this pass) to its running sum. */
  const accumulate = (x: NDArray, gx: NDArray): void => {
    const prev = grads.get(x);
    if (!prev) {
      grads.set(x, gx);
      return;
    }
    if (create) {
      grads.set(x, prev.add(gx));
      return;
    }
    // prev is this pass's own buffer (no other handle on its storage) or a leaf's `.grad` the pass
    // writes anyway: add into it. Otherwise the sum is a new array.
    if (canAccumulateInPlace(prev, gx) || inGrad.has(prev)) prev.iadd(gx);
    else {
      grads.set(x, prev.add(gx));
      prev.dispose();
    }
    gx.dispose();
  };

  const body = () => {
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      const hg = opts.headGrads?.[i];
      if (hg && !shapesEqual(hg.shape, h.shape))
        throw new ShapeError(`backward: head gradient of shape ${shapeStr(hg.shape)} does not match the head's shape ${shapeStr(h.shape)}`);
      const g = hg ? hg.copy() : onesLike(h);
      const prev = grads.get(h);
      grads.set(h, prev ? prev.add(g) : g);
    }
    for (let i = order.length - 1; i >= 0; i--) {
      const a = order[i];
      const g = grads.get(a);
      if (!g) continue;
      const node = a._node;
      const isLeafTarget = wantedSet ? wantedSet.has(a) : a._gradReq !== 'null';
      if (isLeafTarget) result.set(a, g);
      if (!node) continue;
      checkVersions(node);
      // A recorded backward (createGraph) must read the graph's own arrays so the gradient rule is
      // taped as a function of them; saved value handles are cut off from the graph.
      const nIn = node.inputs.length;
      const inputs = new Array<NDArray>(nIn);
      for (let j = 0; j < nIn; j++) {
        const x = node.inputs[j];
        inputs[j] = create && !x.isDisposed ? x : (node.saved[j] ?? x);
      }
      const out = create && !a.isDisposed ? a : (node.out ?? a);
      let igs: (NDArray | null)[];
      if (sink) {
        sink.inputs = node.inputs;
        igs = tidy(() => node.vjp(g, inputs, out, sink));
      } else igs = node.vjp(g, inputs, out);
      const seenHandles: NDArray[] = [g];
      for (let j = 0; j < nIn; j++) {
        const x = node.inputs[j];
        let gx = igs[j];
        if (!gx) continue;
        // The rule wrote this input's gradient into its running sum already, or into `.grad`.
        if (sink && (gx === grads.get(x) || (gx === x._grad && !grads.has(x)))) {
          if (!grads.has(x)) {
            grads.set(x, gx);
            inGrad.add(gx);
          }
          continue;
        }
        // A rule may hand back g itself, or one array for two inputs: give each its own handle
        // (owned by this pass, which disposes it or hands it out).
        if (seenHandles.includes(gx)) gx = create ? gx._valueHandle() : gx._ownedHandle();
        seenHandles.push(gx);
        if (!(x._node || x._gradReq !== 'null')) {
          if (!create) gx.dispose();
          continue;
        }
        if (!shapesEqual(gx.shape, x.shape))
          throw new AutogradError(
            `backward: internal error in the gradient of ${node.op}: got shape ${shapeStr(gx.shape)} for an input of shape ${shapeStr(x.shape)}`,
          );
        accumulate(x, gx);
      }
      if (!isLeafTarget && !create) {
        grads.delete(a);
        g.dispose();
      }
      if (freeAsWeGo) freeNode(a);
    }
  };
  // Gradients are computed without recording unless a higher-order graph is wanted.
  try {
    withFlags(create, opts.trainMode ?? state.training, 'backward', body);
  } catch (e) {
    // The pass's own gradient buffers are never handed out after a failure: free them now.
    if (!create) for (const g of new Set(grads.values())) if (!inGrad.has(g)) g.dispose();
    throw e;
  }
  // The nodes no gradient reached.
  if (freeAsWeGo) for (const a of order) freeNode(a);
  return result;
}

/** Releases what a's node keeps alive and marks a's graph as freed (backward without retainGraph). */
function freeNode(a: NDArray): void {
  if (!a._node) return;
  releaseNode(a._node);
  a._node = null;
  a._graphFreed = true;
}

/**
 * The pass's offer to the current node's gradient rule: input j's running sum when the pass alone
 * holds it, or (backward() into `.grad`) the leaf's `.grad` while it has no running sum yet.
 */
class BufferSink implements GradSink {
  /** The inputs of the node whose rule runs now. */
  inputs: readonly NDArray[] = [];
  constructor(
    private readonly grads: ReadonlyMap<NDArray, NDArray>,
    private readonly intoGrad: boolean,
  ) {}

  target(j: number): GradTarget | null {
    const x = this.inputs[j];
    const prev = this.grads.get(x);
    if (prev) return prev.storage.refs === 1 && prev.isContiguous && !prev.isDisposed ? { buffer: prev, overwrite: false } : null;
    // An input read twice by one op gets its `.grad` offered once (its first position).
    if (this.intoGrad && gradTarget(x) && this.inputs.indexOf(x) === j) return { buffer: x._grad!, overwrite: x._gradReq === 'write' };
    return null;
  }
}

/**
 * Whether a gradient rule may write x's gradient straight into `x.grad`: x is a leaf with an
 * attached, dense gradient that nothing else holds (no view of it, nothing recorded from it).
 */
function gradTarget(x: NDArray): boolean {
  const d = x._grad;
  return (
    !x._node &&
    x._gradReq !== 'null' &&
    !!d &&
    !d.isDisposed &&
    d.storage.refs === 1 &&
    d.isContiguous &&
    d.dtype === x.dtype &&
    shapesEqual(d.shape, x.shape)
  );
}

/**
 * Whether `prev += gx` may be written into prev's buffer: prev is the only handle on its storage
 * (so nobody else can see the change), dense (no broadcast zero strides), and of the sum's dtype.
 */
function canAccumulateInPlace(prev: NDArray, gx: NDArray): boolean {
  return prev.storage.refs === 1 && prev.dtype === gx.dtype && prev.isContiguous && !prev.isDisposed;
}

function checkVersions(node: TapeNode): void {
  if (node.out && node.out.storage.version !== node.outVersion)
    throw new AutogradError(
      `backward: the output of ${node.op} (shape ${shapeStr(node.out.shape)}) was modified in place after it was recorded; ` +
        `its gradient would be wrong. Write into a copy, or do the in-place update after backward()`,
    );
  node.saved.forEach((s, j) => {
    if (s && s.storage.version !== node.versions[j])
      throw new AutogradError(
        `backward: an input of ${node.op} (shape ${shapeStr(s.shape)}) was modified in place after it was recorded; ` +
          `its gradient would be wrong. Write into a copy, or do the in-place update after backward()`,
      );
  });
}

/**
 * Backpropagates from `heads` into the `.grad` of every array with an attached gradient.
 * Used through `y.backward()`.
 */
export function backward(heads: NDArray[], opts: BackwardOptions = {}): void {
  const res = runBackward(heads, opts, null, true);
  for (const [leaf, g] of res) {
    const dst = leaf._grad;
    if (!dst) continue;
    if (g === dst) {
      // Written (or added) into `.grad` by the rule itself: mark the write, as an in-place op
      // would (the Trainer tells a fresh gradient from a stale one by it).
      dst._storage.version++;
      continue;
    }
    if (leaf._gradReq === 'add') dst.iadd(g);
    else dst._assignFrom(g);
    if (!opts.createGraph) g.dispose();
  }
}

/**
 * Gradients of `heads` with respect to `variables`, returned instead of written to `.grad`.
 * With `createGraph: true` the result is itself recorded, for higher-order derivatives.
 *
 * @example
 * x.attachGrad();
 * const y = autograd.record(() => x.mul(x).mul(x));
 * const [dy] = autograd.grad([y], [x], { createGraph: true, retainGraph: true }); // 3x²
 * const dx = autograd.grad(y, x); // single arrays, as MXNet: one gradient back
 */
export function grad(heads: NDArray | NDArray[], variables: NDArray, opts?: GradOptions): NDArray;
export function grad(heads: NDArray | NDArray[], variables: NDArray[], opts?: GradOptions): NDArray[];
export function grad(headsIn: NDArray | NDArray[], variablesIn: NDArray | NDArray[], opts: GradOptions = {}): NDArray | NDArray[] {
  checkOptions('autograd.grad', opts, GRAD_KEYS);
  const heads = arrayList('heads', headsIn);
  const variables = arrayList('variables', variablesIn);
  const hg = opts.headGrads as unknown;
  let headGrads: (NDArray | null)[] | undefined;
  if (hg && (hg as { __isNDArray?: unknown }).__isNDArray) headGrads = [hg as NDArray];
  else if (hg !== undefined && hg !== null) {
    if (!Array.isArray(hg) || hg.length !== heads.length)
      throw new ValueError(`autograd.grad: headGrads must hold one entry (an NDArray or null) per head, ${heads.length} here`);
    headGrads = hg;
  }
  const single = !Array.isArray(variablesIn);
  for (const v of variables)
    if (v._gradReq === 'null' && !v._node)
      throw new AutogradError(
        `autograd.grad: a variable of shape ${shapeStr(v.shape)} has no attached gradient; call attachGrad() on it before recording`,
      );
  const res = runBackward(heads, { ...opts, headGrads }, variables);
  const out = variables.map((v) => keep(res.get(v) ?? v.zerosLike()));
  return single ? out[0] : out;
}

/** Options of autograd.grad. */
export type GradOptions = Omit<BackwardOptions, 'headGrads'> & { headGrads?: (NDArray | null)[] | NDArray | null };
const GRAD_KEYS = ['headGrads', 'retainGraph', 'createGraph', 'trainMode'];

/** `x` as a list of NDArrays: one array alone becomes a list of one, as MXNet's autograd.grad accepts. */
function arrayList(what: string, x: unknown): NDArray[] {
  const list = Array.isArray(x) ? x : [x];
  if (list.length === 0) throw new ValueError(`autograd.grad: ${what} must not be empty`);
  for (const a of list)
    if (!a || typeof a !== 'object' || !(a as { __isNDArray?: unknown }).__isNDArray)
      throw new ValueError(
        `autograd.grad: ${what} must be an NDArray or a list of NDArrays, got ${Array.isArray(a) ? 'a nested list' : typeof a}`,
      );
  return list as NDArray[];
}
