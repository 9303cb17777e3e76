/**
 * The IMDb review data of the book's 10.7 and 10.8 (Maas et al. 2011): d2lzh's `read_imdb`,
 * `get_tokenized_imdb`, `get_vocab_imdb`, `preprocess_imdb`, `count_tokens` and
 * `predict_sentiment`. The reviews come through the data resolver: the full set
 * `aclImdb_v1.tar.gz` (25000 training and 25000 test reviews, sha1
 * 01ada507287d82875905620988597833ad4e0903, d2lzh's checksum) or the book's early sample
 * `aclImdb_tiny.zip` (10 reviews per split and label).
 */
import { unzipSync, strFromU8 } from 'fflate';
import { ValueError } from '../core/errors.js';
import type { Context } from '../ndarray/context.js';
import type { NDArray } from '../ndarray/ndarray.js';
import * as nd from '../ndarray/nd.js';
import { globalRandom } from '../ndarray/random.js';
import { Vocabulary } from '../contrib/text/vocab.js';
import { DataNotFoundError, loadDataFile } from '../data/resolver.js';
import type { DataOptions } from './data-files.js';

/** Which copy of the reviews: the full aclImdb, or the book's 40-review sample. */
export type ImdbArchive = 'aclImdb_v1.tar.gz' | 'aclImdb_tiny.zip';

/** A review and its label: 1 positive, 0 negative (the book's `[review, label]`). */
export type ImdbExample = [string, number];

/** The files of a tar archive (ustar, with GNU long names), by name. */
function tarFiles(tar: Uint8Array, keep: (name: string) => boolean): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const dec = new TextDecoder();
  const field = (h: Uint8Array, a: number, b: number) => {
    const s = h.subarray(a, b);
    const z = s.indexOf(0);
    return dec.decode(z < 0 ? s : s.subarray(0, z));
  };
  let off = 0;
  let longName: string | null = null;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(field(h, 124, 136).trim() || '0', 8);
    if (!Number.isFinite(size))
      throw new ValueError(`aclImdb_v1.tar.gz: a tar header at byte ${off} has no valid size; the archive is corrupt`);
    const type = String.fromCharCode(h[156]);
    const prefix = field(h, 345, 500);
    const name = longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    const data = tar.subarray(off + 512, off + 512 + size);
    longName = null;
    if (type === 'L') longName = dec.decode(data).replace(/\0+$/, '');
    else if ((type === '0' || type === '\0') && keep(name)) out.set(name, data);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** The review files of one split, as `{label: files}`. */
async function imdbFiles(folder: string, archive: ImdbArchive, opts: DataOptions): Promise<Map<string, Uint8Array>> {
  const { bytes } = await loadDataFile(archive, { dataDir: opts.dataDir, download: opts.download });
  const root = archive === 'aclImdb_tiny.zip' ? 'aclImdb_tiny' : 'aclImdb';
  const re = new RegExp(`^${root}/${folder}/(pos|neg)/[^/]+\\.txt$`);
  if (archive === 'aclImdb_tiny.zip') {
    try {
      return new Map(Object.entries(unzipSync(bytes, { filter: (f) => re.test(f.name) })));
    } catch (e) {
      throw new ValueError(
        `cannot read aclImdb_tiny.zip as a zip archive (${e instanceof Error ? e.message : e}); delete it and fetch it again`,
      );
    }
  }
  // The resolver unpacked the gzip: `bytes` is the tar.
  return tarFiles(bytes, (n) => re.test(n));
}

/**
 * d2lzh's `read_imdb(folder)`: the reviews of `folder` ('train' or 'test'), each read as UTF-8,
 * newlines removed and lower-cased, labelled 1 (pos) or 0 (neg), shuffled with the library's
 * seeded generator (files are taken in name order first, so a seed gives one order).
 *
 * @example
 * const trainData = await readImdb('train');                              // 25000 examples
 * const tiny = await readImdb('test', { archive: 'aclImdb_tiny.zip' });   // 20 examples
 * tiny[0]; // ['this movie ...', 1]
 */
export async function readImdb(
  folder: 'train' | 'test' = 'train',
  opts: DataOptions & { archive?: ImdbArchive } = {},
): Promise<ImdbExample[]> {
  if (folder !== 'train' && folder !== 'test')
    throw new ValueError(`readImdb: folder must be 'train' or 'test', got ${JSON.stringify(folder)}`);
  const archive = opts.archive ?? 'aclImdb_v1.tar.gz';
  if (archive !== 'aclImdb_v1.tar.gz' && archive !== 'aclImdb_tiny.zip')
    throw new ValueError(`readImdb: archive must be 'aclImdb_v1.tar.gz' or 'aclImdb_tiny.zip', got ${JSON.stringify(archive)}`);
  const files = await imdbFiles(folder, archive, opts);
  const data: ImdbExample[] = [];
  for (const label of ['pos', 'neg'])
    for (const name of [...files.keys()].filter((n) => n.split('/')[2] === label).sort())
      data.push([strFromU8(files.get(name)!).replace(/\n/g, '').toLowerCase(), label === 'pos' ? 1 : 0]);
  if (data.length === 0) throw new ValueError(`readImdb: ${archive} has no reviews under ${folder}/pos or ${folder}/neg`);
  globalRandom.shuffle(data);
  return data;
}

/** The two splits of the IMDb reviews that readImdbOrSample found, and what to tell the reader. */
export interface ImdbSplits {
  archive: ImdbArchive;
  trainData: ImdbExample[];
  testData: ImdbExample[];
  /** Lines for the program to print when the sample stands in for the full set (else empty). */
  notice: string[];
}

/**
 * Both splits of the full IMDb set (`aclImdb_v1.tar.gz`) when a data directory has it, else of
 * the book's sample `aclImdb_tiny.zip`, with the lines that say so and where the full set goes
 * (its URL and sha1). Never downloads the 80 MB archive. 10.7 and 10.8 read their data this way.
 *
 * @example
 * const { trainData, testData, notice } = await readImdbOrSample();
 * notice.forEach((l) => console.log(l)); // empty when the full set is present
 */
export async function readImdbOrSample(opts: DataOptions = {}): Promise<ImdbSplits> {
  if (opts === null || typeof opts !== 'object')
    throw new ValueError(`readImdbOrSample: opts must be an object, got ${opts === null ? 'null' : typeof opts}`);
  let archive: ImdbArchive = 'aclImdb_v1.tar.gz';
  let trainData: ImdbExample[];
  const notice: string[] = [];
  try {
    trainData = await readImdb('train', { ...opts, download: false });
  } catch (e) {
    // Only a missing file means "use the sample": a corrupt full set is the reader's to fix.
    if (!(e instanceof DataNotFoundError) || e.constructor !== DataNotFoundError) throw e;
    archive = 'aclImdb_tiny.zip';
    notice.push(
      'aclImdb_v1.tar.gz is not on this machine: to run on the full data set, download',
      'http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz (sha1 01ada507287d82875905620988597833ad4e0903) into a data directory.',
      "This run uses the book's sample aclImdb_tiny.zip (10 reviews per split and label): its accuracies mean little.",
    );
    trainData = await readImdb('train', { ...opts, archive });
  }
  const testData = await readImdb('test', { ...opts, archive });
  return { archive, trainData, testData, notice };
}

/**
 * d2lzh's `get_tokenized_imdb`: each review split on single spaces (empty tokens kept, as
 * Python's `split(' ')`) and lower-cased.
 *
 * @example
 * getTokenizedImdb([['a  Good film', 1]]); // [['a', '', 'good', 'film']]
 */
export function getTokenizedImdb(data: readonly ImdbExample[]): string[][] {
  return data.map(([review]) => review.split(' ').map((tok) => tok.toLowerCase()));
}

/**
 * d2lzh's `count_tokens`: the counts of the tokens of a list of token lists, in first-occurrence order.
 *
 * @example
 * countTokens([['a', 'b'], ['a']]); // Map { 'a' → 2, 'b' → 1 }
 */
export function countTokens(samples: readonly (readonly string[])[]): Map<string, number> {
  const counter = new Map<string, number>();
  for (const s of samples) for (const t of s) counter.set(t, (counter.get(t) ?? 0) + 1);
  return counter;
}

/**
 * d2lzh's `get_vocab_imdb`: `text.vocab.Vocabulary(counter, min_freq=5, reserved_tokens=['<pad>'])`
 * over the tokenized reviews (46152 words for the full training set).
 *
 * @example
 * const vocab = getVocabImdb(trainData);
 */
export function getVocabImdb(data: readonly ImdbExample[], minFreq = 5): Vocabulary {
  return new Vocabulary(countTokens(getTokenizedImdb(data)), { minFreq, reservedTokens: ['<pad>'] });
}

/**
 * d2lzh's `preprocess_imdb`: every review as `maxL` (500) token indices, cut or padded with
 * `<pad>`, and the labels: `[features (n, maxL), labels (n,)]`.
 *
 * @example
 * const [features, labels] = preprocessImdb(trainData, vocab);
 */
export function preprocessImdb(data: readonly ImdbExample[], vocab: Vocabulary, maxL = 500): [NDArray, NDArray] {
  if (!Number.isInteger(maxL) || maxL < 1) throw new ValueError(`preprocessImdb: maxL must be a positive integer, got ${maxL}`);
  const pad = vocab.tokenToIdx.get('<pad>');
  if (pad === undefined) throw new ValueError("preprocessImdb: the vocabulary has no '<pad>' token (build it with getVocabImdb)");
  const features = new Float32Array(data.length * maxL).fill(pad);
  getTokenizedImdb(data).forEach((tokens, r) => features.set(vocab.toIndices(tokens.slice(0, maxL)), r * maxL));
  return [nd.array(features, { shape: [data.length, maxL] }), nd.array(data.map(([, label]) => label))];
}

/**
 * d2lzh's `predict_sentiment(net, vocab, sentence)`: 'positive' or 'negative' for a list of tokens.
 *
 * @example
 * await predictSentiment(net, vocab, ['this', 'movie', 'is', 'so', 'great']); // 'positive'
 */
export async function predictSentiment(
  net: { forward(x: NDArray): NDArray },
  vocab: Vocabulary,
  sentence: readonly string[],
  ctx?: Context,
): Promise<'positive' | 'negative'> {
  if (!Array.isArray(sentence) || sentence.length === 0)
    throw new ValueError('predictSentiment: sentence must be a non-empty array of tokens');
  const x = nd.array(vocab.toIndices(sentence), { ctx });
  const label = await nd.argmax(net.forward(x.reshape([1, -1])), { axis: 1 }).asScalarAsync();
  return label === 1 ? 'positive' : 'negative';
}
