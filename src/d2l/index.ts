/**
 * The book's helper package (d2lzh) in camelCase: `import { d2l } from 'd2l-ts'`.
 *
 * @example
 * import { nd, autograd, d2l } from 'd2l-ts';
 * for (const [X, y] of d2l.dataIter(10, features, labels)) {
 *   const l = autograd.record(() => d2l.squaredLoss(d2l.linreg(X, w, b), y));
 *   l.backward();
 *   d2l.sgd([w, b], 0.03, 10);
 * }
 */
export { dataIter, linreg, squaredLoss, sgd, syntheticData } from './linreg.js';
export { accuracy, accuracyAsync, correctCount, Accumulator, Timer } from './metrics.js';
export {
  plot,
  scatter,
  semilogy,
  plotTrainingCurves,
  renderVegaLite,
  svgToPng,
  displayInline,
  setFigsize,
  getFigsize,
  FONT,
} from './plot.js';
export type { Figure, Values, PlotOptions, Annotation, EpochCurvePoint } from './plot.js';
export { showImages, showFashionMnist, encodePng } from './images.js';
export type { ShowImagesOptions } from './images.js';
export { evaluateAccuracy, trainCh3, predictCh3, applyNet, applyLoss } from './train.js';
export type { Net, LossLike, TrainerLike, BatchIterable, EpochMetrics, TrainCh3Options, Predictions } from './train.js';
export { ProgressBar, progressEnabled } from './progress.js';
export type { ProgressOptions } from './progress.js';
export * from './data-files.js';
export * from './text.js';
export * from './fashion-mnist.js';
export * from './ngram.js';
export * from './rnn.js';
export * from './rnn-gluon.js';
export * from './word2vec.js';
export { knn, getAnalogy } from './similarity.js';
export { subwordNgrams, fastTextHash } from './subword.js';
export * from './glove.js';
export * from './imdb.js';
export * from './hierarchical-softmax.js';
export { getFashionMnistLabels, loadDataFashionMnist, loadDataFashionMnistSync, FASHION_MNIST_LABELS } from './fashion-mnist.js';
export type { LoadFashionMnistOptions } from './fashion-mnist.js';
export { tryGpu, tryAllGpus } from './devices.js';
export { DataFrame, readCsv, loadBookCsv, parseCsv, NA_VALUES } from './dataframe.js';
export type { ColumnDType, Positions } from './dataframe.js';
export { corr2d, trainCh5 } from './cnn.js';
export { Residual, resnet18 } from './residual.js';
export { Benchmark, benchmark } from './benchmark.js';
export type { BenchmarkOptions } from './benchmark.js';
export type { TrainCh5Options } from './cnn.js';
export {
  train2d,
  showTrace,
  showTrace2d,
  getDataCh7,
  trainCh7,
  trainGluonCh7,
  contourLevels,
  contourSegments,
  pyFixed,
} from './optimization.js';
export type {
  Trainer2d,
  Train2dOptions,
  ShowTraceOptions,
  ShowTrace2dOptions,
  ContourSegment,
  TrainCh7Result,
  TrainCh7Options,
  TrainerFnCh7,
} from './optimization.js';
export * from './machine-translation.js';
export * from './beam-search.js';
// d2lzh's `text` (mxnet.contrib.text): embeddings, vocabularies, token counting.
export * as text from '../contrib/text/index.js';
