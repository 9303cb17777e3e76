/**
 * The safetensors file format (readable by PyTorch / Hugging Face tooling): an 8-byte
 * little-endian header length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin,
 * end]}, "__metadata__": {...}}` padded with spaces to a multiple of 8, then the raw little-endian
 * tensor bytes (offsets count from the end of the header). Writes are atomic: a temporary file in
 * the same directory, fsync, then rename.
 *
 * Reading also accepts what PyTorch writes beyond our own dtypes: F16 and BF16 tensors are
 * converted to float32, I64 tensors (BatchNorm's `num_batches_tracked`) to int32 when every value
 * fits (otherwise an error names the tensor). The tensors' offsets must cover the data region
 * exactly (no holes, no overlaps, no trailing bytes), as the format requires.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from '#platform'; // Node-only: see src/platform/
import { dirname, resolvePath } from '#platform'; // Node-only: see src/platform/
import { bytesPerElement, typedArrayCtor, type DType, type TypedArray } from '../core/dtype.js';
import { DTypeError, ValueError } from '../core/errors.js';
import { shapeStr, sizeOf } from '../core/shape.js';
import { NDArray } from './ndarray.js';
import type { Context } from './context.js';
import { currentContext } from './context.js';

/** A tensor as stored in a file: dtype, shape and row-major little-endian values. */
export interface TensorRecord {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

/** The contents of a safetensors file. */
export interface SafetensorsContents {
  tensors: Map<string, TensorRecord>;
  metadata: Record<string, string>;
}

const TO_ST: Record<DType, string> = { float64: 'F64', float32: 'F32', int32: 'I32', uint8: 'U8', bool: 'BOOL' };
const FROM_ST: Record<string, DType> = { F64: 'float64', F32: 'float32', I32: 'int32', U8: 'uint8', BOOL: 'bool' };
/** File dtypes read by conversion: the bytes per element in the file and the dtype they become. */
const CONVERTED: Record<string, { bytes: number; dtype: DType }> = {
  F16: { bytes: 2, dtype: 'float32' },
  BF16: { bytes: 2, dtype: 'float32' },
  I64: { bytes: 8, dtype: 'int32' },
};
const READABLE = [...Object.keys(FROM_ST), ...Object.keys(CONVERTED)];
/** The safetensors dtype code of a dtype, e.g. 'F32' for float32. @example safetensorsDType('float32') // 'F32' */
export function safetensorsDType(d: DType): string {
  return TO_ST[d];
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const MAX_HEADER = 100_000_000;

/** The value of the IEEE half-precision number with bits `h`. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * Converts the little-endian bytes of an F16, BF16 or I64 tensor to float32 / int32; an I64 value
 * outside the int32 range is an error naming the tensor (`what`).
 */
function convertBytes(code: string, src: Uint8Array, n: number, what: string): TypedArray {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  if (code === 'I64') {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = dv.getBigInt64(8 * i, true);
      if (v < -2147483648n || v > 2147483647n)
        throw new DTypeError(
          `safetensors: ${what} is I64 and is read as int32, but its value ${v} at flat index ${i} does not fit in int32 ` +
            `([-2147483648, 2147483647])`,
        );
      out[i] = Number(v);
    }
    return out;
  }
  const out = new Float32Array(n);
  if (code === 'F16') for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
  else {
    // BF16 is the upper half of a float32.
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) u[i] = dv.getUint16(2 * i, true) << 16;
  }
  return out;
}

/** The bytes of `a` in little-endian order. */
function leBytes(a: TypedArray): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (LITTLE_ENDIAN || a.BYTES_PER_ELEMENT === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  const k = a.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += k) for (let j = 0; j < k; j++) out[i + j] = bytes[i + k - 1 - j];
  return out;
}

function toRecord(v: NDArray | TensorRecord): TensorRecord {
  if (v instanceof NDArray) return { dtype: v.dtype, shape: [...v.shape], data: v.dataSync() };
  return v;
}

/**
 * Serialises named tensors (NDArrays or records) into safetensors bytes, in the given order.
 *
 * @example
 * const bytes = encodeSafetensors([['0.weight', net.get(0).weight.data()]]);
 */
export function encodeSafetensors(tensors: Iterable<[string, NDArray | TensorRecord]>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, v] of tensors) {
    if (name === '__metadata__') throw new ValueError(`safetensors: '__metadata__' is reserved and cannot name a tensor`);
    if (name in header) throw new ValueError(`safetensors: the tensor name '${name}' appears twice`);
    const r = toRecord(v);
    if (r.data.length !== sizeOf(r.shape))
      throw new ValueError(`safetensors: '${name}' has ${r.data.length} values but shape ${shapeStr(r.shape)}`);
    const b = leBytes(r.data);
    header[name] = { dtype: TO_ST[r.dtype], shape: r.shape, data_offsets: [offset, offset + b.length] };
    chunks.push(b);
    offset += b.length;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let hb = enc.encode(json);
  const pad = (8 - (hb.length % 8)) % 8;
  if (pad) {
    json += ' '.repeat(pad);
    hb = enc.encode(json);
  }
  const out = new Uint8Array(8 + hb.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let pos = 8 + hb.length;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/** The first 8 bytes of MXNet's binary NDArray list files (`kMXAPINDArrayListMagic`, 0x112). */
export const MXNET_NDARRAY_LIST_MAGIC = 0x112;

/**
 * Whether `bytes` start like a file of MXNet's binary NDArray format: what MXNet 1.x's
 * `nd.save`, `net.save_parameters` and `net.save_params` write (`.nd`, `.params`): a
 * little-endian uint64 magic 0x112 and a reserved uint64 0. A safetensors file cannot start so:
 * its 9th byte opens the JSON header with '{'.
 *
 * @example
 * isMxnetNdarrayFile(readFileSync('mlp.params')); // true for a file MXNet saved
 */
export function isMxnetNdarrayFile(bytes: Uint8Array): boolean {
  if (bytes.length < 16) return false;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return dv.getBigUint64(0, true) === BigInt(MXNET_NDARRAY_LIST_MAGIC) && dv.getBigUint64(8, true) === 0n;
}

/** The error for an MXNet binary file: what it is, and how to convert it with MXNet itself. */
function mxnetFileMessage(source: string): string {
  return (
    `${source} is in MXNet's binary NDArray format (magic 0x112, as written by MXNet's nd.save / save_parameters), ` +
    'which d2l-ts does not read: d2l-ts reads and writes safetensors. Convert it once where MXNet is installed, e.g. ' +
    "python -c \"import mxnet as mx; from safetensors.numpy import save_file; d = mx.nd.load('net.params'); " +
    'l = isinstance(d, list); save_file({(str(i) if l else i): v.asnumpy() for i, v in (enumerate(d) if l else d.items())}, ' +
    "'net.safetensors', metadata={'format': 'd2l-ts', 'container': 'list' if l else 'dict'})\" " +
    '(a save_parameters file keeps its structured names, such as hidden.weight, which net.loadParameters reads; ' +
    'an old save_params file has full names, such as dense0_weight: load that dict with nd.load and setData each parameter)'
  );
}

/**
 * Parses safetensors bytes, validating the header (length, JSON, dtypes, shapes, offsets) and
 * naming `source` in every error.
 *
 * @example
 * const { tensors } = decodeSafetensors(readFileSync('mlp.params'));
 * tensors.get('0.weight')!.shape; // [256, 784]
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'buffer'): SafetensorsContents {
  const bad = (why: string) => new ValueError(`safetensors: ${source} is not a valid safetensors file: ${why}`);
  if (bytes.length < 8) throw bad(`it has ${bytes.length} bytes, fewer than the 8-byte header length`);
  if (isMxnetNdarrayFile(bytes)) throw new ValueError(mxnetFileMessage(source));
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8) || n > BigInt(MAX_HEADER))
    throw bad(`the header claims ${n} bytes but the file has ${bytes.length - 8} bytes after the length (truncated or not safetensors)`);
  const hlen = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + hlen)));
  } catch (e) {
    throw bad(`the header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw bad('the header is not a JSON object');
  const dataStart = 8 + hlen;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, TensorRecord>();
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw) || Object.values(raw).some((v) => typeof v !== 'string'))
        throw bad('__metadata__ must be an object of strings');
      metadata = raw as Record<string, string>;
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!e || typeof e !== 'object') throw bad(`the entry '${name}' is not an object`);
    const code = typeof e.dtype === 'string' ? e.dtype : '';
    const conv = Object.hasOwn(CONVERTED, code) ? CONVERTED[code] : undefined;
    const dtype = Object.hasOwn(FROM_ST, code) ? FROM_ST[code] : conv?.dtype;
    if (!dtype)
      throw new DTypeError(
        `safetensors: ${source}: '${name}' has dtype ${JSON.stringify(e.dtype)}, which d2l-ts cannot read; ` +
          `supported: ${READABLE.join(', ')} (F16/BF16 become float32, I64 becomes int32)`,
      );
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isInteger(d) || d < 0))
      throw bad(`'${name}' has an invalid shape ${JSON.stringify(e.shape)}`);
    const shape = e.shape as number[];
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[0] > off[1])
      throw bad(`'${name}' has invalid data_offsets ${JSON.stringify(off)}`);
    const [b, end] = off as [number, number];
    if (end > dataLen) throw bad(`'${name}' ends at byte ${end} of the data but the data has ${dataLen} bytes (truncated file?)`);
    const want = sizeOf(shape) * (conv ? conv.bytes : bytesPerElement(dtype));
    if (end - b !== want)
      throw bad(`'${name}' of dtype ${e.dtype} and shape ${shapeStr(shape)} needs ${want} bytes, but data_offsets span ${end - b}`);
    spans.push([b, end, name]);
    if (conv) {
      tensors.set(name, {
        dtype,
        shape,
        data: convertBytes(code, bytes.subarray(dataStart + b, dataStart + end), sizeOf(shape), `${source}: '${name}'`),
      });
      continue;
    }
    const Ctor = typedArrayCtor(dtype);
    // A real copy (Buffer.slice would be a view into a shared pool), aligned for the typed array.
    const copy = new Uint8Array(end - b);
    copy.set(bytes.subarray(dataStart + b, dataStart + end));
    if (!LITTLE_ENDIAN && Ctor.BYTES_PER_ELEMENT > 1) {
      const k = Ctor.BYTES_PER_ELEMENT;
      for (let i = 0; i < copy.length; i += k) copy.subarray(i, i + k).reverse();
    }
    tensors.set(name, { dtype, shape, data: new Ctor(copy.buffer, 0, sizeOf(shape)) });
  }
  // The spans must tile the data region exactly: no overlap, no hole, nothing after the last one.
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let covered = 0;
  let last = '';
  for (const [b, end, name] of spans) {
    if (b < covered && end > b) throw bad(`the data of '${last}' and '${name}' overlap`);
    if (b > covered)
      throw bad(
        `bytes ${covered}..${b} of the data belong to no tensor (a hole before '${name}'); the offsets must cover the data exactly`,
      );
    if (end > covered) [covered, last] = [end, name];
  }
  if (covered !== dataLen)
    throw bad(
      `${dataLen - covered} trailing bytes after the last tensor's data (the tensors cover ${covered} of the ${dataLen} data bytes); ` +
        'the offsets must cover the data exactly (a corrupted or concatenated file?)',
    );
  return { tensors, metadata };
}

/**
 * Writes `bytes` to `path` atomically: a temporary file next to it, flushed, then renamed over
 * `path` (readers never see a half-written file).
 *
 * @example
 * writeFileAtomic('net.params', encodeSafetensors(entries));
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`;
  let fd: number | null = null;
  const dir = dirname(resolvePath(path));
  try {
    fd = openSync(tmp, 'w');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    let why = `${(e as Error).message}`;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      let kind = 'does not exist';
      try {
        if (!statSync(dir).isDirectory()) kind = 'is not a directory';
      } catch {
        /* missing (or under a missing / non-directory parent) */
      }
      why = `the folder '${dir}' ${kind}; create it first (e.g. mkdirSync(dir, { recursive: true }))`;
    } else if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') why = `the folder '${dir}' is not writable (${code})`;
    throw new ValueError(`cannot write '${path}': ${why}`);
  }
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw new ValueError(`cannot write '${path}' (in the folder '${dir}'): ${(e as Error).message}`);
  }
}

/**
 * Saves named arrays to a safetensors file (atomic, synchronous).
 *
 * @example
 * saveSafetensors('x.safetensors', { x: nd.arange(4) });
 */
export function saveSafetensors(
  path: string,
  tensors: Iterable<[string, NDArray | TensorRecord]> | Record<string, NDArray | TensorRecord>,
  metadata: Record<string, string> = {},
): void {
  const it = Symbol.iterator in Object(tensors) ? (tensors as Iterable<[string, NDArray | TensorRecord]>) : Object.entries(tensors);
  writeFileAtomic(path, encodeSafetensors(it, metadata));
}

/**
 * Reads a safetensors file as records (no arrays allocated).
 *
 * @example
 * const { tensors, metadata } = readSafetensors('net.params');
 */
export function readSafetensors(path: string): SafetensorsContents {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ValueError(`safetensors: cannot read '${path}': ${(e as Error).message}`);
  }
  return decodeSafetensors(bytes, `'${path}'`);
}

/**
 * Loads a safetensors file as a name -> NDArray map on `ctx` (default the current context).
 *
 * @example
 * const arrays = loadSafetensors('x.safetensors');
 * arrays.get('x')!.toArray();
 */
export function loadSafetensors(path: string, opts: { ctx?: Context } = {}): Map<string, NDArray> {
  const { tensors } = readSafetensors(path);
  const ctx = opts.ctx ?? currentContext();
  const out = new Map<string, NDArray>();
  for (const [k, r] of tensors) out.set(k, recordToArray(r, ctx));
  return out;
}

/** An NDArray on `ctx` holding a record's values. @example recordToArray(rec, nd.cpu()) */
export function recordToArray(r: TensorRecord, ctx: Context): NDArray {
  return NDArray._fromData(r.data, r.shape, r.dtype, ctx);
}
