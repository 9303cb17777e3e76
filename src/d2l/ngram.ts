/**
 * n-gram language models (the book's 6.1): relative-frequency counts of 1..n-grams, add-k
 * smoothing, sentence scores and perplexity, and the number of counts a model has to store.
 */
import { ValueError } from '../core/errors.js';

/**
 * The n most frequent n-grams of a token list, as `[tokens, count]` (ties in first-occurrence order).
 *
 * @example
 * topNgrams(['a', 'b', 'a', 'b'], 2, 1); // [[['a', 'b'], 2]]
 */
export function topNgrams<T>(tokens: readonly T[], n: number, k = 10): [T[], number][] {
  if (!Number.isInteger(n) || n < 1) throw new ValueError(`topNgrams: n must be a positive integer, got ${n}`);
  const counts = new Map<string, [T[], number]>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const g = tokens.slice(i, i + n);
    const key = JSON.stringify(g);
    const e = counts.get(key);
    if (e) e[1]++;
    else counts.set(key, [g, 1]);
  }
  return [...counts.values()].sort((a, b) => b[1] - a[1]).slice(0, k);
}

/**
 * An n-gram model over integer tokens `0..vocabSize-1` with add-k smoothing:
 * P(w | context) = (count(context, w) + k) / (count(context) + k · vocabSize), where the context is
 * the previous n-1 tokens (fewer at the start of a sequence, where the lower-order counts are used).
 * `k = 0` gives the plain relative frequencies of the book.
 *
 * @example
 * const lm = new NGramModel(2, vocabSize, { k: 1 }).fit([corpusIndices]);
 * lm.prob([i('想')], i('要'));    // P(要 | 想)
 * lm.perplexity([heldOut]);
 * lm.storedCounts();             // counts kept for orders 1..n
 */
export class NGramModel {
  readonly n: number;
  readonly vocabSize: number;
  readonly k: number;
  /** counts[m] maps an encoded m-gram (m = 1..n) to its count. */
  private readonly counts: Map<number, number>[] = [];
  /** contextCounts[m] maps an encoded (m-1)-gram to how often an m-gram starts with it. */
  private readonly contextCounts: Map<number, number>[] = [];
  private total = 0;

  constructor(n: number, vocabSize: number, opts: { k?: number } = {}) {
    if (!Number.isInteger(n) || n < 1) throw new ValueError(`NGramModel: n must be a positive integer, got ${n}`);
    if (!Number.isInteger(vocabSize) || vocabSize < 1)
      throw new ValueError(`NGramModel: vocabSize must be a positive integer, got ${vocabSize}`);
    if (vocabSize ** n > Number.MAX_SAFE_INTEGER)
      throw new ValueError(`NGramModel: vocabSize^n = ${vocabSize}^${n} is too large to encode n-grams exactly`);
    this.n = n;
    this.vocabSize = vocabSize;
    this.k = opts.k ?? 1;
    if (!(this.k >= 0)) throw new ValueError(`NGramModel: k must be >= 0, got ${this.k}`);
    for (let m = 0; m <= n; m++) {
      this.counts.push(new Map());
      this.contextCounts.push(new Map());
    }
  }

  private encode(seq: readonly number[], from: number, to: number): number {
    let key = 0;
    for (let i = from; i < to; i++) key = key * this.vocabSize + seq[i];
    return key;
  }

  /** Counts every 1..n-gram inside each sequence (n-grams never cross sequence boundaries). */
  fit(sequences: readonly (readonly number[])[]): this {
    for (const s of sequences) {
      for (const w of s)
        if (!(Number.isInteger(w) && w >= 0 && w < this.vocabSize))
          throw new ValueError(`NGramModel.fit: token ${w} is outside 0..${this.vocabSize - 1}`);
      this.total += s.length;
      for (let m = 1; m <= this.n; m++)
        for (let i = 0; i + m <= s.length; i++) {
          const g = this.encode(s, i, i + m);
          this.counts[m].set(g, (this.counts[m].get(g) ?? 0) + 1);
          const c = this.encode(s, i, i + m - 1);
          this.contextCounts[m].set(c, (this.contextCounts[m].get(c) ?? 0) + 1);
        }
    }
    return this;
  }

  /** How often the m-gram `tokens` occurred (m ≤ n). */
  count(tokens: readonly number[]): number {
    if (tokens.length < 1 || tokens.length > this.n)
      throw new ValueError(`NGramModel.count: expected 1..${this.n} tokens, got ${tokens.length}`);
    return this.counts[tokens.length].get(this.encode(tokens, 0, tokens.length)) ?? 0;
  }

  /** P(w | context), smoothed; only the last n-1 tokens of the context matter. */
  prob(context: readonly number[], w: number): number {
    const ctx = context.slice(Math.max(0, context.length - (this.n - 1)));
    const m = ctx.length + 1;
    const c = this.counts[m].get(this.encode([...ctx, w], 0, m)) ?? 0;
    const cc = m === 1 ? this.total : (this.contextCounts[m].get(this.encode(ctx, 0, ctx.length)) ?? 0);
    const den = cc + this.k * this.vocabSize;
    if (den === 0) return 0;
    return (c + this.k) / den;
  }

  /** log P(sequence) by the chain rule, each token conditioned on at most n-1 predecessors. */
  logProb(seq: readonly number[]): number {
    let lp = 0;
    for (let t = 0; t < seq.length; t++) lp += Math.log(this.prob(seq.slice(Math.max(0, t - this.n + 1), t), seq[t]));
    return lp;
  }

  /**
   * exp(mean negative log-likelihood) of every token after the first of each sequence (the
   * first has no context; RNNs are scored the same way). Infinite when a token has probability 0.
   */
  perplexity(sequences: readonly (readonly number[])[]): number {
    let nll = 0;
    let count = 0;
    for (const s of sequences)
      for (let t = 1; t < s.length; t++) {
        nll -= Math.log(this.prob(s.slice(Math.max(0, t - this.n + 1), t), s[t]));
        count++;
      }
    if (count === 0) throw new ValueError('NGramModel.perplexity: no sequence has 2 or more tokens');
    return Math.exp(nll / count);
  }

  /** Distinct m-grams stored for each order m = 1..n (index 0 is order 1). */
  storedCounts(): number[] {
    return this.counts.slice(1).map((c) => c.size);
  }
}
