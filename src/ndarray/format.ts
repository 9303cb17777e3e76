// Printing: numpy's array2string rules with MXNet's `<NDArray 3x4 @cpu(0)>` footer.
import type { DType } from '../core/dtype.js';
import { sizeOf } from '../core/shape.js';
import type { NDArray } from './ndarray.js';

/**
 * numpy's array2string (numpy >= 1.14 defaults: precision 8, floatmode 'maxprec', 75 columns,
 * summaries past 1000 elements with 3 edge items), then MXNet's footer. MXNet prints NDArrays
 * through numpy, so matching numpy is matching the book.
 */
const LINE_WIDTH = 75;
const THRESHOLD = 1000;
const EDGE = 3;
const PRECISION = 8;

export function formatNDArray(x: NDArray): string {
  const footer = `<NDArray ${x.shape.join('x')} @${x.context}>`;
  if (x.context.deviceType !== 'cpu') return `\n<values on ${x.context}: print them with await x.toStringAsync()>\n${footer}`;
  return `\n${array2string(x.dataSync(), x.shape, x.dtype)}\n${footer}`;
}

/** numpy-style text of a row-major buffer. */
export function array2string(data: ArrayLike<number>, shape: readonly number[], dtype: DType): string {
  const summarize = sizeOf(shape) > THRESHOLD;
  const shown = summarize ? leadingTrailing(data, shape) : Array.from(data);
  const fmt = makeFormatter(shown, dtype);
  if (shape.length === 0) return fmt(data[0]);
  // numpy prints every array without elements as '[]', whatever its shape.
  if (sizeOf(shape) === 0) return '[]';
  const strides = shape.map((_, i) => sizeOf(shape.slice(i + 1)));
  const recurse = (depth: number, offset: number, hanging: string, width: number): string => {
    if (depth === shape.length) return fmt(data[offset]);
    const nextHanging = hanging + ' ';
    const nextWidth = width - 1;
    const n = shape[depth];
    const showSummary = summarize && 2 * EDGE < n;
    const lead = showSummary ? EDGE : 0;
    const trail = showSummary ? EDGE : n;
    const at = (i: number) => offset + i * strides[depth];
    let s = '';
    if (depth === shape.length - 1) {
      const elemWidth = width - 1;
      let line = hanging;
      const extend = (word: string) => {
        let wrap = line.length + word.length > elemWidth;
        if (line.length <= hanging.length) wrap = false;
        if (wrap) {
          s += line.trimEnd() + '\n';
          line = hanging;
        }
        line += word;
      };
      for (let i = 0; i < lead; i++) {
        extend(recurse(depth + 1, at(i), nextHanging, nextWidth));
        line += ' ';
      }
      if (showSummary) {
        extend('...');
        line += ' ';
      }
      for (let i = trail; i > 1; i--) {
        extend(recurse(depth + 1, at(n - i), nextHanging, nextWidth));
        line += ' ';
      }
      if (n > 0) extend(recurse(depth + 1, at(n - 1), nextHanging, nextWidth));
      s += line;
    } else {
      const sep = '\n'.repeat(shape.length - depth - 1);
      for (let i = 0; i < lead; i++) s += hanging + recurse(depth + 1, at(i), nextHanging, nextWidth) + sep;
      if (showSummary) s += hanging + '...' + sep;
      for (let i = trail; i > 1; i--) s += hanging + recurse(depth + 1, at(n - i), nextHanging, nextWidth) + sep;
      if (n > 0) s += hanging + recurse(depth + 1, at(n - 1), nextHanging, nextWidth);
    }
    return '[' + s.slice(hanging.length) + ']';
  };
  return recurse(0, 0, ' ', LINE_WIDTH);
}

/** The elements a summarised print shows (numpy's _leading_trailing), flattened. */
function leadingTrailing(data: ArrayLike<number>, shape: readonly number[]): number[] {
  const out: number[] = [];
  const strides = shape.map((_, i) => sizeOf(shape.slice(i + 1)));
  const walk = (d: number, off: number) => {
    if (d === shape.length) {
      out.push(data[off]);
      return;
    }
    const n = shape[d];
    const idx = 2 * EDGE < n ? [...Array(EDGE).keys(), ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)] : [...Array(n).keys()];
    for (const i of idx) walk(d + 1, off + i * strides[d]);
  };
  walk(0, 0);
  return out;
}

function makeFormatter(vals: number[], dtype: DType): (v: number) => string {
  if (dtype === 'bool') return (v) => (v ? ' True' : 'False');
  if (dtype === 'int32' || dtype === 'uint8') {
    const w = Math.max(1, ...vals.map((v) => String(v).length));
    return (v) => String(v).padStart(w);
  }
  return floatFormatter(vals, dtype === 'float32');
}

/** The shortest decimal digits that read back as v (in float32 when `f32`). */
function shortest(v: number, f32: boolean): { digits: string; exp: number } {
  let s = '';
  for (let p = 1; p <= 17; p++) {
    s = v.toExponential(p - 1);
    const back = Number(s);
    if (f32 ? Math.fround(back) === v : back === v) break;
  }
  const [mant, e] = s.replace(/^-/, '').split('e');
  return { digits: mant.replace('.', ''), exp: Number(e) };
}

/** Positional text with at most PRECISION fractional digits, trailing zeros trimmed, '.' kept. */
function positional(v: number, f32: boolean): string {
  const neg = v < 0 || Object.is(v, -0);
  const a = Math.abs(v);
  const { digits, exp } = shortest(a, f32);
  const fracDigits = digits.length - 1 - exp;
  let body: string;
  if (fracDigits > PRECISION) body = trimZeros(a.toFixed(PRECISION));
  else if (exp >= 0) {
    const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    body = intPart + '.' + digits.slice(exp + 1);
  } else body = '0.' + '0'.repeat(-exp - 1) + digits;
  return (neg ? '-' : '') + body;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '') : s + '.';
}

/** Scientific text with the shortest unique mantissa (capped at PRECISION digits). */
function scientific(v: number, f32: boolean): { mant: string; exp: number } {
  const neg = v < 0 || Object.is(v, -0);
  const a = Math.abs(v);
  let { digits, exp } = shortest(a, f32);
  if (a === 0) {
    digits = '0';
    exp = 0;
  }
  if (digits.length - 1 > PRECISION) {
    const r = a.toExponential(PRECISION);
    const [m, e] = r.split('e');
    digits = m.replace('.', '').replace(/0+$/, '') || '0';
    exp = Number(e);
  }
  return { mant: (neg ? '-' : '') + digits[0] + '.' + digits.slice(1), exp };
}

function floatFormatter(vals: number[], f32: boolean): (v: number) => string {
  const finite = vals.filter((v) => Number.isFinite(v));
  const absNonZero = finite.filter((v) => v !== 0).map(Math.abs);
  let expFormat = false;
  if (absNonZero.length) {
    const mx = Math.max(...absNonZero);
    const mn = Math.min(...absNonZero);
    expFormat = mx >= 1e8 || mn < 0.0001 || mx / mn > 1000;
  }
  let padLeft = 0;
  let padRight = 0;
  let fmtFinite: (v: number) => string;
  if (finite.length === 0) {
    fmtFinite = (v) => positional(v, f32);
  } else if (expFormat) {
    const parts = finite.map((v) => scientific(v, f32));
    const precision = Math.max(...parts.map((p) => p.mant.split('.')[1].length));
    const expDigits = Math.max(2, ...parts.map((p) => String(Math.abs(p.exp)).length));
    padLeft = Math.max(...parts.map((p) => p.mant.split('.')[0].length));
    padRight = expDigits + 2 + precision;
    fmtFinite = (v) => {
      let { mant, exp } = scientific(v, f32);
      // numpy's min_digits: a value needing fewer digits than the widest one is printed with the
      // further digits of its exact value (0.6666667f -> 6.6666669e-01), not padded with zeros.
      if (mant.split('.')[1].length < precision) {
        const [m, e] = Math.abs(v).toExponential(precision).split('e');
        mant = (v < 0 || Object.is(v, -0) ? '-' : '') + m;
        exp = Number(e);
      }
      const [i, f] = mant.split('.');
      const e = (exp < 0 ? '-' : '+') + String(Math.abs(exp)).padStart(expDigits, '0');
      return i.padStart(padLeft) + '.' + f.padEnd(precision, '0') + 'e' + e;
    };
  } else {
    const strs = finite.map((v) => positional(v, f32));
    padLeft = Math.max(...strs.map((s) => s.split('.')[0].length));
    padRight = Math.max(...strs.map((s) => s.split('.')[1].length));
    fmtFinite = (v) => {
      const [i, f] = positional(v, f32).split('.');
      return i.padStart(padLeft) + '.' + f.padEnd(padRight);
    };
  }
  if (finite.length !== vals.length) {
    const negInf = vals.some((v) => v === -Infinity);
    const off = padRight + 1;
    padLeft = Math.max(padLeft, 3 - off, 3 + (negInf ? 1 : 0) - off);
  }
  return (v) => {
    if (Number.isFinite(v)) return fmtFinite(v);
    const r = Number.isNaN(v) ? 'nan' : v < 0 ? '-inf' : 'inf';
    return r.padStart(padLeft + padRight + 1);
  };
}
