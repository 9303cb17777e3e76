// Run-time checks of options objects: most users write plain JavaScript, so a misspelt key
// (`{ axes: 1 }`) or a number where the options belong (`x.sum(1)`) must fail loudly, not be
// ignored. One helper for every public function; it allocates nothing on the good path.
import { ValueError } from './errors.js';

/** What a value is, for an error message: `the number 1`, `the string 'int32'`, `an NDArray`. */
export function describe(v: unknown): string {
  if (typeof v === 'string') return `the string '${v}'`;
  if (typeof v === 'number' || typeof v === 'boolean') return `the ${typeof v} ${v}`;
  if (Array.isArray(v)) {
    // Numbers and strings are shown; a list holding arrays or other objects only by its length
    // (an NDArray does not serialise, and its values would not help).
    const plain = (x: unknown): boolean =>
      x === null || ['number', 'string', 'boolean'].includes(typeof x) || (Array.isArray(x) && x.every(plain));
    return plain(v) ? `the list ${JSON.stringify(v)}` : `a list of ${v.length}`;
  }
  if (v && typeof v === 'object' && (v as { __isNDArray?: unknown }).__isNDArray) return 'an NDArray';
  if (typeof v === 'function') return 'a function';
  return String(v);
}

/** The valid key a misspelt `k` most likely meant (a shared prefix of 3 letters, or one of MXNet's axis/dim pair). */
function suggest(k: string, valid: readonly string[]): string | undefined {
  const lower = k.toLowerCase();
  if (lower === 'axis' || lower === 'axes') if (valid.includes('dim')) return 'dim';
  if (lower === 'dim' || lower === 'dims') if (valid.includes('axis')) return 'axis';
  return valid.find((v) => v.toLowerCase() === lower || (lower.length >= 3 && v.toLowerCase().startsWith(lower.slice(0, 3))));
}

/**
 * Throws a ValueError unless `opts` is undefined, null or a plain options object whose keys are
 * all in `validKeys`; the message names the op, the bad key and lists the valid ones. Iterates
 * the keys with `for...in` (no array is made), so hot ops can afford it on every call.
 *
 * @example
 * checkOptions('sum', { axes: 1 }, ['axis', 'keepdims']); // ValueError: sum: unknown option 'axes' ...
 */
export function checkOptions(op: string, opts: unknown, validKeys: readonly string[]): void {
  if (opts === undefined || opts === null) return;
  if (typeof opts !== 'object' || Array.isArray(opts) || (opts as { __isNDArray?: unknown }).__isNDArray)
    throw new ValueError(
      `${op}: expected an options object { ${validKeys.join(', ')} } here, got ${describe(opts)}` +
        (validKeys.length ? ` (write e.g. { ${validKeys[0]}: ... })` : ''),
    );
  for (const k in opts)
    if (!validKeys.includes(k)) {
      const s = suggest(k, validKeys);
      throw new ValueError(
        `${op}: unknown option '${k}'${s ? ` (did you mean '${s}'?)` : ''}; valid options are ${validKeys.join(', ') || 'none'}`,
      );
    }
}

const NONE = Object.freeze({});

/**
 * `opts` checked as by checkOptions, except that a number (or, with `allowList`, a list of
 * numbers) stands for the option `key`, as where MXNet takes that argument positionally:
 * `x.sum(1)` is `x.sum({ axis: 1 })`. Returns a shared empty object for undefined/null (no allocation).
 *
 * @example
 * const o = positional('argmax', 1, 'axis', ['axis', 'keepdims']); // { axis: 1 }
 */
export function positional<T extends object>(op: string, opts: unknown, key: string, validKeys: readonly string[], allowList = false): T {
  if (opts === undefined || opts === null) return NONE as T;
  if (typeof opts === 'number' || (allowList && Array.isArray(opts) && opts.every((a) => typeof a === 'number')))
    return { [key]: opts } as T;
  checkOptions(op, opts, validKeys);
  return opts as T;
}
