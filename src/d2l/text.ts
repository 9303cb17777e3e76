/**
 * Text data of the book's chapters 6 and 10: the Jay Chou lyrics corpus (6.3), the Time Machine,
 * the Penn Treebank sample (10.3), tokenizers, a word-level `Vocab`, and the two ways of sampling
 * minibatches from a long sequence (`dataIterRandom`, `dataIterConsecutive`).
 *
 * Files come through the project's one data resolver (explicit `dataDir`, `D2L_DATA_DIR`, the
 * cache, known system places, download with checksum).
 */
import { strFromU8 } from 'fflate';
import { ValueError } from '../core/errors.js';
import type { Context } from '../ndarray/context.js';
import { array } from '../ndarray/creation.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { globalRandom } from '../ndarray/random.js';
import { bookFileBytes, zipMemberText, type DataOptions } from './data-files.js';
import { Vocabulary } from '../contrib/text/vocab.js';

export type { DataOptions } from './data-files.js';

/** The result of `loadDataJayLyrics()` / `loadDataTimeMachine()`, as the book's 4-tuple. */
export interface CharCorpus {
  /** The corpus as indices into `idxToChar`. */
  corpusIndices: number[];
  /** Character → index. */
  charToIdx: Map<string, number>;
  /** Index → character. */
  idxToChar: string[];
  /** The number of distinct characters. */
  vocabSize: number;
  /** The (processed) characters the indices were built from. */
  corpusChars: string[];
  /** The whole text the corpus was cut from, unprocessed (for held-out text after the corpus). */
  rawText: string;
}

/**
 * Builds a character vocabulary in order of first occurrence (deterministic; the book used
 * `list(set(chars))`, whose order depends on Python's string hashing).
 *
 * @example
 * charVocab(['a', 'b', 'a']); // { idxToChar: ['a', 'b'], charToIdx: Map { a → 0, b → 1 } }
 */
export function charVocab(chars: readonly string[]): { idxToChar: string[]; charToIdx: Map<string, number> } {
  const charToIdx = new Map<string, number>();
  const idxToChar: string[] = [];
  for (const c of chars)
    if (!charToIdx.has(c)) {
      charToIdx.set(c, idxToChar.length);
      idxToChar.push(c);
    }
  return { idxToChar, charToIdx };
}

function charCorpus(text: string, numChars: number | null, lower: boolean): CharCorpus {
  let t = text.replace(/[\n\r]/g, ' ');
  if (lower) t = t.toLowerCase();
  // Python strings index code points; Array.from splits by code point too (not UTF-16 units).
  let chars = Array.from(t);
  if (numChars !== null) chars = chars.slice(0, numChars);
  const { idxToChar, charToIdx } = charVocab(chars);
  return {
    corpusIndices: chars.map((c) => charToIdx.get(c)!),
    charToIdx,
    idxToChar,
    vocabSize: idxToChar.length,
    corpusChars: chars,
    rawText: text,
  };
}

/**
 * The full text of the Jay Chou lyrics (`jaychou_lyrics.txt` inside `jaychou_lyrics.txt.zip`),
 * 63282 characters, newlines kept.
 *
 * @example
 * (await readJayLyrics()).slice(0, 6); // '想要有直升机'
 */
export async function readJayLyrics(opts: DataOptions = {}): Promise<string> {
  return zipMemberText(await bookFileBytes('jaychou_lyrics.txt.zip', opts), 'jaychou_lyrics.txt', 'jaychou_lyrics.txt.zip');
}

/**
 * The book's `load_data_jay_lyrics()`: the lyrics with `\n`/`\r` replaced by spaces, the first
 * 10000 characters, and a character vocabulary (1027 characters, in order of first occurrence).
 *
 * @example
 * const { corpusIndices, charToIdx, idxToChar, vocabSize } = await loadDataJayLyrics();
 * vocabSize; // 1027
 */
export async function loadDataJayLyrics(opts: DataOptions & { numChars?: number | null } = {}): Promise<CharCorpus> {
  return charCorpus(await readJayLyrics(opts), opts.numChars === undefined ? 10000 : opts.numChars, false);
}

/**
 * The lines of H. G. Wells' *The Time Machine* (`timemachine.txt`), unprocessed.
 *
 * @example
 * (await readTimeMachineRaw())[0]; // 'The Time Machine, by H. G. Wells [1898]'
 */
export async function readTimeMachineRaw(opts: DataOptions = {}): Promise<string[]> {
  return strFromU8(await bookFileBytes('timemachine.txt', opts)).split('\n');
}

/**
 * The Time Machine as lines of lowercase words: every run of non-letters becomes one space
 * (d2l's `read_time_machine`); empty lines are kept as ''.
 *
 * @example
 * const lines = await readTimeMachine();
 * tokenize(lines, 'word');
 */
export async function readTimeMachine(opts: DataOptions = {}): Promise<string[]> {
  return (await readTimeMachineRaw(opts)).map((l) =>
    l
      .replace(/[^A-Za-z]+/g, ' ')
      .trim()
      .toLowerCase(),
  );
}

/**
 * d2lzh's `load_data_time_machine()`: like `loadDataJayLyrics` for `timemachine.txt`, lowercased
 * (the first 10000 characters, newlines replaced by spaces, a character vocabulary).
 *
 * @example
 * const { vocabSize } = await loadDataTimeMachine();
 */
export async function loadDataTimeMachine(opts: DataOptions & { numChars?: number | null } = {}): Promise<CharCorpus> {
  const text = strFromU8(await bookFileBytes('timemachine.txt', opts));
  return charCorpus(text, opts.numChars === undefined ? 10000 : opts.numChars, true);
}

/**
 * Splits lines into word tokens (on runs of whitespace) or character tokens (code points).
 *
 * @example
 * tokenize(['the time machine'], 'word'); // [['the', 'time', 'machine']]
 * tokenize(['分开'], 'char');              // [['分', '开']]
 */
export function tokenize(lines: readonly string[], token: 'word' | 'char' = 'word'): string[][] {
  if (token === 'word') return lines.map((l) => l.split(/\s+/).filter((w) => w.length > 0));
  if (token === 'char') return lines.map((l) => Array.from(l));
  throw new ValueError(`tokenize: unknown token type '${token as string}' (use 'word' or 'char')`);
}

/**
 * Counts tokens (a flat list or a list of lines), keeping first-occurrence order as Python's Counter.
 *
 * @example
 * countCorpus([['a', 'b'], ['a']]); // Map { 'a' → 2, 'b' → 1 }
 */
export function countCorpus(tokens: readonly string[] | readonly (readonly string[])[]): Map<string, number> {
  const counter = new Map<string, number>();
  for (const t of tokens as readonly (string | readonly string[])[]) {
    if (typeof t === 'string') counter.set(t, (counter.get(t) ?? 0) + 1);
    else for (const w of t) counter.set(w, (counter.get(w) ?? 0) + 1);
  }
  return counter;
}

/**
 * A vocabulary for text: index 0 is `<unk>`, then the reserved tokens, then the tokens seen at
 * least `minFreq` times, most frequent first (ties keep first-occurrence order). It is MXNet's
 * `text.vocab.Vocabulary` (lookups, `toIndices`, `toTokens`) built from tokens rather than a
 * counter, with the tie order of d2l's later editions.
 *
 * @example
 * const vocab = new Vocab(tokenize(readTimeMachine()), { minFreq: 1, reservedTokens: ['<pad>'] });
 * vocab.toIndices(['the', 'time', 'xyzzy']); // [i_the, i_time, 0]
 * vocab.toTokens([1, 2]);
 */
export class Vocab extends Vocabulary {
  /** (token, count) pairs, most frequent first. */
  readonly tokenFreqs: [string, number][];
  /** The index of `<unk>`: 0. */
  readonly unk = 0;

  constructor(
    tokens: readonly string[] | readonly (readonly string[])[] = [],
    opts: { minFreq?: number; reservedTokens?: readonly string[] } = {},
  ) {
    super(null, { reservedTokens: opts.reservedTokens ?? [] });
    const minFreq = opts.minFreq ?? 0;
    const counter = countCorpus(tokens);
    // Array.prototype.sort is stable: ties keep the counter's first-occurrence order.
    this.tokenFreqs = [...counter.entries()].sort((a, b) => b[1] - a[1]);
    for (const [tok, freq] of this.tokenFreqs) {
      if (freq < minFreq) break;
      this.addToken(tok);
    }
  }
}

/**
 * The sentences of the Penn Treebank sample in `ptb.zip` (`ptb/ptb.<split>.txt`), each split on
 * whitespace (the book's `[st.split() for st in lines]`): 42068 training sentences.
 *
 * @example
 * const sentences = await readPtb();        // train
 * (await readPtb({ split: 'valid' })).length; // 3370
 */
export async function readPtb(opts: DataOptions & { split?: 'train' | 'valid' | 'test' } = {}): Promise<string[][]> {
  const split = opts.split ?? 'train';
  const text = zipMemberText(await bookFileBytes('ptb.zip', opts), `ptb/ptb.${split}.txt`, 'ptb.zip');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => l.split(/\s+/).filter((w) => w.length > 0));
}

function checkIterArgs(op: string, n: number, batchSize: number, numSteps: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ValueError(`${op}: batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(numSteps) || numSteps < 1) throw new ValueError(`${op}: numSteps must be a positive integer, got ${numSteps}`);
  if (n < 2) throw new ValueError(`${op}: the corpus needs at least 2 indices, got ${n}`);
}

/**
 * The book's random sampling: the corpus is cut into `(len-1)/numSteps` examples starting at
 * multiples of `numSteps`, shuffled (with the library's seeded generator), and served
 * `batchSize` at a time; `Y` is `X` shifted by one. Yields float32 arrays of shape
 * (batchSize, numSteps), which need no freeing.
 *
 * @example
 * for (const [X, Y] of dataIterRandom(range(30), 2, 6)) console.log(`X: ${X}\nY: ${Y}`);
 */
export function* dataIterRandom(
  corpusIndices: readonly number[],
  batchSize: number,
  numSteps: number,
  ctx?: Context,
): Generator<[NDArray, NDArray]> {
  checkIterArgs('dataIterRandom', corpusIndices.length, batchSize, numSteps);
  const numExamples = Math.floor((corpusIndices.length - 1) / numSteps);
  const epochSize = Math.floor(numExamples / batchSize);
  const exampleIndices = Array.from({ length: numExamples }, (_, i) => i);
  globalRandom.shuffle(exampleIndices);
  const data = (pos: number) => corpusIndices.slice(pos, pos + numSteps);
  for (let i = 0; i < epochSize; i++) {
    const batch = exampleIndices.slice(i * batchSize, (i + 1) * batchSize);
    const X = batch.flatMap((j) => data(j * numSteps));
    const Y = batch.flatMap((j) => data(j * numSteps + 1));
    yield [
      array(Float32Array.from(X), { shape: [batchSize, numSteps], ctx }),
      array(Float32Array.from(Y), { shape: [batchSize, numSteps], ctx }),
    ];
  }
}

/**
 * The book's consecutive sampling: the corpus is laid out as `batchSize` rows of
 * `len/batchSize` indices and read left to right in windows of `numSteps`, so consecutive
 * minibatches continue each other row by row (the hidden state can be carried over). Yields
 * float32 arrays of shape (batchSize, numSteps), which need no freeing.
 *
 * @example
 * for (const [X, Y] of dataIterConsecutive(range(30), 2, 6)) console.log(`X: ${X}\nY: ${Y}`);
 * // X: [[ 0.  1.  2.  3.  4.  5.]
 * //     [15. 16. 17. 18. 19. 20.]] ...
 */
export function* dataIterConsecutive(
  corpusIndices: readonly number[],
  batchSize: number,
  numSteps: number,
  ctx?: Context,
): Generator<[NDArray, NDArray]> {
  checkIterArgs('dataIterConsecutive', corpusIndices.length, batchSize, numSteps);
  const batchLen = Math.floor(corpusIndices.length / batchSize);
  const epochSize = Math.floor((batchLen - 1) / numSteps);
  const indices = Float32Array.from(corpusIndices.slice(0, batchSize * batchLen));
  for (let i = 0; i < epochSize; i++) {
    const s = i * numSteps;
    const X = new Float32Array(batchSize * numSteps);
    const Y = new Float32Array(batchSize * numSteps);
    for (let r = 0; r < batchSize; r++) {
      X.set(indices.subarray(r * batchLen + s, r * batchLen + s + numSteps), r * numSteps);
      Y.set(indices.subarray(r * batchLen + s + 1, r * batchLen + s + 1 + numSteps), r * numSteps);
    }
    yield [array(X, { shape: [batchSize, numSteps], ctx }), array(Y, { shape: [batchSize, numSteps], ctx })];
  }
}

/**
 * The number of minibatches an epoch of `dataIterRandom` / `dataIterConsecutive` yields.
 *
 * @example
 * epochSize('consecutive', 10000, 32, 35); // 8
 */
export function epochSize(kind: 'random' | 'consecutive', corpusLength: number, batchSize: number, numSteps: number): number {
  if (kind === 'random') return Math.floor(Math.floor((corpusLength - 1) / numSteps) / batchSize);
  return Math.floor((Math.floor(corpusLength / batchSize) - 1) / numSteps);
}

/**
 * `[0, 1, ..., n-1]`, for the book's `list(range(30))` demos.
 *
 * @example
 * range(5); // [0, 1, 2, 3, 4]
 */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * Held-out text for comparing language models: characters `[start, start + length)` of the
 * corpus's whole text (newlines replaced; by default the lyrics right after the 10000 training
 * characters), cut into maximal runs of characters that the training
 * vocabulary knows. A model scores every character of a run after the first, given the run's
 * earlier characters; characters outside the vocabulary are skipped (and counted).
 *
 * @example
 * const corpus = await loadDataJayLyrics();
 * const { segments, numScored, numOutOfVocab } = heldOutSegments(corpus, { start: 10000, length: 5000 });
 */
export function heldOutSegments(
  corpus: CharCorpus,
  opts: { start?: number; length?: number; text?: string } = {},
): { segments: number[][]; numScored: number; numOutOfVocab: number; numChars: number } {
  const start = opts.start ?? 10000;
  const length = opts.length ?? 5000;
  const text = opts.text ?? corpus.rawText;
  const chars = Array.from(text.replace(/[\n\r]/g, ' ')).slice(start, start + length);
  if (chars.length === 0) throw new ValueError(`heldOutSegments: the text has no characters in [${start}, ${start + length})`);
  const segments: number[][] = [];
  let cur: number[] = [];
  let oov = 0;
  for (const c of chars) {
    const i = corpus.charToIdx.get(c);
    if (i === undefined) {
      oov++;
      if (cur.length >= 2) segments.push(cur);
      cur = [];
    } else cur.push(i);
  }
  if (cur.length >= 2) segments.push(cur);
  const numScored = segments.reduce((a, s) => a + s.length - 1, 0);
  return { segments, numScored, numOutOfVocab: oov, numChars: chars.length };
}
