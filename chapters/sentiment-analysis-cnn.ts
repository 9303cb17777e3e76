/**
 * # 10.8 Text sentiment classification with convolutional networks (文本情感分类：使用卷积神经网络（textCNN）)
 *
 * A text is a one-dimensional image: the 1-D cross-correlation `corr1d` (figure 10.4) and its
 * multi-input-channel form `corr1dMultiIn` (figure 10.5), then textCNN (Kim 2014) on the IMDb
 * reviews of 10.7: each review (cut or padded to 500 tokens) goes through two embedding layers,
 * one trained and one kept fixed, both initialized with 100-dimensional GloVe vectors; their
 * outputs, concatenated, are the 200 input channels of three Conv1D layers (kernel widths 3, 4
 * and 5, 100 output channels each, ReLU); max-over-time pooling (GlobalMaxPool1D) turns each
 * channel into one number, and the 300 numbers go through dropout 0.5 to a Dense(2) classifier.
 * Adam, learning rate 0.001, 5 epochs, batch 64.
 *
 * Data, as 10.7: the full `aclImdb_v1.tar.gz`
 * (http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz, sha1
 * 01ada507287d82875905620988597833ad4e0903, 84 MB) through the data resolver; without it the
 * program says so and uses the book's early sample `aclImdb_tiny.zip` (10 reviews per split and
 * label), whose numbers mean little. The GloVe file `glove.6B.100d.txt` (in
 * https://nlp.stanford.edu/data/glove.6B.zip, sha1 16b1dbfaf35476790bd9df40c83e2dfbd05312f1) goes
 * to `glove/glove.6B.100d.txt` in a data directory; without it both embedding layers keep their
 * random (Xavier) initialization (the trained one is trained, the constant one stays fixed) and
 * the program says so.
 *
 * On the full data set the book's settings take long on a small CPU (three convolutions over 500
 * positions with 200 input channels, for 25000 reviews an epoch): the program measures one step,
 * and when the whole run would take over ten minutes prints the estimate and a shorter command
 * (`--limit N` reads the first N reviews of each split). It saves a checkpoint after each epoch
 * (`--checkpoint-dir`, by default out/sentiment-analysis-cnn/checkpoint) and `--resume` continues
 * from the last one.
 *
 * Run it: `d2l-ts run sentiment-analysis-cnn [--data-dir DIR] [--epochs 5] [--limit N] [--resume]`.
 */
import { resolve } from 'node:path';
import { nd, gluon, init, d2l, contrib, cpu, type NDArray } from '../src/index.js';
import { ShapeError, ValueError } from '../src/core/errors.js';
import { shapeStr } from '../src/core/shape.js';
import { PretrainedFileNotFoundError } from '../src/contrib/text/embedding.js';
import type { Vocabulary } from '../src/contrib/text/vocab.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { estimateRun } from './long-run.js';
import { checkCheckpoint, peekCheckpoint, readCheckpoint, resumeTraining } from './checkpoint.js';

const { text } = contrib;
const { nn } = gluon;

export const meta = {
  slug: 'sentiment-analysis-cnn',
  title: '10.8 文本情感分类：使用卷积神经网络（textCNN） (sentiment analysis with textCNN)',
  needsData: ['aclImdb_v1.tar.gz (else aclImdb_tiny.zip)', 'glove/glove.6B.100d.txt (optional)'],
  resumable: true,
};

/** The number of reviews in each split of the full aclImdb (for the estimate of a shortened run). */
const FULL_REVIEWS = 25000;

/**
 * The book's `corr1d`: the 1-D cross-correlation of `X` (w) with the kernel `K` (k), output
 * (w - k + 1), element i the sum of `X[i:i+k] * K`. It is the book's loop of element
 * assignments, so autograd cannot differentiate it (use `nn.Conv1D`).
 *
 * @example
 * corr1d(nd.array([0, 1, 2, 3, 4, 5, 6]), nd.array([1, 2])).toArray(); // [2, 5, 8, 11, 14, 17]
 */
export function corr1d(X: NDArray, K: NDArray): NDArray {
  if (!(X instanceof nd.NDArray) || !(K instanceof nd.NDArray)) throw new ValueError('corr1d: X and K must be NDArrays');
  if (X.ndim !== 1 || K.ndim !== 1)
    throw new ShapeError(`corr1d: expected a 1-D input X and a 1-D kernel K, got X ${shapeStr(X.shape)} and K ${shapeStr(K.shape)}`);
  const w = K.shape[0];
  if (w < 1 || w > X.shape[0])
    throw new ShapeError(`corr1d: the kernel K ${shapeStr(K.shape)} must be non-empty and no wider than the input X ${shapeStr(X.shape)}`);
  const Y = nd.zeros([X.shape[0] - w + 1], { ctx: X.context });
  for (let i = 0; i < Y.shape[0]; i++)
    Y.set(
      i,
      X.get(`${i}:${i + w}`)
        .mul(K)
        .sum(),
    );
  return Y;
}

/**
 * The book's `corr1d_multi_in`: the 1-D cross-correlation of each channel of `X` (c, w) with the
 * matching row of `K` (c, k), summed over the channels (`nd.add_n`), output (w - k + 1).
 *
 * @example
 * const X = nd.array([[0, 1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6, 7], [2, 3, 4, 5, 6, 7, 8]]);
 * corr1dMultiIn(X, nd.array([[1, 2], [3, 4], [-1, -3]])).toArray(); // [2, 8, 14, 20, 26, 32]
 */
export function corr1dMultiIn(X: NDArray, K: NDArray): NDArray {
  if (!(X instanceof nd.NDArray) || !(K instanceof nd.NDArray)) throw new ValueError('corr1dMultiIn: X and K must be NDArrays');
  if (X.ndim !== 2 || K.ndim !== 2 || X.shape[0] !== K.shape[0] || X.shape[0] === 0)
    throw new ShapeError(
      `corr1dMultiIn: expected X (channels, width) and K (channels, kernel width) with the same number of channels (at least one), got X ${shapeStr(X.shape)} and K ${shapeStr(K.shape)}`,
    );
  // Walk the channels (dimension 0) of X and K together, and add the channels' results.
  const perChannel: NDArray[] = [];
  for (let c = 0; c < X.shape[0]; c++) perChannel.push(corr1d(X.get(c), K.get(c)));
  return nd.addN(...perChannel);
}

/** Shapes of one forward pass of TextCNN, as the book's comments describe them. */
export interface TextCnnShapes {
  /** The two embeddings concatenated and transposed: (batch, 2 · embedSize, words). */
  embeddings: number[];
  /** Each convolution's output: (batch, channels, words - kernel width + 1). */
  convs: number[][];
  /** Each convolution's pooled output: (batch, channels, 1). */
  pooled: number[][];
  /** The concatenated flattened pools: (batch, sum of the channels). */
  encoding: number[];
  /** The classifier's scores: (batch, 2). */
  outputs: number[];
}

/**
 * The book's `TextCNN`: a trained and a fixed Embedding (concatenated along the word vectors), one
 * Conv1D with ReLU per kernel width, max-over-time pooling (one GlobalMaxPool1D shared by all,
 * as it has no weights), dropout 0.5 and Dense(2).
 *
 * @example
 * const net = new TextCNN(vocab, 100, [3, 4, 5], [100, 100, 100]);
 * net.initialize(new init.Xavier());
 * net.forward(nd.ones([4, 500])).shape; // [4, 2]
 */
export class TextCNN extends nn.Block {
  readonly embedding: gluon.nn.Embedding;
  /** The embedding layer that is not trained. */
  readonly constantEmbedding: gluon.nn.Embedding;
  readonly dropout: gluon.nn.Dropout;
  readonly decoder: gluon.nn.Dense;
  /** Max-over-time pooling has no weights: one instance serves every convolution. */
  readonly pool: gluon.nn.GlobalMaxPool1D;
  /** The 1-D convolutions, one per kernel width. */
  readonly convs: gluon.nn.Sequential;
  /** The shapes of the last forward pass (see TextCnnShapes). */
  lastShapes: TextCnnShapes | null = null;

  constructor(vocab: Vocabulary, embedSize: number, kernelSizes: readonly number[], numChannels: readonly number[]) {
    super();
    if (!Number.isInteger(embedSize) || embedSize < 1)
      throw new ValueError(`TextCNN: embedSize must be a positive integer, got ${String(embedSize)}`);
    if (!Array.isArray(kernelSizes) || !Array.isArray(numChannels) || kernelSizes.length === 0 || kernelSizes.length !== numChannels.length)
      throw new ValueError(
        `TextCNN: kernelSizes and numChannels must be non-empty lists of the same length, got ${JSON.stringify(kernelSizes)} and ${JSON.stringify(numChannels)}`,
      );
    this.embedding = new nn.Embedding(vocab.length, embedSize);
    this.constantEmbedding = new nn.Embedding(vocab.length, embedSize);
    this.dropout = new nn.Dropout(0.5);
    this.decoder = new nn.Dense(2);
    this.pool = new nn.GlobalMaxPool1D();
    // Several 1-D convolutional layers.
    this.convs = new nn.Sequential();
    numChannels.forEach((c, i) => this.convs.add(new nn.Conv1D(c, kernelSizes[i], { activation: 'relu' })));
  }

  /** (batch, words) token indices → (batch, 2) scores. @example net.forward(features.get('0:4')) */
  forward(inputs: NDArray): NDArray {
    if (!(inputs instanceof nd.NDArray) || inputs.ndim !== 2)
      throw new ShapeError(
        `TextCNN '${this.name}': expected (batch, words) token indices, got ${inputs instanceof nd.NDArray ? shapeStr(inputs.shape) : String(inputs)}`,
      );
    // The two embedding layers' outputs, of shape (batch, words, word vector size), concatenated
    // along the word vectors.
    let embeddings = nd.concat([this.embedding.forward(inputs), this.constantEmbedding.forward(inputs)], { dim: 2 });
    // Conv1D wants (batch, channels, width): the word vectors are the channels.
    embeddings = embeddings.transpose([0, 2, 1]);
    // Each convolution, pooled over time, gives (batch, channels, 1): flatten drops the last
    // dimension, and the pools are concatenated along the channels.
    const convs: number[][] = [];
    const pooled: number[][] = [];
    const encodings: NDArray[] = [];
    for (const conv of this.convs) {
      const c = conv.forward(embeddings) as NDArray;
      const p = this.pool.forward(c);
      convs.push([...c.shape]);
      pooled.push([...p.shape]);
      encodings.push(nd.flatten(p));
    }
    const encoding = nd.concat(encodings, { dim: 1 });
    // Dropout, then the dense layer.
    const outputs = this.decoder.forward(this.dropout.forward(encoding));
    this.lastShapes = { embeddings: [...embeddings.shape], convs, pooled, encoding: [...encoding.shape], outputs: [...outputs.shape] };
    return outputs;
  }
}

export interface SentimentCnnResult {
  lines: string[];
  /** corr1d of figure 10.4 and corr1dMultiIn of figure 10.5. */
  corr: NDArray;
  corrMultiIn: NDArray;
  /** Which reviews were read. */
  archive: d2l.ImdbArchive;
  /** Whether both embeddings were initialized from GloVe. */
  glove: boolean;
  vocabSize: number;
  /** The shapes of the first training batch and of TextCNN's forward pass on it. */
  batchShapes: { X: number[]; y: number[]; net: TextCnnShapes };
  trainBatches: number;
  /** The trained network. */
  net: TextCNN;
  log: d2l.EpochMetrics[];
  predictions: string[];
}

/**
 * Runs 10.8: corr1d, corr1dMultiIn, then textCNN on IMDb.
 *
 * @example
 * const r = await run({ dataDir: 'data', epochs: 1 });
 * r.corr.toArray(); // [2, 5, 8, 11, 14, 17]
 */
export async function run(opts: ChapterOptions = {}): Promise<SentimentCnnResult> {
  const { print, lines } = startRun(opts);
  nd.random.seed(opts.seed ?? 1);
  const ctx = opts.ctx ?? cpu();
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit >= 1))
    throw new ValueError(`sentiment-analysis-cnn: limit must be a positive integer, got ${String(opts.limit)}`);
  if (opts.resume && !opts.checkpointDir)
    throw new ValueError('sentiment-analysis-cnn: resume needs checkpointDir, the folder the earlier run saved its checkpoints to');

  // ## The one-dimensional convolutional layer
  // Figure 10.4: an input of width 7 and a kernel of width 2; the first output is 0·1 + 1·2 = 2.
  let X = nd.array([0, 1, 2, 3, 4, 5, 6]);
  let K = nd.array([1, 2]);
  const corr = corr1d(X, K);
  print(corr);
  // Figure 10.5: three input channels; the first output is 0·1 + 1·2 + 1·3 + 2·4 + 2·(-1) + 3·(-3) = 2.
  X = nd.array([
    [0, 1, 2, 3, 4, 5, 6],
    [1, 2, 3, 4, 5, 6, 7],
    [2, 3, 4, 5, 6, 7, 8],
  ]);
  K = nd.array([
    [1, 2],
    [3, 4],
    [-1, -3],
  ]);
  const corrMultiIn = corr1dMultiIn(X, K);
  print(corrMultiIn);

  // ## Reading and preprocessing the IMDb data set, as in 10.7.
  const imdb = await d2l.readImdbOrSample({ dataDir: opts.dataDir });
  for (const line of imdb.notice) print(line);
  const archive = imdb.archive;
  let [trainData, testData] = [imdb.trainData, imdb.testData];
  const allReviews = trainData.length;
  // A shorter run: the first reviews of each split in readImdb's (shuffled) order.
  if (opts.limit !== undefined) [trainData, testData] = [trainData.slice(0, opts.limit), testData.slice(0, opts.limit)];

  // The book's 64; the sample's 20 reviews make one smaller batch (a step divides by the batch size).
  const batchSize = Math.min(opts.batchSize ?? 64, trainData.length);
  const [lr, numEpochs] = [opts.lr ?? 0.001, opts.epochs ?? 5];
  // What a resumed run must share with the checkpoint's run; checked before the long preprocessing.
  const settings = { batchSize, lr, archive, limit: opts.limit ?? 'all' };
  const checkpoint = opts.resume ? readCheckpoint(opts.checkpointDir!) : null;
  if (opts.resume && !checkpoint)
    throw new ValueError(
      `sentiment-analysis-cnn --resume: no checkpoint in ${resolve(opts.checkpointDir!)} (a run saves one there after each epoch); run without --resume to start`,
    );
  if (checkpoint)
    checkCheckpoint(opts.checkpointDir!, checkpoint, {
      slug: meta.slug,
      settings: { ...settings, glove: checkpoint.settings.glove ?? false },
    });
  const replaced = !opts.resume && opts.checkpointDir ? peekCheckpoint(opts.checkpointDir) : null;

  const vocab = d2l.getVocabImdb(trainData);
  const trainIter = new gluon.data.DataLoader(new gluon.data.ArrayDataset(...d2l.preprocessImdb(trainData, vocab)), {
    batchSize,
    shuffle: true,
  });
  const testIter = new gluon.data.DataLoader(new gluon.data.ArrayDataset(...d2l.preprocessImdb(testData, vocab)), { batchSize });

  // ## The textCNN model: 3 convolutional layers of kernel widths 3, 4 and 5, 100 output channels each.
  const [embedSize, kernelSizes, numsChannels] = [100, [3, 4, 5], [100, 100, 100]];
  const net = new TextCNN(vocab, embedSize, kernelSizes, numsChannels);
  net.initialize({ init: new init.Xavier(), ctx });

  // ### Pretrained word vectors: GloVe 100d initializes both embedding layers; the first is
  // trained, the second kept fixed.
  let glove = false;
  try {
    const gloveEmbedding = text.embedding.create('glove', {
      pretrainedFileName: 'glove.6B.100d.txt',
      vocabulary: vocab,
      dataDir: opts.dataDir,
    });
    net.embedding.weight.setData(gloveEmbedding.idxToVec);
    net.constantEmbedding.weight.setData(gloveEmbedding.idxToVec);
    glove = true;
  } catch (e) {
    if (!(e instanceof PretrainedFileNotFoundError)) throw e;
    const info = text.embedding.pretrainedFileInfo('glove', 'glove.6B.100d.txt');
    print(`glove.6B.100d.txt is not on this machine (${info.hint}):`);
    print('both embedding layers keep their random (Xavier) initialization; the first is trained with the rest, the second stays fixed.');
  }
  net.constantEmbedding.collectParams().setattr('gradReq', 'null');
  const runSettings = { ...settings, glove };
  if (checkpoint) checkCheckpoint(opts.checkpointDir!, checkpoint, { slug: meta.slug, settings: runSettings });

  // The shapes of one batch through the network (not printed by the book; returned for the tests).
  let batchShapes: SentimentCnnResult['batchShapes'] | undefined;
  for (const [Xb, yb] of trainIter) {
    net.forward(Xb.asInContext(ctx));
    batchShapes = { X: [...Xb.shape], y: [...yb.shape], net: net.lastShapes! };
    break;
  }

  // The book's settings on the full data take long on a small CPU: estimate the run first.
  const done = Math.min(checkpoint?.epoch ?? 0, numEpochs);
  const shorterLimit = Math.ceil(allReviews / 10);
  const estimate = await estimateRun(net, trainIter, {
    ctx,
    epochs: numEpochs - done,
    trainBatches: trainIter.length,
    testBatches: testIter.length,
    shorter: `d2l-ts run sentiment-analysis-cnn --limit ${shorterLimit} --epochs 1 (a tenth of the reviews, one epoch)`,
    print,
  });
  // A shortened run on the full set at the book's batch says what one epoch of the book's settings
  // takes here, from the step it just measured.
  if ((opts.limit !== undefined || opts.epochs !== undefined) && archive === 'aclImdb_v1.tar.gz' && batchSize === 64) {
    const perEpoch = estimate.stepSeconds * (Math.ceil(FULL_REVIEWS / 64) * (1 + 1 / 3));
    print(
      `one epoch at the book's settings (25000 reviews, batch 64) would take about ${(perEpoch / 60).toFixed(1)} min here (one step ${estimate.stepSeconds.toFixed(2)} sec)`,
    );
  }
  if (estimate.warned && opts.checkpointDir)
    print(`a checkpoint is saved after each epoch in ${resolve(opts.checkpointDir)}; --resume continues from the last one`);
  if (replaced)
    print(
      `starting over: the checkpoint of epoch ${String(replaced.epoch)} in ${resolve(opts.checkpointDir!)} is replaced after epoch 1 (--resume continues it instead)`,
    );

  // ### Training: Adam, learning rate 0.001.
  const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: lr });
  // After the estimate and the shape pass, which draw from the random generator: the checkpoint
  // restores it.
  const { history: log, onEpoch } = resumeTraining({
    dir: opts.checkpointDir,
    checkpoint,
    done,
    numEpochs,
    slug: meta.slug,
    net,
    trainer,
    settings: runSettings,
    print: (l) => print(l),
  });
  if (done < numEpochs) {
    // d2lzh's `train` (9.1) with one device: this port's d2l.train is 10.12's, so trainCh5 (5.5),
    // which prints the same lines.
    await d2l.trainCh5(net, trainIter, testIter, batchSize, trainer, ctx, numEpochs, { print: (l) => print(l), startEpoch: done, onEpoch });
  }

  // Classifying the sentiment of two simple sentences with the trained model.
  const predictions: string[] = [];
  for (const sentence of [
    ['this', 'movie', 'is', 'so', 'great'],
    ['this', 'movie', 'is', 'so', 'bad'],
  ]) {
    const p = await d2l.predictSentiment(net, vocab, sentence, ctx);
    predictions.push(p);
    print(`'${p}'`);
  }
  return {
    lines,
    corr,
    corrMultiIn,
    archive,
    glove,
    vocabSize: vocab.length,
    batchShapes: batchShapes!,
    trainBatches: trainIter.length,
    net,
    log,
    predictions,
  };
}

runIfMain(import.meta.url, run);
