/**
 * How the book's notebooks displayed Python values, for chapter programs that print what the
 * book printed: a float32 scalar as numpy writes it (`0.0069049126`, `-7.212293e-10`), a shape as
 * a tuple (`(256, 20)`), and lists, tuples and dicts of NDArrays as IPython's pretty printer laid
 * them out (the NDArray repr starts on a new line, indented by one space inside the brackets).
 */
import { array2string } from '../src/ndarray/format.js';
import { ValueError, type NDArray } from '../src/index.js';

/**
 * A float32 value as numpy's `repr`/`str` writes it: the shortest digits that read back as the
 * same float32, positional for 1e-4 <= |x| < 1e16, else scientific with a two-digit exponent.
 *
 * @example
 * pyFloat32(0.0069049126); // '0.0069049126'
 * pyFloat32(11);           // '11.0'
 * pyFloat32(-7.2122931e-10); // '-7.212293e-10'
 */
export function pyFloat32(v: number): string {
  if (typeof v !== 'number') throw new ValueError(`pyFloat32: expected a number, got ${typeof v}`);
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const f = Math.fround(v);
  if (f === 0) return Object.is(f, -0) ? '-0.0' : '0.0';
  let digits = 9;
  for (let p = 1; p <= 9; p++)
    if (Math.fround(Number(f.toPrecision(p))) === f) {
      digits = p;
      break;
    }
  const [mant, expStr] = f.toExponential(digits - 1).split('e');
  const exp = Number(expStr);
  const a = Math.abs(f);
  if (a >= 1e-4 && a < 1e16) {
    const s = String(Number(f.toPrecision(digits)));
    return s.includes('.') || s.includes('e') ? s : `${s}.0`;
  }
  const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
  return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** A shape as a Python tuple. @example pyShape([256, 20]) // '(256, 20)'; pyShape([3]) // '(3,)' */
export function pyShape(shape: readonly number[]): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

/** A boolean as Python prints it. @example pyBool(true) // 'True' */
export function pyBool(b: boolean): string {
  return b ? 'True' : 'False';
}

/** An NDArray as `x.asnumpy()` prints (numpy's array2string, no footer). @example numpyStr(nd.array([[1, 2]])) // '[[1. 2.]]' */
export function numpyStr(x: NDArray): string {
  return array2string(x.dataSync(), x.shape, x.dtype);
}

/** IPython's layout of a repr inside a bracket: every line after the first indented by one space. */
function nest(repr: string): string {
  return repr.replace(/\n/g, '\n ');
}

/** The repr of a value inside a container: NDArrays as MXNet's repr, strings quoted, the rest as String(). */
function itemRepr(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  return String(v);
}

/**
 * A list as IPython displays it. @example pyList([nd.ones([3])]) // '[\n [1. 1. 1.]\n <NDArray 3 @cpu(0)>]'
 */
export function pyList(items: readonly unknown[]): string {
  return `[${items.map((v) => nest(itemRepr(v))).join(', ')}]`;
}

/**
 * A tuple as IPython displays it: items after ', ', or, when the items are one-line reprs that do
 * not fit in IPython's 79 columns, one per line.
 *
 * @example
 * pyTuple([x, y]); // '(\n [1. 1. 1.]\n <NDArray 3 @cpu(0)>, \n [0. ...'
 * pyTuple([p, p]); // '(Parameter dense0_weight (shape=(256, 20), dtype=float32),\n Parameter dense0_weight ...)'
 */
export function pyTuple(items: readonly unknown[]): string {
  const reprs = items.map(itemRepr);
  const tail = items.length === 1 ? ',' : '';
  const oneLine = `(${reprs.join(', ')}${tail})`;
  if (!reprs.some((r) => r.includes('\n')) && oneLine.length > 79) return `(${reprs.join(',\n ')}${tail})`;
  return `(${reprs.map(nest).join(', ')}${tail})`;
}

/**
 * A value that prints as the given text inside a container, unquoted (as Python prints a type).
 *
 * @example
 * pyTuple([params, pyName('gluon.ParameterDict')]); // '(dense0_ (\n ...\n ), gluon.ParameterDict)'
 */
export function pyName(text: string): { toString(): string } {
  return { toString: () => text };
}

/**
 * A dict as IPython displays it. @example pyDict({ x }) // "{'x': \n [1. 1. 1.]\n <NDArray 3 @cpu(0)>}"
 */
export function pyDict(entries: Readonly<Record<string, unknown>>): string {
  return `{${Object.entries(entries)
    .map(([k, v]) => `'${k}': ${nest(itemRepr(v))}`)
    .join(', ')}}`;
}
