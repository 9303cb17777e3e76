/**
 * # 6.2 Recurrent neural networks (循环神经网络)
 *
 * An RNN keeps a hidden state H_t = φ(X_t W_xh + H_{t-1} W_hh + b_h) that carries the history of
 * the sequence; the output is O_t = H_t W_hq + b_q, and the parameters are the same at every
 * time step, so the model's size does not grow with the sequence. The section's one piece of
 * code shows that X_t W_xh + H_{t-1} W_hh is a single product: the input and the hidden state
 * concatenated on columns, times W_xh and W_hh concatenated on rows.
 *
 * Run it: `d2l-ts run rnn` or `node dist/chapters/rnn.js`.
 */
import { nd } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'rnn',
  title: '6.2 循环神经网络 (recurrent neural networks)',
};

export interface RnnResult {
  lines: string[];
  /** The two ways of computing X W_xh + H W_hh. */
  separate: nd.NDArray;
  concatenated: nd.NDArray;
}

export async function run(opts: ChapterOptions = {}): Promise<RnnResult> {
  const { print, lines } = startRun(opts);
  nd.random.seed(opts.seed ?? 0);
  // X (3, 1), W_xh (1, 4), H (3, 4), W_hh (4, 4), all N(0, 1).
  const [X, Wxh] = [nd.random.normal(0, 1, [3, 1]), nd.random.normal(0, 1, [1, 4])];
  const [H, Whh] = [nd.random.normal(0, 1, [3, 4]), nd.random.normal(0, 1, [4, 4])];
  const separate = nd.dot(X, Wxh).add(nd.dot(H, Whh));
  print(String(separate));
  const concatenated = nd.dot(nd.concat([X, H], { dim: 1 }), nd.concat([Wxh, Whh], { dim: 0 }));
  print(String(concatenated));
  return { lines, separate, concatenated };
}

runIfMain(import.meta.url, run);
