// The backend contract: storage, reads and writes, and the kernel families every backend
// implements over strided views (broadcasting already as zero strides).
import type { DType, TypedArray } from '../core/dtype.js';
import type { Shape } from '../core/shape.js';

/**
 * A block of device memory holding elements of one dtype. Reference counted: views share it,
 * and it goes back to its backend when the last reference is released.
 */
export interface Storage {
  readonly backend: Backend;
  readonly dtype: DType;
  /** Capacity in elements. */
  readonly size: number;
  /** Bumped by every in-place write, so the tape can tell when a saved input was overwritten. */
  version: number;
  refs: number;
  /** How many of `refs` are handles only the garbage collector watches (src/ndarray/memory.ts). */
  watched: number;
  /** @internal What the garbage collector's safety net holds for this storage (memory.ts). */
  gcCell: GcCell | null;
}

/**
 * The value the garbage collector's safety net holds for a storage's watched handles. A backend
 * that moves a storage out of its memory into memory the JS garbage collector owns (the CPU
 * heap's eviction) clears `storage`, so the storage and its moved bytes die with the last
 * handle; handles collected meanwhile are counted in `lost` and settled when it moves back.
 */
export interface GcCell {
  storage: Storage | null;
  lost: number;
  /** The registrations of the storage's watched handles (memory.ts), so that all can be withdrawn at once. */
  tokens: GcToken[];
}

/** One handle's registration with the garbage collector's safety net (its unregister token). */
export interface GcToken {
  readonly cell: GcCell;
  /** Its place in `cell.tokens` (-1 once withdrawn or settled). */
  index: number;
  /** Set when the registration was withdrawn because the storage moved out (see `releaseGcCell`). */
  withdrawn: boolean;
}

/** Installed by memory.ts: withdraws every registration of a cell's handles. */
let withdrawAll: ((cell: GcCell) => void) | null = null;

/** @internal Called once by memory.ts, which owns the FinalizationRegistry. */
export function setGcWithdraw(fn: (cell: GcCell) => void): void {
  withdrawAll = fn;
}

/** Whether only handles the garbage collector watches hold `s` (no tidy scope, tape or library owner). */
export function onlyGcHolds(s: Storage): boolean {
  return s.watched > 0 && s.refs === s.watched;
}

/**
 * Called when `s` moves out of its backend's memory: the GC's cell lets go, so `s` dies with its
 * last handle, and the registrations of its handles are withdrawn. Why withdraw: a synchronous loop
 * never lets the registry's cleanup run, and V8 keeps the record of every collected handle until
 * it does (~100 bytes each, a few per step: 80 MiB over a 20,000-step loop); the moved storage
 * needs no callback, as its bytes die with it. A handle the user still holds stays valid; if its
 * storage moves back and is dropped later, the next eviction takes it again.
 */
export function releaseGcCell(s: Storage): void {
  const cell = s.gcCell;
  if (!cell) return;
  cell.storage = null;
  if (cell.tokens.length > 0) withdrawAll?.(cell);
}

/** Called when `s` moves back: the cell holds it again, and the handles collected meanwhile drop their references. */
export function reclaimGcCell(s: Storage): void {
  const cell = s.gcCell;
  if (!cell) return;
  cell.storage = s;
  if (cell.lost > 0) {
    s.refs -= cell.lost;
    s.watched -= cell.lost;
    cell.lost = 0;
  }
}

/** A strided window onto a storage; strides and offset count elements, not bytes. */
export interface View {
  readonly storage: Storage;
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
}

export type UnaryOp =
  | 'neg'
  | 'abs'
  | 'sign'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'square'
  | 'sin'
  | 'cos'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'reciprocal'
  | 'log1p'
  | 'expm1'
  | 'logicalNot'
  | 'isnan'
  | 'isinf';
export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'mod'
  | 'equal'
  | 'notEqual'
  | 'greater'
  | 'greaterEqual'
  | 'lesser'
  | 'lesserEqual';
export type ReduceOp = 'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin';

export interface Conv2dParams {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}
export interface Pool2dParams {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  /** avg pooling: count padded cells in the divisor (MXNet's default is true). */
  countIncludePad: boolean;
}

/** The recurrences the fused RNN step kernels compute (Gluon's modes; see src/ops/rnn.ts). */
export type RnnCellKind = 'rnn_tanh' | 'rnn_relu' | 'gru' | 'lstm';

/**
 * One time step of a fused recurrent layer (Backend.rnnStep). Every view is dense (row-major
 * contiguous) and of one float dtype; N is the batch, H the hidden size, G the gates (1, 3 or 4).
 * gx and gh hold x·W_i2hᵀ and h_prev·W_h2hᵀ without their biases (N, G·H); the kernel adds bx
 * and bh (G·H), applies the gate math and writes h (N, H) and, for the LSTM, c. `reserve`
 * (N·R·H elements, R = 5 for the LSTM, 4 for the GRU; null for the plain RNN, which needs only h)
 * receives what the backward step reads, in a layout of the backend's own (only its rnnStepGrad
 * reads it): the LSTM's gate activations i, f, g, o and tanh(c); the GRU's r, z, n and
 * h_prev·W_hnᵀ + b_hn.
 */
export interface RnnStepViews {
  readonly mode: RnnCellKind;
  readonly gx: View;
  readonly gh: View;
  readonly bx: View;
  readonly bh: View;
  readonly hPrev: View;
  readonly cPrev: View | null;
  readonly h: View;
  readonly c: View | null;
  readonly reserve: View | null;
}

/**
 * The gradient of one fused step (Backend.rnnStepGrad), views as in RnnStepViews. dh is the
 * head gradient of this step's h (N, H) and dhNext the gradient reaching h from the later steps;
 * dcNext (LSTM) that reaching c. It writes the gradients of the pre-activations: dgx, of the
 * input projection, and dgh, of the recurrent one (the same view may be passed for both except for
 * the GRU, whose new gate multiplies the recurrent part by r), and the parts of h_prev's (and
 * c_prev's) gradient that do not go through W_h2h into dhPrev (dcPrev). dhPrev may be dhNext
 * itself and dcPrev dcNext (each element is read before it is written).
 */
export interface RnnStepGradViews {
  readonly mode: RnnCellKind;
  readonly dh: View;
  readonly dhNext: View;
  readonly dcNext: View | null;
  readonly h: View;
  readonly hPrev: View;
  readonly c: View | null;
  readonly cPrev: View | null;
  readonly reserve: View | null;
  readonly dgx: View;
  readonly dgh: View;
  readonly dhPrev: View;
  readonly dcPrev: View | null;
}

/**
 * The narrow interface every backend implements. Kernels read strided views and write into
 * `out`, which may itself be a strided view (in-place writes). Broadcasting is done by the caller
 * through zero strides, so kernels only see equal shapes. Everything above this layer (ops,
 * autograd, gluon) is backend-agnostic.
 */
export interface Backend {
  readonly name: string;
  /** Whether arrays of dtype `d` can live on this backend. */
  supportsDType(d: DType): boolean;
  alloc(dtype: DType, size: number): Storage;
  /** Called when a storage's refcount drops to zero. */
  free(s: Storage): void;
  /** Copies `data` (contiguous, dtype of `dst`) into the view `dst`. */
  write(dst: View, data: TypedArray): void;
  /** A contiguous copy of the view's elements. */
  read(src: View): Promise<TypedArray>;
  /** Synchronous read; backends that cannot read synchronously throw. */
  readSync(src: View): TypedArray;
  /**
   * Optional: resolves once every kernel queued so far has run (and rejects with any error the
   * device reported). Backends that run kernels synchronously (the CPU) leave it out.
   */
  sync?(): Promise<void>;
  /** Live storages and their bytes on this backend. */
  memory(): { storages: number; bytes: number; reservedBytes: number; evictions?: number; evictedBytes?: number; readmissions?: number };

  fill(out: View, value: number): void;
  /** Strided copy with dtype conversion (`out` and `x` have the same shape). */
  copy(x: View, out: View): void;
  unary(op: UnaryOp, x: View, out: View): void;
  binary(op: BinaryOp, a: View, b: View, out: View): void;
  /** `out = op(x, s)` or, with `reverse`, `op(s, x)`. */
  binaryScalar(op: BinaryOp, x: View, s: number, reverse: boolean, out: View): void;
  where(cond: View, a: View, b: View, out: View): void;
  /** Reduces `x` over `axes`; `out` has x's shape with those axes removed. */
  reduce(op: ReduceOp, x: View, axes: readonly number[], out: View): void;
  /**
   * Batched matrix product: x [...batch, m, k] times y [...batch, k, n] into out [...batch, m, n].
   * Batch dims are already broadcast (zero strides allowed); transposed operands arrive as strides.
   */
  matmul(x: View, y: View, out: View): void;
  /**
   * Optional: out += x · y in one pass (GEMM with beta = 1), for gradients summed over many
   * products (an RNN's weights, once per time step). Returns false, leaving out untouched, when
   * these views or dtypes are not supported; the caller then adds a separate product.
   */
  matmulAdd?(x: View, y: View, out: View): boolean;
  /** out[pre, j..., post] = x[pre, idx[j...], post] with idx integral; out's shape is pre + idx + post. */
  take(x: View, idx: View, axis: number, out: View): void;
  /** The adjoint of take: out[pre, idx[j...], post] += src[pre, j..., post]. */
  takeGrad(src: View, idx: View, axis: number, out: View): void;
  /** out[i, j] = x[i, idx[i, j]] generalised: pick along `axis`, idx has x's shape without `axis`. */
  pick(x: View, idx: View, axis: number, out: View): void;
  /** The adjoint of pick: out[..., idx, ...] += src. */
  pickGrad(src: View, idx: View, axis: number, out: View): void;
  /** out[..., c] = c == idx[...] ? on : off. */
  oneHot(idx: View, depth: number, on: number, off: number, out: View): void;
  /**
   * Optional fused softmax cross-entropy over the last axis of `pred` [rows, C] (float, row-major
   * contiguous) with integer-valued `label` [rows]: loss[r] = log Σ exp(pred[r]) − pred[r, label[r]]
   * (max-shifted), and, when `prob` is given, prob = softmax(pred). Returns false where the
   * backend does not handle these views; the op then composes the loss from primitives.
   */
  softmaxCrossEntropy?(pred: View, label: View, loss: View, prob: View | null): boolean;
  /**
   * Optional fused gradient of softmaxCrossEntropy: out[r, c] = (prob[r, c] − [c = label[r]]) · g[r]
   * over [rows, C] contiguous views. Returns false where not handled.
   */
  softmaxCrossEntropyGrad?(prob: View, label: View, g: View, out: View): boolean;
  /**
   * Optional fused gradient of a unary op from its output, out = g · y · (1 − y) for 'sigmoid' and
   * g · (1 − y²) for 'tanh' (views of one shape). Returns false, writing nothing, for other ops or
   * views; the rule then composes it from primitives.
   */
  unaryGrad?(op: UnaryOp, g: View, y: View, out: View): boolean;
  /**
   * Optional fused batch norm in training mode over channel axis 1 of x (N, C, ...): the batch
   * mean and biased variance per channel into `mean` and `variance` (C), and
   * y = (x − mean) · gamma / sqrt(variance + eps) + beta. Returns false, writing nothing, where the
   * backend does not handle these views; the op then composes it from primitives.
   */
  batchNorm?(x: View, gamma: View, beta: View, eps: number, y: View, mean: View, variance: View): boolean;
  /**
   * Optional fused gradient of batchNorm from the output gradient g and the input x (the batch
   * statistics recomputed): dx, dgamma = Σ g·x̂ and dbeta = Σ g over every axis but 1. Returns
   * false, writing nothing, where not handled.
   */
  batchNormGrad?(g: View, x: View, gamma: View, eps: number, dx: View, dgamma: View, dbeta: View): boolean;
  /**
   * Optional fused step of a recurrent layer (see RnnStepViews): the gate math of one time step in
   * one kernel. Returns false, writing nothing, where the backend does not take these views; the
   * recurrent layers then run step by step on other ops.
   */
  rnnStep?(v: RnnStepViews): boolean;
  /** Optional gradient of rnnStep (see RnnStepGradViews); false where not handled. */
  rnnStepGrad?(v: RnnStepGradViews): boolean;
  /**
   * Optional: a generated elementwise kernel of the graph compiler (src/compile/). `body`, in this
   * backend's kernel language, reads inputs `x0, x1, ...` and defines outputs `y0, y1, ...`; every
   * view has the shape `shape` (broadcast inputs as zero strides) and dtype float32. `key` names
   * the body for the pipeline cache. Returns false, writing nothing, where the backend cannot
   * run it (too many operands); the compiler then runs the chain op by op.
   */
  fusedMap?(key: string, body: string, shape: readonly number[], outs: readonly View[], ins: readonly View[]): boolean;
  /** NCHW x, (O, C/groups, KH, KW) w, into NCHW out. */
  conv2d(x: View, w: View, p: Conv2dParams, out: View): void;
  /** Gradients of conv2d with respect to its input and its weight (either may be null). */
  conv2dGrad(g: View, x: View, w: View, p: Conv2dParams, dx: View | null, dw: View | null): void;
  pool2d(kind: 'max' | 'avg', x: View, p: Pool2dParams, out: View): void;
  pool2dGrad(kind: 'max' | 'avg', g: View, x: View, p: Pool2dParams, dx: View): void;
}
