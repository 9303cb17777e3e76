// The chapter-6 and 10.3 helpers on gpu(0) (WebGPU; lavapipe in CI): the scratch and Gluon
// recurrent trainers, greedy prediction, held-out perplexity and word2vec give the CPU's numbers
// (f32 kernels in another order: to a relative 1e-3), and `d2l-ts run rnn-scratch --ctx gpu` runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, gluon, type NDArray, type Context } from '../../src/index.js';
import * as R from '../../src/d2l/rnn.js';
import { RNNModel, trainAndPredictRnnGluon, predictRnnGluon, gluonForward } from '../../src/d2l/rnn-gluon.js';
import * as W from '../../src/d2l/word2vec.js';
import { loadDataJayLyrics, heldOutSegments, type CharCorpus } from '../../src/d2l/text.js';
import { main } from '../../cli/main.js';
import { requireResource } from '../helpers.js';
import { DATA_DIR, hasData } from '../text/data-path.js';
import { useGpu, gpuAvailable, G } from '../webgpu/setup.js';

useGpu();

const near = (a: number, b: number, rel = 1e-3) => Math.abs(a - b) <= rel * Math.abs(b);
const lyrics = () => hasData('jaychou_lyrics.txt.zip');

let corpusCache: CharCorpus | null = null;
async function corpus(): Promise<CharCorpus> {
  corpusCache ??= await loadDataJayLyrics({ dataDir: DATA_DIR, numChars: 1200 });
  return corpusCache;
}

/** Small hyperparameters: 1200 characters, batches of 8 x 12 steps, the book's lr and clipping. */
function common(c: CharCorpus, ctx: Context | undefined, numHiddens: number) {
  return {
    numHiddens,
    vocabSize: c.vocabSize,
    corpusIndices: c.corpusIndices,
    idxToChar: c.idxToChar,
    charToIdx: c.charToIdx,
    numEpochs: 3,
    numSteps: 12,
    lr: 1e2,
    clippingTheta: 1e-2,
    batchSize: 8,
    predPeriod: 3,
    predLen: 12,
    prefixes: ['分开', '不分开'],
    print: () => {},
    ...(ctx ? { ctx } : {}),
  };
}

function assertOn(arrays: NDArray[], device: string): void {
  for (const p of arrays) assert.equal(String(p.context), device);
}

test('scratch RNN on gpu(0): perplexities, held-out perplexity and predictRnn as on the CPU', async (t) => {
  if (!gpuAvailable(t)) return;
  if (!requireResource(t, lyrics(), 'jaychou_lyrics.txt.zip')) return;
  const c = await corpus();
  const held = heldOutSegments(c, { length: 400 });
  const H = 32;
  for (const isRandomIter of [true, false]) {
    const run = async (ctx: Context | undefined) => {
      nd.random.seed(11);
      const r = await R.trainAndPredictRnn({
        ...common(c, ctx, H),
        rnn: R.rnn,
        getParams: () => R.getRnnParams(c.vocabSize, H, c.vocabSize, { ctx }),
        initRnnState: R.initRnnState,
        isRandomIter,
      });
      const ppl = await R.heldOutPerplexity(
        R.scratchForward(R.rnn, r.params, c.vocabSize),
        (b) => R.initRnnState(b, H, ctx),
        held.segments,
        { ctx },
      );
      return { ...r, ppl };
    };
    const cpu = await run(undefined);
    const gpu = await run(G());
    assertOn(gpu.params, 'gpu(0)');
    const what = isRandomIter ? 'random' : 'consecutive';
    cpu.log.forEach((e, i) =>
      assert.ok(near(gpu.log[i].perplexity, e.perplexity), `${what} epoch ${i + 1}: ${gpu.log[i].perplexity} vs ${e.perplexity}`),
    );
    assert.ok(near(gpu.ppl, cpu.ppl), `${what} held-out perplexity ${gpu.ppl} vs ${cpu.ppl}`);
    assert.equal(gpu.log[2].samples?.length, 2);
    // predictRnn from the same (CPU-trained) parameters, copied to the GPU: the same text.
    const onGpu = cpu.params.map((p) => p.copyto(G()));
    for (const prefix of ['分开', '不分开']) {
      const fromCpu = await R.predictRnn(
        prefix,
        20,
        R.rnn,
        cpu.params,
        R.initRnnState,
        H,
        c.vocabSize,
        undefined,
        c.idxToChar,
        c.charToIdx,
      );
      const fromGpu = await R.predictRnn(prefix, 20, R.rnn, onGpu, R.initRnnState, H, c.vocabSize, G(), c.idxToChar, c.charToIdx);
      assert.equal(fromGpu, fromCpu);
      assert.equal(Array.from(fromGpu).length, Array.from(prefix).length + 20);
    }
    for (const p of [...cpu.params, ...gpu.params, ...onGpu]) p.dispose();
  }
});

test('gated scratch models (GRU, LSTM) on gpu(0) give the CPU perplexities', async (t) => {
  if (!gpuAvailable(t)) return;
  if (!requireResource(t, lyrics(), 'jaychou_lyrics.txt.zip')) return;
  const c = await corpus();
  const H = 16;
  for (const [name, rnn, getParams, initState] of [
    ['gru', R.gru, R.getGruParams, R.initGruState],
    ['lstm', R.lstm, R.getLstmParams, R.initLstmState],
  ] as const) {
    const run = async (ctx: Context | undefined) => {
      nd.random.seed(12);
      const r = await R.trainAndPredictRnn({
        ...common(c, ctx, H),
        corpusIndices: c.corpusIndices.slice(0, 600),
        numEpochs: 2,
        predPeriod: 2,
        predLen: 5,
        rnn,
        getParams: () => getParams(c.vocabSize, H, c.vocabSize, { ctx }),
        initRnnState: initState,
        isRandomIter: false,
      });
      for (const p of r.params) p.dispose();
      return r.log;
    };
    const cpu = await run(undefined);
    const gpu = await run(G());
    cpu.forEach((e, i) =>
      assert.ok(near(gpu[i].perplexity, e.perplexity), `${name} epoch ${i + 1}: ${gpu[i].perplexity} vs ${e.perplexity}`),
    );
  }
});

test('Gluon GRU in RNNModel on gpu(0): perplexities, held-out perplexity and predictRnnGluon as on the CPU', async (t) => {
  if (!gpuAvailable(t)) return;
  if (!requireResource(t, lyrics(), 'jaychou_lyrics.txt.zip')) return;
  const c = await corpus();
  const held = heldOutSegments(c, { length: 400 });
  const run = async (ctx: Context | undefined) => {
    nd.random.seed(13);
    const model = new RNNModel(new gluon.rnn.GRU(32), c.vocabSize);
    const lines: string[] = [];
    const { log } = await trainAndPredictRnnGluon({ ...common(c, ctx, 32), model, print: (l) => lines.push(l) });
    const ppl = await R.heldOutPerplexity(gluonForward(model), (b) => model.beginState({ batchSize: b, ctx }), held.segments, { ctx });
    return { model, log, lines, ppl };
  };
  const cpu = await run(undefined);
  const gpu = await run(G());
  for (const p of gpu.model.collectParams().values()) assert.equal(String(p.context), 'gpu(0)', p.name);
  cpu.log.forEach((e, i) =>
    assert.ok(near(gpu.log[i].perplexity, e.perplexity), `epoch ${i + 1}: ${gpu.log[i].perplexity} vs ${e.perplexity}`),
  );
  assert.ok(near(gpu.ppl, cpu.ppl), `held-out perplexity ${gpu.ppl} vs ${cpu.ppl}`);
  assert.equal(gpu.lines.length, 3);
  assert.match(gpu.lines[0], /^epoch 3, perplexity \d+\.\d{6}, time \d+\.\d\d sec$/);
  // The CPU-trained model, moved to the GPU, writes the same text.
  const expected = await predictRnnGluon('分开', 20, cpu.model, c.vocabSize, undefined, c.idxToChar, c.charToIdx);
  cpu.model.collectParams().resetCtx(G());
  assert.equal(await predictRnnGluon('分开', 20, cpu.model, c.vocabSize, G(), c.idxToChar, c.charToIdx), expected);
  await assert.rejects(predictRnnGluon('x', 3, cpu.model, c.vocabSize, G(), c.idxToChar, c.charToIdx), /not in the vocabulary/);
});

test('word2vec on gpu(0): the CPU losses and nearest tokens', async (t) => {
  if (!gpuAvailable(t)) return;
  // A toy corpus with structure, as test/text/word2vec.test.ts: two topics that never mix.
  const run = async (ctx: Context | undefined) => {
    nd.random.seed(14);
    const sents: number[][] = [];
    for (let i = 0; i < 200; i++) sents.push(Array.from({ length: 8 }, () => (i % 2) * 10 + nd.random.globalRandom.randint(0, 10)));
    const [centers, contexts] = W.getCentersAndContexts(sents, 3);
    const negatives = W.getNegatives(contexts, Array(20).fill(1), 5);
    const net = new gluon.nn.Sequential();
    net.add(new gluon.nn.Embedding(20, 8), new gluon.nn.Embedding(20, 8));
    const batches = () => W.skipGramBatches(centers, contexts, negatives, 128, ctx ? { ctx } : {});
    const log = await W.trainWord2vec(net, 0.01, 2, batches, 128, { print: () => {}, ...(ctx ? { ctx } : {}) });
    const idx = Array.from({ length: 20 }, (_, i) => String(i));
    const similar = await W.getSimilarTokens('0', 5, net.get(0) as gluon.nn.Embedding, new Map(idx.map((tk, i) => [tk, i])), idx);
    return { net, log, similar };
  };
  const cpu = await run(undefined);
  const gpu = await run(G());
  for (const p of gpu.net.collectParams().values()) assert.equal(String(p.context), 'gpu(0)', p.name);
  cpu.log.forEach((e, i) => assert.ok(near(gpu.log[i].loss, e.loss), `epoch ${i + 1}: loss ${gpu.log[i].loss} vs ${e.loss}`));
  assert.deepEqual(
    gpu.similar.map(([tk]) => tk),
    cpu.similar.map(([tk]) => tk),
  );
  gpu.similar.forEach(([tk, s], i) => assert.ok(Math.abs(s - cpu.similar[i][1]) < 1e-4, `${tk}: ${s} vs ${cpu.similar[i][1]}`));
});

test("d2l-ts run rnn-scratch --ctx gpu prints the CPU run's perplexities", async (t) => {
  if (!gpuAvailable(t)) return;
  if (!requireResource(t, lyrics(), 'jaychou_lyrics.txt.zip')) return;
  const out: string[] = [];
  const err: string[] = [];
  const run = (ctx: string) =>
    main(
      [
        'run',
        'rnn-scratch',
        '--ctx',
        ctx,
        '--epochs',
        '1',
        '--limit',
        '600',
        '--batch-size',
        '4',
        '--seed',
        '5',
        '--no-progress',
        '--data-dir',
        DATA_DIR,
      ],
      {
        out: (l: string) => out.push(l),
        err: (l: string) => err.push(l),
      },
    );
  const numbers = (lines: string[]) =>
    lines.flatMap((l) => {
      const m = /^(?:epoch 1, perplexity (\d+\.\d+)|held-out perplexity (\d+\.\d+))/.exec(l);
      return m ? [Number(m[1] ?? m[2])] : [];
    });
  assert.equal(await run('gpu'), 0, err.join('\n'));
  const gpuLines = out.splice(0);
  assert.equal(await run('cpu'), 0, err.join('\n'));
  const [g, c] = [numbers(gpuLines), numbers(out)];
  // Two samplers: an epoch line and a held-out line each.
  assert.equal(g.length, 4, gpuLines.join('\n'));
  g.forEach((v, i) => assert.ok(near(v, c[i]), `${v} vs ${c[i]}`));
  assert.equal(gpuLines.filter((l) => /^ - 不?分开/.test(l)).length, 4);
  assert.ok(nd.memory().devices['gpu(0)'], 'the CLI used the registered gpu(0)');
});
