/**
 * The rest of Gluon 1.x's losses: HuberLoss, HingeLoss, SquaredHingeLoss, LogisticLoss,
 * KLDivLoss, CosineEmbeddingLoss and TripletLoss, with MXNet 1.x's formulas and defaults, composed
 * of differentiable ops. Each follows the Loss base class (src/gluon/loss.ts): the elementwise
 * loss is scaled by `sampleWeight` and `weight`, then averaged over every axis but the batch axis.
 */
import { ShapeError, ValueError } from '../core/errors.js';
import { broadcastShapes, normalizeAxis, shapeStr } from '../core/shape.js';
import { checkOptions } from '../core/options.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { composite } from '../ops/util.js';
import { where } from '../ops/elementwise.js';
import { logSoftmax, softrelu } from '../ops/nn.js';
import { Loss, type LossOptions } from './loss.js';

const BASE_KEYS = ['weight', 'batchAxis'];

function checkArrays(op: string, names: string[], xs: unknown[]): void {
  xs.forEach((x, i) => {
    if (!x || typeof x !== 'object' || !(x as { __isNDArray?: boolean }).__isNDArray)
      throw new ValueError(`${op}: ${names[i]} must be an NDArray, got ${x === null ? 'null' : typeof x}`);
    (x as NDArray).checkAlive(op);
  });
}

function checkNumber(op: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ValueError(`${op}: ${what} must be a finite number, got ${JSON.stringify(v)}`);
  return v;
}

/** Options of HuberLoss. */
export interface HuberLossOptions extends LossOptions {
  /** The threshold between the quadratic and the linear part (default 1). */
  rho?: number;
}

/**
 * Smoothed L1 loss (Gluon's HuberLoss): with d = |pred − label|, ½ d² / rho where d ≤ rho and
 * d − rho / 2 beyond, averaged per sample. `label` is reshaped to pred's shape.
 *
 * @example
 * new gluon.loss.HuberLoss().forward(nd.array([[0.5, 3]]), nd.array([[0, 0]])).toArray(); // [1.3125]
 */
export class HuberLoss extends Loss {
  readonly rho: number;
  constructor(opts: HuberLossOptions = {}) {
    checkOptions('HuberLoss', opts, [...BASE_KEYS, 'rho']);
    super(opts);
    this.rho = checkNumber('HuberLoss', 'rho', opts.rho ?? 1);
    if (!(this.rho > 0)) throw new ValueError(`HuberLoss: rho must be > 0, got ${this.rho}`);
  }
  forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray {
    const op = 'HuberLoss';
    checkArrays(op, ['pred', 'label'], [pred, label]);
    const rho = this.rho;
    return composite(() => {
      const d = pred.sub(this.reshapeLike(label, pred, op)).abs();
      const l = where(d.greater(rho), d.sub(0.5 * rho), d.square().mul(0.5 / rho));
      return this.finish(l, sampleWeight, this.weight, op);
    });
  }
}

/** Options of HingeLoss and SquaredHingeLoss. */
export interface HingeLossOptions extends LossOptions {
  /** The margin (default 1). */
  margin?: number;
}

/**
 * The SVM hinge loss (Gluon's HingeLoss): max(0, margin − pred · label) with labels −1 or 1,
 * averaged per sample. `label` is reshaped to pred's shape.
 *
 * @example
 * new gluon.loss.HingeLoss().forward(nd.array([[0.3, -2]]), nd.array([[1, -1]])).toArray(); // [0.35]
 */
export class HingeLoss extends Loss {
  readonly margin: number;
  constructor(opts: HingeLossOptions = {}) {
    checkOptions('HingeLoss', opts, [...BASE_KEYS, 'margin']);
    super(opts);
    this.margin = checkNumber('HingeLoss', 'margin', opts.margin ?? 1);
  }
  forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray {
    const op = 'HingeLoss';
    checkArrays(op, ['pred', 'label'], [pred, label]);
    return composite(() => {
      const l = pred
        .mul(this.reshapeLike(label, pred, op))
        .rsub(this.margin)
        .relu();
      return this.finish(l, sampleWeight, this.weight, op);
    });
  }
}

/**
 * The soft-margin (squared hinge) loss (Gluon's SquaredHingeLoss): max(0, margin − pred · label)²
 * with labels −1 or 1, averaged per sample.
 *
 * @example
 * new gluon.loss.SquaredHingeLoss().forward(nd.array([[0.3, -2]]), nd.array([[1, -1]])).toArray(); // [0.245]
 */
export class SquaredHingeLoss extends Loss {
  readonly margin: number;
  constructor(opts: HingeLossOptions = {}) {
    checkOptions('SquaredHingeLoss', opts, [...BASE_KEYS, 'margin']);
    super(opts);
    this.margin = checkNumber('SquaredHingeLoss', 'margin', opts.margin ?? 1);
  }
  forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray {
    const op = 'SquaredHingeLoss';
    checkArrays(op, ['pred', 'label'], [pred, label]);
    return composite(() => {
      const l = pred
        .mul(this.reshapeLike(label, pred, op))
        .rsub(this.margin)
        .relu()
        .square();
      return this.finish(l, sampleWeight, this.weight, op);
    });
  }
}

/** Options of LogisticLoss. */
export interface LogisticLossOptions extends LossOptions {
  /** 'signed' (default: labels −1/1) or 'binary' (labels 0/1). */
  labelFormat?: 'signed' | 'binary';
}

/**
 * The logistic loss for binary labels (Gluon's LogisticLoss): log(1 + exp(−pred · label)) for
 * signed labels, computed stably as softrelu(pred) − pred · y (MXNet's relu(pred) − pred · y +
 * softrelu(−|pred|), the same values) with y = (label + 1) / 2 ('signed') or y = label ('binary').
 *
 * @example
 * new gluon.loss.LogisticLoss().forward(nd.array([[0, 2]]), nd.array([[1, -1]])).toArray(); // [1.4100377]
 */
export class LogisticLoss extends Loss {
  readonly labelFormat: 'signed' | 'binary';
  constructor(opts: LogisticLossOptions = {}) {
    checkOptions('LogisticLoss', opts, [...BASE_KEYS, 'labelFormat']);
    super(opts);
    const f = opts.labelFormat ?? 'signed';
    if (f !== 'signed' && f !== 'binary')
      throw new ValueError(`LogisticLoss: labelFormat must be 'signed' or 'binary', got ${JSON.stringify(f)}`);
    this.labelFormat = f;
  }
  forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray {
    const op = 'LogisticLoss';
    checkArrays(op, ['pred', 'label'], [pred, label]);
    return composite(() => {
      let y = this.reshapeLike(label, pred, op);
      if (this.labelFormat === 'signed') y = y.add(1).div(2);
      // relu(pred) + softrelu(-|pred|) (MXNet's stable form) is softrelu(pred), whose gradient
      // sigmoid(pred) is exact also at pred = 0, where the kinks of relu and |pred| cancel.
      const l = softrelu(pred).sub(pred.mul(y));
      return this.finish(l, sampleWeight, this.weight, op);
    });
  }
}

/** Options of KLDivLoss. */
export interface KLDivLossOptions extends LossOptions {
  /** pred already holds log-probabilities (default true, as Gluon); false applies logSoftmax along `axis` first. */
  fromLogits?: boolean;
  /** The class axis for logSoftmax (default -1). */
  axis?: number;
}

/**
 * The Kullback-Leibler divergence (Gluon's KLDivLoss): label · (log(label + 1e-12) − pred),
 * averaged per sample, where pred holds log-probabilities (`fromLogits`, the default) or
 * unnormalised scores (`fromLogits: false`: log-softmax along `axis` first). `label` broadcasts
 * against pred.
 *
 * @example
 * const kl = new gluon.loss.KLDivLoss({ fromLogits: false });
 * kl.forward(nd.array([[1, 2]]), nd.array([[0.5, 0.5]])).toArray(); // [0.0600575]
 */
export class KLDivLoss extends Loss {
  readonly fromLogits: boolean;
  readonly axis: number;
  constructor(opts: KLDivLossOptions = {}) {
    checkOptions('KLDivLoss', opts, [...BASE_KEYS, 'fromLogits', 'axis']);
    super(opts);
    this.fromLogits = opts.fromLogits ?? true;
    this.axis = opts.axis ?? -1;
    if (typeof this.fromLogits !== 'boolean')
      throw new ValueError(`KLDivLoss: fromLogits must be a boolean, got ${JSON.stringify(opts.fromLogits)}`);
    if (!Number.isInteger(this.axis)) throw new ValueError(`KLDivLoss: axis must be an integer, got ${JSON.stringify(opts.axis)}`);
  }
  forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray {
    const op = 'KLDivLoss';
    checkArrays(op, ['pred', 'label'], [pred, label]);
    try {
      broadcastShapes(pred.shape, label.shape, op);
    } catch {
      throw new ShapeError(
        `${op}: label of shape ${shapeStr(label.shape)} does not broadcast against pred of shape ${shapeStr(pred.shape)}`,
      );
    }
    if (!this.fromLogits) normalizeAxis(this.axis, pred.ndim, op);
    return composite(() => {
      const logp = this.fromLogits ? pred : logSoftmax(pred, { axis: this.axis });
      const l = label.mul(label.add(1e-12).log().sub(logp));
      return this.finish(l, sampleWeight, this.weight, op);
    });
  }
}

/** Options of CosineEmbeddingLoss. */
export interface CosineEmbeddingLossOptions extends LossOptions {
  /** For label −1 pairs, similarity below the margin costs nothing (default 0). */
  margin?: number;
}

/**
 * The cosine embedding loss (Gluon's CosineEmbeddingLoss) of vector pairs (batch, dim): with
 * c = cos(input1, input2) = x·y / max(|x||y|, 1e-12), 1 − c for label 1 and max(0, c − margin) for
 * label −1 (0 for other labels), times `sampleWeight` and `weight`. Returns shape (batch,);
 * MXNet 1.x's code returned (batch, 1), the same values.
 *
 * @example
 * const l = new gluon.loss.CosineEmbeddingLoss();
 * l.forward(nd.array([[1, 0], [1, 1]]), nd.array([[0, 1], [1, 1]]), nd.array([1, -1])).toArray(); // [1, 1]
 */
export class CosineEmbeddingLoss extends Loss {
  readonly margin: number;
  constructor(opts: CosineEmbeddingLossOptions = {}) {
    checkOptions('CosineEmbeddingLoss', opts, [...BASE_KEYS, 'margin']);
    super(opts);
    this.margin = checkNumber('CosineEmbeddingLoss', 'margin', opts.margin ?? 0);
  }
  override forward(input1: NDArray, input2: NDArray, label?: NDArray | null, sampleWeight?: NDArray | null): NDArray {
    const op = 'CosineEmbeddingLoss';
    checkArrays(op, ['input1', 'input2', 'label'], [input1, input2, label]);
    const lbl = label as NDArray;
    if (input2.ndim !== 2)
      throw new ShapeError(`${op}: the inputs must be 2-D (batch, dim), got input2 of shape ${shapeStr(input2.shape)}`);
    const B = input2.shape[0];
    if (lbl.size !== B)
      throw new ShapeError(`${op}: label must hold one value (1 or -1) per pair: expected ${B} values, got shape ${shapeStr(lbl.shape)}`);
    return composite(() => {
      const x = this.reshapeLike(input1, input2, op);
      const y = input2;
      const lb = lbl.reshape([B, 1]);
      const dotp = x.mul(y).sum({ axis: -1 }).reshape([B, 1]);
      const norms = x
        .norm({ axis: -1 })
        .mul(y.norm({ axis: -1 }))
        .reshape([B, 1]);
      const cos = dotp.div(norms.maximum(1e-12));
      const pos = cos.rsub(1).mul(lb.equal(1));
      const neg = lb.equal(-1).mul(cos.sub(this.margin)).maximum(0);
      let l = pos.add(neg);
      if (sampleWeight) {
        try {
          broadcastShapes(l.shape, sampleWeight.shape, op);
        } catch {
          throw new ShapeError(
            `${op}: sampleWeight of shape ${shapeStr(sampleWeight.shape)} does not broadcast to the loss of shape ${shapeStr(l.shape)}`,
          );
        }
        l = l.mul(sampleWeight);
      }
      if (this.weight !== null && this.weight !== 1) l = l.mul(this.weight);
      return l.reshape([B]);
    });
  }
}

/** Options of TripletLoss. */
export interface TripletLossOptions extends LossOptions {
  /** The margin between positive and negative distances (default 1). */
  margin?: number;
}

/**
 * The triplet loss (Gluon's TripletLoss): max(0, ‖pred − positive‖² − ‖pred − negative‖² + margin)
 * per sample, the squared distances summed over every axis but the batch axis, times `weight`.
 * `positive` and `negative` are reshaped to pred's shape. No sample weights, as Gluon.
 *
 * @example
 * const t = new gluon.loss.TripletLoss();
 * t.forward(nd.array([[0, 0]]), nd.array([[1, 0]]), nd.array([[0, 0.5]])).toArray(); // [1.75]
 */
export class TripletLoss extends Loss {
  readonly margin: number;
  constructor(opts: TripletLossOptions = {}) {
    checkOptions('TripletLoss', opts, [...BASE_KEYS, 'margin']);
    super(opts);
    this.margin = checkNumber('TripletLoss', 'margin', opts.margin ?? 1);
  }
  override forward(pred: NDArray, positive: NDArray, negative?: NDArray | null): NDArray {
    const op = 'TripletLoss';
    checkArrays(op, ['pred', 'positive', 'negative'], [pred, positive, negative]);
    if (pred.ndim === 0) throw new ShapeError(`${op}: pred must have a batch axis, got a 0-d array`);
    const b = normalizeAxis(this.batchAxis, pred.ndim, op);
    const axes = [...Array(pred.ndim).keys()].filter((a) => a !== b);
    return composite(() => {
      const p = this.reshapeLike(positive, pred, op);
      const n = this.reshapeLike(negative as NDArray, pred, op);
      const diff = pred.sub(p).square().sub(pred.sub(n).square());
      const d = axes.length ? diff.sum({ axis: axes }) : diff;
      const l = d.add(this.margin).relu();
      return this.weight !== null && this.weight !== 1 ? l.mul(this.weight) : l;
    });
  }
}
