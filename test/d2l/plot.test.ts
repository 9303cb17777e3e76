import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { nd, d2l } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'd2l-plot-'));

function readPng(file: string): PNG {
  const buf = readFileSync(file);
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  return PNG.sync.read(buf);
}

/** Whether the image has pixels of several colours (something was drawn). */
function hasInk(png: PNG): boolean {
  const colours = new Set<number>();
  for (let i = 0; i < png.data.length; i += 4 * 97) colours.add((png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2]);
  return colours.size > 3;
}

test('plot writes a PNG of the requested size with axis titles', async () => {
  const x = nd.arange(-8, 8, 0.1);
  const file = join(dir, 'relu.png');
  const fig = await d2l.plot(x, x.relu(), { xLabel: 'x', yLabel: 'relu(x)', figsize: [5, 2.5], file });
  assert.equal(fig.file, file);
  const png = readPng(file);
  assert.ok(png.width >= 1000 && png.height >= 500, `${png.width}x${png.height}`); // 500x250 plot at 2x, plus axes
  assert.ok(hasInk(png));
  assert.match(fig.svg, /relu\(x\)/);
  assert.match(fig.svg, />x</);
});

test('plot: several curves with a legend; SVG output by extension', async () => {
  const file = join(dir, 'two.svg');
  const fig = await d2l.plot(
    [0, 1, 2],
    [
      [0, 1, 4],
      [0, 1, 2],
    ],
    { legend: ['square', 'linear'], file },
  );
  assert.ok(readFileSync(file, 'utf8').startsWith('<svg'));
  assert.match(fig.svg, /square/);
  assert.match(fig.svg, /linear/);
  assert.ok(fig.png.length > 100);
});

test('plot: mismatched inputs are clear errors', async () => {
  await assert.rejects(d2l.plot([0, 1], [0, 1, 2]), /curve 0 has 2 x values but 3 y values/);
  await assert.rejects(
    d2l.plot(
      [0, 1],
      [
        [0, 1],
        [1, 2],
      ],
      { legend: ['a'] },
    ),
    /1 legend entries for 2 curves/,
  );
  await assert.rejects(d2l.plot(nd.zeros([2, 2]), nd.zeros([2, 2])), /must be 1-D/);
});

test('semilogy uses a log axis; scatter draws points', async () => {
  const fig = await d2l.semilogy([1, 2, 3], [1, 0.1, 0.01], 'epochs', 'loss', [1, 2, 3], [2, 0.2, 0.02], ['train', 'test'], {
    file: join(dir, 'semilogy.png'),
  });
  assert.match(fig.svg, /0\.01/);
  assert.match(fig.svg, /train/);
  readPng(join(dir, 'semilogy.png'));
  const s = await d2l.scatter([1, 2, 3], [3, 1, 2], { file: join(dir, 'scatter.png') });
  assert.match(s.svg, /mark-symbol/);
});

test('plotTrainingCurves draws loss and accuracies per epoch', async () => {
  const file = join(dir, 'curves.png');
  const history = [1, 2, 3].map((epoch) => ({ epoch, loss: 1 / epoch, trainAcc: 0.7 + epoch / 100, testAcc: 0.72 + epoch / 100 }));
  const fig = await d2l.plotTrainingCurves(history, file);
  for (const s of ['train loss', 'train acc', 'test acc', 'epoch', 'accuracy']) assert.ok(fig.svg.includes(s), s);
  assert.ok(hasInk(readPng(file)));
  await assert.rejects(d2l.plotTrainingCurves([]), /no epochs/);
});

test('showImages: a grid of images with (multi-line) titles', async () => {
  const imgs = nd
    .arange(4 * 28 * 28)
    .reshape([4, 28, 28, 1])
    .mod(256)
    .astype('uint8');
  const file = join(dir, 'grid.png');
  const fig = await d2l.showImages(imgs, 2, 2, { titles: ['a\nb', 'c', 'd', 'e'], file });
  assert.equal((fig.svg.match(/<image /g) ?? []).length, 4);
  for (const t of ['>a<', '>b<', '>c<', '>e<']) assert.ok(fig.svg.includes(t), t);
  const png = readPng(file);
  assert.ok(png.width > 2 * 56 && png.height > 2 * 56);
  // float CHW images in [0, 1] and flat rows of 784 pixels work too
  const f = await d2l.showImages(nd.ones([3, 1, 28, 28]).mul(0.5), 1, 3);
  assert.equal((f.svg.match(/<image /g) ?? []).length, 3);
  const g = await d2l.showImages(nd.zeros([2, 784]), 1, 2);
  assert.equal((g.svg.match(/<image /g) ?? []).length, 2);
  await assert.rejects(d2l.showImages(nd.zeros([2, 5]), 1, 2), /not square images/);
});

test('showFashionMnist: one row with a label over each image', async () => {
  const file = join(dir, 'fashion.png');
  const fig = await d2l.showFashionMnist(nd.zeros([3, 1, 28, 28]), ['t-shirt', 'trouser', 'ankle boot'], file);
  assert.ok(existsSync(file));
  for (const t of ['t-shirt', 'trouser', 'ankle boot']) assert.ok(fig.svg.includes(t), t);
});

test('encodePng round-trips through a PNG decoder', () => {
  const data = new Uint8Array(6 * 4).map((_, i) => i * 10);
  const png = PNG.sync.read(d2l.encodePng(data, 6, 4, 1));
  assert.equal(png.width, 6);
  assert.equal(png.height, 4);
  assert.equal(png.data[4 * 7], 70); // pixel 7 (RGBA after decoding)
  assert.throws(() => d2l.encodePng(data, 5, 5, 1), /do not fill 5x5x1/);
});
