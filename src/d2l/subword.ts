/**
 * The subword model of fastText (the book's 10.4, 子词嵌入): a word is its character n-grams with
 * the boundary symbols `<` and `>`, plus the whole word as a special subword, and its center
 * vector is the sum of their vectors. Also fastText's own hash of an n-gram (FNV-1a, 32 bits),
 * with which the library maps n-grams to a fixed number of buckets (Bojanowski et al. 2017, end
 * of section 3.2).
 */
import { ValueError } from '../core/errors.js';

/**
 * The subwords of `word` in the book's (and fastText's) sense: every character n-gram of
 * `<word>` with `minN <= n <= maxN` (fastText's defaults 3 and 6), in order of length then
 * position, then the special subword `<word>` itself (once, even when it is also an n-gram).
 * Characters are code points, so a Chinese word splits by characters.
 *
 * @example
 * subwordNgrams('where', 3, 3); // ['<wh', 'whe', 'her', 'ere', 're>', '<where>']
 * subwordNgrams('where').length; // 15: the 5 + 4 + 3 + 2 n-grams of lengths 3-6, then '<where>'
 */
export function subwordNgrams(word: string, minN = 3, maxN = 6): string[] {
  if (typeof word !== 'string' || word.length === 0)
    throw new ValueError(`subwordNgrams: word must be a non-empty string, got ${JSON.stringify(word)}`);
  if (!Number.isInteger(minN) || !Number.isInteger(maxN) || minN < 1 || maxN < minN)
    throw new ValueError(`subwordNgrams: need integers 1 <= minN <= maxN, got minN ${minN}, maxN ${maxN}`);
  const chars = Array.from(`<${word}>`);
  const whole = chars.join('');
  const out: string[] = [];
  const seen = new Set<string>();
  for (let n = minN; n <= maxN; n++)
    for (let i = 0; i + n <= chars.length; i++) {
      const g = chars.slice(i, i + n).join('');
      if (g === whole || seen.has(g)) continue;
      seen.add(g);
      out.push(g);
    }
  out.push(whole);
  return out;
}

/**
 * fastText's `Dictionary::hash`: 32-bit FNV-1a over the UTF-8 bytes (each byte sign-extended, as
 * fastText reads them as `int8_t`, which changes nothing for ASCII). An n-gram's bucket is
 * `hash % bucket` (2,000,000 by default).
 *
 * @example
 * fastTextHash('a');      // 3826002220 (0xe40c292c, the FNV-1a test vector)
 * fastTextHash('<wh') % 2000000;
 */
export function fastTextHash(s: string): number {
  if (typeof s !== 'string') throw new ValueError(`fastTextHash: expected a string, got ${typeof s}`);
  let h = 2166136261;
  for (const b of new TextEncoder().encode(s)) {
    h ^= (b << 24) >> 24; // int8 → int32, as fastText's uint32_t(int8_t(c))
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h >>> 0;
}
