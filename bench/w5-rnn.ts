/**
 * W5: the book's rnn-scratch training step (../shared/bench/WORKLOADS.md): vocab 1027, hidden
 * 256, T = 35, B = 32. One step (all timed): inputs = one_hot(Xᵀ, V) as float [T, B, V]; H₀ = 0;
 * for each t, H = tanh(X_t W_xh + H W_hh + b_h) and Y_t = H W_hq + b_q (explicit per-step ops,
 * the one-hot input multiplied as a dense matrix); loss = mean softmax cross-entropy over all
 * T·B outputs against Yᵀ flattened; backward; global-norm clipping with θ = 0.01
 * (g ← g·θ/‖g‖ when ‖g‖ > θ, the book's grad_clipping); SGD lr 100; the loss read back.
 * 3 warm-up steps, then ≥ 10 timed steps and ≥ 5 s; reports the median ms/step.
 *
 *   node dist/bench/w5-rnn.js [--peer=LABEL] [--min-time-s=S]
 *   D2L_CPU_KERNELS=wasm node dist/bench/w5-rnn.js   # peer d2l-ts-portable
 */
import { autograd, gluon, nd, type NDArray } from '../src/index.js';
import {
  baseRecord,
  emit,
  stepFields,
  median,
  mulberry32,
  memoryMode,
  parseArgs,
  randomTokens,
  runIfMain,
  startKernelThreads,
  timeRepeated,
  workloads,
} from './w3-w5-harness.js';

export function w5_rnn(argv = process.argv.slice(2)): { msPerStep: number; lastLoss: number } {
  const args = parseArgs(argv);
  startKernelThreads();
  const base = baseRecord(args);
  const memory = memoryMode(args);
  const cfg = workloads().w5_rnn;
  const V = cfg.vocab_size;
  const Hn = cfg.num_hiddens;
  const T = cfg.num_steps;
  const B = cfg.batch_size;
  nd.seed(0);
  const param = (shape: number[], std: number | null): NDArray => {
    const p = std === null ? nd.zeros(shape) : nd.random.normal(0, std, shape);
    p.attachGrad();
    return p;
  };
  const W_xh = param([V, Hn], cfg.init_std);
  const W_hh = param([Hn, Hn], cfg.init_std);
  const b_h = param([Hn], null);
  const W_hq = param([Hn, V], cfg.init_std);
  const b_q = param([V], null);
  const params = [W_xh, W_hh, b_h, W_hq, b_q];
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();

  // Token data (not timed): 8 pre-generated [B, T] batches of X and Y, cycled.
  const rng = mulberry32(7);
  const batches: [NDArray, NDArray][] = [];
  for (let i = 0; i < cfg.data_batches; i++)
    batches.push([
      nd.array(randomTokens(B, T, V, rng), { dtype: 'int32', shape: [B, T] }),
      nd.array(randomTokens(B, T, V, rng), { dtype: 'int32', shape: [B, T] }),
    ]);

  const theta = cfg.clip_theta;
  const lr = cfg.lr;
  let k = 0;
  let lastLoss = NaN;
  const step = (): void => {
    const [Xb, Yb] = batches[k++ % batches.length];
    lastLoss = memory.scope(() => {
      const inputs = nd.oneHot(Xb.T, V); // [T, B, V] float32
      const labels = Yb.T.reshape([T * B]);
      const l = autograd.record(() => {
        let H = nd.zeros([B, Hn]);
        const outputs: NDArray[] = [];
        for (let t = 0; t < T; t++) {
          const Xt = inputs.get(t);
          H = nd.tanh(nd.dot(Xt, W_xh).add(nd.dot(H, W_hh)).add(b_h));
          outputs.push(nd.dot(H, W_hq).add(b_q));
        }
        return loss.forward(nd.concat(outputs, { dim: 0 }), labels).mean();
      });
      l.backward();
      // grad_clipping: the global norm read back to the host, the book's rnn-scratch.
      let sq: NDArray | null = null;
      for (const p of params) {
        const s = p.grad.square().sum();
        sq = sq ? sq.add(s) : s;
      }
      const norm = Math.sqrt(sq!.asScalar());
      if (norm > theta) for (const p of params) p.grad.imul(theta / norm);
      for (const p of params) p.isub(p.grad.mul(lr));
      return l.asScalar();
    });
  };

  const minTimeS = typeof args['min-time-s'] === 'string' ? Number(args['min-time-s']) : cfg.min_time_s;
  const samples = timeRepeated(step, { warmup: cfg.warmup_steps, reps: cfg.min_steps, minTimeS, maxReps: 200 });
  const ms = median(samples);
  emit({
    ...base,
    workload: 'w5_rnn',
    case: 'scratch',
    ...stepFields(samples, lastLoss, memory.mode),
  });
  return { msPerStep: ms, lastLoss };
}

runIfMain(import.meta.url, () => void w5_rnn());
