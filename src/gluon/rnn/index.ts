/**
 * `gluon.rnn`: recurrent layers (RNN, GRU, LSTM) and cells (RNNCell, GRUCell, LSTMCell).
 *
 * @example
 * import { gluon } from 'd2l-ts';
 * const layer = new gluon.rnn.RNN(256);
 * layer.initialize();
 * const [Y, state] = layer.forward(X, layer.beginState({ batchSize: 2 }));
 */
export { RNN, GRU, LSTM, RecurrentLayer } from './rnn-layer.js';
export type { RecurrentLayerOptions } from './rnn-layer.js';
export { RNNCell, GRUCell, LSTMCell, RecurrentCell, rnnStep, numGates } from './rnn-cell.js';
export type { RecurrentCellOptions, BeginStateOptions, RnnMode, StepWeights } from './rnn-cell.js';
export { rnnSequence, rnnSequenceSupported } from '../../ops/rnn.js';
export type { RnnSequenceResult, RnnSequenceWeights } from '../../ops/rnn.js';
