/**
 * # 3.16 Kaggle competition: house price prediction (实战Kaggle比赛：房价预测)
 *
 * The whole workflow of a prediction task on the Kaggle "House Prices" data (1460 training and
 * 1459 test houses, 79 features each): preprocessing (standardizing the numeric features, one-hot
 * encoding the categorical ones), a linear model trained with Adam on the squared loss, model
 * selection with K-fold cross-validation on the log RMSE (the competition's metric), and a file
 * of predictions for the test set.
 *
 * The book reads and preprocesses the data with pandas; here `d2l.loadBookCsv` reads it into a
 * small DataFrame (src/d2l/dataframe.ts) with pandas' type inference, missing values and
 * `get_dummies`. The CSVs come through the data resolver (`--data-dir`, D2L_DATA_DIR, the cache,
 * or a download from the book's repository; checksum verified).
 *
 * Run it: `d2l-ts run kaggle-house-price [--epochs 100 --lr 5 --batch-size 64]`. It writes the
 * fold-0 curves, the final training curve and `predictions.csv` (the book's `submission.csv`: Id,
 * SalePrice) to `<outDir>` (default ./out/kaggle-house-price).
 */
import { join } from 'node:path';
import { nd, d2l, autograd, gluon, ValueError, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

const { data: gdata, loss: gloss, nn } = gluon;

export const meta = {
  slug: 'kaggle-house-price',
  title: '3.16 实战Kaggle比赛：房价预测 (Kaggle house prices)',
  needsData: ['kaggle-house-price'],
};

export interface KaggleHousePriceResult {
  lines: string[];
  /** The one-hot encoded feature table's shape: [2919, 331]. */
  featureShape: [number, number];
  /** Each fold's final train and validation log RMSE. */
  folds: { train: number; valid: number }[];
  avgTrain: number;
  avgValid: number;
  /** The final model's train log RMSE per epoch. */
  finalTrainLs: number[];
  /** The predictions file (Id, SalePrice) and its predictions. */
  predictionsFile: string;
  predictions: Float32Array;
}

/**
 * Runs 3.16: preprocessing, 5-fold cross-validation of a linear model trained with Adam, then
 * training on all the data and predicting the test set.
 *
 * @example
 * const { avgValid, predictionsFile } = await run({ seed: 1, dataDir: '../shared/data' });
 * avgValid; // about 0.17
 */
export async function run(opts: ChapterOptions = {}): Promise<KaggleHousePriceResult> {
  const { print, lines, dataOpts } = startRun(opts);
  gluon.resetNameCounters();
  const outDir = opts.outDir ?? join('out', meta.slug);

  // ## Getting and reading the data set
  // Two CSV files: the training data, with the sale price as its last column, and the test data.
  const trainData = await d2l.loadBookCsv('kaggle_house_pred_train.csv', dataOpts);
  const testData = await d2l.loadBookCsv('kaggle_house_pred_test.csv', dataOpts);
  print(`(${trainData.shape.join(', ')})`);
  print(`(${testData.shape.join(', ')})`);
  // The first 4 examples' first 4 and last 2 features, and their label (SalePrice).
  print(trainData.iloc('0:4', [0, 1, 2, 3, -3, -2, -1]).toString());
  // The Id says nothing about the price: drop it, and stack the 79 features of both sets.
  const allFeatures = d2l.DataFrame.concat([trainData.iloc(':', '1:-1'), testData.iloc(':', '1:')]);

  // ## Preprocessing the data
  // Standardize every numeric feature: x <- (x - mean) / std, so that its mean is 0 and its
  // variance 1; then a missing value is replaced by the mean, 0.
  const numericFeatures = allFeatures.columns.filter((c) => allFeatures.dtype(c) !== 'object');
  for (const c of numericFeatures) {
    const mean = allFeatures.mean(c);
    const std = allFeatures.std(c);
    allFeatures.apply([c], (x) => (x - mean) / std);
  }
  // After standardizing, the mean of every feature is 0, so missing values can be set to 0.
  allFeatures.fillna(0, numericFeatures);

  // One-hot encode the discrete values: MSZoning's 'RL' and 'RM' become MSZoning_RL and
  // MSZoning_RM, each 0 or 1. dummyNa: a missing value is a valid value too, with its own column.
  const encoded = allFeatures.getDummies({ dummyNa: true });
  const featureShape = encoded.shape;
  print(`(${featureShape.join(', ')})`);

  // The values as NDArrays, for training.
  const nTrain = trainData.shape[0];
  const trainFeatures = nd.array(encoded.iloc(`:${nTrain}`).values);
  const testFeatures = nd.array(encoded.iloc(`${nTrain}:`).values);
  const trainLabels = nd.array(trainData.get('SalePrice') as number[]).reshape([-1, 1]);

  // ## Training the model
  // A linear model with the squared loss: a baseline that tells how much information the data hold.
  const loss = new gloss.L2Loss();

  function getNet(): gluon.Sequential {
    const net = new nn.Sequential();
    net.add(new nn.Dense(1));
    net.initialize();
    return net;
  }

  // The competition's metric, the root-mean-square error of the logarithms: relative errors
  // count, not absolute ones (a house of 125,000 off by 100,000 is worse than one of 4,000,000).
  function logRmse(net: gluon.Block, features: NDArray, labels: NDArray): number {
    // Values below 1 are set to 1, so that the logarithm is stable.
    const clippedPreds = nd.clip(net.forward(features), 1, Infinity);
    const rmse = nd.sqrt(loss.forward(clippedPreds.log(), labels.log()).mean().mul(2));
    return rmse.asScalar();
  }

  // Training uses Adam, which is less sensitive to the learning rate than minibatch SGD.
  function train(
    net: gluon.Block,
    trainFeatures: NDArray,
    trainLabels: NDArray,
    testFeatures: NDArray | null,
    testLabels: NDArray | null,
    numEpochs: number,
    learningRate: number,
    weightDecay: number,
    batchSize: number,
  ): [number[], number[]] {
    const trainLs: number[] = [];
    const testLs: number[] = [];
    const trainIter = new gdata.DataLoader(new gdata.ArrayDataset(trainFeatures, trainLabels), { batchSize, shuffle: true });
    // The Adam optimizer.
    const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate, wd: weightDecay });
    for (let epoch = 0; epoch < numEpochs; epoch++) {
      for (const [X, y] of trainIter) {
        const l = autograd.record(() => loss.forward(net.forward(X), y));
        l.backward();
        trainer.step(batchSize);
      }
      trainLs.push(logRmse(net, trainFeatures, trainLabels));
      if (testFeatures && testLabels) testLs.push(logRmse(net, testFeatures, testLabels));
    }
    return [trainLs, testLs];
  }

  // ## K-fold cross-validation
  // The i-th fold (of K equal parts, the rest dropped) is the validation data, the others the
  // training data.
  function getKFoldData(k: number, i: number, X: NDArray, y: NDArray): [NDArray, NDArray, NDArray, NDArray] {
    if (!(k > 1)) throw new ValueError(`getKFoldData: k must be > 1, got ${k}`);
    const foldSize = Math.floor(X.shape[0] / k);
    let XTrain: NDArray | null = null;
    let yTrain: NDArray | null = null;
    let XValid: NDArray | null = null;
    let yValid: NDArray | null = null;
    for (let j = 0; j < k; j++) {
      const idx = `${j * foldSize}:${(j + 1) * foldSize}`;
      const XPart = X.get(`${idx}, :`);
      const yPart = y.get(idx);
      if (j === i) {
        XValid = XPart;
        yValid = yPart;
      } else if (XTrain === null || yTrain === null) {
        XTrain = XPart;
        yTrain = yPart;
      } else {
        XTrain = nd.concat([XTrain, XPart], { dim: 0 });
        yTrain = nd.concat([yTrain, yPart], { dim: 0 });
      }
    }
    return [XTrain!, yTrain!, XValid!, yValid!];
  }

  // Train K times and average the training and validation errors.
  const epochs = (n: number) => d2l.range(n).map((e) => e + 1);
  const folds: { train: number; valid: number }[] = [];
  async function kFold(
    k: number,
    XTrain: NDArray,
    yTrain: NDArray,
    numEpochs: number,
    learningRate: number,
    weightDecay: number,
    batchSize: number,
  ): Promise<[number, number]> {
    let trainLSum = 0;
    let validLSum = 0;
    for (let i = 0; i < k; i++) {
      const data = getKFoldData(k, i, XTrain, yTrain);
      const net = getNet();
      const [trainLs, validLs] = train(net, ...data, numEpochs, learningRate, weightDecay, batchSize);
      trainLSum += trainLs[trainLs.length - 1];
      validLSum += validLs[validLs.length - 1];
      if (i === 0)
        await d2l.semilogy(epochs(numEpochs), trainLs, 'epochs', 'rmse', epochs(numEpochs), validLs, ['train', 'valid'], {
          file: join(outDir, 'fold-0.png'),
        });
      print(`fold ${i}, train rmse ${trainLs[trainLs.length - 1].toFixed(6)}, valid rmse ${validLs[validLs.length - 1].toFixed(6)}`);
      folds.push({ train: trainLs[trainLs.length - 1], valid: validLs[validLs.length - 1] });
    }
    return [trainLSum / k, validLSum / k];
  }

  // ## Model selection
  // An untuned set of hyperparameters; tuning them lowers the validation error. A training error
  // far below the validation error would mean overfitting.
  const k = 5;
  const numEpochs = opts.epochs ?? 100;
  const lr = opts.lr ?? 5;
  const weightDecay = 0;
  const batchSize = opts.batchSize ?? 64;
  const [trainL, validL] = await kFold(k, trainFeatures, trainLabels, numEpochs, lr, weightDecay, batchSize);
  print(`${k}-fold validation: avg train rmse ${trainL.toFixed(6)}, avg valid rmse ${validL.toFixed(6)}`);

  // ## Predicting and submitting the results to Kaggle
  // Train on all the training data, predict the test set, and write the predictions in the
  // competition's submission format (Id, SalePrice).
  const predictionsFile = join(outDir, 'predictions.csv');
  async function trainAndPred(
    trainFeatures: NDArray,
    testFeatures: NDArray,
    trainLabels: NDArray,
    testData: d2l.DataFrame,
    numEpochs: number,
    lr: number,
    weightDecay: number,
    batchSize: number,
  ): Promise<[number[], Float32Array]> {
    const net = getNet();
    const [trainLs] = train(net, trainFeatures, trainLabels, null, null, numEpochs, lr, weightDecay, batchSize);
    await d2l.semilogy(epochs(numEpochs), trainLs, 'epochs', 'rmse', null, null, null, { file: join(outDir, 'train.png') });
    print(`train rmse ${trainLs[trainLs.length - 1].toFixed(6)}`);
    const preds = net.forward(testFeatures).dataSync() as Float32Array;
    testData.set('SalePrice', preds);
    const submission = testData.select(['Id', 'SalePrice']);
    submission.toCsv(predictionsFile);
    return [trainLs, preds];
  }

  const [finalTrainLs, predictions] = await trainAndPred(
    trainFeatures,
    testFeatures,
    trainLabels,
    testData,
    numEpochs,
    lr,
    weightDecay,
    batchSize,
  );
  print(`predictions written to ${predictionsFile}`);
  return { lines, featureShape, folds, avgTrain: trainL, avgValid: validL, finalTrainLs, predictionsFile, predictions };
}

runIfMain(import.meta.url, run);
