/**
 * gluon.loss: Gluon's losses. Each returns one value per sample: the elementwise loss is scaled
 * by `sampleWeight` (broadcast) and by the constant `weight`, then averaged over every axis but
 * the batch axis (axis 0 by default), exactly as Gluon's `_apply_weighting` followed by
 * `mean(axis=batch_axis, exclude=True)`.
 *
 * @example
 * const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
 * const l = autograd.record(() => loss.forward(net.forward(X), y)); // shape [batch]
 * l.backward();
 */
import { ShapeError, ValueError } from '../core/errors.js';
import { broadcastShapes, normalizeAxis, shapeStr, shapesEqual } from '../core/shape.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { logSoftmax } from '../ndarray/nd.js';
import { sigmoidBinaryCrossEntropy, softmaxCrossEntropy } from '../ops/loss-ops.js';

/** Options every loss takes. */
export interface LossOptions {
  /** A constant multiplying the loss (Gluon's `weight`); L2Loss folds its ½ into it. */
  weight?: number | null;
  /** The axis that indexes samples (default 0); the loss is averaged over all the others. */
  batchAxis?: number;
}

/** Disposes intermediate arrays as soon as the next step has consumed them. */
function chain(first: NDArray, ...steps: ((x: NDArray) => NDArray)[]): NDArray {
  let cur = first;
  for (const step of steps) {
    const next = step(cur);
    if (next !== cur) cur.dispose();
    cur = next;
  }
  return cur;
}

/**
 * The base class of every loss: holds `weight` and `batchAxis`, and applies sample weighting
 * and the per-sample mean. `forward` is bound to its instance, so it can be passed around as a
 * plain function (`train(net, loss.forward)`).
 *
 * @example
 * class MyLoss extends gluon.loss.Loss {
 *   forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray) {
 *     return this.finish(pred.sub(label).abs(), sampleWeight, this.weight, 'MyLoss');
 *   }
 * }
 */
export abstract class Loss {
  /** The constant factor, or null for none. */
  readonly weight: number | null;
  /** The sample axis. */
  readonly batchAxis: number;

  constructor(opts: LossOptions = {}) {
    const w = opts.weight ?? null;
    if (w !== null && !Number.isFinite(w)) throw new ValueError(`${new.target.name}: weight must be a finite number or null, got ${w}`);
    const b = opts.batchAxis ?? 0;
    if (!Number.isInteger(b) || b < 0) throw new ValueError(`${new.target.name}: batchAxis must be a non-negative integer, got ${b}`);
    this.weight = w;
    this.batchAxis = b;
    this.forward = this.forward.bind(this);
  }

  /**
   * The per-sample loss of `pred` against `label`, optionally weighted per element by
   * `sampleWeight` (broadcast to the loss's shape, as Gluon's broadcast_mul).
   * @example const l = loss.forward(net.forward(X), y); // shape [batch]
   */
  abstract forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray;

  /**
   * Applies `sampleWeight` and `weight`, then averages over every axis but the batch axis.
   * Consumes (disposes) `loss` when it makes a new array from it.
   * @example return this.finish(pred.sub(label).abs(), sampleWeight, this.weight, 'MyLoss');
   */
  protected finish(loss: NDArray, sampleWeight: NDArray | null | undefined, weight: number | null, op: string): NDArray {
    let out = loss;
    if (sampleWeight) {
      try {
        broadcastShapes(out.shape, sampleWeight.shape, op);
      } catch {
        throw new ShapeError(
          `${op}: sampleWeight of shape ${shapeStr(sampleWeight.shape)} does not broadcast to the elementwise loss of shape ` +
            `${shapeStr(out.shape)} (numpy rules, aligned on the right; e.g. reshape a per-sample weight to [batch, 1])`,
        );
      }
      const sw = sampleWeight;
      out = chain(out, (x) => x.mul(sw));
    }
    if (weight !== null && weight !== 1) out = chain(out, (x) => x.mul(weight));
    return this.meanExceptBatch(out, op);
  }

  /** mean(axis = batchAxis, exclude = true); a reshape when the other axes have one element. */
  protected meanExceptBatch(loss: NDArray, op: string): NDArray {
    if (loss.ndim <= 1) return loss;
    const b = normalizeAxis(this.batchAxis, loss.ndim, op);
    const axes = [...Array(loss.ndim).keys()].filter((a) => a !== b);
    const count = axes.reduce((n, a) => n * loss.shape[a], 1);
    if (count === 1) return chain(loss, (x) => x.reshape([x.shape[b]]));
    return chain(loss, (x) => x.mean({ axis: axes }));
  }

  /** label reshaped to pred's shape (Gluon's `_reshape_like`), with a clear error when sizes differ. */
  protected reshapeLike(label: NDArray, pred: NDArray, op: string): NDArray {
    if (shapesEqual(label.shape, pred.shape)) return label;
    if (label.size !== pred.size)
      throw new ShapeError(
        `${op}: label of shape ${shapeStr(label.shape)} (${label.size} elements) cannot be matched to pred of shape ` +
          `${shapeStr(pred.shape)} (${pred.size} elements); the label must hold one value per prediction`,
      );
    return label.reshape(pred.shape);
  }

  toString(): string {
    return `${this.constructor.name}(batch_axis=${this.batchAxis}, w=${this.weight === null ? 'None' : this.weight})`;
  }
  /** What console.log shows under Node and in Deno's kernel: the repr above (as Python's print). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function checkPair(op: string, pred: NDArray, label: NDArray): void {
  if (!pred || typeof pred !== 'object' || !(pred as { __isNDArray?: boolean }).__isNDArray)
    throw new ValueError(`${op}: pred must be an NDArray, got ${typeof pred}`);
  if (!label || typeof label !== 'object' || !(label as { __isNDArray?: boolean }).__isNDArray)
    throw new ValueError(`${op}: label must be an NDArray, got ${typeof label}`);
}

/**
 * ½ (pred − label)² per element, averaged per sample (Gluon's L2Loss: `weight` defaults to 1 and
 * the ½ is applied on top). `label` is reshaped to pred's shape.
 *
 * @example
 * const loss = new gluon.loss.L2Loss();
 * loss.forward(nd.array([[1], [2]]), nd.array([0, 0])).toArray(); // [0.5, 2]
 */
export class L2Loss extends Loss {
  constructor(opts: LossOptions = {}) {
    super({ weight: 1, ...opts });
  }
  forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray {
    checkPair('L2Loss', pred, label);
    const y = this.reshapeLike(label, pred, 'L2Loss');
    const d = y.sub(pred);
    if (y !== label) y.dispose();
    const sq = chain(d, (x) => x.square());
    return this.finish(sq, sampleWeight, (this.weight ?? 1) / 2, 'L2Loss');
  }
}

/**
 * |pred − label| per element, averaged per sample (Gluon's L1Loss).
 *
 * @example
 * new gluon.loss.L1Loss().forward(nd.array([[1, -1]]), nd.array([[0, 0]])).toArray(); // [1]
 */
export class L1Loss extends Loss {
  forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray {
    checkPair('L1Loss', pred, label);
    const y = this.reshapeLike(label, pred, 'L1Loss');
    const d = y.sub(pred);
    if (y !== label) y.dispose();
    const a = chain(d, (x) => x.abs());
    return this.finish(a, sampleWeight, this.weight, 'L1Loss');
  }
}

/** Options of SoftmaxCrossEntropyLoss. */
export interface SoftmaxCrossEntropyLossOptions extends LossOptions {
  /** The class axis (default -1). */
  axis?: number;
  /** Labels are class indices (default true); false: a distribution over classes per sample. */
  sparseLabel?: boolean;
  /** pred already holds log-probabilities (default false: pred are logits). */
  fromLogits?: boolean;
}

/**
 * Softmax followed by cross-entropy, computed stably from logits (log-softmax with the max
 * subtracted; logits of 1e4 give a finite loss and gradient). Sparse integer labels go through a
 * fused primitive whose gradient is softmax − onehot. Returns one value per sample.
 *
 * @example
 * const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
 * loss.forward(nd.array([[2, 0, 0]]), nd.array([0])).toArray(); // [0.2395]
 */
export class SoftmaxCrossEntropyLoss extends Loss {
  readonly axis: number;
  readonly sparseLabel: boolean;
  readonly fromLogits: boolean;

  constructor(opts: SoftmaxCrossEntropyLossOptions = {}) {
    super(opts);
    this.axis = opts.axis ?? -1;
    this.sparseLabel = opts.sparseLabel ?? true;
    this.fromLogits = opts.fromLogits ?? false;
  }

  forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray {
    const op = 'SoftmaxCrossEntropyLoss';
    checkPair(op, pred, label);
    if (pred.ndim === 0) throw new ShapeError(`${op}: pred must have a class axis, got a 0-d array`);
    const axis = normalizeAxis(this.axis, pred.ndim, op);
    const withOne = pred.shape.map((d, i) => (i === axis ? 1 : d));
    let loss: NDArray;
    if (this.sparseLabel && !this.fromLogits) {
      // Fused: −log softmax(pred)[label], shaped like Gluon's keepdims result.
      const l = softmaxCrossEntropy(pred, this.sparseLabelShape(label, pred, axis, op), { axis });
      loss = chain(l, (x) => x.reshape(withOne));
    } else if (this.sparseLabel) {
      const lbl = this.sparseLabelShape(label, pred, axis, op);
      const picked = pred.pick(lbl, { axis, keepdims: true });
      loss = chain(picked, (x) => x.neg());
    } else {
      const y = this.reshapeLike(label, pred, op);
      const logp = this.fromLogits ? pred : logSoftmax(pred, { axis });
      const prod = logp.mul(y);
      if (logp !== pred) logp.dispose();
      if (y !== label) y.dispose();
      loss = chain(
        prod,
        (x) => x.sum({ axis, keepdims: true }),
        (x) => x.neg(),
      );
    }
    return this.finish(loss, sampleWeight, this.weight, op);
  }

  /** Checks a sparse label against pred: its shape must be pred's without the class axis (or with 1 there). */
  private sparseLabelShape(label: NDArray, pred: NDArray, axis: number, op: string): NDArray {
    const rest = pred.shape.filter((_, i) => i !== axis);
    const withOne = pred.shape.map((d, i) => (i === axis ? 1 : d));
    if (shapesEqual(label.shape, rest) || shapesEqual(label.shape, withOne)) return label;
    throw new ShapeError(
      `${op}: with sparseLabel the label must hold one class index per sample: expected shape ${shapeStr(rest)} ` +
        `for pred of shape ${shapeStr(pred.shape)} (class axis ${axis}), got ${shapeStr(label.shape)}` +
        (label.size === pred.size ? '; for one-hot or probability labels use { sparseLabel: false }' : ''),
    );
  }
}

/** Options of SigmoidBinaryCrossEntropyLoss. */
export interface SigmoidBinaryCrossEntropyLossOptions extends LossOptions {
  /** pred already holds probabilities in [0, 1] (default false: pred are logits). */
  fromSigmoid?: boolean;
}

/**
 * Binary cross-entropy. From logits (the default) it uses the stable form
 * relu(x) − x·y + log(1 + exp(−|x|)) with the exact gradient sigmoid(x) − y; from probabilities
 * (`fromSigmoid: true`) it is −(y·log(p + 1e-12) + (1 − y)·log(1 − p + 1e-12)). `sampleWeight`
 * doubles as a mask, as the book's word2vec does:
 * `loss.forward(pred, label, mask).mul(mask.shape[1]).div(mask.sum({ axis: 1 }))`.
 * An optional `posWeight` (broadcast to the label) weights the positive class as Gluon's.
 *
 * @example
 * const loss = new gluon.loss.SigmoidBinaryCrossEntropyLoss();
 * const pred = nd.array([[1.5, 0.3, -1, 2], [1.1, -0.6, 2.2, 0.4]]);
 * const label = nd.array([[1, 0, 0, 0], [1, 1, 0, 0]]);
 * const mask = nd.array([[1, 1, 1, 1], [1, 1, 1, 0]]);
 * loss.forward(pred, label, mask).mul(mask.shape[1]).div(mask.sum({ axis: 1 })); // [0.8739896, 1.2099689]
 */
export class SigmoidBinaryCrossEntropyLoss extends Loss {
  readonly fromSigmoid: boolean;

  constructor(opts: SigmoidBinaryCrossEntropyLossOptions = {}) {
    super(opts);
    this.fromSigmoid = opts.fromSigmoid ?? false;
  }

  forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null, posWeight?: NDArray | null): NDArray {
    const op = 'SigmoidBinaryCrossEntropyLoss';
    checkPair(op, pred, label);
    const y = this.reshapeLike(label, pred, op);
    let loss: NDArray;
    if (!this.fromSigmoid && !posWeight) {
      loss = sigmoidBinaryCrossEntropy(pred, y);
    } else if (!this.fromSigmoid) {
      // x − x·y + (1 + (posWeight − 1)·y) · (log(1 + exp(−|x|)) + relu(−x))
      const pw = posWeight!;
      const logWeight = chain(
        pw.sub(1),
        (x) => x.mul(y),
        (x) => x.add(1),
      );
      const sp = chain(
        pred.abs(),
        (x) => x.neg(),
        (x) => x.exp(),
        (x) => x.log1p(),
      );
      const rn = chain(pred.neg(), (x) => x.relu());
      const t = chain(
        sp,
        (x) => x.add(rn),
        (x) => x.mul(logWeight),
      );
      const xy = pred.mul(y);
      loss = chain(pred.sub(xy), (x) => x.add(t));
      for (const a of [logWeight, rn, t, xy]) a.dispose();
    } else {
      const eps = 1e-12;
      const lp = chain(pred.add(eps), (x) => x.log());
      const pos = chain(
        lp,
        (x) => x.mul(y),
        (x) => (posWeight ? x.mul(posWeight) : x),
      );
      const lq = chain(pred.rsub(1 + eps), (x) => x.log());
      const oneMinusY = y.rsub(1);
      const neg = chain(lq, (x) => x.mul(oneMinusY));
      loss = chain(pos.add(neg), (x) => x.neg());
      for (const a of [pos, oneMinusY, neg]) a.dispose();
    }
    if (y !== label) y.dispose();
    return this.finish(loss, sampleWeight, this.weight, op);
  }
}

/** Gluon's alias: SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss. @example new gluon.loss.SigmoidBCELoss() */
export const SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss;
/** Gluon's alias: SoftmaxCELoss = SoftmaxCrossEntropyLoss. @example new gluon.loss.SoftmaxCELoss() */
export const SoftmaxCELoss = SoftmaxCrossEntropyLoss;
