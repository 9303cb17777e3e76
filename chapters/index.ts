/**
 * Every chapter program by its book section slug, in book order. Each entry loads its module on
 * demand, so running one chapter does not load the others. Adding a chapter is one line here.
 *
 * @example
 * const chapter = await loadChapter('linear-regression-scratch');
 * await chapter.run({ epochs: 3 });
 */
import type { Chapter } from './common.js';

// In book order: add a chapter as one line at its section's place.
export const chapterLoaders: Readonly<Record<string, () => Promise<Chapter>>> = {
  ndarray: () => import('./ndarray.js'),
  autograd: () => import('./autograd.js'),
  'linear-regression-scratch': () => import('./linear-regression-scratch.js'),
  'linear-regression-gluon': () => import('./linear-regression-gluon.js'),
  'softmax-regression': () => import('./softmax-regression.js'),
  'fashion-mnist': () => import('./fashion-mnist.js'),
  'softmax-regression-scratch': () => import('./softmax-regression-scratch.js'),
  'softmax-regression-gluon': () => import('./softmax-regression-gluon.js'),
  mlp: () => import('./mlp.js'),
  'mlp-scratch': () => import('./mlp-scratch.js'),
  'mlp-gluon': () => import('./mlp-gluon.js'),
  'underfit-overfit': () => import('./underfit-overfit.js'),
  'weight-decay': () => import('./weight-decay.js'),
  dropout: () => import('./dropout.js'),
  backprop: () => import('./backprop.js'),
  'numerical-stability-and-init': () => import('./numerical-stability-and-init.js'),
  'kaggle-house-price': () => import('./kaggle-house-price.js'),
  'model-construction': () => import('./model-construction.js'),
  parameters: () => import('./parameters.js'),
  'deferred-init': () => import('./deferred-init.js'),
  'custom-layer': () => import('./custom-layer.js'),
  'read-write': () => import('./read-write.js'),
  'use-gpu': () => import('./use-gpu.js'),
  'conv-layer': () => import('./conv-layer.js'),
  'padding-and-strides': () => import('./padding-and-strides.js'),
  channels: () => import('./channels.js'),
  pooling: () => import('./pooling.js'),
  lenet: () => import('./lenet.js'),
  alexnet: () => import('./alexnet.js'),
  vgg: () => import('./vgg.js'),
  nin: () => import('./nin.js'),
  googlenet: () => import('./googlenet.js'),
  'batch-norm': () => import('./batch-norm.js'),
  resnet: () => import('./resnet.js'),
  densenet: () => import('./densenet.js'),
  'lang-model': () => import('./lang-model.js'),
  rnn: () => import('./rnn.js'),
  'lang-model-dataset': () => import('./lang-model-dataset.js'),
  'rnn-scratch': () => import('./rnn-scratch.js'),
  'rnn-gluon': () => import('./rnn-gluon.js'),
  bptt: () => import('./bptt.js'),
  gru: () => import('./gru.js'),
  lstm: () => import('./lstm.js'),
  'deep-rnn': () => import('./deep-rnn.js'),
  'bi-rnn': () => import('./bi-rnn.js'),
  'optimization-intro': () => import('./optimization-intro.js'),
  'gd-sgd': () => import('./gd-sgd.js'),
  'minibatch-sgd': () => import('./minibatch-sgd.js'),
  momentum: () => import('./momentum.js'),
  adagrad: () => import('./adagrad.js'),
  rmsprop: () => import('./rmsprop.js'),
  adadelta: () => import('./adadelta.js'),
  adam: () => import('./adam.js'),
  hybridize: () => import('./hybridize.js'),
  'async-computation': () => import('./async-computation.js'),
  'auto-parallelism': () => import('./auto-parallelism.js'),
  'multiple-gpus': () => import('./multiple-gpus.js'),
  'multiple-gpus-gluon': () => import('./multiple-gpus-gluon.js'),
  'approx-training': () => import('./approx-training.js'),
  'word2vec-gluon': () => import('./word2vec-gluon.js'),
  fasttext: () => import('./fasttext.js'),
  glove: () => import('./glove.js'),
  'similarity-analogy': () => import('./similarity-analogy.js'),
  'sentiment-analysis-rnn': () => import('./sentiment-analysis-rnn.js'),
  'sentiment-analysis-cnn': () => import('./sentiment-analysis-cnn.js'),
  seq2seq: () => import('./seq2seq.js'),
  'beam-search': () => import('./beam-search.js'),
  attention: () => import('./attention.js'),
  'machine-translation': () => import('./machine-translation.js'),
};

/** The slugs of every chapter, in book order. @example chapterSlugs() // ['ndarray', ...] */
export function chapterSlugs(): string[] {
  return Object.keys(chapterLoaders);
}

/** Whether `slug` names a chapter. @example hasChapter('mlp') // true */
export function hasChapter(slug: string): boolean {
  return Object.prototype.hasOwnProperty.call(chapterLoaders, slug);
}

/**
 * Loads the chapter called `slug`; an unknown slug is an error listing the valid ones.
 *
 * @example
 * const { meta, run } = await loadChapter('mlp');
 */
export async function loadChapter(slug: string): Promise<Chapter> {
  if (!hasChapter(slug)) throw new UnknownChapterError(slug);
  return chapterLoaders[slug]();
}

/**
 * An unknown chapter slug; the message lists the valid ones.
 *
 * @example
 * await loadChapter('nope'); // throws UnknownChapterError: unknown chapter 'nope'. Valid chapters: ndarray, ...
 */
export class UnknownChapterError extends Error {
  constructor(readonly slug: string) {
    super(`unknown chapter '${slug}'. Valid chapters: ${chapterSlugs().join(', ')}`);
    this.name = 'UnknownChapterError';
  }
}
