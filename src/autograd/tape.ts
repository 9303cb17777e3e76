import type { NDArray } from '../ndarray/ndarray.js';
import { state } from './state.js';

/** The gradient rule of one recorded op: input gradients (null = zero/none) from the output gradient. */
export type Vjp = (g: NDArray, inputs: NDArray[], out: NDArray) => (NDArray | null)[];

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
}

/** Whether a new op on these inputs must be taped. */
export function shouldRecord(...inputs: (NDArray | number | null | undefined)[]): boolean {
  if (!state.recording) return false;
  for (const x of inputs) if (x && typeof x === 'object' && x.requiresGrad) return true;
  return false;
}

/** Tapes an op: `out` remembers how it was computed. */
export function recordOp(op: string, inputs: NDArray[], out: NDArray, vjp: Vjp, save: Save = 'both'): void {
  const saveIn = save === 'inputs' || save === 'both';
  const saveOut = save === 'output' || save === 'both';
  const saved = inputs.map((x) => (saveIn ? x._valueHandle() : undefined));
  const outHandle = saveOut ? out._valueHandle() : undefined;
  out._node = {
    op,
    inputs,
    saved,
    out: outHandle,
    versions: saved.map((s) => (s ? s.storage.version : 0)),
    outVersion: outHandle ? outHandle.storage.version : 0,
    vjp,
  };
}

/** Frees what a node keeps alive. */
export function releaseNode(n: TapeNode): void {
  for (const s of n.saved) s?.dispose();
  n.out?.dispose();
  n.saved = [];
  n.out = undefined;
}
