// 8.1 hybridize: the book's prints in the book's order, both timings, the export, and the
// HybridNet prints (arrays eagerly, symbols once at the trace, nothing on later calls).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import * as hybridize from '../../chapters/hybridize.js';
import { hasChapter } from '../../chapters/index.js';

test("8.1 hybridize prints the book's lines, both timings, and the symbols once at the trace", async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'd2l-hybridize-'));
  const r = await hybridize.run({ limit: 20, seed: 0, outDir, print: () => {} });
  const L = r.lines;
  assert.equal(L[0], '10');
  assert.match(L[1], /function add\(a, b\)[\s\S]*function fancyFunc\(a, b, c, d\)[\s\S]*print\(fancyFunc\(1, 2, 3, 4\)\);/);
  assert.equal(L[2], '10', 'the compiled string program prints 10 too');
  assert.match(L[3], /^\n\[\[.+\]\]\n<NDArray 1x2 @cpu\(0\)>$/);
  assert.equal(L[4], L[3], 'hybridize() leaves the output unchanged');
  assert.match(L[5], /^before hybridizing: \d+\.\d{4} sec$/);
  assert.match(L[6], /^after hybridizing: \d+\.\d{4} sec$/);
  assert.ok(r.times.every((t) => t > 0 && Number.isFinite(t)));
  assert.deepEqual(r.exported, [join(outDir, 'my_mlp-symbol.json'), join(outDir, 'my_mlp-0000.params')]);
  for (const f of r.exported) assert.ok(existsSync(f), f);
  // Two eager calls print F, x and hidden with arrays, each followed by the output.
  const eager = L.slice(7, 15);
  for (const at of [0, 4]) {
    assert.equal(eager[at], "F:  <module 'mxnet.ndarray' (d2l-ts src/ndarray/nd.ts)>");
    assert.match(eager[at + 1], /^x:  \n\[\[.+\]\]\n<NDArray 1x4 @cpu\(0\)>$/);
    assert.match(eager[at + 2], /^hidden:  \n\[\[[\s\S]+\]\]\n<NDArray 1x10 @cpu\(0\)>$/);
    assert.match(eager[at + 3], /<NDArray 1x2 @cpu\(0\)>$/);
  }
  // After hybridize(): the trace prints the symbols once; the second call prints only its output.
  assert.deepEqual(L.slice(15, 18), [
    "F:  <module 'mxnet.symbol' (d2l-ts src/compile/)>",
    'x:  <Symbol data>',
    'hidden:  <Symbol hybridnet0_relu0>',
  ]);
  assert.equal(L[18], eager[3], 'the compiled output equals the eager one');
  assert.equal(L[19], eager[3]);
  assert.equal(L.length, 20);
  assert.ok(hasChapter('hybridize'));
});
