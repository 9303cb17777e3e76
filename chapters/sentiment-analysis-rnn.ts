/**
 * # 10.7 Text sentiment classification with recurrent networks (文本情感分类：使用循环神经网络)
 *
 * Reviews of the IMDb data set (Maas et al. 2011) are classified as positive or negative: each
 * review is cut or padded to 500 tokens, embedded with pretrained 100-dimensional GloVe vectors
 * (frozen), read by a two-layer bidirectional LSTM, and the outputs of the first and last time
 * steps, concatenated, go to a Dense(2) classifier. Adam, learning rate 0.01, 5 epochs, batch 64.
 *
 * Data: the full `aclImdb_v1.tar.gz` (http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz,
 * sha1 01ada507287d82875905620988597833ad4e0903, 84 MB) through the data resolver; without it the
 * program says so and uses the book's early sample `aclImdb_tiny.zip` (10 reviews per split and
 * label), whose numbers mean little. The GloVe file `glove.6B.100d.txt` (in
 * https://nlp.stanford.edu/data/glove.6B.zip, sha1 16b1dbfaf35476790bd9df40c83e2dfbd05312f1) goes
 * to `glove/glove.6B.100d.txt` in a data directory; without it the embedding keeps its random
 * initialization, is trained with the rest, and the program says so.
 *
 * Run it: `d2l-ts run sentiment-analysis-rnn [--data-dir DIR] [--epochs 5]`.
 */
import { nd, gluon, init, d2l, contrib, cpu, type NDArray } from '../src/index.js';
import { PretrainedFileNotFoundError } from '../src/contrib/text/embedding.js';
import type { Vocabulary } from '../src/contrib/text/vocab.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { pyShape, pyTuple } from './pyrepr.js';

const { text } = contrib;

export const meta = {
  slug: 'sentiment-analysis-rnn',
  title: '10.7 文本情感分类：使用循环神经网络 (sentiment analysis with a bidirectional LSTM)',
  needsData: ['aclImdb_v1.tar.gz (else aclImdb_tiny.zip)', 'glove/glove.6B.100d.txt (optional)'],
};

export interface SentimentRnnResult {
  lines: string[];
  /** Which reviews were read. */
  archive: d2l.ImdbArchive;
  /** Whether the embedding was initialized from GloVe. */
  glove: boolean;
  vocabSize: number;
  log: d2l.EpochMetrics[];
  predictions: string[];
}

/**
 * The book's `BiRNN`: Embedding, a bidirectional LSTM, and Dense(2) on the concatenated outputs
 * of the first and last time steps.
 *
 * @example
 * const net = new BiRNN(vocab, 100, 100, 2);
 * net.initialize(init.Xavier());
 * net.forward(nd.ones([4, 500])).shape; // [4, 2]
 */
export class BiRNN extends gluon.Block {
  readonly embedding: gluon.nn.Embedding;
  readonly encoder: gluon.rnn.LSTM;
  readonly decoder: gluon.nn.Dense;

  constructor(vocab: Vocabulary, embedSize: number, numHiddens: number, numLayers: number) {
    super();
    this.embedding = new gluon.nn.Embedding(vocab.length, embedSize);
    // bidirectional: true gives a bidirectional recurrent network.
    this.encoder = new gluon.rnn.LSTM(numHiddens, { numLayers, bidirectional: true, inputSize: embedSize });
    this.decoder = new gluon.nn.Dense(2);
  }

  /** (batch, time) token indices → (batch, 2) scores. @example net.forward(features.get('0:4')) */
  forward(inputs: NDArray): NDArray {
    // The LSTM wants (time steps, batch, features): transpose the (batch, time) indices first.
    const embeddings = this.embedding.forward(inputs.T);
    // outputs: (time steps, batch, 2 · numHiddens).
    const outputs = this.encoder.forward(embeddings) as NDArray;
    // The first and last steps' outputs, concatenated: (batch, 4 · numHiddens).
    const encoding = nd.concat([outputs.get(0), outputs.get(outputs.shape[0] - 1)], { dim: 1 });
    return this.decoder.forward(encoding);
  }
}

export async function run(opts: ChapterOptions = {}): Promise<SentimentRnnResult> {
  const { print, lines } = startRun(opts);
  nd.random.seed(opts.seed ?? 1);
  const ctx = opts.ctx ?? cpu();

  // ## Reading the data: 25000 training and 25000 test reviews (or the sample).
  const imdb = await d2l.readImdbOrSample({ dataDir: opts.dataDir });
  for (const line of imdb.notice) print(line);
  const archive = imdb.archive;
  const [trainData, testData] = [imdb.trainData, imdb.testData];

  // ## Preprocessing: words seen at least 5 times, and every review as 500 indices.
  const vocab = d2l.getVocabImdb(trainData);
  print(pyTuple(['# words in vocab:', vocab.length]));
  // The book's 64; the sample's 20 reviews make one smaller batch (a step divides by the batch size).
  const batchSize = Math.min(opts.batchSize ?? 64, trainData.length);
  const trainSet = new gluon.data.ArrayDataset(...d2l.preprocessImdb(trainData, vocab));
  const testSet = new gluon.data.ArrayDataset(...d2l.preprocessImdb(testData, vocab));
  const trainIter = new gluon.data.DataLoader(trainSet, { batchSize, shuffle: true });
  const testIter = new gluon.data.DataLoader(testSet, { batchSize });
  for (const [X, y] of trainIter) {
    print('X', pyShape(X.shape), 'y', pyShape(y.shape));
    break;
  }
  print(pyTuple(['#batches:', trainIter.length]));

  // ## The model: 100-dimensional embeddings, 2 bidirectional LSTM layers of 100 hidden units.
  const [embedSize, numHiddens, numLayers] = [100, 100, 2];
  const net = new BiRNN(vocab, embedSize, numHiddens, numLayers);
  net.initialize({ init: new init.Xavier(), ctx });

  // ### Pretrained word vectors: GloVe 100d for the vocabulary's words, kept fixed.
  let glove = false;
  try {
    const gloveEmbedding = text.embedding.create('glove', {
      pretrainedFileName: 'glove.6B.100d.txt',
      vocabulary: vocab,
      dataDir: opts.dataDir,
    });
    net.embedding.weight.setData(gloveEmbedding.idxToVec);
    net.embedding.collectParams().setattr('gradReq', 'null');
    glove = true;
  } catch (e) {
    if (!(e instanceof PretrainedFileNotFoundError)) throw e;
    const info = text.embedding.pretrainedFileInfo('glove', 'glove.6B.100d.txt');
    print(`glove.6B.100d.txt is not on this machine (${info.hint}):`);
    print('the embedding layer keeps its random (Xavier) initialization and is trained with the rest.');
  }

  // ## Training: Adam, learning rate 0.01.
  const [lr, numEpochs] = [opts.lr ?? 0.01, opts.epochs ?? 5];
  const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: lr });
  // d2lzh's `train` (9.1) with one device: this port's d2l.train is 10.12's, so trainCh5 (5.5),
  // which prints the same lines.
  const log = await d2l.trainCh5(net, trainIter, testIter, batchSize, trainer, ctx, numEpochs, { print: (l) => print(l) });

  // ## Predicting the sentiment of two sentences.
  const predictions: string[] = [];
  for (const sentence of [
    ['this', 'movie', 'is', 'so', 'great'],
    ['this', 'movie', 'is', 'so', 'bad'],
  ]) {
    const p = await d2l.predictSentiment(net, vocab, sentence, ctx);
    predictions.push(p);
    print(`'${p}'`);
  }
  return { lines, archive, glove, vocabSize: vocab.length, log, predictions };
}

runIfMain(import.meta.url, run);
