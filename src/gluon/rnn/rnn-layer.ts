/**
 * Gluon's recurrent layers (`rnn.RNN`, `rnn.GRU`, `rnn.LSTM`): a stack of `numLayers` recurrent
 * layers run over a whole sequence in layout 'TNC' (time, batch, channels) or 'NTC', with
 * MXNet's parameter names (`l0_i2h_weight`, `l0_h2h_weight`, `l0_i2h_bias`, `l0_h2h_bias`, ...)
 * and states of shape (numLayers, batch, hiddenSize).
 */
import { isTraining } from '../../autograd/autograd.js';
import { ShapeError, ValueError } from '../../core/errors.js';
import { shapeStr } from '../../core/shape.js';
import { tidy } from '../../ndarray/memory.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import * as nd from '../../ndarray/nd.js';
import { HybridBlock, type BlockOptions } from '../block.js';
import { create as createInit } from '../init.js';
import type { Parameter } from '../parameter.js';
import type { InitSpec } from '../nn/basic-layers.js';
import { checkStates, numGates, rnnStep, type BeginStateOptions, type RnnMode } from './rnn-cell.js';

/** Options of RNN, GRU and LSTM. */
export interface RecurrentLayerOptions extends BlockOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** 'TNC' (default) or 'NTC'. */
  layout?: 'TNC' | 'NTC';
  /** Dropout on the outputs of every layer but the last, in training mode (default 0). */
  dropout?: number;
  /** The input size; 0 (default) infers it at the first forward pass. */
  inputSize?: number;
  i2hWeightInitializer?: InitSpec | null;
  h2hWeightInitializer?: InitSpec | null;
  /** Default 'zeros'. */
  i2hBiasInitializer?: InitSpec;
  /** Default 'zeros'. */
  h2hBiasInitializer?: InitSpec;
  /** Only false is supported (a clear error otherwise). */
  bidirectional?: boolean;
}

interface LayerParams {
  i2hWeight: Parameter;
  h2hWeight: Parameter;
  i2hBias: Parameter;
  h2hBias: Parameter;
}

/**
 * The base of RNN, GRU and LSTM.
 *
 * @example
 * const layer: RecurrentLayer = new LSTM(256, { numLayers: 2 });
 * layer.initialize();
 * const [Y, states] = layer.forward(X, layer.beginState({ batchSize: X.shape[1] }));
 */
export abstract class RecurrentLayer extends HybridBlock {
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly layout: 'TNC' | 'NTC';
  readonly dropout: number;
  readonly mode: RnnMode;
  /** The parameters of each layer. */
  readonly layers: LayerParams[] = [];

  protected constructor(hiddenSize: number, mode: RnnMode, opts: RecurrentLayerOptions) {
    super(opts);
    const where = `${this.constructor.name}(${hiddenSize})`;
    if (!Number.isInteger(hiddenSize) || hiddenSize < 1)
      throw new ValueError(`${where}: hiddenSize must be a positive integer, got ${hiddenSize}`);
    this.hiddenSize = hiddenSize;
    this.numLayers = opts.numLayers ?? 1;
    if (!Number.isInteger(this.numLayers) || this.numLayers < 1)
      throw new ValueError(`${where}: numLayers must be a positive integer, got ${this.numLayers}`);
    this.layout = opts.layout ?? 'TNC';
    if (this.layout !== 'TNC' && this.layout !== 'NTC')
      throw new ValueError(`${where}: layout must be 'TNC' or 'NTC', got '${this.layout as string}'`);
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new ValueError(`${where}: dropout must be in [0, 1), got ${this.dropout}`);
    if (opts.bidirectional)
      throw new ValueError(
        `${where}: bidirectional layers are not supported yet; stack two layers over the sequence and its reverse instead`,
      );
    this.mode = mode;
    const inputSize = opts.inputSize ?? 0;
    const gh = numGates(mode) * hiddenSize;
    for (let l = 0; l < this.numLayers; l++) {
      const p: LayerParams = {
        i2hWeight: this.params.get(`l${l}_i2h_weight`, {
          shape: [gh, l === 0 ? inputSize : hiddenSize],
          init: createInit(opts.i2hWeightInitializer),
        }),
        h2hWeight: this.params.get(`l${l}_h2h_weight`, { shape: [gh, hiddenSize], init: createInit(opts.h2hWeightInitializer) }),
        i2hBias: this.params.get(`l${l}_i2h_bias`, { shape: [gh], init: createInit(opts.i2hBiasInitializer ?? 'zeros') }),
        h2hBias: this.params.get(`l${l}_h2h_bias`, { shape: [gh], init: createInit(opts.h2hBiasInitializer ?? 'zeros') }),
      };
      this.registerParameter(`l${l}_i2h_weight`, p.i2hWeight);
      this.registerParameter(`l${l}_h2h_weight`, p.h2hWeight);
      this.registerParameter(`l${l}_i2h_bias`, p.i2hBias);
      this.registerParameter(`l${l}_h2h_bias`, p.h2hBias);
      this.layers.push(p);
    }
  }

  /** How many state arrays the layer carries: 2 for the LSTM (h, c), else 1. */
  get numStates(): number {
    return this.mode === 'lstm' ? 2 : 1;
  }

  /**
   * Zero states: a list of `numStates` arrays of shape (numLayers, batchSize, hiddenSize).
   *
   * @example
   * rnnLayer.beginState({ batchSize: 2 })[0].shape; // [1, 2, 256]
   */
  beginState(opts: BeginStateOptions): NDArray[] {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1)
      throw new ValueError(`${this.constructor.name}.beginState: batchSize must be a positive integer, got ${opts.batchSize}`);
    return Array.from({ length: this.numStates }, () =>
      nd.zeros([this.numLayers, opts.batchSize, this.hiddenSize], { ctx: opts.ctx, dtype: opts.dtype }),
    );
  }

  /**
   * Runs the layers over a sequence (T, N, C) ('TNC'; (N, T, C) for 'NTC'). With states (from
   * `beginState`) it returns `[output, newStates]`, output (T, N, hiddenSize); without, it starts
   * from zeros and returns the output only (as Gluon).
   *
   * @example
   * const [Y, stateNew] = rnnLayer.forward(X, rnnLayer.beginState({ batchSize: 2 }));
   */
  forward(inputs: NDArray): NDArray;
  forward(inputs: NDArray, states: NDArray[]): [NDArray, NDArray[]];
  forward(inputs: NDArray, states?: NDArray[]): NDArray | [NDArray, NDArray[]] {
    const where = `${this.constructor.name} '${this.name}'`;
    if (inputs.ndim !== 3)
      throw new ShapeError(`${where}: expected a 3-D input in layout ${this.layout}, got shape ${shapeStr(inputs.shape)}`);
    const batch = this.layout === 'TNC' ? inputs.shape[1] : inputs.shape[0];
    const given = states !== undefined;
    const st =
      states ?? this.beginState({ batchSize: batch, ctx: inputs.context, dtype: inputs.dtype === 'float64' ? 'float64' : 'float32' });
    checkStates(where, st, this.numStates, [this.numLayers, batch, this.hiddenSize]);
    const gh = numGates(this.mode) * this.hiddenSize;
    const first = this.layers[0].i2hWeight;
    const inSize = inputs.shape[2];
    if (!first.isInitialized) first.finishDeferredInit([gh, inSize]);
    if (first.data().shape[1] !== inSize)
      throw new ShapeError(
        `${where}: the input has ${inSize} features but l0_i2h_weight of shape ${shapeStr(first.data().shape)} expects ${first.data().shape[1]}`,
      );
    const result = tidy(() => {
      const X = this.layout === 'TNC' ? inputs : inputs.swapaxes(0, 1);
      const T = X.shape[0];
      let seq: NDArray[] = [];
      for (let t = 0; t < T; t++) seq.push(X.get(t));
      const finals: NDArray[][] = st.map(() => []);
      this.layers.forEach((lp, l) => {
        const w = {
          i2hWeight: lp.i2hWeight.data(),
          h2hWeight: lp.h2hWeight.data(),
          i2hBias: lp.i2hBias.data(),
          h2hBias: lp.h2hBias.data(),
        };
        let s = st.map((a) => a.get(l));
        const outs: NDArray[] = [];
        for (const x of seq) {
          s = rnnStep(this.mode, x, s, w);
          outs.push(s[0]);
        }
        s.forEach((a, i) => finals[i].push(a));
        seq = l < this.numLayers - 1 && this.dropout > 0 && isTraining() ? outs.map((o) => dropoutOf(o, this.dropout)) : outs;
      });
      let out = nd.stack(seq, { axis: 0 });
      if (this.layout === 'NTC') out = out.swapaxes(0, 1);
      return [out, finals.map((f) => nd.stack(f, { axis: 0 }))] as [NDArray, NDArray[]];
    });
    if (!given) {
      for (const s of st) s.dispose();
      for (const s of result[1]) s.dispose();
      return result[0];
    }
    return result;
  }

  override toString(): string {
    const W = this.layers[0].i2hWeight;
    return `${this.constructor.name}(${W.shape[1] || 'None'} -> ${this.hiddenSize}, ${this.layout}${this.numLayers > 1 ? `, num_layers=${this.numLayers}` : ''})`;
  }
}

function dropoutOf(x: NDArray, rate: number): NDArray {
  const u = nd.random.uniform(0, 1, x.shape, { ctx: x.context, dtype: x.dtype === 'float64' ? 'float64' : 'float32' });
  return x.mul(u.lesser(1 - rate).mul(1 / (1 - rate)));
}

/**
 * A multi-layer Elman RNN, as Gluon's `rnn.RNN`: activation 'relu' by default (Gluon's default
 * for the layer; the cell's is 'tanh'), or 'tanh'.
 *
 * @example
 * const rnnLayer = new rnn.RNN(256);
 * rnnLayer.initialize();
 * const [Y, stateNew] = rnnLayer.forward(nd.random.uniform(0, 1, [35, 2, 1027]), rnnLayer.beginState({ batchSize: 2 }));
 * Y.shape; // [35, 2, 256]
 */
export class RNN extends RecurrentLayer {
  constructor(hiddenSize: number, opts: RecurrentLayerOptions & { activation?: 'relu' | 'tanh' } = {}) {
    const act = opts.activation ?? 'relu';
    if (act !== 'tanh' && act !== 'relu') throw new ValueError(`RNN: activation must be 'relu' or 'tanh', got '${act as string}'`);
    super(hiddenSize, act === 'tanh' ? 'rnn_tanh' : 'rnn_relu', opts);
  }
  protected override alias(): string {
    return 'rnn';
  }
}

/**
 * A multi-layer GRU, as Gluon's `rnn.GRU` (MXNet/cuDNN formulation, gates reset, update, new).
 *
 * @example
 * const gruLayer = new rnn.GRU(256);
 */
export class GRU extends RecurrentLayer {
  constructor(hiddenSize: number, opts: RecurrentLayerOptions = {}) {
    super(hiddenSize, 'gru', opts);
  }
  protected override alias(): string {
    return 'gru';
  }
}

/**
 * A multi-layer LSTM, as Gluon's `rnn.LSTM` (gates input, forget, candidate, output); the states
 * are `[h, c]`.
 *
 * @example
 * const lstmLayer = new rnn.LSTM(256);
 * const [h, c] = lstmLayer.beginState({ batchSize: 32 });
 */
export class LSTM extends RecurrentLayer {
  constructor(hiddenSize: number, opts: RecurrentLayerOptions = {}) {
    super(hiddenSize, 'lstm', opts);
  }
  protected override alias(): string {
    return 'lstm';
  }
}
