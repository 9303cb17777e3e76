/**
 * # 10.6 Finding synonyms and analogies (求近义词和类比词)
 *
 * Word vectors pretrained on large corpora serve many downstream tasks. MXNet's `contrib.text`
 * package knows the published GloVe and fastText vectors; the book loads the 50-dimensional GloVe
 * vectors trained on Wikipedia + Gigaword (`glove.6B.50d.txt`: 400000 words and the unknown
 * token), finds the nearest words by cosine similarity (`knn`, `getSimilarTokens`) and answers
 * analogies a : b :: c : ? with the word nearest to vec(b) − vec(a) + vec(c) (`getAnalogy`).
 *
 * The library reads these files but does not download them (glove.6B.zip is 822 MB). Put
 * `glove.6B.50d.txt` (from https://nlp.stanford.edu/data/glove.6B.zip, sha1
 * 21bf566a9d27f84d253e0cd4d4be9dcc07976a6d) at `glove/glove.6B.50d.txt` in a data directory
 * (`--data-dir`, `D2L_DATA_DIR`), the cache `~/.cache/d2l-ts/glove/` or `~/.mxnet/embeddings/glove/`.
 * Without it, the program says so and runs the same cells on vectors trained here: the skip-gram
 * word2vec of 10.3 on PTB (5 epochs by default, `--epochs`, `--limit` examples), saved in GloVe's
 * text format to `<outDir>/word2vec-ptb-100d.txt` and loaded back with
 * `text.embedding.CustomEmbedding`. PTB's 9858 words lack some of the book's (and 887100 tokens
 * teach far less than GloVe's 6 billion), so its neighbours and analogies differ from the book's.
 *
 * Run it: `d2l-ts run similarity-analogy [--data-dir DIR]` or `node dist/chapters/similarity-analogy.js`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { nd, gluon, d2l, contrib } from '../src/index.js';
import * as W from '../src/d2l/word2vec.js';
import { PretrainedFileNotFoundError, type TokenEmbedding } from '../src/contrib/text/embedding.js';
import { writeFileAtomic } from '../src/ndarray/safetensors.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { pyList, pyTuple } from './pyrepr.js';

const { text } = contrib;

export const meta = {
  slug: 'similarity-analogy',
  title: '10.6 求近义词和类比词 (similar words and analogies with pretrained vectors)',
  needsData: ['glove/glove.6B.50d.txt (optional; else ptb.zip)'],
};

/** What the book's cells found on one embedding. */
export interface SimilarityCells {
  length: number;
  /** The neighbours of 'chip', 'baby' and 'beautiful' ([] when the word is unknown). */
  similar: Record<string, [string, number][]>;
  /** 'man:woman::son:?' → the answer (null when a word is unknown). */
  analogies: Record<string, string | null>;
}

export interface SimilarityAnalogyResult extends SimilarityCells {
  lines: string[];
  /** Which vectors the cells ran on. */
  vectors: 'glove.6B.50d.txt' | 'word2vec-ptb';
}

/** The book's queries: similar tokens and analogies. */
export const SIMILAR_QUERIES = ['chip', 'baby', 'beautiful'];
export const ANALOGIES: [string, string, string][] = [
  ['man', 'woman', 'son'],
  ['beijing', 'china', 'tokyo'],
  ['bad', 'worst', 'big'],
  ['do', 'did', 'go'],
];

/**
 * The book's cells from `len(glove_6b50d)` on, run on `embed`. On GloVe they print the book's
 * lines; on other vectors a word the vocabulary lacks is reported instead of looked up.
 *
 * @example
 * await similarityCells(text.embedding.create('glove', { pretrainedFileName: 'glove.6B.50d.txt' }), console.log);
 */
export async function similarityCells(embed: TokenEmbedding, print: (...v: unknown[]) => void): Promise<SimilarityCells> {
  const known = (t: string) => (embed.tokenToIdx.get(t) ?? 0) !== 0;
  // 打印词典大小 (the vocabulary's size): 400000 words and the unknown token for GloVe.
  print(embed.length);
  // Token → index and index → token.
  const probe = ['beautiful', ...SIMILAR_QUERIES].find(known);
  if (probe !== undefined) {
    const i = embed.tokenToIdx.get(probe)!;
    print(pyTuple([i, embed.idxToToken[i]]));
  }
  // ### 求近义词 (synonyms): k nearest neighbours by cosine similarity, the query left out.
  const similar: Record<string, [string, number][]> = {};
  for (const q of SIMILAR_QUERIES) {
    similar[q] = [];
    if (!known(q)) {
      print(`('${q}' is not in this vocabulary)`);
      continue;
    }
    similar[q] = await d2l.getSimilarTokens(q, 3, embed);
    for (const [tok, c] of similar[q]) print(`cosine sim=${c.toFixed(3)}: ${tok}`);
  }
  // ### 求类比词 (analogies): a : b :: c : d, d the word nearest to vec(c) + vec(b) − vec(a).
  const analogies: Record<string, string | null> = {};
  for (const [a, b, c] of ANALOGIES) {
    const key = `${a}:${b}::${c}:?`;
    const missing = [a, b, c].filter((t) => !known(t));
    if (missing.length) {
      analogies[key] = null;
      print(`(getAnalogy('${a}', '${b}', '${c}'): ${missing.map((t) => `'${t}'`).join(', ')} not in this vocabulary)`);
      continue;
    }
    analogies[key] = await d2l.getAnalogy(a, b, c, embed);
    print(`'${analogies[key]}'`);
  }
  return { length: embed.length, similar, analogies };
}

/**
 * The stand-in vectors: 10.3's skip-gram with negative sampling on PTB (Adam, lr 0.005, batch
 * 512, 100 dimensions), written in GloVe's text format (`token v1 ... v100` per line).
 */
async function trainPtbVectors(opts: ChapterOptions, print: (...v: unknown[]) => void, file: string): Promise<void> {
  const rawDataset = await d2l.readPtb({ dataDir: opts.dataDir });
  const vocab = W.buildPtbVocab(rawDataset);
  const subsampled = W.subsample(vocab);
  const [allCenters, allContexts] = W.getCentersAndContexts(subsampled, 5);
  const limit = Math.min(opts.limit ?? allCenters.length, allCenters.length);
  const centers = allCenters.slice(0, limit);
  const contexts = allContexts.slice(0, limit);
  const samplingWeights = vocab.idxToToken.map((w) => vocab.counter.get(w)! ** 0.75);
  const negatives = W.getNegatives(contexts, samplingWeights, 5);
  const epochs = opts.epochs ?? 5;
  print(`training word2vec (10.3) on PTB: ${vocab.idxToToken.length} words, ${limit} center words, ${epochs} epochs`);
  const batchSize = opts.batchSize ?? 512;
  const net = new gluon.nn.Sequential();
  net.add(new gluon.nn.Embedding(vocab.idxToToken.length, 100), new gluon.nn.Embedding(vocab.idxToToken.length, 100));
  await W.trainWord2vec(
    net,
    opts.lr ?? 0.005,
    epochs,
    () => W.skipGramBatches(centers, contexts, negatives, batchSize, { ctx: opts.ctx }),
    batchSize,
    { ctx: opts.ctx, print: (l) => print(l) },
  );
  // The center-word vectors (embed_v), as 10.3's getSimilarTokens uses them.
  const weights = await (net.get(0) as gluon.nn.Embedding).weight.data().data();
  const lines = vocab.idxToToken.map((tok, i) => {
    const row = Array.from(weights.subarray(i * 100, (i + 1) * 100), (v) => String(Number(v.toPrecision(7))));
    return `${tok} ${row.join(' ')}\n`;
  });
  writeFileAtomic(file, new TextEncoder().encode(lines.join('')));
}

export async function run(opts: ChapterOptions = {}): Promise<SimilarityAnalogyResult> {
  const { print, lines } = startRun(opts);
  nd.random.seed(opts.seed ?? 0);

  // ## 使用预训练的词向量 (pretrained word vectors): the embeddings contrib.text knows.
  print(`dict_keys(${pyList(Object.keys(text.embedding.getPretrainedFileNames()))})`);
  // The pretrained GloVe files: "model.(corpus.)tokens.dimension.txt".
  print(pyList(text.embedding.getPretrainedFileNames('glove')));

  // The 50-dimensional GloVe vectors of Wikipedia 2014 + Gigaword 5 (6 billion tokens).
  let embed: TokenEmbedding;
  let vectors: SimilarityAnalogyResult['vectors'];
  try {
    embed = text.embedding.create('glove', { pretrainedFileName: 'glove.6B.50d.txt', dataDir: opts.dataDir });
    vectors = 'glove.6B.50d.txt';
  } catch (e) {
    if (!(e instanceof PretrainedFileNotFoundError)) throw e;
    const info = text.embedding.pretrainedFileInfo('glove', 'glove.6B.50d.txt');
    print(`glove.6B.50d.txt is not on this machine, and the library does not download pretrained vectors.`);
    print(`To run this section on it: ${info.hint}.`);
    print(`Meanwhile the cells below run on word2vec vectors trained here (10.3's skip-gram on PTB), not on GloVe:`);
    print(`PTB's vocabulary lacks some of the book's words, and its neighbours and analogies differ from the book's.`);
    const outDir = opts.outDir ?? join('out', meta.slug);
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, 'word2vec-ptb-100d.txt');
    await trainPtbVectors(opts, print, file);
    print(`saved the vectors in GloVe's text format to ${file}; loading them with text.embedding.CustomEmbedding`);
    embed = new text.embedding.CustomEmbedding(file);
    vectors = 'word2vec-ptb';
  }
  const cells = await similarityCells(embed, print);
  return { lines, vectors, ...cells };
}

runIfMain(import.meta.url, run);
