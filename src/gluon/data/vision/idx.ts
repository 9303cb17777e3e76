/**
 * The IDX file format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
 * two zero bytes, a type code, the number of dimensions, then each dimension as a big-endian
 * uint32, then the data in row-major order (big-endian for multi-byte types).
 */
import { gunzipSync } from 'fflate';
import type { DType } from '../../../core/dtype.js';
import { D2LError } from '../../../core/errors.js';

/**
 * A malformed IDX file: bad magic, unknown type, dimensions that do not match the payload.
 * @example assert.throws(() => parseIdx(new Uint8Array([1, 2, 3, 4])), IdxFormatError);
 */
export class IdxFormatError extends D2LError {}

/** A parsed IDX file. */
export interface IdxData {
  /** The dtype of `data` (int8 and int16 files widen to int32). */
  dtype: DType;
  /** The IDX type code (0x08 unsigned byte, 0x09 signed byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double). */
  typeCode: number;
  shape: number[];
  /** The values in row-major order; for uint8 files a view into the input bytes (no copy). */
  data: Uint8Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, { name: string; bytes: number; dtype: DType }> = {
  0x08: { name: 'unsigned byte', bytes: 1, dtype: 'uint8' },
  0x09: { name: 'signed byte', bytes: 1, dtype: 'int32' },
  0x0b: { name: 'short', bytes: 2, dtype: 'int32' },
  0x0c: { name: 'int', bytes: 4, dtype: 'int32' },
  0x0d: { name: 'float', bytes: 4, dtype: 'float32' },
  0x0e: { name: 'double', bytes: 8, dtype: 'float64' },
};

/**
 * Parses IDX bytes (raw, or gzip which is unpacked first). Validates the magic number, the type
 * code (and `expectDType` / `expectNdim` when given), the dimensions against the payload length,
 * and reports a truncated file or trailing bytes. Every error names `name` (the file).
 *
 * @example
 * const { shape, data } = parseIdx(readFileSync('t10k-labels-idx1-ubyte.gz'), { name: 't10k-labels-idx1-ubyte.gz', expectNdim: 1 });
 * shape; // [10000]
 */
export function parseIdx(bytes: Uint8Array, opts: { name?: string; expectNdim?: number; expectTypeCode?: number } = {}): IdxData {
  const name = opts.name ?? 'IDX data';
  let b = bytes;
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    try {
      b = gunzipSync(b);
    } catch (e) {
      throw new IdxFormatError(`${name}: not a valid gzip stream (${(e as Error).message}); the file is truncated or corrupt`);
    }
  }
  if (b.length < 4)
    throw new IdxFormatError(`${name}: only ${b.length} bytes; an IDX file starts with a 4-byte magic number (truncated or empty file?)`);
  if (b[0] !== 0 || b[1] !== 0) {
    const magic = [...b.subarray(0, 4)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    throw new IdxFormatError(`${name}: bad magic number ${magic}; an IDX file starts with 00 00 <type> <ndim> (is this an IDX file?)`);
  }
  const typeCode = b[2];
  const t = TYPES[typeCode];
  if (!t)
    throw new IdxFormatError(
      `${name}: unknown IDX type code 0x${typeCode.toString(16).padStart(2, '0')}; expected one of 08 (unsigned byte), 09, 0b, 0c, 0d, 0e`,
    );
  if (opts.expectTypeCode !== undefined && typeCode !== opts.expectTypeCode)
    throw new IdxFormatError(
      `${name}: IDX type code 0x${typeCode.toString(16).padStart(2, '0')} (${t.name}); expected 0x${opts.expectTypeCode.toString(16).padStart(2, '0')} (${TYPES[opts.expectTypeCode]?.name ?? '?'})`,
    );
  const ndim = b[3];
  if (ndim === 0) throw new IdxFormatError(`${name}: the IDX header says 0 dimensions`);
  if (opts.expectNdim !== undefined && ndim !== opts.expectNdim)
    throw new IdxFormatError(`${name}: ${ndim} dimensions; expected ${opts.expectNdim}`);
  const header = 4 + 4 * ndim;
  if (b.length < header)
    throw new IdxFormatError(`${name}: truncated header: ${ndim} dimensions need ${header} header bytes but the file has ${b.length}`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = dv.getUint32(4 + 4 * i, false);
    shape.push(d);
    count *= d;
  }
  const need = count * t.bytes;
  const have = b.length - header;
  if (have < need)
    throw new IdxFormatError(
      `${name}: truncated: dimensions [${shape.join(', ')}] of ${t.name} need ${need} data bytes but only ${have} follow the header ` +
        `(${((100 * have) / Math.max(need, 1)).toFixed(1)}%); get the file again`,
    );
  if (have > need)
    throw new IdxFormatError(
      `${name}: ${have - need} unexpected bytes after the data: dimensions [${shape.join(', ')}] of ${t.name} need ${need} data bytes, found ${have}`,
    );
  let data: IdxData['data'];
  switch (typeCode) {
    case 0x08:
      data = b.subarray(header, header + need);
      break;
    case 0x09:
      data = Int32Array.from(new Int8Array(b.buffer, b.byteOffset + header, count));
      break;
    case 0x0b: {
      const o = new Int32Array(count);
      for (let i = 0; i < count; i++) o[i] = dv.getInt16(header + 2 * i, false);
      data = o;
      break;
    }
    case 0x0c: {
      const o = new Int32Array(count);
      for (let i = 0; i < count; i++) o[i] = dv.getInt32(header + 4 * i, false);
      data = o;
      break;
    }
    case 0x0d: {
      const o = new Float32Array(count);
      for (let i = 0; i < count; i++) o[i] = dv.getFloat32(header + 4 * i, false);
      data = o;
      break;
    }
    default: {
      const o = new Float64Array(count);
      for (let i = 0; i < count; i++) o[i] = dv.getFloat64(header + 8 * i, false);
      data = o;
    }
  }
  return { dtype: t.dtype, typeCode, shape, data };
}

/**
 * Encodes values as IDX bytes (big-endian), e.g. to build small test files or export data.
 *
 * @example
 * const bytes = encodeIdx(new Uint8Array([1, 2, 3, 4]), [2, 2]); // type 0x08
 */
export function encodeIdx(data: ArrayLike<number>, shape: readonly number[], typeCode = 0x08): Uint8Array {
  const t = TYPES[typeCode];
  if (!t) throw new IdxFormatError(`encodeIdx: unknown IDX type code 0x${typeCode.toString(16)}`);
  const count = shape.reduce((a, d) => a * d, 1);
  if (count !== data.length) throw new IdxFormatError(`encodeIdx: ${data.length} values do not fill the shape [${shape.join(', ')}]`);
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + count * t.bytes);
  const dv = new DataView(out.buffer);
  out[2] = typeCode;
  out[3] = shape.length;
  shape.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) {
    const v = data[i];
    const p = header + i * t.bytes;
    if (typeCode === 0x08) out[p] = v;
    else if (typeCode === 0x09) dv.setInt8(p, v);
    else if (typeCode === 0x0b) dv.setInt16(p, v, false);
    else if (typeCode === 0x0c) dv.setInt32(p, v, false);
    else if (typeCode === 0x0d) dv.setFloat32(p, v, false);
    else dv.setFloat64(p, v, false);
  }
  return out;
}
