/**
 * # 6.1 Language models (语言模型)
 *
 * A language model gives the probability of a sequence of words w1..wT by the chain rule,
 * P(w1, ..., wT) = Π P(wt | w1, ..., w(t-1)), with the conditional probabilities estimated by
 * relative frequencies in a training corpus: P(w2 | w1) = count(w1, w2) / count(w1). An n-gram
 * model keeps only the last n-1 words of the history (an (n-1)-order Markov chain). The book's
 * section is theory only; here we count, estimate and score on the book's own corpora, and
 * measure how well n-gram models of increasing n predict held-out text, and how much they store.
 *
 * Run it: `d2l-ts run lang-model` or `node dist/chapters/lang-model.js`.
 */
import { d2l } from '../src/index.js';
import { NGramModel, topNgrams } from '../src/d2l/ngram.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'lang-model',
  title: '6.1 语言模型 (language models and n-grams)',
  needsData: ['jaychou_lyrics.txt.zip', 'timemachine.txt'],
};

export interface NGramRow {
  n: number;
  /** Distinct n-grams stored for orders 1..n together. */
  storedCounts: number;
  trainPerplexity: Record<string, number>;
  heldOutPerplexity: Record<string, number>;
}

export interface LangModelResult {
  table: NGramRow[];
  /** log P of the book's example sentences under the unigram and bigram models of the lyrics. */
  sentenceLogProbs: Record<string, { unigram: number; bigram: number }>;
}

// Spaces are shown as ␣ so that character n-grams with a space stay readable.
const fmtTop = <T>(rows: [T[], number][], sep: string) =>
  rows.map(([g, c]) => `${g.join(sep).replace(/ /g, sep ? ' ' : '␣')}:${c}`).join(', ');

export async function run(opts: ChapterOptions = {}): Promise<LangModelResult> {
  const { print, dataOpts } = startRun(opts);

  // ## Counting on the lyrics
  // The same 10000 characters that the RNNs of 6.4-6.8 train on (newlines replaced by spaces).
  const corpus = await d2l.loadDataJayLyrics(dataOpts);
  const chars = corpus.corpusChars;
  print(`lyrics: ${chars.length} characters, ${corpus.vocabSize} distinct`);
  print(`most frequent characters: ${fmtTop(topNgrams(chars, 1), '')}`);
  print(`most frequent bigrams: ${fmtTop(topNgrams(chars, 2), '')}`);
  print(`most frequent trigrams: ${fmtTop(topNgrams(chars, 3), '')}`);

  // ## Relative frequencies
  // P(w2 | w1) = count(w1, w2) / count(w1): k = 0 gives the plain estimates.
  const ix = (c: string) => corpus.charToIdx.get(c)!;
  const mle = new NGramModel(2, corpus.vocabSize, { k: 0 }).fit([corpus.corpusIndices]);
  for (const [w1, w2] of [
    ['想', '要'],
    ['不', '要'],
    ['分', '开'],
    ['我', '的'],
  ] as const) {
    const c12 = mle.count([ix(w1), ix(w2)]);
    const c1 = mle.count([ix(w1)]);
    print(`P(${w2}|${w1}) = count(${w1}${w2}) / count(${w1}) = ${c12} / ${c1} = ${mle.prob([ix(w1)], ix(w2)).toFixed(4)}`);
  }

  // ## Scoring the book's sentences
  // A unigram model ignores order, so it cannot tell "你走先" from "你先走"; a bigram model can.
  // These use the whole lyrics text (63282 characters) and add-1 smoothing, since most of the
  // kitchen words never occur in love songs.
  const allChars = Array.from(corpus.rawText.replace(/[\n\r]/g, ' '));
  const sentences = ['厨房里食油用完了', '厨房里石油用完了', '你走先', '你先走'];
  const { charToIdx: fullIdx, idxToChar: fullVocab } = d2l.charVocab([...allChars, ...sentences.flatMap((s) => Array.from(s))]);
  const enc = (cs: string[]) => cs.map((c) => fullIdx.get(c)!);
  const uni = new NGramModel(1, fullVocab.length, { k: 1 }).fit([enc(allChars)]);
  const bi = new NGramModel(2, fullVocab.length, { k: 1 }).fit([enc(allChars)]);
  const sentenceLogProbs: LangModelResult['sentenceLogProbs'] = {};
  for (const s of sentences) {
    const seq = enc(Array.from(s));
    sentenceLogProbs[s] = { unigram: uni.logProb(seq), bigram: bi.logProb(seq) };
    print(`log P(${s}): unigram ${sentenceLogProbs[s].unigram.toFixed(3)}, bigram ${sentenceLogProbs[s].bigram.toFixed(3)}`);
  }

  // ## Words of The Time Machine
  const words = d2l.tokenize(await d2l.readTimeMachine(dataOpts), 'word').flat();
  print(`time machine: ${words.length} words, ${new Set(words).size} distinct`);
  print(`most frequent words: ${fmtTop(topNgrams(words, 1), ' ')}`);
  print(`most frequent bigrams: ${fmtTop(topNgrams(words, 2), ' ')}`);
  print(`most frequent trigrams: ${fmtTop(topNgrams(words, 3), ' ')}`);

  // ## Perplexity of n-gram models, and their size
  // Perplexity = exp(mean negative log-likelihood): 1 for a perfect model, vocabSize for a uniform
  // one. On the training text a larger n always fits better; on held-out text (the next 5000
  // characters of the lyrics, the same text the RNN programs report on) the counts of long
  // contexts are too sparse, and add-k smoothing pulls unseen continuations towards uniform.
  const held = d2l.heldOutSegments(corpus, { start: 10000, length: 5000 });
  print(
    `held-out text: ${held.numChars} characters after the training text, ${held.numScored} scored, ${held.numOutOfVocab} outside the vocabulary skipped`,
  );
  const ks = [1, 0.01];
  const table: NGramRow[] = [];
  print(`n  stored counts  ${ks.map((k) => `train ppl (k=${k})  held-out ppl (k=${k})`).join('  ')}`);
  for (let n = 1; n <= 4; n++) {
    const row: NGramRow = { n, storedCounts: 0, trainPerplexity: {}, heldOutPerplexity: {} };
    for (const k of ks) {
      const lm = new NGramModel(n, corpus.vocabSize, { k }).fit([corpus.corpusIndices]);
      row.storedCounts = lm.storedCounts().reduce((a, b) => a + b, 0);
      row.trainPerplexity[k] = lm.perplexity([corpus.corpusIndices]);
      row.heldOutPerplexity[k] = lm.perplexity(held.segments);
    }
    table.push(row);
    print(
      `${n}  ${String(row.storedCounts).padStart(13)}  ${ks.map((k) => `${row.trainPerplexity[k].toFixed(2).padStart(17)}  ${row.heldOutPerplexity[k].toFixed(2).padStart(20)}`).join('  ')}`,
    );
  }

  // The book's exercise: how many counts does a 4-gram model of a 100k-word corpus store? At most
  // one per position and order (4 · 100k), far fewer than |V|^4 possible 4-grams; on The Time
  // Machine's words each order stores nearly one count per position as n grows.
  const vocab = new d2l.Vocab([words]);
  const lmWords = new NGramModel(4, vocab.length, { k: 1 }).fit([vocab.toIndices(words)]);
  const stored = lmWords.storedCounts();
  print(
    `time machine (${words.length} words, |V| = ${vocab.length}): distinct 1/2/3/4-grams = ${stored.join(' / ')}; |V|^4 = ${vocab.length ** 4 > 1e12 ? (vocab.length ** 4).toExponential(2) : vocab.length ** 4}`,
  );
  return { table, sentenceLogProbs };
}

runIfMain(import.meta.url, run);
