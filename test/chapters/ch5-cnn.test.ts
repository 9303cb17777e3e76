// Fast tier: the book's CNN programs (so far 5.6 AlexNet). The shape walk on the
// book's input is deterministic and checked line by line against the book's printout; training runs
// on 256 images at a small resize for one epoch (the book's settings take hours on this CPU) and
// must print the book's line formats with a finite loss, and the peak memory line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpu } from '../../src/index.js';
import { requireResource, haveFashionMnist } from '../helpers.js';
import * as alexnet from '../../chapters/alexnet.js';

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

test("5.6 alexnet: the book's shape walk on (1, 1, 224, 224), then one epoch on 256 images at resize 96", async (t) => {
  if (!requireResource(t, HAVE_FASHION, 'Fashion-MNIST')) return;
  const r = await alexnet.run({ seed: 1, limit: 256, resize: 96, batchSize: 64, epochs: 1, ctx: cpu(), print: () => {} });
  assert.deepEqual(r.lines.slice(0, 13), [
    'conv0 output shape:\t (1, 96, 54, 54)',
    'pool0 output shape:\t (1, 96, 26, 26)',
    'conv1 output shape:\t (1, 256, 26, 26)',
    'pool1 output shape:\t (1, 256, 12, 12)',
    'conv2 output shape:\t (1, 384, 12, 12)',
    'conv3 output shape:\t (1, 384, 12, 12)',
    'conv4 output shape:\t (1, 256, 12, 12)',
    'pool2 output shape:\t (1, 256, 5, 5)',
    'dense0 output shape:\t (1, 4096)',
    'dropout0 output shape:\t (1, 4096)',
    'dense1 output shape:\t (1, 4096)',
    'dropout1 output shape:\t (1, 4096)',
    'dense2 output shape:\t (1, 10)',
  ]);
  checkTraining(r.lines, 13, 96);
});
