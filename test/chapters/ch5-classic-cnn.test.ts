// Fast tier: the book's CNN programs 5.7 VGG, 5.8 NiN and 5.9 GoogLeNet. The shape walk on the
// book's input is deterministic and checked line by line against the book's printout (the built
// notebooks chapter_convolutional-neural-networks/{vgg,nin,googlenet}.ipynb of d2l-ai/d2l-zh);
// training runs on a few images at a small resize for one epoch (the book's settings take hours on
// this CPU) and must print the book's line formats with a finite loss, and the peak memory line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpu, nd } from '../../src/index.js';
import { requireResource, haveFashionMnist } from '../helpers.js';
import * as vgg from '../../chapters/vgg.js';
import * as nin from '../../chapters/nin.js';
import * as googlenet from '../../chapters/googlenet.js';

const HAVE_FASHION = haveFashionMnist();

const EPOCH_LINE = /^epoch 1, loss (\d+\.\d{4}|nan), train acc \d\.\d{3}, test acc \d\.\d{3}, time \d+\.\d sec$/;

/** Checks the training part of a run: context, epoch line with a finite loss, peak memory. */
function checkTraining(lines: string[], walkLength: number, resize: number): void {
  assert.deepEqual(lines.slice(walkLength, walkLength + 2), ['cpu(0)', 'training on cpu(0)']);
  const epoch = lines[walkLength + 2];
  assert.match(epoch, EPOCH_LINE);
  assert.ok(Number.isFinite(Number(/loss (\S+),/.exec(epoch)![1])), `loss not finite: ${epoch}`);
  assert.match(lines[walkLength + 3], new RegExp(`^peak memory: \\d+ MiB \\(resident set, batch \\d+, resize ${resize}\\)$`));
}

test("5.7 vgg: the book's shape walk on (1, 1, 224, 224), then one epoch of the narrow VGG on 256 images at resize 32", async (t) => {
  if (!requireResource(t, HAVE_FASHION, 'Fashion-MNIST')) return;
  const r = await vgg.run({ seed: 1, limit: 256, resize: 32, batchSize: 64, epochs: 1, ctx: cpu(), print: () => {} });
  assert.deepEqual(r.lines.slice(0, 10), [
    'sequential1 output shape:\t (1, 64, 112, 112)',
    'sequential2 output shape:\t (1, 128, 56, 56)',
    'sequential3 output shape:\t (1, 256, 28, 28)',
    'sequential4 output shape:\t (1, 512, 14, 14)',
    'sequential5 output shape:\t (1, 512, 7, 7)',
    'dense0 output shape:\t (1, 4096)',
    'dropout0 output shape:\t (1, 4096)',
    'dense1 output shape:\t (1, 4096)',
    'dropout1 output shape:\t (1, 4096)',
    'dense2 output shape:\t (1, 10)',
  ]);
  checkTraining(r.lines, 10, 32);
  // The trained net is the book's narrow one: a quarter of the channels in every block.
  const firstConv = [...r.net][0]!.collectParams();
  assert.deepEqual([...firstConv.values()].find((p) => p.name.endsWith('weight'))!.shape, [16, 1, 3, 3]);
});

test('5.7 vgg: vggBlock halves height and width; bad arguments are refused with the op named', () => {
  const blk = vgg.vggBlock(2, 8);
  blk.initialize();
  assert.deepEqual(blk.forward(nd.random.uniform(0, 1, [2, 3, 10, 10])).shape, [2, 8, 5, 5]);
  assert.throws(() => vgg.vggBlock(0, 8), /vggBlock: numConvs must be a positive integer, got 0/);
  assert.throws(() => vgg.vgg([]), /vgg: expected a non-empty list/);
});

test("5.8 nin: the book's shape walk on (1, 1, 224, 224), then one epoch on 256 images at resize 96", async (t) => {
  if (!requireResource(t, HAVE_FASHION, 'Fashion-MNIST')) return;
  const r = await nin.run({ seed: 1, limit: 256, resize: 96, batchSize: 64, epochs: 1, ctx: cpu(), print: () => {} });
  assert.deepEqual(r.lines.slice(0, 10), [
    'sequential1 output shape:\t (1, 96, 54, 54)',
    'pool0 output shape:\t (1, 96, 26, 26)',
    'sequential2 output shape:\t (1, 256, 26, 26)',
    'pool1 output shape:\t (1, 256, 12, 12)',
    'sequential3 output shape:\t (1, 384, 12, 12)',
    'pool2 output shape:\t (1, 384, 5, 5)',
    'dropout0 output shape:\t (1, 384, 5, 5)',
    'sequential4 output shape:\t (1, 10, 5, 5)',
    'pool3 output shape:\t (1, 10, 1, 1)',
    'flatten0 output shape:\t (1, 10)',
  ]);
  checkTraining(r.lines, 10, 96);
});

test("5.9 googlenet: the book's shape walk on (1, 1, 96, 96), then one epoch on 128 images at resize 96", async (t) => {
  if (!requireResource(t, HAVE_FASHION, 'Fashion-MNIST')) return;
  const r = await googlenet.run({ seed: 1, limit: 128, resize: 96, batchSize: 64, epochs: 1, ctx: cpu(), print: () => {} });
  assert.deepEqual(r.lines.slice(0, 6), [
    'sequential0 output shape:\t (1, 64, 24, 24)',
    'sequential1 output shape:\t (1, 192, 12, 12)',
    'sequential2 output shape:\t (1, 480, 6, 6)',
    'sequential3 output shape:\t (1, 832, 3, 3)',
    'sequential4 output shape:\t (1, 1024, 1, 1)',
    'dense0 output shape:\t (1, 10)',
  ]);
  checkTraining(r.lines, 6, 96);
});

test('5.9 googlenet: an Inception block concatenates its four paths on the channels; bad channels are refused', () => {
  const blk = new googlenet.Inception(4, [3, 5], [2, 6], 7);
  blk.initialize();
  const Y = blk.forward(nd.random.uniform(0, 1, [2, 3, 9, 9]));
  assert.deepEqual(Y.shape, [2, 4 + 5 + 6 + 7, 9, 9]);
  assert.throws(() => new googlenet.Inception(4, [3, 0], [2, 6], 7), /Inception: c2\[1\] must be a positive integer/);
  assert.throws(() => blk.forward(nd.ones([3, 9, 9])), /Inception '.*': expected a 4-D/);
});
