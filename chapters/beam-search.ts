/**
 * # 10.10 Beam search (束搜索)
 *
 * The book's section is text only: greedy search takes the most probable token at each step,
 * exhaustive search scores every sequence, and beam search keeps the `beamSize` most probable
 * prefixes at each step and picks the final sequence by (1/L^α)·log P (α = 0.75). This program
 * shows the three on the 10.12 model: it trains the French–English encoder–decoder with attention
 * (the book's settings, fewer epochs by default) and translates with beam sizes 1 (greedy), 2 and 3.
 *
 * Run it: `d2l-ts run beam-search` or `node dist/chapters/beam-search.js`.
 */
import { nd, d2l } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'beam-search',
  title: '10.10 束搜索 (greedy vs beam search on the 10.12 translation model)',
  needsData: ['fr-en-small.txt'],
};

export interface BeamSearchResult {
  lines: string[];
  translations: { input: string; beamSize: number; predict: string[] }[];
}

export async function run(opts: ChapterOptions = {}): Promise<BeamSearchResult> {
  const { print, lines } = startRun(opts);
  nd.random.seed(opts.seed ?? 1);
  const maxSeqLen = 7;
  const { inVocab, outVocab, dataset } = await d2l.readData(maxSeqLen, { dataDir: opts.dataDir });
  const encoder = new d2l.Encoder(inVocab.length, 64, 64, 2, 0.5);
  const decoder = new d2l.Decoder(outVocab.length, 64, 64, 2, 10, 0.5);
  const numEpochs = opts.epochs ?? 20;
  d2l.train(encoder, decoder, dataset, outVocab, opts.lr ?? 0.01, opts.batchSize ?? 2, numEpochs, {
    print,
    printEvery: Math.min(10, numEpochs),
    ctx: opts.ctx,
  });
  const translations: BeamSearchResult['translations'] = [];
  for (const input of ['ils regardent .', 'ils sont canadiens .', 'elle est vieille .'])
    for (const beamSize of [1, 2, 3]) {
      const predict = d2l.translateBeam(encoder, decoder, input, maxSeqLen, inVocab, outVocab, { beamSize, ctx: opts.ctx });
      translations.push({ input, beamSize, predict });
      print(`${input} -> beam size ${beamSize}${beamSize === 1 ? ' (greedy)' : ''}: ${predict.join(' ')}`);
    }
  return { lines, translations };
}

runIfMain(import.meta.url, run);
