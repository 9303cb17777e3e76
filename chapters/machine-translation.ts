/**
 * # 10.12 Machine translation (机器翻译)
 *
 * French to English on the book's tiny corpus `fr-en-small.txt` (20 sentence pairs): an
 * embedding + two-layer GRU encoder, a GRU decoder that attends over the encoder's states at every
 * step (MLP attention), trained with teacher forcing and a loss masked after EOS; then greedy
 * translation and the book's BLEU with its brevity penalty and n-gram weights 1/2^n.
 *
 * Run it: `d2l-ts run machine-translation` or `node dist/chapters/machine-translation.js`.
 */
import { nd, d2l } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'machine-translation',
  title: '10.12 机器翻译 (machine translation with attention, BLEU)',
  needsData: ['fr-en-small.txt'],
};

export interface MachineTranslationResult {
  lines: string[];
  log: d2l.MtEpoch[];
  dataset0: [number[], number[]];
  shapes: { encoderOutput: number[]; encoderState: number[]; attention: number[] };
  translations: { input: string; predict: string[]; bleu: number | null }[];
}

export async function run(opts: ChapterOptions = {}): Promise<MachineTranslationResult> {
  const { print, lines } = startRun(opts);
  nd.random.seed(opts.seed ?? 1);
  const ctx = opts.ctx;

  // ## Reading and preprocessing the data: sequences longer than maxSeqLen − 1 are dropped, the
  // others end with EOS and are padded with PAD.
  const maxSeqLen = 7;
  const { inVocab, outVocab, dataset } = await d2l.readData(maxSeqLen, { dataDir: opts.dataDir });
  const [x0, y0] = dataset.get(0) as [nd.NDArray, nd.NDArray];
  const dataset0: [number[], number[]] = [x0.toArray() as number[], y0.toArray() as number[]];
  print(`dataset[0]: ${JSON.stringify(dataset0[0])} ${JSON.stringify(dataset0[1])}`);

  // ## Encoder—decoder with attention: the encoder on a batch of 4 sequences of 7 steps.
  const encoder0 = new d2l.Encoder(10, 8, 16, 2);
  encoder0.initialize();
  const [output, state] = encoder0.forward(nd.zeros([4, 7]), encoder0.beginState({ batchSize: 4 }));
  print(`encoder output shape ${JSON.stringify(output.shape)}, state shape ${JSON.stringify(state[0].shape)}`);
  // The attention over 10 encoder steps returns one context vector per example.
  const model = d2l.attentionModel(10);
  model.initialize();
  const context = d2l.attentionForward(model, nd.zeros([10, 4, 8]), nd.zeros([4, 8]));
  print(`attention output shape ${JSON.stringify(context.shape)}`);

  // ## Training, with the book's hyperparameters.
  const [embedSize, numHiddens, numLayers] = [64, 64, 2];
  const attentionSize = 10;
  const dropProb = 0.5;
  const lr = opts.lr ?? 0.01;
  const batchSize = opts.batchSize ?? 2;
  const numEpochs = opts.epochs ?? 50;
  const encoder = new d2l.Encoder(inVocab.length, embedSize, numHiddens, numLayers, dropProb);
  const decoder = new d2l.Decoder(outVocab.length, embedSize, numHiddens, numLayers, attentionSize, dropProb);
  const log = d2l.train(encoder, decoder, dataset, outVocab, lr, batchSize, numEpochs, {
    print,
    printEvery: Math.min(10, numEpochs),
    ctx,
  });

  // ## Predicting the output sequence (greedy), and evaluating it with BLEU (k = 2).
  const translations: MachineTranslationResult['translations'] = [];
  for (const [inputSeq, labelSeq] of [
    ['ils regardent .', 'they are watching .'],
    ['ils sont canadiens .', 'they are canadian .'],
  ]) {
    const predict = d2l.translate(encoder, decoder, inputSeq, maxSeqLen, inVocab, outVocab, ctx);
    // A prediction shorter than k has no k-grams: the book's formula divides by zero there.
    const score = predict.length >= 2 ? d2l.bleu(predict, labelSeq.split(' '), 2) : null;
    translations.push({ input: inputSeq, predict, bleu: score });
    print(`bleu ${score === null ? 'undefined' : score.toFixed(3)}, predict: ${predict.join(' ')}`);
  }
  return {
    lines,
    log,
    dataset0,
    shapes: { encoderOutput: [...output.shape], encoderState: [...state[0].shape], attention: [...context.shape] },
    translations,
  };
}

runIfMain(import.meta.url, run);
