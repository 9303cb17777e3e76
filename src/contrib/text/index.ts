/**
 * MXNet's `mxnet.contrib.text` (the book's `from mxnet.contrib import text`): `text.embedding`
 * (pretrained word vectors), `text.vocab` (the Vocabulary) and `text.utils` (token counting).
 *
 * @example
 * import { contrib } from 'd2l-ts';
 * const { text } = contrib;
 * const glove6b50d = text.embedding.create('glove', { pretrainedFileName: 'glove.6B.50d.txt' });
 * const vocab = new text.vocab.Vocabulary(text.utils.countTokensFromStr('a b b'), { minFreq: 1 });
 */
export * as embedding from './embedding.js';
export * as vocab from './vocab.js';
export * as utils from './utils.js';
