import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { parseIdx, encodeIdx, IdxFormatError } from '../../src/gluon/data/vision/idx.js';

const images = () => {
  const v = new Uint8Array(3 * 4 * 5);
  for (let i = 0; i < v.length; i++) v[i] = (i * 7) & 255;
  return v;
};

test('IDX: raw uint8 file round-trips with shape and values (no copy of the payload)', () => {
  const bytes = encodeIdx(images(), [3, 4, 5]);
  assert.deepEqual([...bytes.subarray(0, 4)], [0, 0, 8, 3]);
  const r = parseIdx(bytes, { name: 'x.idx' });
  assert.equal(r.dtype, 'uint8');
  assert.deepEqual(r.shape, [3, 4, 5]);
  assert.deepEqual([...r.data], [...images()]);
  assert.equal((r.data as Uint8Array).buffer, bytes.buffer);
});

test('IDX: gzip input is unpacked', () => {
  const labels = Uint8Array.from([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
  const r = parseIdx(gzipSync(encodeIdx(labels, [10])), { name: 'labels.gz', expectNdim: 1 });
  assert.deepEqual(r.shape, [10]);
  assert.deepEqual([...r.data], [...labels]);
});

test('IDX: other type codes decode big-endian values', () => {
  for (const [code, dtype, vals] of [
    [0x09, 'int32', [-3, 4, 127, -128]],
    [0x0b, 'int32', [-300, 4000, 1, -1]],
    [0x0c, 'int32', [-70000, 1 << 30, 0, 5]],
    [0x0d, 'float32', [1.5, -2.25, 0, 1e10]],
    [0x0e, 'float64', [Math.PI, -1e-300, 0, 7]],
  ] as const) {
    const r = parseIdx(encodeIdx(vals, [2, 2], code));
    assert.equal(r.dtype, dtype);
    assert.equal(r.typeCode, code);
    assert.deepEqual([...r.data], code === 0x0d ? vals.map((v) => Math.fround(v)) : [...vals]);
  }
});

test('IDX: a truncated file is a clear error naming the file and the missing bytes', () => {
  const bytes = encodeIdx(images(), [3, 4, 5]);
  assert.throws(
    () => parseIdx(bytes.subarray(0, bytes.length - 7), { name: 'train-images' }),
    (e: Error) => {
      assert.ok(e instanceof IdxFormatError);
      assert.match(e.message, /train-images: truncated/);
      assert.match(e.message, /need 60 data bytes but only 53/);
      return true;
    },
  );
  // A header cut short, and a file shorter than the magic number.
  assert.throws(
    () => parseIdx(bytes.subarray(0, 9), { name: 'f' }),
    /f: truncated header: 3 dimensions need 16 header bytes but the file has 9/,
  );
  assert.throws(() => parseIdx(new Uint8Array([0, 0]), { name: 'f' }), /only 2 bytes/);
});

test('IDX: bad magic, unknown type code, unexpected dtype or ndim are errors', () => {
  const good = encodeIdx(images(), [3, 4, 5]);
  const bad = good.slice();
  bad[0] = 0x50;
  bad[1] = 0x4b;
  assert.throws(() => parseIdx(bad, { name: 'a.zip' }), /a\.zip: bad magic number 50 4b 08 03/);
  const badType = good.slice();
  badType[2] = 0x07;
  assert.throws(() => parseIdx(badType, { name: 'b' }), /b: unknown IDX type code 0x07/);
  assert.throws(
    () => parseIdx(encodeIdx([1, 2], [2], 0x0c), { name: 'c', expectTypeCode: 0x08 }),
    /c: IDX type code 0x0c \(int\); expected 0x08 \(unsigned byte\)/,
  );
  assert.throws(() => parseIdx(good, { name: 'd', expectNdim: 1 }), /d: 3 dimensions; expected 1/);
  const zeroDim = good.slice();
  zeroDim[3] = 0;
  assert.throws(() => parseIdx(zeroDim, { name: 'e' }), /0 dimensions/);
});

test('IDX: dimensions that do not match the payload (extra bytes) are an error', () => {
  const bytes = encodeIdx(images(), [3, 4, 5]);
  const dv = new DataView(bytes.buffer);
  dv.setUint32(4, 2, false); // the header now says 2 images, the payload holds 3
  assert.throws(() => parseIdx(bytes, { name: 'm' }), /m: 20 unexpected bytes after the data: dimensions \[2, 4, 5\]/);
  dv.setUint32(4, 4, false); // 4 images: truncated
  assert.throws(() => parseIdx(bytes, { name: 'm' }), /m: truncated: dimensions \[4, 4, 5\]/);
});

test('IDX: a truncated or corrupt gzip stream is an error naming the file', () => {
  const gz = gzipSync(encodeIdx(images(), [3, 4, 5]));
  assert.throws(
    () => parseIdx(gz.subarray(0, gz.length - 12), { name: 'x.gz' }),
    (e: Error) => e instanceof IdxFormatError && /x\.gz: not a valid gzip stream/.test(e.message),
  );
});

test('IDX: parsing 60,000 28x28 images is fast', () => {
  const n = 60000;
  const raw = new Uint8Array(n * 784);
  for (let i = 0; i < raw.length; i += 97) raw[i] = i & 255;
  const bytes = encodeIdx(raw, [n, 28, 28]);
  const gz = gzipSync(bytes, { level: 1 });
  const t0 = performance.now();
  const r = parseIdx(gz, { name: 'big.gz' });
  const ms = performance.now() - t0;
  assert.deepEqual(r.shape, [n, 28, 28]);
  console.log(`# parseIdx of 60000x28x28 (gzip, fflate): ${ms.toFixed(0)} ms`);
  assert.ok(ms < 5000, `parseIdx took ${ms} ms`);
});
