// nd.save / nd.load (book 4.5): an array, a list or a dict of arrays in a safetensors file with a
// documented key mapping; MXNet's binary files refused with a clear error; bad input refused with
// typed errors. Also nd.waitall and x.waitToRead on the CPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nd, gluon, NDArray, ValueError } from '../../src/index.js';
import { decodeSafetensors, isMxnetNdarrayFile } from '../../src/ndarray/safetensors.js';

const dir = () => mkdtempSync(join(tmpdir(), 'd2l-ndio-'));

test('nd.save of one array writes a safetensors list of one ("0"); nd.load returns [x], as MXNet', () => {
  const d = dir();
  const f = join(d, 'x');
  const x = nd.ones([3]);
  nd.save(f, x);
  const { tensors, metadata } = decodeSafetensors(readFileSync(f));
  assert.deepEqual([...tensors.keys()], ['0']);
  assert.deepEqual(metadata, { format: 'd2l-ts', container: 'list' });
  const x2 = nd.load(f);
  assert.ok(Array.isArray(x2));
  assert.equal(x2.length, 1);
  assert.deepEqual((x2 as NDArray[])[0].toArray(), [1, 1, 1]);
  assert.equal((x2 as NDArray[])[0].toString(), '\n[1. 1. 1.]\n<NDArray 3 @cpu(0)>');
  assert.deepEqual(readdirSync(d), ['x'], 'no temporary file is left next to the file');
});

test('a list keeps its order and dtypes (keys "0".."n-1"); a dict keeps its names; a Map is a dict', () => {
  const d = dir();
  const arrays = [nd.arange(12).reshape([3, 4]), nd.array([1, 2], { dtype: 'int32' }), nd.array([1, 0, 1], { dtype: 'uint8' })];
  for (let i = 3; i < 12; i++) arrays.push(nd.full([1], i)); // 12 entries: "10" and "11" must follow "9"
  nd.save(join(d, 'list'), arrays);
  const back = nd.load(join(d, 'list')) as NDArray[];
  assert.equal(back.length, 12);
  back.forEach((b, i) => {
    assert.deepEqual(b.shape, arrays[i].shape, `element ${i}`);
    assert.equal(b.dtype, arrays[i].dtype, `element ${i}`);
    assert.deepEqual(b.toArray(), arrays[i].toArray(), `element ${i}`);
  });

  nd.save(join(d, 'dict'), { x: nd.ones([3]), y: nd.zeros([4]) });
  const dict = nd.load(join(d, 'dict')) as Record<string, NDArray>;
  assert.deepEqual(Object.keys(dict), ['x', 'y']);
  assert.deepEqual(dict.y.toArray(), [0, 0, 0, 0]);
  assert.equal(decodeSafetensors(readFileSync(join(d, 'dict'))).metadata.container, 'dict');

  nd.save(join(d, 'map'), new Map([['w', nd.full([2, 2], 7, { dtype: 'float64' })]]));
  const m = nd.load(join(d, 'map')) as Record<string, NDArray>;
  assert.equal(m.w.dtype, 'float64');
  assert.deepEqual(m.w.toArray(), [
    [7, 7],
    [7, 7],
  ]);

  nd.save(join(d, 'empty'), []);
  assert.deepEqual(nd.load(join(d, 'empty')), []);
});

test('views and transposes are saved by value; a saved array is independent of later writes', () => {
  const d = dir();
  const X = nd.arange(6).reshape([2, 3]);
  nd.save(join(d, 'v'), [X.T, X.get('1')]);
  X.set('1', 0);
  const [t, r] = nd.load(join(d, 'v')) as NDArray[];
  assert.deepEqual(t.toArray(), [
    [0, 3],
    [1, 4],
    [2, 5],
  ]);
  assert.deepEqual(r.toArray(), [3, 4, 5]);
});

test("nd.load reads any safetensors file as a dict, net.saveParameters' included", () => {
  const d = dir();
  const net = new gluon.nn.Sequential();
  net.add(new gluon.nn.Dense(3, { inUnits: 2 }));
  net.initialize();
  net.saveParameters(join(d, 'net.params'));
  const p = nd.load(join(d, 'net.params')) as Record<string, NDArray>;
  assert.deepEqual(Object.keys(p).sort(), ['0.bias', '0.weight']);
  assert.deepEqual(p['0.weight'].toArray(), net.get<gluon.nn.Dense>(0).weight.data().toArray());
  // A foreign file with a tensor named __proto__: a key of the result, not its prototype.
  const header = new TextEncoder().encode('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'.padEnd(64, ' '));
  const bytes = new Uint8Array(8 + header.length + 4);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
  bytes.set(header, 8);
  new DataView(bytes.buffer).setFloat32(8 + header.length, 2.5, true);
  writeFileSync(join(d, 'proto.safetensors'), bytes);
  const q = nd.load(join(d, 'proto.safetensors')) as Record<string, NDArray>;
  assert.deepEqual(Object.keys(q), ['__proto__']);
  assert.equal(Object.getPrototypeOf(q), Object.prototype);
  assert.deepEqual(q['__proto__'].toArray(), [2.5]);
});

test("MXNet's binary .nd/.params files are refused with an error naming the format and the conversion", () => {
  const d = dir();
  // The header of a file MXNet 1.x's nd.save writes: uint64 magic 0x112, uint64 reserved 0, uint64 count.
  const bytes = new Uint8Array(40);
  const dv = new DataView(bytes.buffer);
  dv.setBigUint64(0, 0x112n, true);
  dv.setBigUint64(8, 0n, true);
  dv.setBigUint64(16, 1n, true);
  dv.setUint32(24, 0xf993fac9, true);
  const f = join(d, 'mlp.params');
  writeFileSync(f, bytes);
  assert.ok(isMxnetNdarrayFile(bytes));
  assert.throws(
    () => nd.load(f),
    (e: Error) => e instanceof ValueError && /MXNet's binary NDArray format/.test(e.message) && /safetensors/.test(e.message),
  );
  const net = new gluon.nn.Sequential();
  net.add(new gluon.nn.Dense(1, { inUnits: 1 }));
  assert.throws(() => net.loadParameters(f), /MXNet's binary NDArray format/);
  // A safetensors file whose header happens to be 0x112 bytes long is not mistaken for one.
  const st = gluon.encodeSafetensors([['a'.repeat(200), nd.ones([1])]]);
  assert.equal(isMxnetNdarrayFile(st), false);
});

test('nd.save and nd.load refuse bad input with ValueErrors that name the function and the problem', () => {
  const d = dir();
  const f = join(d, 'bad');
  assert.throws(() => nd.save(f, 3 as unknown as NDArray), /nd\.save\('.*bad', \.\.\.\): cannot save number; expected an NDArray/);
  assert.throws(() => nd.save(f, [nd.ones([1]), [1, 2]] as unknown as NDArray[]), /element 1 is Array, expected an NDArray/);
  assert.throws(() => nd.save(f, { a: nd.ones([1]), b: 'x' } as unknown as Record<string, NDArray>), /the value of key 'b' is string/);
  assert.throws(() => nd.save('', nd.ones([1])), /nd\.save: the file name must be a non-empty string/);
  assert.throws(() => nd.save(f, { __metadata__: nd.ones([1]) }), /'__metadata__' is reserved/);
  const gone = nd.ones([2]);
  gone.dispose();
  assert.throws(() => nd.save(f, gone), /disposed/i);
  assert.throws(() => nd.save(join(d, 'no', 'such', 'dir', 'x'), nd.ones([1])), /cannot write .*does not exist/);
  assert.throws(
    () => nd.load(join(d, 'missing')),
    (e: Error) => e instanceof ValueError && /nd\.load\('.*missing'\): cannot read the file/.test(e.message),
  );
  writeFileSync(join(d, 'junk'), 'not a safetensors file at all');
  assert.throws(() => nd.load(join(d, 'junk')), /nd\.load\('.*junk'\) is not a valid safetensors file/);
  // A file that says it is a list but lacks an index.
  gluon.saveSafetensors(join(d, 'holey'), { '0': nd.ones([1]), '2': nd.ones([1]) }, { format: 'd2l-ts', container: 'list' });
  assert.throws(() => nd.load(join(d, 'holey')), /list of 2 arrays, named "0" to "1", but "1" is missing/);
  assert.throws(() => nd.load(f, null as unknown as object), /options must be an object/);
});

test('nd.waitall and x.waitToRead resolve on the CPU; waitToRead of a disposed array is refused', async () => {
  const x = nd.dot(nd.ones([4, 4]), nd.ones([4, 4]));
  await x.waitToRead();
  await nd.waitall();
  assert.equal(x.sum().asScalar(), 64);
  const y = nd.ones([1]);
  y.dispose();
  await assert.rejects(() => y.waitToRead(), /disposed/i);
});
