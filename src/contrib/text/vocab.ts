/**
 * MXNet's `mxnet.contrib.text.vocab`: the `Vocabulary` that indexes text tokens, with the unknown
 * token at index 0, then the reserved tokens, then the counted tokens by descending frequency.
 * The book's chapter 10 builds every vocabulary with it (`text.vocab.Vocabulary(counter, ...)`),
 * and a `TokenEmbedding` is one (it extends this class), as in MXNet.
 */
import { ValueError } from '../../core/errors.js';

/** MXNet's default unknown token, always at index 0 (`C.UNKNOWN_IDX`). */
export const UNKNOWN_TOKEN = '<unk>';
/** The index of the unknown token in every vocabulary. */
export const UNKNOWN_IDX = 0;

/** MXNet's keyword arguments of `Vocabulary(counter, most_freq_count, min_freq, unknown_token, reserved_tokens)`. */
export interface VocabularyOptions {
  /** Keep at most this many counted tokens (the most frequent); all by default. */
  mostFreqCount?: number | null;
  /** Keep only tokens counted at least this many times (default 1; must be positive). */
  minFreq?: number;
  /** The token every unknown token maps to, at index 0 (default `<unk>`). */
  unknownToken?: string;
  /** Tokens indexed right after the unknown token, in this order (e.g. `['<pad>']`). */
  reservedTokens?: readonly string[] | null;
}

const OPTION_KEYS = ['mostFreqCount', 'minFreq', 'unknownToken', 'reservedTokens'];

/**
 * MXNet's `contrib.text.vocab.Vocabulary`: index 0 is the unknown token, then the reserved tokens,
 * then the tokens of `counter` seen at least `minFreq` times, most frequent first, ties in the
 * order of the tokens' code units (MXNet sorts by token, then stably by frequency). Unknown tokens
 * map to index 0. The second argument may be the options, or (short form) the reserved tokens.
 *
 * @example
 * const counter = text.utils.countTokensFromStr(' hello world \n hello nice world \n hi world \n');
 * const v = new text.vocab.Vocabulary(counter, { minFreq: 1, reservedTokens: ['<pad>'] });
 * v.idxToToken;                  // ['<unk>', '<pad>', 'world', 'hello', 'hi', 'nice']
 * v.toIndices(['hello', 'xyz']); // [3, 0]
 * new Vocabulary(counter, ['<pad>']).length; // 6 (short form: the reserved tokens)
 */
export class Vocabulary {
  /** Index → token. */
  readonly idxToToken: string[];
  /** Token → index. */
  readonly tokenToIdx: Map<string, number>;
  /** The token at index 0. */
  readonly unknownToken: string;
  /** The reserved tokens (indices 1..), or null when there are none (as MXNet). */
  readonly reservedTokens: string[] | null;

  constructor(counter?: ReadonlyMap<string, number> | null, opts: VocabularyOptions | readonly string[] = {}) {
    const o: VocabularyOptions = Array.isArray(opts) ? { reservedTokens: opts as readonly string[] } : (opts as VocabularyOptions);
    if (typeof o !== 'object' || o === null)
      throw new ValueError(`Vocabulary: the options must be an object or an array of reserved tokens, got ${String(o)}`);
    for (const k of Object.keys(o))
      if (!OPTION_KEYS.includes(k)) throw new ValueError(`Vocabulary: unknown option '${k}' (expected one of ${OPTION_KEYS.join(', ')})`);
    const minFreq = o.minFreq ?? 1;
    if (!(typeof minFreq === 'number' && minFreq > 0))
      throw new ValueError(`Vocabulary: minFreq must be a positive number, got ${String(minFreq)}`);
    const mostFreqCount = o.mostFreqCount ?? null;
    if (mostFreqCount !== null && !(Number.isInteger(mostFreqCount) && mostFreqCount >= 0))
      throw new ValueError(`Vocabulary: mostFreqCount must be a non-negative integer or null, got ${String(mostFreqCount)}`);
    const unknownToken = o.unknownToken ?? UNKNOWN_TOKEN;
    if (typeof unknownToken !== 'string') throw new ValueError(`Vocabulary: unknownToken must be a string, got ${String(unknownToken)}`);
    const reserved = o.reservedTokens ?? null;
    if (reserved !== null && (new Set(reserved).size !== reserved.length || reserved.includes(unknownToken)))
      throw new ValueError(
        `Vocabulary: reserved tokens must be distinct and must not contain ${unknownToken}, got ${JSON.stringify(reserved)}`,
      );
    if (counter !== null && counter !== undefined && !(counter instanceof Map))
      throw new ValueError(`Vocabulary: counter must be a Map of token → count (text.utils.countTokensFromStr), got ${String(counter)}`);
    this.unknownToken = unknownToken;
    this.reservedTokens = reserved === null ? null : [...reserved];
    this.idxToToken = [unknownToken, ...(reserved ?? [])];
    this.tokenToIdx = new Map(this.idxToToken.map((t, i) => [t, i]));
    if (!counter) return;
    const byToken = [...counter.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    byToken.sort((a, b) => b[1] - a[1]);
    const cap = this.idxToToken.length + (mostFreqCount ?? counter.size);
    for (const [token, freq] of byToken) {
      if (freq < minFreq || this.idxToToken.length === cap) break;
      this.addToken(token);
    }
  }

  /**
   * Appends `token` at the next index unless it is indexed already (for subclasses that order
   * their tokens otherwise, such as d2l's `Vocab`).
   */
  protected addToken(token: string): void {
    if (this.tokenToIdx.has(token)) return;
    this.tokenToIdx.set(token, this.idxToToken.length);
    this.idxToToken.push(token);
  }

  /** The number of tokens, the unknown and reserved ones included (Python's `len(vocab)`). @example vocab.length */
  get length(): number {
    return this.idxToToken.length;
  }

  /** Whether `token` is indexed (Python's `token in vocab`). @example vocab.has('hello') // true */
  has(token: string): boolean {
    return this.tokenToIdx.has(token);
  }

  /**
   * Indices of tokens; unknown tokens map to 0.
   * @example vocab.toIndices('hello'); vocab.toIndices(['hello', 'world'])
   */
  toIndices(tokens: string): number;
  toIndices(tokens: readonly string[]): number[];
  toIndices(tokens: string | readonly string[]): number | number[] {
    if (typeof tokens === 'string') return this.tokenToIdx.get(tokens) ?? UNKNOWN_IDX;
    if (!Array.isArray(tokens))
      throw new ValueError(`${this.constructor.name}.toIndices: expected a token or an array of tokens, got ${String(tokens)}`);
    return tokens.map((t) => this.tokenToIdx.get(t) ?? UNKNOWN_IDX);
  }

  /**
   * Tokens of indices; an index that is not an integer in [0, length) is an error.
   * @example vocab.toTokens([2, 3]); // ['world', 'hello']
   */
  toTokens(indices: number): string;
  toTokens(indices: readonly number[]): string[];
  toTokens(indices: number | readonly number[]): string | string[] {
    const one = (i: number) => {
      const t = Number.isInteger(i) ? this.idxToToken[i] : undefined;
      if (t === undefined)
        throw new ValueError(`${this.constructor.name}.toTokens: index ${i} is out of range (vocabulary of ${this.length} tokens)`);
      return t;
    };
    return typeof indices === 'number' ? one(indices) : indices.map(one);
  }
}
