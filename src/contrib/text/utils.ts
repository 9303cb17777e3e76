/**
 * MXNet's `mxnet.contrib.text.utils`: counting the tokens of a string.
 */
import { ValueError } from '../../core/errors.js';

/** Options of `countTokensFromStr` (MXNet's keyword arguments in camelCase). */
export interface CountTokensOptions {
  /** What separates tokens (default ' '). */
  tokenDelim?: string;
  /** What separates sequences (default '\n'). */
  seqDelim?: string;
  /** Lower-case the tokens first (default false). */
  toLower?: boolean;
  /** Add the counts to this counter and return it (default: a new one). */
  counterToUpdate?: Map<string, number> | null;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * MXNet's `count_tokens_from_str`: splits `sourceStr` on `tokenDelim` and `seqDelim`, drops empty
 * tokens and counts the rest, in first-occurrence order (as Python's Counter). The delimiters are
 * taken literally (MXNet passes them to `re.split` unescaped).
 *
 * @example
 * countTokensFromStr(' hello world \n hello nice world \n hi world \n');
 * // Map { 'hello' → 2, 'world' → 3, 'nice' → 1, 'hi' → 1 }
 */
export function countTokensFromStr(sourceStr: string, opts: CountTokensOptions = {}): Map<string, number> {
  if (typeof sourceStr !== 'string') throw new ValueError(`countTokensFromStr: sourceStr must be a string, got ${typeof sourceStr}`);
  const tokenDelim = opts.tokenDelim ?? ' ';
  const seqDelim = opts.seqDelim ?? '\n';
  if (!tokenDelim || !seqDelim)
    throw new ValueError(
      `countTokensFromStr: tokenDelim and seqDelim must be non-empty, got ${JSON.stringify(tokenDelim)} and ${JSON.stringify(seqDelim)}`,
    );
  const counter = opts.counterToUpdate ?? new Map<string, number>();
  for (const piece of sourceStr.split(new RegExp(`${escape(tokenDelim)}|${escape(seqDelim)}`))) {
    if (!piece) continue;
    const t = opts.toLower ? piece.toLowerCase() : piece;
    counter.set(t, (counter.get(t) ?? 0) + 1);
  }
  return counter;
}
