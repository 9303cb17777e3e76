/**
 * # 6.8 Long short-term memory (长短期记忆（LSTM）)
 *
 * An LSTM adds a memory cell C and three gates: input I, forget F and output O, each
 * σ(X W_x* + H W_h* + b_*); the candidate cell is C̃ = tanh(X W_xc + H W_hc + b_c), then
 * C = F ⊙ C + I ⊙ C̃ and H = O ⊙ tanh(C). The state carried between steps is (H, C).
 *
 * Run it: `d2l-ts run lstm` or `node dist/chapters/lstm.js`.
 */
import { gluon } from '../src/index.js';
import * as R from '../src/d2l/rnn.js';
import { runIfMain, type ChapterOptions } from './common.js';
import { runGated, type GatedRnnResult } from './gated-rnn.js';

export const meta = {
  slug: 'lstm',
  title: '6.8 长短期记忆（LSTM） (long short-term memory)',
  needsData: ['jaychou_lyrics.txt.zip'],
};

// The model (d2l's lstm, getLstmParams, initLstmState): 14 parameters; the state is (H, C).
export async function run(opts: ChapterOptions & { parts?: ('scratch' | 'concise')[] } = {}): Promise<GatedRnnResult> {
  return runGated({ rnn: R.lstm, getParams: R.getLstmParams, initState: R.initLstmState, layer: (h) => new gluon.rnn.LSTM(h) }, opts);
}

runIfMain(import.meta.url, run);
