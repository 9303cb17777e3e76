import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import * as mlp from '../../chapters/mlp.js';

test('3.8 mlp: activation functions and their autograd gradients, plotted to PNG files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'd2l-ch3-mlp-'));
  const lines: string[] = [];
  const r = await mlp.run({ outDir: dir, print: (l) => lines.push(l) });
  const names = ['relu', 'grad of relu', 'sigmoid', 'grad of sigmoid', 'tanh', 'grad of tanh'];
  assert.deepEqual(Object.keys(r.files), names);
  for (const name of names) {
    const png = PNG.sync.read(readFileSync(r.files[name]));
    assert.ok(png.width > 500 && png.height > 250, `${name}: ${png.width}x${png.height}`);
    assert.ok(r.files[name].startsWith(dir));
  }
  assert.equal(lines.length, 6);

  // x = arange(-8, 8, 0.1): 160 points
  const x = r.values.x;
  assert.equal(x.length, 160);
  assert.ok(Math.abs(x[0] + 8) < 1e-6 && Math.abs(x[159] - 7.9) < 1e-4);
  const near = (a: number, b: number, tol = 1e-5) => Math.abs(a - b) <= tol;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const s = 1 / (1 + Math.exp(-xi));
    assert.ok(near(r.values.relu[i], Math.max(xi, 0)), `relu at ${xi}`);
    assert.ok(near(r.values['grad of relu'][i], xi > 0 ? 1 : 0), `relu' at ${xi}`);
    assert.ok(near(r.values.sigmoid[i], s), `sigmoid at ${xi}`);
    assert.ok(near(r.values['grad of sigmoid'][i], s * (1 - s)), `sigmoid' at ${xi}`);
    assert.ok(near(r.values.tanh[i], Math.tanh(xi)), `tanh at ${xi}`);
    assert.ok(near(r.values['grad of tanh'][i], 1 - Math.tanh(xi) ** 2), `tanh' at ${xi}`);
  }
  // the book's observations: sigmoid' peaks at 0.25 and tanh' at 1, both at x = 0
  assert.ok(near(Math.max(...r.values['grad of sigmoid']), 0.25, 1e-4));
  assert.ok(near(Math.max(...r.values['grad of tanh']), 1, 1e-4));
});
