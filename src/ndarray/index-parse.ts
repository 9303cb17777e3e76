// Parsing numpy-style index strings and lists ('1:3, ::2', [1, null]) into per-dim selections.
import { IndexError } from '../core/errors.js';
import { shapeStr } from '../core/shape.js';
import type { DimSel } from '../ops/movement.js';

/**
 * A basic index: a number (one position), a slice string ('1:3', '::-1', ':'), '...', null (a new
 * axis), a comma-separated string of those ('1:2, :'), or a list of them ([1, '2:']).
 */
export type IndexItem = number | string | null;
export type Index = IndexItem | readonly IndexItem[];

type Parsed =
  { kind: 'int'; v: number } | { kind: 'slice'; a?: number; b?: number; c?: number } | { kind: 'ellipsis' } | { kind: 'newaxis' };

/**
 * A plain decimal integer, optionally negative: '1', '-1', '10'. JS's Number() also reads '0x1',
 * '0b1', '1e1', '+1' and '1.0', none of which numpy accepts as an index.
 */
const INT = /^-?\d+$/;

function parseItem(item: IndexItem, full: string): Parsed[] {
  if (item === null) return [{ kind: 'newaxis' }];
  if (typeof item === 'number') {
    if (!Number.isInteger(item)) throw new IndexError(`index: ${item} is not an integer (in index ${full})`);
    return [{ kind: 'int', v: item }];
  }
  if (typeof item !== 'string') throw new IndexError(`index: unsupported index item ${String(item)} (in index ${full})`);
  return item.split(',').map((raw) => {
    const t = raw.trim();
    if (t === '...') return { kind: 'ellipsis' } as Parsed;
    if (t === 'None' || t === 'newaxis') return { kind: 'newaxis' } as Parsed;
    if (!t.includes(':')) {
      const v = INT.test(t) ? Number(t) : NaN;
      if (!Number.isInteger(v))
        throw new IndexError(
          `index: cannot parse '${t}' in index ${full}; expected an integer, a slice like '1:3' or '::2', '...' or 'None'`,
        );
      return { kind: 'int', v } as Parsed;
    }
    const parts = t.split(':');
    if (parts.length > 3) throw new IndexError(`index: cannot parse slice '${t}' in index ${full}`);
    const num = (s: string | undefined): number | undefined => {
      if (s === undefined || s.trim() === '') return undefined;
      const b = s.trim();
      const v = INT.test(b) ? Number(b) : NaN;
      if (!Number.isInteger(v))
        throw new IndexError(
          `index: slice bound '${b}' in '${t}' is not an integer (plain decimal digits, e.g. 2 or -1; in index ${full})`,
        );
      return v;
    };
    return { kind: 'slice', a: num(parts[0]), b: num(parts[1]), c: num(parts[2]) } as Parsed;
  });
}

/** Resolves an index against a shape into one selection per axis (numpy's rules for basic indexing). */
export function parseIndex(index: Index, shape: readonly number[]): DimSel[] {
  const full = JSON.stringify(index);
  const items: Parsed[] = Array.isArray(index) ? index.flatMap((i) => parseItem(i, full)) : parseItem(index as IndexItem, full);
  const ell = items.filter((p) => p.kind === 'ellipsis').length;
  if (ell > 1) throw new IndexError(`index: at most one '...' is allowed (in index ${full})`);
  const used = items.filter((p) => p.kind === 'int' || p.kind === 'slice').length;
  if (used > shape.length)
    throw new IndexError(`index: too many indices (${used}) for an array of shape ${shapeStr(shape)} (in index ${full})`);
  const expanded: Parsed[] = [];
  for (const p of items) {
    if (p.kind === 'ellipsis') for (let i = 0; i < shape.length - used; i++) expanded.push({ kind: 'slice' });
    else expanded.push(p);
  }
  if (ell === 0) for (let i = used; i < shape.length; i++) expanded.push({ kind: 'slice' });
  const sel: DimSel[] = [];
  let d = 0;
  for (const p of expanded) {
    if (p.kind === 'newaxis') {
      sel.push('newaxis');
      continue;
    }
    const n = shape[d];
    if (p.kind === 'int') {
      const i = p.v < 0 ? p.v + n : p.v;
      if (i < 0 || i >= n)
        throw new IndexError(`index: ${p.v} is out of range for axis ${d} of size ${n} (array shape ${shapeStr(shape)})`);
      sel.push({ index: i });
    } else if (p.kind === 'slice') {
      const step = p.c ?? 1;
      if (step === 0) throw new IndexError(`index: slice step cannot be zero (in index ${full})`);
      const clamp = (v: number | undefined, dflt: number, lo: number, hi: number) => {
        if (v === undefined) return dflt;
        const x = v < 0 ? v + n : v;
        return Math.min(Math.max(x, lo), hi);
      };
      let start: number;
      let stop: number;
      if (step > 0) {
        start = clamp(p.a, 0, 0, n);
        stop = clamp(p.b, n, 0, n);
      } else {
        start = clamp(p.a, n - 1, -1, n - 1);
        stop = clamp(p.b, -1, -1, n - 1);
        if (p.b !== undefined && p.b < -n) stop = -1;
      }
      const size = step > 0 ? Math.max(0, Math.ceil((stop - start) / step)) : Math.max(0, Math.ceil((start - stop) / -step));
      sel.push({ start: size === 0 ? 0 : start, step, size });
    }
    d++;
  }
  return sel;
}
