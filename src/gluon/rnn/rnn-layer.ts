/**
 * Gluon's recurrent layers (`rnn.RNN`, `rnn.GRU`, `rnn.LSTM`): a stack of `numLayers` recurrent
 * layers run over a whole sequence in layout 'TNC' (time, batch, channels) or 'NTC', with
 * MXNet's parameter names (`l0_i2h_weight`, `l0_h2h_weight`, `l0_i2h_bias`, `l0_h2h_bias`, ...)
 * and states of shape (numLayers · directions, batch, hiddenSize).
 *
 * Bidirectional layers follow MXNet 1.x (`_RNNLayer`, which follows cuDNN): layer k has a forward
 * direction `l{k}_*` and a reverse one `r{k}_*` (registered in that order, layer by layer); the
 * reverse direction runs over the sequence backwards and its outputs are put back in time order;
 * each layer's output is the two directions concatenated on the feature axis, forward first
 * (T, N, 2·hiddenSize), and that is the next layer's input. The states are ordered
 * [l0 forward, l0 reverse, l1 forward, ...]; a reverse direction's final state is the one after
 * it has read step 0.
 *
 * Each layer and direction runs as one op, rnnSequence (src/ops/rnn.ts: one GEMM for the input
 * projections of all steps, then a GEMM and a fused gate kernel per step, with its own gradient),
 * on the backends that have the fused step kernels (CPU, WebGPU); elsewhere step by step on the
 * cells' rnnStep. Both give the same values and gradients (test/gluon/rnn-fused.test.ts).
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
import { rnnSequence, rnnSequenceSupported } from '../../ops/rnn.js';
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
  /** Run a reverse direction beside each layer (default false); see the module comment. */
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
  readonly bidirectional: boolean;
  /** The parameters of each layer (the forward direction, `l{k}_*`). */
  readonly layers: LayerParams[] = [];
  /** The parameters of each layer's reverse direction (`r{k}_*`); empty unless bidirectional. */
  readonly reverseLayers: LayerParams[] = [];

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
    const bi: unknown = opts.bidirectional ?? false;
    if (typeof bi !== 'boolean') throw new ValueError(`${where}: bidirectional must be true or false, got ${String(bi)}`);
    this.bidirectional = bi;
    this.mode = mode;
    const inputSize = opts.inputSize ?? 0;
    if (!Number.isInteger(inputSize) || inputSize < 0)
      throw new ValueError(`${where}: inputSize must be an integer >= 0, got ${inputSize}`);
    const gh = numGates(mode) * hiddenSize;
    // MXNet's registration order: for each layer, 'l' then 'r', each i2h_weight, h2h_weight,
    // i2h_bias, h2h_bias; layers above the first read both directions (numDirections · hidden).
    for (let l = 0; l < this.numLayers; l++) {
      for (const d of this.bidirectional ? ['l', 'r'] : ['l']) {
        const name = (what: string) => `${d}${l}_${what}`;
        const p: LayerParams = {
          i2hWeight: this.params.get(name('i2h_weight'), {
            shape: [gh, l === 0 ? inputSize : hiddenSize * this.numDirections],
            init: createInit(opts.i2hWeightInitializer),
          }),
          h2hWeight: this.params.get(name('h2h_weight'), { shape: [gh, hiddenSize], init: createInit(opts.h2hWeightInitializer) }),
          i2hBias: this.params.get(name('i2h_bias'), { shape: [gh], init: createInit(opts.i2hBiasInitializer ?? 'zeros') }),
          h2hBias: this.params.get(name('h2h_bias'), { shape: [gh], init: createInit(opts.h2hBiasInitializer ?? 'zeros') }),
        };
        this.registerParameter(name('i2h_weight'), p.i2hWeight);
        this.registerParameter(name('h2h_weight'), p.h2hWeight);
        this.registerParameter(name('i2h_bias'), p.i2hBias);
        this.registerParameter(name('h2h_bias'), p.h2hBias);
        (d === 'l' ? this.layers : this.reverseLayers).push(p);
      }
    }
  }

  /** 2 for a bidirectional layer, else 1. @example new rnn.GRU(8, { bidirectional: true }).numDirections // 2 */
  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** How many state arrays the layer carries: 2 for the LSTM (h, c), else 1. */
  get numStates(): number {
    return this.mode === 'lstm' ? 2 : 1;
  }

  /**
   * Zero states: a list of `numStates` arrays of shape (numLayers · numDirections, batchSize,
   * hiddenSize).
   *
   * @example
   * rnnLayer.beginState({ batchSize: 2 })[0].shape; // [1, 2, 256]
   * new rnn.LSTM(8, { numLayers: 2, bidirectional: true }).beginState({ batchSize: 3 })[1].shape; // [4, 3, 8]
   */
  beginState(opts: BeginStateOptions): NDArray[] {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1)
      throw new ValueError(`${this.constructor.name}.beginState: batchSize must be a positive integer, got ${opts.batchSize}`);
    return Array.from({ length: this.numStates }, () =>
      nd.zeros([this.numLayers * this.numDirections, opts.batchSize, this.hiddenSize], { ctx: opts.ctx, dtype: opts.dtype }),
    );
  }

  /**
   * Runs the layers over a sequence (T, N, C) ('TNC'; (N, T, C) for 'NTC'). With states (from
   * `beginState`) it returns `[output, newStates]`, output (T, N, numDirections · hiddenSize);
   * without, it starts from zeros and returns the output only (as Gluon).
   *
   * @example
   * const [Y, stateNew] = rnnLayer.forward(X, rnnLayer.beginState({ batchSize: 2 }));
   * const biGru = new rnn.GRU(8, { bidirectional: true });
   * biGru.initialize();
   * biGru.forward(nd.ones([5, 2, 3])).shape; // [5, 2, 16]: forward half, then reverse half
   */
  override forward(inputs: NDArray): NDArray;
  override forward(inputs: NDArray, states: NDArray[]): [NDArray, NDArray[]];
  override forward(inputs: NDArray, states?: NDArray[]): NDArray | [NDArray, NDArray[]] {
    const where = `${this.constructor.name} '${this.name}'`;
    if (inputs.ndim !== 3)
      throw new ShapeError(`${where}: expected a 3-D input in layout ${this.layout}, got shape ${shapeStr(inputs.shape)}`);
    const batch = this.layout === 'TNC' ? inputs.shape[1] : inputs.shape[0];
    const given = states !== undefined;
    const st =
      states ?? this.beginState({ batchSize: batch, ctx: inputs.context, dtype: inputs.dtype === 'float64' ? 'float64' : 'float32' });
    const dirs = this.numDirections;
    checkStates(where, st, this.numStates, [this.numLayers * dirs, batch, this.hiddenSize]);
    const gh = numGates(this.mode) * this.hiddenSize;
    const inSize = inputs.shape[2];
    for (const [d, lp] of [this.layers[0], this.reverseLayers[0]].entries()) {
      if (!lp) continue;
      const first = lp.i2hWeight;
      if (!first.isInitialized) first.finishDeferredInit([gh, inSize]);
      if (first.data().shape[1] !== inSize)
        throw new ShapeError(
          `${where}: the input has ${inSize} features but ${d ? 'r' : 'l'}0_i2h_weight of shape ${shapeStr(first.data().shape)} expects ${first.data().shape[1]}`,
        );
    }
    const result = tidy(() => {
      const X = this.layout === 'TNC' ? inputs : inputs.swapaxes(0, 1);
      const [out, finals] = X.shape[0] > 0 && batch > 0 && rnnSequenceSupported(X) ? this.runFused(X, st) : this.runSteps(X, st);
      return [this.layout === 'NTC' ? out.swapaxes(0, 1) : out, finals] as [NDArray, NDArray[]];
    });
    if (!given) {
      for (const s of st) s.dispose();
      for (const s of result[1]) s.dispose();
      return result[0];
    }
    return result;
  }

  private weightsOf(l: number, d: number) {
    const lp = d === 0 ? this.layers[l] : this.reverseLayers[l];
    return { i2hWeight: lp.i2hWeight.data(), h2hWeight: lp.h2hWeight.data(), i2hBias: lp.i2hBias.data(), h2hBias: lp.h2hBias.data() };
  }

  /**
   * The layers as one fused op per layer and direction (src/ops/rnn.ts): a GEMM for all input
   * projections, then a GEMM and one gate kernel per step, on backends with the fused step kernel.
   */
  private runFused(X: NDArray, st: NDArray[]): [NDArray, NDArray[]] {
    const dirs = this.numDirections;
    const lstm = this.mode === 'lstm';
    const finals: NDArray[][] = st.map(() => []);
    let seq = X;
    for (let l = 0; l < this.numLayers; l++) {
      const outs: NDArray[] = [];
      for (let d = 0; d < dirs; d++) {
        // The states of layer l, direction d sit at l · dirs + d (cuDNN's order).
        const k = l * dirs + d;
        const r = rnnSequence(this.mode, seq, st[0].get(k), lstm ? st[1].get(k) : null, this.weightsOf(l, d), { reverse: d === 1 });
        finals[0].push(r.h);
        if (lstm) finals[1].push(r.c!);
        outs.push(r.output);
      }
      const out = dirs === 1 ? outs[0] : nd.concat(outs, { dim: 2 });
      // Dropout between layers only: not on the last layer's output.
      seq = l < this.numLayers - 1 && this.dropout > 0 && isTraining() ? dropoutOf(out, this.dropout) : out;
    }
    return [seq, finals.map((f) => nd.stack(f, { axis: 0 }))];
  }

  /** The layers step by step on the cells' ops (rnnStep): backends without the fused step kernel. */
  private runSteps(X: NDArray, st: NDArray[]): [NDArray, NDArray[]] {
    const dirs = this.numDirections;
    const T = X.shape[0];
    let seq: NDArray[] = [];
    for (let t = 0; t < T; t++) seq.push(X.get(t));
    const finals: NDArray[][] = st.map(() => []);
    for (let l = 0; l < this.numLayers; l++) {
      const perDir: NDArray[][] = [];
      for (let d = 0; d < dirs; d++) {
        const w = this.weightsOf(l, d);
        // The states of layer l, direction d sit at l · dirs + d (cuDNN's order).
        let s = st.map((a) => a.get(l * dirs + d));
        const outs: NDArray[] = [];
        for (let i = 0; i < T; i++) {
          const t = d === 0 ? i : T - 1 - i;
          s = rnnStep(this.mode, seq[t], s, w);
          outs[t] = s[0];
        }
        s.forEach((a, i) => finals[i].push(a));
        perDir.push(outs);
      }
      const outs = dirs === 1 ? perDir[0] : perDir[0].map((f, t) => nd.concat([f, perDir[1][t]], { dim: 1 }));
      // Dropout between layers only: not on the last layer's output.
      seq = l < this.numLayers - 1 && this.dropout > 0 && isTraining() ? outs.map((o) => dropoutOf(o, this.dropout)) : outs;
    }
    return [nd.stack(seq, { axis: 0 }), finals.map((f) => nd.stack(f, { axis: 0 }))];
  }

  /** MXNet's repr: `LSTM(None -> 8, TNC, num_layers=2, dropout=0.5, bidirectional)`. @example String(new rnn.GRU(8)) */
  override toString(): string {
    const W = this.layers[0].i2hWeight;
    const extra = [
      this.numLayers > 1 ? `, num_layers=${this.numLayers}` : '',
      this.dropout !== 0 ? `, dropout=${this.dropout}` : '',
      this.bidirectional ? ', bidirectional' : '',
    ].join('');
    return `${this.constructor.name}(${W.shape[1] || 'None'} -> ${this.hiddenSize}, ${this.layout}${extra})`;
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
