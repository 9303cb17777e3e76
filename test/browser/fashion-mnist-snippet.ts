/**
 * The Fashion-MNIST program the browser data test runs in Chromium and, for reference, in Node:
 * `d2l.loadDataFashionMnist` over fetch from the folder `url`, then one epoch of the book's
 * softmax regression (3.7, Gluon) on the first 10,000 images, evaluated on 2,000 test images.
 *
 * @example
 * const r = await fashionMnistSnippet(await import('../../src/index.js'), 'http://127.0.0.1:8080/fmnist/');
 */
import type * as D2l from '../../src/index.js';

export interface FashionMnistSnippetResult {
  firstLabels: number[];
  batchShape: number[];
  progressCalls: number;
  files: string[];
  trainAcc: number;
  testAcc: number;
}

/** Runs the program against `d2l` (the Node package or the browser bundle). */
export async function fashionMnistSnippet(d2l: typeof D2l, url: string): Promise<FashionMnistSnippetResult> {
  const { nd, autograd, gluon, init } = d2l;
  let progressCalls = 0;
  const files = new Set<string>();
  nd.random.seed(1);
  const [trainIter, testIter] = await d2l.d2l.loadDataFashionMnist(256, {
    url,
    limit: 10000,
    onProgress: (p) => {
      progressCalls++;
      files.add(p.file);
    },
  });
  const test = testIter.dataset.take(2000);
  const net = new gluon.nn.Sequential();
  net.add(new gluon.nn.Dense(10));
  net.initialize(new init.Normal(0.01));
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
  let firstLabels: number[] = [];
  let batchShape: number[] = [];
  let right = 0;
  let seen = 0;
  for (const [X, y] of trainIter) {
    if (!batchShape.length) {
      batchShape = [...X.shape];
      firstLabels = Array.from(y.dataSync().slice(0, 10), Number);
    }
    const yHat = autograd.record(() => net.forward(X));
    autograd.record(() => loss.forward(yHat, y)).backward();
    trainer.step(X.shape[0]);
    right += yHat.argmax({ axis: 1 }).astype('int32').equal(y).sum().asScalar();
    seen += X.shape[0];
  }
  const testLoader = new gluon.data.DataLoader(test, { batchSize: 500 });
  let testRight = 0;
  for (const [X, y] of testLoader) testRight += net.forward(X).argmax({ axis: 1 }).astype('int32').equal(y).sum().asScalar();
  return { firstLabels, batchShape, progressCalls, files: [...files].sort(), trainAcc: right / seen, testAcc: testRight / 2000 };
}
