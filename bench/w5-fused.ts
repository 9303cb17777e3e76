/**
 * W5-fused: W5's training step (bench/w5-rnn.ts: vocab 1027, hidden 256, T = 35, B = 32, one-hot
 * input, global-norm clipping θ = 0.01, SGD lr 100, the loss read back) with the book's 6.5 model
 * instead of the scratch cell: a Gluon recurrent layer over all steps (rnn.RNN(256) with tanh, as
 * W5 and PyTorch's nn.RNN default; rnn.GRU(256); rnn.LSTM(256)) and a Dense(1027) over the T·B
 * outputs. The layer runs as one fused op (src/ops/rnn.ts). One case per cell ('rnn', 'gru',
 * 'lstm'); the PyTorch peer is bench/torch_w5_fused.py (nn.RNN / nn.GRU / nn.LSTM + nn.Linear).
 * Parameters: `w5_fused` of ../shared/bench/workloads.json when it has them, else of
 * bench/workloads.json. Init: weights N(0, init_std), biases zero, on both sides.
 *
 *   node dist/bench/w5-fused.js [--peer=LABEL] [--min-time-s=S] [--cells=rnn,gru,lstm]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, gluon, nd, type NDArray } from '../src/index.js';
import {
  baseRecord,
  emit,
  stepFields,
  median,
  memoryMode,
  mulberry32,
  parseArgs,
  randomTokens,
  repoRoot,
  runIfMain,
  sharedBenchDir,
  startKernelThreads,
  timeRepeated,
  type W5Config,
} from './w3-w5-harness.js';

/** W5's parameters plus the cells to run. */
export interface W5FusedConfig extends W5Config {
  cells: ('rnn' | 'gru' | 'lstm')[];
}

/** `w5_fused` of the shared workloads.json when present there, else of bench/workloads.json. */
export function w5FusedParams(): W5FusedConfig {
  const read = (p: string): { w5_fused?: W5FusedConfig } =>
    existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as { w5_fused?: W5FusedConfig }) : {};
  const v = read(join(sharedBenchDir(), 'workloads.json')).w5_fused ?? read(join(repoRoot(), 'bench', 'workloads.json')).w5_fused;
  if (!v) throw new Error('bench: w5_fused is in neither ../shared/bench/workloads.json nor bench/workloads.json');
  return v;
}

function layerOf(cell: 'rnn' | 'gru' | 'lstm', H: number): gluon.rnn.RecurrentLayer {
  return cell === 'rnn' ? new gluon.rnn.RNN(H, { activation: 'tanh' }) : cell === 'gru' ? new gluon.rnn.GRU(H) : new gluon.rnn.LSTM(H);
}

export function w5_fused(argv = process.argv.slice(2)): Record<string, number> {
  const args = parseArgs(argv);
  startKernelThreads();
  const base = baseRecord(args);
  const memory = memoryMode(args);
  const cfg = w5FusedParams();
  const cells = typeof args.cells === 'string' ? (args.cells.split(',') as W5FusedConfig['cells']) : cfg.cells;
  for (const c of cells) if (c !== 'rnn' && c !== 'gru' && c !== 'lstm') throw new Error(`w5_fused: unknown cell '${c}' (rnn, gru, lstm)`);
  const V = cfg.vocab_size;
  const Hn = cfg.num_hiddens;
  const T = cfg.num_steps;
  const B = cfg.batch_size;
  const minTimeS = typeof args['min-time-s'] === 'string' ? Number(args['min-time-s']) : cfg.min_time_s;
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const rng = mulberry32(7);
  const batches: [NDArray, NDArray][] = [];
  for (let i = 0; i < cfg.data_batches; i++)
    batches.push([
      nd.array(randomTokens(B, T, V, rng), { dtype: 'int32', shape: [B, T] }),
      nd.array(randomTokens(B, T, V, rng), { dtype: 'int32', shape: [B, T] }),
    ]);
  const out: Record<string, number> = {};
  for (const cell of cells) {
    nd.seed(0);
    const layer = layerOf(cell, Hn);
    const dense = new gluon.nn.Dense(V, { flatten: false });
    const init = new gluon.init.Normal(cfg.init_std);
    layer.initialize(init);
    dense.initialize(init);
    // Biases zero as on the torch side (Gluon's Dense initializes its bias to zero already).
    layer.forward(nd.zeros([1, 1, V]));
    dense.forward(nd.zeros([1, Hn]));
    const params = [...layer.collectParams().values(), ...dense.collectParams().values()];
    for (const p of params) if (p.data().ndim === 1) p.setData(nd.zeros(p.data().shape));
    let k = 0;
    let lastLoss = NaN;
    const step = (): void => {
      const [Xb, Yb] = batches[k++ % batches.length];
      lastLoss = memory.scope(() => {
        const inputs = nd.oneHot(Xb.T, V); // [T, B, V]
        const labels = Yb.T.reshape([T * B]);
        const l = autograd.record(() => {
          const [Y] = layer.forward(inputs, layer.beginState({ batchSize: B }));
          return loss.forward(dense.forward(Y.reshape([T * B, Hn])), labels).mean();
        });
        l.backward();
        let sq: NDArray | null = null;
        for (const p of params) {
          const s = p.grad().square().sum();
          sq = sq ? sq.add(s) : s;
        }
        const norm = Math.sqrt(sq!.asScalar());
        if (norm > cfg.clip_theta) for (const p of params) p.grad().imul(cfg.clip_theta / norm);
        for (const p of params) p.data().isub(p.grad().mul(cfg.lr));
        return l.asScalar();
      });
    };
    const samples = timeRepeated(step, { warmup: cfg.warmup_steps, reps: cfg.min_steps, minTimeS, maxReps: 200 });
    const ms = median(samples);
    out[cell] = ms;
    emit({
      ...base,
      workload: 'w5_fused',
      case: cell,
      ...stepFields(samples, lastLoss, memory.mode),
    });
  }
  return out;
}

runIfMain(import.meta.url, () => void w5_fused());
