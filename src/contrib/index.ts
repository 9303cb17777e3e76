/**
 * MXNet's `mxnet.contrib`: the `text` package (pretrained embeddings, vocabularies).
 *
 * @example
 * import { contrib } from 'd2l-ts';
 * contrib.text.embedding.getPretrainedFileNames('glove');
 */
export * as text from './text/index.js';
