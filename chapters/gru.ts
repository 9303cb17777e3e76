/**
 * # 6.7 Gated recurrent units (门控循环单元（GRU）)
 *
 * A GRU controls the flow of information with a reset gate R and an update gate Z:
 *   Z = σ(X W_xz + H W_hz + b_z),  R = σ(X W_xr + H W_hr + b_r),
 *   H̃ = tanh(X W_xh + (R ⊙ H) W_hh + b_h),  H = Z ⊙ H + (1 − Z) ⊙ H̃.
 * The reset gate helps capture short-term dependencies, the update gate long-term ones. (The
 * candidate uses R ⊙ H inside the product, as the book's equation and its corrected code.)
 *
 * Run it: `d2l-ts run gru` or `node dist/chapters/gru.js`.
 */
import { gluon } from '../src/index.js';
import * as R from '../src/d2l/rnn.js';
import { runIfMain, type ChapterOptions } from './common.js';
import { runGated, type GatedRnnResult } from './gated-rnn.js';

export const meta = {
  slug: 'gru',
  title: '6.7 门控循环单元（GRU） (gated recurrent units)',
  needsData: ['jaychou_lyrics.txt.zip'],
};

// The model (d2l's gru, getGruParams, initGruState): 11 parameters, the last two for the output layer.
export async function run(opts: ChapterOptions & { parts?: ('scratch' | 'concise')[] } = {}): Promise<GatedRnnResult> {
  return runGated({ rnn: R.gru, getParams: R.getGruParams, initState: R.initGruState, layer: (h) => new gluon.rnn.GRU(h) }, opts);
}

runIfMain(import.meta.url, run);
