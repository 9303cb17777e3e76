/**
 * `nd.save` / `nd.load`: MXNet's way of writing arrays to a file (book §4.5), with safetensors as
 * the file format (the one `net.saveParameters` writes, readable by PyTorch / Hugging Face tools).
 *
 * What is saved, and how it maps to safetensors tensor names:
 *
 * | saved                         | tensor names           | `__metadata__`                        | `nd.load` returns      |
 * |-------------------------------|------------------------|---------------------------------------|------------------------|
 * | one array `x`                 | `"0"`                  | `format: d2l-ts, container: list`     | `[x]` (MXNet does too) |
 * | a list `[x, y, ...]`          | `"0"`, `"1"`, ... (the index in decimal) | `format: d2l-ts, container: list` | `[x, y, ...]`  |
 * | a dict `{ x, y }` (or a Map)  | the keys, as given     | `format: d2l-ts, container: dict`     | `{ x, y }`             |
 *
 * A file without `container: list` (a dict saved here, `net.saveParameters`, or any other
 * safetensors file) loads as a dict (an object keyed by tensor name). MXNet's own binary files
 * (`.nd`, `.params`) are recognised and refused with an error that says how to convert them.
 * Writes are atomic (a temporary file, fsync, rename), so a reader never sees half a file.
 */
import { readFileSync } from '#platform'; // Node-only: see src/platform/
import { ValueError } from '../core/errors.js';
import { type Context, currentContext } from './context.js';
import { NDArray } from './ndarray.js';
import { decodeSafetensors, encodeSafetensors, recordToArray, writeFileAtomic, type TensorRecord } from './safetensors.js';

/** What `nd.save` accepts: one array, a list of arrays, or a dict (object or Map) of arrays. */
export type SaveData = NDArray | readonly NDArray[] | Readonly<Record<string, NDArray>> | ReadonlyMap<string, NDArray>;

/** What `nd.load` returns: a list for a saved array or list, an object for a saved dict. */
export type LoadedData = NDArray[] | Record<string, NDArray>;

/** Options of `nd.load`. */
export interface LoadOptions {
  /** Where the arrays are created (default: the current context, cpu()). */
  ctx?: Context;
}

const FORMAT = 'd2l-ts';

/** The named arrays and the container kind of `data`, or a ValueError naming the bad entry. */
function entriesOf(op: string, fname: string, data: SaveData): { entries: [string, NDArray][]; container: 'list' | 'dict' } {
  const where = `${op}('${fname}', ...)`;
  const check = (name: string, v: unknown): NDArray => {
    if (!(v instanceof NDArray))
      throw new ValueError(
        `${where}: ${name} is ${v === null ? 'null' : typeof v === 'object' ? ((v as object).constructor?.name ?? 'an object') : typeof v}, ` +
          'expected an NDArray (nd.save takes an NDArray, a list of NDArrays, or a dict of NDArrays)',
      );
    v.checkAlive(op);
    return v;
  };
  if (data instanceof NDArray) return { entries: [['0', check('the array', data)]], container: 'list' };
  if (Array.isArray(data)) return { entries: data.map((v, i) => [String(i), check(`element ${i}`, v)]), container: 'list' };
  if (data instanceof Map) {
    const entries: [string, NDArray][] = [];
    for (const [k, v] of data) {
      if (typeof k !== 'string') throw new ValueError(`${where}: the Map key ${String(k)} is a ${typeof k}, expected a string`);
      entries.push([k, check(`the value of key '${k}'`, v)]);
    }
    return { entries, container: 'dict' };
  }
  if (data !== null && typeof data === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(data)))
    return {
      entries: Object.entries(data as Record<string, unknown>).map(([k, v]) => [k, check(`the value of key '${k}'`, v)]),
      container: 'dict',
    };
  throw new ValueError(
    `${where}: cannot save ${data === null ? 'null' : typeof data === 'object' ? ((data as object).constructor?.name ?? 'this object') : typeof data}; ` +
      'expected an NDArray, a list of NDArrays, or a dict (plain object or Map) of NDArrays',
  );
}

function checkName(op: string, fname: unknown): asserts fname is string {
  if (typeof fname !== 'string' || fname === '')
    throw new ValueError(`${op}: the file name must be a non-empty string, got ${String(fname)}`);
}

function encode(entries: Iterable<[string, NDArray | TensorRecord]>, container: 'list' | 'dict'): Uint8Array {
  return encodeSafetensors(entries, { format: FORMAT, container });
}

/**
 * Saves an array, a list of arrays or a dict of arrays to `fname` (a safetensors file; see the
 * module comment for the key mapping), atomically and synchronously. Arrays on a GPU are read
 * asynchronously: save them with `await nd.saveAsync(fname, data)`.
 *
 * @example
 * const x = nd.ones([3]);
 * nd.save('x', x);
 * nd.save('xy', [x, nd.zeros([4])]);
 * nd.save('mydict', { x, y: nd.zeros([4]) });
 */
export function save(fname: string, data: SaveData): void {
  checkName('nd.save', fname);
  const { entries, container } = entriesOf('nd.save', fname, data);
  const onGpu = entries.find(([, a]) => a.context.deviceType !== 'cpu');
  if (onGpu)
    throw new ValueError(
      `nd.save('${fname}', ...): the array '${onGpu[0]}' lives on ${onGpu[1].context}, which is read only asynchronously: ` +
        'use `await nd.saveAsync(fname, data)` (the same file)',
    );
  writeFileAtomic(fname, encode(entries, container));
}

/**
 * `nd.save` for arrays on any device (a GPU array's values are read asynchronously): the same
 * file, written atomically once every value is read.
 *
 * @example
 * await nd.saveAsync('x', nd.ones([3], { ctx: nd.gpu() }));
 */
export async function saveAsync(fname: string, data: SaveData): Promise<void> {
  checkName('nd.saveAsync', fname);
  const { entries, container } = entriesOf('nd.saveAsync', fname, data);
  const records: [string, TensorRecord][] = [];
  for (const [k, a] of entries) records.push([k, { dtype: a.dtype, shape: [...a.shape], data: await a.data() }]);
  writeFileAtomic(fname, encode(records, container));
}

/**
 * Loads what `nd.save` wrote: a list for a saved array or list (`const [x2] = nd.load('x')`), an
 * object keyed by name for a saved dict or any other safetensors file. MXNet's binary `.nd` /
 * `.params` files are refused with an error explaining how to convert them.
 *
 * @example
 * const [x2, y2] = nd.load('xy') as NDArray[];
 * const mydict2 = nd.load('mydict') as Record<string, NDArray>;
 * mydict2.x.toString();
 */
export function load(fname: string, opts: LoadOptions = {}): LoadedData {
  checkName('nd.load', fname);
  if (opts === null || typeof opts !== 'object')
    throw new ValueError(`nd.load('${fname}'): options must be an object, got ${String(opts)}`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(fname);
  } catch (e) {
    throw new ValueError(`nd.load('${fname}'): cannot read the file: ${(e as Error).message}`);
  }
  const { tensors, metadata } = decodeSafetensors(bytes, `nd.load('${fname}')`);
  const ctx = opts.ctx ?? currentContext();
  if (metadata.container === 'list') {
    const n = tensors.size;
    const out: NDArray[] = [];
    for (let i = 0; i < n; i++) {
      const r = tensors.get(String(i));
      if (!r)
        throw new ValueError(
          `nd.load('${fname}'): the file says it holds a list of ${n} arrays, named "0" to "${n - 1}", but "${i}" is missing ` +
            `(names: ${[...tensors.keys()].join(', ')})`,
        );
      out.push(recordToArray(r, ctx));
    }
    return out;
  }
  const out: Record<string, NDArray> = {};
  // defineProperty, so a tensor named '__proto__' in a foreign file is a key, not the prototype.
  for (const [k, r] of tensors)
    Object.defineProperty(out, k, { value: recordToArray(r, ctx), enumerable: true, writable: true, configurable: true });
  return out;
}
