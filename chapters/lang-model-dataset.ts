/**
 * # 6.3 The language-model data set: Jay Chou's lyrics (语言模型数据集（周杰伦专辑歌词）)
 *
 * The RNNs of this chapter learn to write lyrics in the style of Jay Chou, character by
 * character. This section reads the corpus, builds a character index, and shows the two ways of
 * sampling minibatches of sequences from one long text: random and consecutive (adjacent).
 *
 * Run it: `d2l-ts run lang-model-dataset` or `node dist/chapters/lang-model-dataset.js`.
 */
import { nd, d2l } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'lang-model-dataset',
  title: '6.3 语言模型数据集（周杰伦专辑歌词） (the lyrics data set)',
  needsData: ['jaychou_lyrics.txt.zip'],
};

export interface LangModelDatasetResult {
  vocabSize: number;
  /** The first 20 indices of the corpus. */
  indices: number[];
  /** The demo minibatches, as nested lists: [X, Y] per batch. */
  randomBatches: [number[][], number[][]][];
  consecutiveBatches: [number[][], number[][]][];
}

export async function run(opts: ChapterOptions = {}): Promise<LangModelDatasetResult> {
  const { print, dataOpts } = startRun(opts);

  // ## Reading the data set
  // The zip holds one text file of about 60000 characters ("6万多个字符").
  const corpusChars = await d2l.readJayLyrics(dataOpts);
  print(JSON.stringify(Array.from(corpusChars).slice(0, 40).join('')));
  // Newlines become spaces, and only the first 10000 characters are used, to keep training fast.
  const { corpusIndices, charToIdx, idxToChar, vocabSize } = await d2l.loadDataJayLyrics(dataOpts);

  // ## Building the character index
  // Every distinct character gets an index; the book took them from Python's set (whose order
  // depends on hashing), we number them in order of first occurrence, so runs are reproducible.
  print(`${vocabSize}`);
  const sample = corpusIndices.slice(0, 20);
  print(`chars: ${sample.map((i) => idxToChar[i]).join('')}`);
  print(`indices: [${sample.join(', ')}]`);
  void charToIdx;

  // ## Sampling time series
  // Each example is numSteps consecutive characters; its label is the sequence shifted by one.
  const mySeq = d2l.range(30);
  const show = (it: Generator<[nd.NDArray, nd.NDArray]>) => {
    const out: [number[][], number[][]][] = [];
    for (const [X, Y] of it) {
      print(`X:  ${X} \nY: ${Y} \n`);
      out.push([X.toArray(), Y.toArray()]);
    }
    return out;
  };
  // ### Random sampling: examples are taken from random positions; two neighbouring minibatches
  // are not adjacent in the text, so the hidden state is re-initialised for every minibatch.
  const randomBatches = show(d2l.dataIterRandom(mySeq, 2, 6));
  // ### Consecutive sampling: neighbouring minibatches are adjacent in the text, so the last
  // hidden state of one minibatch can start the next one.
  const consecutiveBatches = show(d2l.dataIterConsecutive(mySeq, 2, 6));
  return { vocabSize, indices: sample, randomBatches, consecutiveBatches };
}

runIfMain(import.meta.url, run);
