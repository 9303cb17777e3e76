// The tape: one node per recorded op (its inputs, what its gradient rule saved, versions), and
// the GradSink contract for rules that write gradients in place.
import type { NDArray } from '../ndarray/ndarray.js';
import { state } from './state.js';

/**
 * A buffer the backward pass lets a gradient rule write input j's gradient into: the input's
 * running gradient sum, or a leaf's `.grad`. `overwrite`: the buffer holds nothing yet, so the
 * rule writes its contribution there instead of adding it.
 */
export interface GradTarget {
  readonly buffer: NDArray;
  readonly overwrite: boolean;
}

/**
 * Offered to gradient rules by a backward pass that is not itself recorded. A rule that can
 * write an input's gradient in place (matmul, with a GEMM that accumulates) asks `target(j)` and,
 * when it wrote there, returns that buffer itself for input j instead of a new array.
 */
export interface GradSink {
  target(j: number): GradTarget | null;
}

/**
 * The gradient rule of one recorded op: input gradients (null = zero/none) from the output
 * gradient. Only rules that write in place look at `sink`; the others ignore it.
 */
export type Vjp = (g: NDArray, inputs: NDArray[], out: NDArray, sink?: GradSink) => (NDArray | null)[];

/** What an op keeps alive for its gradient rule. */
export type Save = 'inputs' | 'output' | 'both' | 'none';

export interface TapeNode {
  readonly op: string;
  /** The arrays the op read, as the user holds them: the graph's edges. */
  readonly inputs: NDArray[];
  /** Value handles of the inputs (or undefined when not saved), kept past a user's dispose(). */
  saved: (NDArray | undefined)[];
  out: NDArray | undefined;
  versions: number[];
  /** The storage version of the saved output, checked like the inputs' versions. */
  outVersion: number;
  readonly vjp: Vjp;
  /** Whether the node's saved handles are under the garbage collector's watch (tape.ts). */
  registered: boolean;
}

/** Whether a new op on these inputs must be taped. */
export function shouldRecord(...inputs: (NDArray | number | null | undefined)[]): boolean {
  if (!state.recording) return false;
  for (const x of inputs) if (x && typeof x === 'object' && x.requiresGrad) return true;
  return false;
}

/**
 * The safety net for graphs that are never backpropagated: when a node becomes unreachable, the
 * value handles it saved are released. One registration per node that saves something (the
 * handles themselves are owned by the node, not watched one by one).
 */
const nodeRegistry = new FinalizationRegistry<NDArray[]>((handles) => {
  for (const h of handles) h.dispose();
});

/** Tapes an op: `out` remembers how it was computed. */
export function recordOp(op: string, inputs: NDArray[], out: NDArray, vjp: Vjp, save: Save = 'both'): void {
  const saveIn = save === 'inputs' || save === 'both';
  const saveOut = save === 'output' || save === 'both';
  const n = inputs.length;
  const saved = new Array<NDArray | undefined>(n);
  const versions = new Array<number>(n);
  const owned: NDArray[] = [];
  for (let i = 0; i < n; i++) {
    const h = saveIn ? inputs[i]._ownedHandle() : undefined;
    saved[i] = h;
    versions[i] = h ? h.storage.version : 0;
    if (h) owned.push(h);
  }
  const outHandle = saveOut ? out._ownedHandle() : undefined;
  if (outHandle) owned.push(outHandle);
  const node: TapeNode = {
    op,
    inputs,
    saved,
    out: outHandle,
    versions,
    outVersion: outHandle ? outHandle.storage.version : 0,
    vjp,
    registered: owned.length > 0,
  };
  if (node.registered) nodeRegistry.register(node, owned, node);
  out._node = node;
}

/** Frees what a node keeps alive. */
export function releaseNode(n: TapeNode): void {
  if (n.registered) {
    nodeRegistry.unregister(n);
    n.registered = false;
  }
  for (const s of n.saved) s?.dispose();
  n.out?.dispose();
  n.saved = [];
  n.out = undefined;
}
