/**
 * Gluon's recurrent cells (`rnn.RNNCell`, `rnn.GRUCell`, `rnn.LSTMCell`): one time step each, with
 * MXNet's parameters (`i2h_weight` (G·H, input), `h2h_weight` (G·H, H), `i2h_bias`, `h2h_bias`) and
 * gate orders (LSTM: input, forget, candidate, output; GRU: reset, update, new). The layers of
 * rnn-layer.ts run the same step function over a sequence.
 */
import { ShapeError, ValueError } from '../../core/errors.js';
import { shapeStr } from '../../core/shape.js';
import type { Context } from '../../ndarray/context.js';
import { tidy } from '../../ndarray/memory.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import * as nd from '../../ndarray/nd.js';
import { HybridBlock, type BlockOptions } from '../block.js';
import { create as createInit } from '../init.js';
import type { Parameter } from '../parameter.js';
import type { InitSpec } from '../nn/basic-layers.js';

/** The kind of recurrence. */
export type RnnMode = 'rnn_tanh' | 'rnn_relu' | 'gru' | 'lstm';

/** Gates per mode: the weights stack G blocks of H rows. @example numGates('lstm') // 4 */
export function numGates(mode: RnnMode): number {
  return mode === 'lstm' ? 4 : mode === 'gru' ? 3 : 1;
}

/** The four arrays of one layer (or cell). */
export interface StepWeights {
  i2hWeight: NDArray;
  h2hWeight: NDArray;
  i2hBias: NDArray;
  h2hBias: NDArray;
}

/**
 * One time step: input x (N, C) and states ([h] or [h, c], each (N, H)) to the new states; the
 * output is the new h. Recorded by autograd like any composition of ops.
 *
 * @example
 * const [h] = rnnStep('rnn_tanh', x, [h0], weights);
 */
export function rnnStep(mode: RnnMode, x: NDArray, states: readonly NDArray[], w: StepWeights): NDArray[] {
  const h = states[0];
  const i2h = nd.dot(x, w.i2hWeight, { transposeB: true }).add(w.i2hBias);
  const h2h = nd.dot(h, w.h2hWeight, { transposeB: true }).add(w.h2hBias);
  switch (mode) {
    case 'rnn_tanh':
      return [i2h.add(h2h).tanh()];
    case 'rnn_relu':
      return [i2h.add(h2h).relu()];
    case 'lstm': {
      const [gi, gf, gc, go] = nd.split(i2h.add(h2h), 4, { axis: 1 });
      const inGate = gi.sigmoid();
      const forgetGate = gf.sigmoid();
      const candidate = gc.tanh();
      const outGate = go.sigmoid();
      const c = forgetGate.mul(states[1]).add(inGate.mul(candidate));
      return [outGate.mul(c.tanh()), c];
    }
    case 'gru': {
      const [ir, iz, inew] = nd.split(i2h, 3, { axis: 1 });
      const [hr, hz, hnew] = nd.split(h2h, 3, { axis: 1 });
      const reset = ir.add(hr).sigmoid();
      const update = iz.add(hz).sigmoid();
      const candidate = inew.add(reset.mul(hnew)).tanh();
      // h' = (1 - z) ⊙ n + z ⊙ h
      return [update.rsub(1).mul(candidate).add(update.mul(h))];
    }
    default:
      throw new ValueError(`rnn: unknown mode '${mode as string}'`);
  }
}

/** Options of the cells. */
export interface RecurrentCellOptions extends BlockOptions {
  /** The input size; 0 (default) infers it at the first step. */
  inputSize?: number;
  i2hWeightInitializer?: InitSpec | null;
  h2hWeightInitializer?: InitSpec | null;
  /** Default 'zeros'. */
  i2hBiasInitializer?: InitSpec;
  /** Default 'zeros'. */
  h2hBiasInitializer?: InitSpec;
}

/** The states a cell or layer begins with. */
export interface BeginStateOptions {
  batchSize: number;
  ctx?: Context;
  dtype?: 'float32' | 'float64';
}

/**
 * The base of the three cells: parameters, shape inference, beginState.
 *
 * @example
 * const cell: RecurrentCell = new GRUCell(8);
 * cell.initialize();
 * const [out, states] = cell.forward(x, cell.beginState({ batchSize: x.shape[0] }));
 */
export abstract class RecurrentCell extends HybridBlock {
  readonly hiddenSize: number;
  readonly mode: RnnMode;
  i2hWeight: Parameter;
  h2hWeight: Parameter;
  i2hBias: Parameter;
  h2hBias: Parameter;

  protected constructor(hiddenSize: number, mode: RnnMode, opts: RecurrentCellOptions) {
    super(opts);
    if (!Number.isInteger(hiddenSize) || hiddenSize < 1)
      throw new ValueError(`${this.constructor.name}: hiddenSize must be a positive integer, got ${hiddenSize}`);
    const inputSize = opts.inputSize ?? 0;
    if (!Number.isInteger(inputSize) || inputSize < 0)
      throw new ValueError(`${this.constructor.name}: inputSize must be an integer >= 0, got ${inputSize}`);
    this.hiddenSize = hiddenSize;
    this.mode = mode;
    const gh = numGates(mode) * hiddenSize;
    this.i2hWeight = this.params.get('i2h_weight', { shape: [gh, inputSize], init: createInit(opts.i2hWeightInitializer) });
    this.h2hWeight = this.params.get('h2h_weight', { shape: [gh, hiddenSize], init: createInit(opts.h2hWeightInitializer) });
    this.i2hBias = this.params.get('i2h_bias', { shape: [gh], init: createInit(opts.i2hBiasInitializer ?? 'zeros') });
    this.h2hBias = this.params.get('h2h_bias', { shape: [gh], init: createInit(opts.h2hBiasInitializer ?? 'zeros') });
  }

  /**
   * Zero states for a batch: `[h]`, or `[h, c]` for the LSTM, each (batchSize, hiddenSize).
   *
   * @example
   * const states = cell.beginState({ batchSize: 2 });
   */
  beginState(opts: BeginStateOptions): NDArray[] {
    const n = mode2states(this.mode);
    return Array.from({ length: n }, () => nd.zeros([opts.batchSize, this.hiddenSize], { ctx: opts.ctx, dtype: opts.dtype }));
  }

  /**
   * One step: `[output, newStates]` for x (batch, inputSize) and the states of `beginState`.
   *
   * @example
   * const [out, states1] = cell.forward(x, cell.beginState({ batchSize: x.shape[0] }));
   */
  override forward(x: NDArray, states: NDArray[]): [NDArray, NDArray[]] {
    const where = `${this.constructor.name} '${this.name}'`;
    if (x.ndim !== 2) throw new ShapeError(`${where}: expected an input of shape (batch, inputSize), got ${shapeStr(x.shape)}`);
    checkStates(where, states, mode2states(this.mode), [x.shape[0], this.hiddenSize]);
    const gh = numGates(this.mode) * this.hiddenSize;
    if (!this.i2hWeight.isInitialized) this.i2hWeight.finishDeferredInit([gh, x.shape[1]]);
    const W = this.i2hWeight.data();
    if (W.shape[1] !== x.shape[1])
      throw new ShapeError(
        `${where}: the input has ${x.shape[1]} features but i2h_weight of shape ${shapeStr(W.shape)} expects ${W.shape[1]}`,
      );
    const w = { i2hWeight: W, h2hWeight: this.h2hWeight.data(), i2hBias: this.i2hBias.data(), h2hBias: this.h2hBias.data() };
    return tidy(() => {
      const s = rnnStep(this.mode, x, states, w);
      return [s[0].reshape(s[0].shape), s] as [NDArray, NDArray[]];
    });
  }

  override toString(): string {
    const W = this.i2hWeight;
    return `${this.constructor.name}(${W.shape[1] || 'None'} -> ${W.shape[0]})`;
  }
}

function mode2states(mode: RnnMode): number {
  return mode === 'lstm' ? 2 : 1;
}

/** Throws a clear error unless `states` is a list of `n` arrays of `shape`. @example checkStates('LSTM', states, 2, [1, 32, 256]) */
export function checkStates(where: string, states: readonly NDArray[], n: number, shape: readonly number[]): void {
  const list: unknown = states;
  if (!Array.isArray(list) || list.length !== n)
    throw new ValueError(
      `${where}: expected a list of ${n} state array${n > 1 ? 's' : ''} (from beginState), got ${Array.isArray(list) ? `${list.length}` : typeof list}`,
    );
  for (const s of states)
    if (s.ndim !== shape.length || s.shape.some((d, i) => d !== shape[i]))
      throw new ShapeError(`${where}: a state has shape ${shapeStr(s.shape)}, expected ${shapeStr(shape)}`);
}

/**
 * An Elman RNN cell: h' = act(x W_i2hᵀ + b_i2h + h W_h2hᵀ + b_h2h), activation 'tanh' (default) or 'relu'.
 *
 * @example
 * const cell = new rnn.RNNCell(100);
 * cell.initialize();
 * const [out, [h]] = cell.forward(nd.ones([2, 10]), cell.beginState({ batchSize: 2 }));
 */
export class RNNCell extends RecurrentCell {
  constructor(hiddenSize: number, opts: RecurrentCellOptions & { activation?: 'tanh' | 'relu' } = {}) {
    const act = opts.activation ?? 'tanh';
    if (act !== 'tanh' && act !== 'relu') throw new ValueError(`RNNCell: activation must be 'tanh' or 'relu', got '${act as string}'`);
    super(hiddenSize, act === 'tanh' ? 'rnn_tanh' : 'rnn_relu', opts);
  }
  protected override alias(): string {
    return 'rnn';
  }
}

/**
 * A GRU cell (MXNet/cuDNN form): r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(…), n = tanh(W_in x + b_in
 * + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
 *
 * @example
 * const cell = new rnn.GRUCell(100);
 */
export class GRUCell extends RecurrentCell {
  constructor(hiddenSize: number, opts: RecurrentCellOptions = {}) {
    super(hiddenSize, 'gru', opts);
  }
  protected override alias(): string {
    return 'gru';
  }
}

/**
 * An LSTM cell: gates i, f, o = σ(…), candidate g = tanh(…), c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c');
 * the states are `[h, c]`.
 *
 * @example
 * const cell = new rnn.LSTMCell(100);
 * const [out, [h, c]] = cell.forward(x, cell.beginState({ batchSize: x.shape[0] }));
 */
export class LSTMCell extends RecurrentCell {
  constructor(hiddenSize: number, opts: RecurrentCellOptions = {}) {
    super(hiddenSize, 'lstm', opts);
  }
  protected override alias(): string {
    return 'lstm';
  }
}
