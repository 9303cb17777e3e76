import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { nd, autograd, NDArray, ValueError, DTypeError } from '../../src/index.js';
import { nn, init, decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors } from '../../src/gluon/index.js';
import { assertClose } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'd2l-io-test-'));

function mlp(): nn.Sequential {
  const net = new nn.Sequential();
  net.add(new nn.Dense(16, { activation: 'relu' }), new nn.BatchNorm(), new nn.Dropout(0.5), new nn.Dense(3));
  return net;
}

test('saveParameters -> loadParameters gives identical outputs (also into a fresh, uninitialised net)', () => {
  nd.random.seed(30);
  const net = mlp();
  net.initialize(new init.Xavier());
  const X = nd.random.normal(0, 1, [4, 7]);
  // Train-mode pass so BatchNorm's running statistics are not trivial.
  autograd.trainMode(() => net.forward(X));
  const y = net.forward(X);
  const path = join(dir, 'mlp.params');
  net.saveParameters(path);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.includes('mlp.params')),
    ['mlp.params'],
    'no temporary file left behind',
  );

  const clone = mlp();
  clone.loadParameters(path);
  assertClose(clone.forward(X), y, 0);
  for (const [k, p] of net.structuredParams()) assertClose(clone.structuredParams().get(k)!.data(), p.data(), 0, k);

  // Loading into an initialised (deferred) net also works, and keeps the array objects.
  const other = mlp();
  other.initialize();
  other.forward(X);
  const w = other.get<nn.Dense>(0).weight.data();
  other.loadParameters(path, { ctx: nd.cpu() });
  assert.equal(other.get<nn.Dense>(0).weight.data(), w);
  assertClose(other.forward(X), y, 0);
});

test('the file is safetensors: byte-level check of header and data', () => {
  const d = new nn.Dense(2, { inUnits: 3 });
  d.initialize();
  d.weight.setData(
    nd.array([
      [1, 2, 3],
      [4, 5, 6],
    ]),
  );
  d.bias!.setData(nd.array([-1, 0.5]));
  const path = join(dir, 'dense.safetensors');
  d.saveParameters(path);
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  assert.equal((8 + n) % 8, 0, 'header padded to a multiple of 8');
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  assert.deepEqual(header.weight, { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
  assert.deepEqual(header.bias, { dtype: 'F32', shape: [2], data_offsets: [24, 32] });
  assert.equal(header.__metadata__.format, 'd2l-ts');
  assert.equal(bytes.length, 8 + n + 32);
  const data = bytes.subarray(8 + n);
  const vals = Array.from({ length: 8 }, (_, i) => data.readFloatLE(4 * i));
  assert.deepEqual(vals, [1, 2, 3, 4, 5, 6, -1, 0.5]);
});

test('loadParameters reports every mismatch of names, shapes and dtypes at once', () => {
  const a = new nn.Sequential();
  a.add(new nn.Dense(4, { inUnits: 3 }), new nn.Dense(2, { inUnits: 4 }));
  a.initialize();
  const path = join(dir, 'a.params');
  a.saveParameters(path);

  const shorter = new nn.Sequential();
  shorter.add(new nn.Dense(4, { inUnits: 3 }));
  assert.throws(
    () => shorter.loadParameters(path),
    (e: Error) => e instanceof ValueError && /in the file but not in the block .*: 1\.weight, 1\.bias/.test(e.message),
  );
  shorter.loadParameters(path, { ignoreExtra: true });
  assertClose(shorter.get<nn.Dense>(0).weight.data(), a.get<nn.Dense>(0).weight.data(), 0);

  const longer = new nn.Sequential();
  longer.add(new nn.Dense(4, { inUnits: 3 }), new nn.Dense(2, { inUnits: 4 }), new nn.Dense(1, { inUnits: 2 }));
  longer.initialize(new init.One());
  assert.throws(
    () => longer.loadParameters(path),
    (e: Error) => /missing from the file .*: 2\.weight, 2\.bias/.test(e.message),
  );
  longer.loadParameters(path, { allowMissing: true });
  assertClose(longer.get<nn.Dense>(2).weight.data(), nd.ones([1, 2]), 0, 'missing ones keep their values');

  const wrong = new nn.Sequential();
  wrong.add(new nn.Dense(5, { inUnits: 3 }), new nn.Dense(2, { inUnits: 4, dtype: 'float64' }));
  wrong.initialize();
  assert.throws(
    () => wrong.loadParameters(path),
    (e: Error) =>
      e.message.includes("'0.weight' (") &&
      /shape \(4, 3\) in the file, \(5, 3\) in the block/.test(e.message) &&
      /'0\.bias' .*shape \(4,\) in the file, \(5,\) in the block/.test(e.message) &&
      /'1\.weight' .*dtype float32 in the file, float64 in the block/.test(e.message),
  );
  // Nothing was changed by the failed load.
  assert.notDeepEqual(Array.from(wrong.get<nn.Dense>(1).weight.data().dataSync()), Array.from(a.get<nn.Dense>(1).weight.data().dataSync()));
  // Deferred shapes accept whatever the file says for the unknown dims.
  const deferred = new nn.Sequential();
  deferred.add(new nn.Dense(4), new nn.Dense(2));
  deferred.loadParameters(path);
  assert.deepEqual(deferred.get<nn.Dense>(0).weight.data().shape, [4, 3]);
});

test('saveParameters refuses parameters without values and leaves an existing file untouched', () => {
  const path = join(dir, 'keep.params');
  writeFileSync(path, 'old');
  const net = new nn.Sequential();
  net.add(new nn.Dense(3));
  net.initialize();
  assert.throws(
    () => net.saveParameters(path),
    (e: Error) => /0\.weight \(dense\d+_weight, shape \(3, 0\)\)/.test(e.message) && /forward pass/.test(e.message),
  );
  assert.equal(readFileSync(path, 'utf8'), 'old');
  net.forward(nd.ones([1, 2]));
  net.saveParameters(path);
  assert.notEqual(readFileSync(path, 'utf8'), 'old');
});

test('corrupt, truncated or missing files give clear errors', () => {
  const good = encodeSafetensors([['x', nd.arange(4)]]);
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(3), /fewer than the 8-byte header length/],
    [good.subarray(0, good.length - 4), /ends at byte 16 of the data but the data has 12 bytes/],
    [
      (() => {
        const b = good.slice();
        b[0] = 0xff;
        b[1] = 0xff;
        return b;
      })(),
      /the header claims \d+ bytes/,
    ],
    [
      (() => {
        const b = good.slice();
        b[8] = 0x5b; // '[' instead of '{'
        return b;
      })(),
      /not valid UTF-8 JSON|not a JSON object/,
    ],
  ];
  for (const [bytes, re] of cases)
    assert.throws(
      () => decodeSafetensors(bytes, 'f'),
      (e: Error) => e instanceof ValueError && re.test(e.message),
      String(re),
    );
  const bad = new TextEncoder().encode(JSON.stringify({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }));
  const buf = new Uint8Array(8 + bad.length + 8);
  new DataView(buf.buffer).setBigUint64(0, BigInt(bad.length), true);
  buf.set(bad, 8);
  assert.throws(() => decodeSafetensors(buf), /needs 12 bytes, but data_offsets span 8/);
  const i16 = new TextEncoder().encode(JSON.stringify({ x: { dtype: 'I16', shape: [1], data_offsets: [0, 2] } }));
  const b2 = new Uint8Array(8 + i16.length + 2);
  new DataView(b2.buffer).setBigUint64(0, BigInt(i16.length), true);
  b2.set(i16, 8);
  assert.throws(
    () => decodeSafetensors(b2),
    (e: Error) => e instanceof DTypeError && /'x' has dtype "I16".*supported: F64, F32, I32, U8, BOOL, F16, BF16, I64/.test(e.message),
  );
  const net = new nn.Dense(1, { inUnits: 1 });
  assert.throws(() => net.loadParameters(join(dir, 'nope.params')), /cannot read .*nope\.params/);
});

test('saveSafetensors / loadSafetensors: any dtype, any names', () => {
  const path = join(dir, 'arrays.safetensors');
  const arrays: Record<string, NDArray> = {
    f64: nd.array([[1.5, -2.25]], { dtype: 'float64' }),
    i32: nd.array([1, -7, 2147483647], { dtype: 'int32' }),
    u8: nd.array([0, 255], { dtype: 'uint8' }),
    scalar: nd.array(3),
    empty: nd.zeros([0, 4]),
  };
  saveSafetensors(path, arrays, { note: 'hi' });
  const back = loadSafetensors(path);
  assert.deepEqual([...back.keys()], Object.keys(arrays));
  for (const [k, v] of Object.entries(arrays)) {
    const b = back.get(k)!;
    assert.equal(b.dtype, v.dtype, k);
    assert.deepEqual(b.shape, v.shape, k);
    assert.deepEqual(Array.from(b.dataSync()), Array.from(v.dataSync()), k);
  }
  assert.throws(
    () =>
      encodeSafetensors([
        ['a', nd.ones([1])],
        ['a', nd.ones([1])],
      ]),
    /appears twice/,
  );
});

/** A safetensors file built byte by byte: `entries` are [name, dtype code, shape, data bytes]. */
function stFile(entries: [string, string, number[], Uint8Array][], trailing = new Uint8Array(0)): Uint8Array {
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [name, dtype, shape, data] of entries) {
    header[name] = { dtype, shape, data_offsets: [off, off + data.length] };
    off += data.length;
  }
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + off + trailing.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  let pos = 8 + h.length;
  for (const [, , , data] of entries) {
    out.set(data, pos);
    pos += data.length;
  }
  out.set(trailing, pos);
  return out;
}
function u16le(vals: number[]): Uint8Array {
  const b = new Uint8Array(2 * vals.length);
  vals.forEach((v, i) => new DataView(b.buffer).setUint16(2 * i, v, true));
  return b;
}
function i64le(vals: bigint[]): Uint8Array {
  const b = new Uint8Array(8 * vals.length);
  vals.forEach((v, i) => new DataView(b.buffer).setBigInt64(8 * i, v, true));
  return b;
}

test('safetensors: F16 and BF16 tensors are read as float32 with exact values', () => {
  // 1.0, -2.5, 65504 (max half), 2^-24 (smallest subnormal), 0x0200 (subnormal 2^-15), -0, +inf, -inf, nan
  const f16 = u16le([0x3c00, 0xc100, 0x7bff, 0x0001, 0x0200, 0x8000, 0x7c00, 0xfc00, 0x7e00]);
  // 1.0, -2.5, 3.140625 (0x4049), 1e-40-ish subnormal (0x0001 -> 2^-133), +inf, nan
  const bf16 = u16le([0x3f80, 0xc020, 0x4049, 0x0001, 0x7f80, 0x7fc0]);
  const { tensors } = decodeSafetensors(
    stFile([
      ['h', 'F16', [3, 3], f16],
      ['b', 'BF16', [6], bf16],
    ]),
  );
  const h = tensors.get('h')!;
  assert.equal(h.dtype, 'float32');
  assert.deepEqual(h.shape, [3, 3]);
  assert.deepEqual(Array.from(h.data), [1, -2.5, 65504, 2 ** -24, 2 ** -15, -0, Infinity, -Infinity, NaN]);
  assert.ok(Object.is(h.data[5], -0));
  const b = tensors.get('b')!;
  assert.equal(b.dtype, 'float32');
  assert.deepEqual(Array.from(b.data), [1, -2.5, 3.140625, 2 ** -133, Infinity, NaN]);
});

test('safetensors: a PyTorch-style file with an I64 num_batches_tracked loads (int32), out-of-range I64 names the tensor', () => {
  const f32 = (vals: number[]) => new Uint8Array(new Float32Array(vals).buffer);
  const path = join(dir, 'torch-bn.safetensors');
  const bn = new nn.BatchNorm({ inChannels: 2 });
  bn.initialize();
  const names = [...bn.structuredParams().keys()];
  writeFileSync(
    path,
    stFile([
      ...names.map((k, i): [string, string, number[], Uint8Array] => [k, 'F32', [2], f32([i + 1, i + 2])]),
      ['num_batches_tracked', 'I64', [], i64le([12345n])],
    ]),
  );
  assert.throws(() => bn.loadParameters(path), /in the file but not in the block.*num_batches_tracked/s);
  bn.loadParameters(path, { ignoreExtra: true });
  names.forEach((k, i) => assert.deepEqual(Array.from(bn.structuredParams().get(k)!.data().dataSync()), [i + 1, i + 2], k));
  const arrays = loadSafetensors(path);
  assert.equal(arrays.get('num_batches_tracked')!.dtype, 'int32');
  assert.deepEqual(arrays.get('num_batches_tracked')!.toArray(), 12345);
  const ok = decodeSafetensors(stFile([['n', 'I64', [3], i64le([-2147483648n, 0n, 2147483647n])]])).tensors.get('n')!;
  assert.deepEqual(Array.from(ok.data), [-2147483648, 0, 2147483647]);
  assert.throws(
    () => decodeSafetensors(stFile([['steps', 'I64', [2], i64le([1n, 2147483648n])]]), 'f.safetensors'),
    (e: Error) => e instanceof DTypeError && /'steps' is I64 .*2147483648 at flat index 1 does not fit in int32/.test(e.message),
  );
});

test('safetensors: trailing bytes after the data, or a hole between tensors, are refused', () => {
  const good = stFile([['x', 'F32', [2], new Uint8Array(8)]]);
  assert.equal(decodeSafetensors(good).tensors.size, 1);
  assert.throws(
    () => decodeSafetensors(stFile([['x', 'F32', [2], new Uint8Array(8)]], new Uint8Array([1, 2, 3])), 'f'),
    (e: Error) => e instanceof ValueError && /f is not a valid safetensors file: 3 trailing bytes .*cover 8 of the 11/.test(e.message),
  );
  // A hole: 'b' starts 4 bytes after 'a' ends.
  const h = new TextEncoder().encode(
    JSON.stringify({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }),
  );
  const holed = new Uint8Array(8 + h.length + 12);
  new DataView(holed.buffer).setBigUint64(0, BigInt(h.length), true);
  holed.set(h, 8);
  assert.throws(() => decodeSafetensors(holed), /bytes 4\.\.8 of the data belong to no tensor \(a hole before 'b'\)/);
  // An empty file body with no tensors is fine; one stray byte is not.
  assert.equal(decodeSafetensors(stFile([])).tensors.size, 0);
  assert.throws(() => decodeSafetensors(stFile([], new Uint8Array([0]))), /1 trailing bytes/);
});

test('saveParameters into a missing folder: a typed error naming the folder, no temporary file', () => {
  const net = new nn.Dense(2, { inUnits: 3 });
  net.initialize();
  const missing = join(dir, 'no-such-folder', 'deeper');
  assert.throws(
    () => net.saveParameters(join(missing, 'net.params')),
    (e: Error) => e instanceof ValueError && e.message.includes(`the folder '${missing}' does not exist`) && !/\.tmp/.test(e.message),
  );
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  assert.throws(
    () => saveSafetensors(join(file, 'x.safetensors'), { x: nd.ones([1]) }),
    new RegExp(`the folder '${file}' is not a directory`),
  );
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
  );
});
