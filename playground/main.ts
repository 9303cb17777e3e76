/**
 * The playground page: train the book's softmax regression or MLP on Fashion-MNIST in the browser
 * with a live chart and a prediction grid, on the Wasm kernels or on WebGPU, and an editable code
 * cell. `window.__playground` exposes the same actions to the tests.
 */
import * as lib from '../src/index.js';
import { train, type EpochResult, type TrainOptions, type TrainResult } from './train.js';
import { runCell, type CellResult } from './cell.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const DATA_URL = 'data/fashion-mnist/';

function status(text: string): void {
  $('status').textContent = text;
}

async function drawChart(all: readonly EpochResult[]): Promise<void> {
  const fig = await lib.d2l.plotTrainingCurves(
    all.map((e) => ({ epoch: e.epoch, loss: e.trainLoss, trainAcc: e.trainAcc, testAcc: e.testAcc })),
  );
  $('chart').innerHTML = fig.svg;
}

function drawPredictions(r: TrainResult): void {
  const grid = $('predictions');
  grid.replaceChildren();
  for (const p of r.predictions) {
    const cell = document.createElement('figure');
    const canvas = document.createElement('canvas');
    canvas.width = 28;
    canvas.height = 28;
    const ctx = canvas.getContext('2d')!;
    const img = ctx.createImageData(28, 28);
    p.pixels.forEach((v, i) => {
      const g = Math.round(255 * (1 - v));
      img.data.set([g, g, g, 255], 4 * i);
    });
    ctx.putImageData(img, 0, 0);
    const caption = document.createElement('figcaption');
    caption.textContent = `${p.label}\n${p.predicted}`;
    caption.className = p.label === p.predicted ? 'right' : 'wrong';
    cell.append(canvas, caption);
    grid.append(cell);
  }
}

let trainWorker: Worker | null = null;
let nextId = 0;

type WorkerMessage = {
  id: number;
  epoch?: EpochResult;
  all?: EpochResult[];
  progress?: { file: string; loaded: number; total: number | null };
  result?: TrainResult;
  error?: string;
};

/**
 * `train` in the training Worker (train-worker.ts), forwarding its progress and epochs to the
 * page: where the page is cross-origin isolated, so the kernels there split over Web Workers.
 */
function trainInWorker(opts: TrainOptions): Promise<TrainResult> {
  trainWorker ??= new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module', name: 'd2l-train' });
  const w = trainWorker;
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const onMessage = (e: MessageEvent) => {
      const m = e.data as WorkerMessage;
      if (m.id !== id) return;
      if (m.progress) opts.onProgress?.(m.progress);
      else if (m.epoch) void opts.onEpoch?.(m.epoch, m.all!);
      else {
        w.removeEventListener('message', onMessage);
        if (m.error !== undefined) reject(new Error(m.error));
        else resolve(m.result!);
      }
    };
    w.addEventListener('message', onMessage);
    const { onEpoch: _e, onProgress: _p, ...plain } = opts;
    w.postMessage({ id, opts: plain });
  });
}

/** One training run with the page's chart and grid updated as it goes. */
async function runTraining(opts: Omit<TrainOptions, 'url' | 'onEpoch' | 'onProgress'>): Promise<TrainResult> {
  status(`loading Fashion-MNIST from ${DATA_URL} ...`);
  const full: TrainOptions = {
    ...opts,
    url: DATA_URL,
    onProgress: (p) => status(`loading ${p.file}: ${(p.loaded / 1e6).toFixed(1)}${p.total ? ` of ${(p.total / 1e6).toFixed(1)}` : ''} MB`),
    onEpoch: async (e, all) => {
      status(
        `epoch ${e.epoch}, loss ${e.trainLoss.toFixed(4)}, train acc ${e.trainAcc.toFixed(3)}, test acc ${e.testAcc.toFixed(3)} (${e.seconds.toFixed(1)} s)`,
      );
      await drawChart(all);
    },
  };
  // Threads need a cross-origin isolated page and a thread that may block: the training Worker.
  // WebGPU trains here, on the page's thread (its work runs on the GPU anyway).
  const r = crossOriginIsolated && opts.backend === 'wasm' ? await trainInWorker(full) : await train(lib, full);
  drawPredictions(r);
  $('device').textContent =
    `${r.device}${r.adapter !== null ? ` (${r.adapter || 'WebGPU adapter'})` : ''}, ${r.threads} CPU thread${r.threads === 1 ? '' : 's'}`;
  return r;
}

async function runCode(code: string): Promise<CellResult> {
  const r = await runCell(lib, code);
  $('cell-output').textContent = [...r.lines, ...(r.error ? [r.error] : [])].join('\n');
  $('cell-figures').innerHTML = r.svgs.join('\n');
  return r;
}

await lib.ready();
$<HTMLButtonElement>('train').onclick = async () => {
  const button = $<HTMLButtonElement>('train');
  button.disabled = true;
  try {
    await runTraining({
      backend: $<HTMLSelectElement>('backend').value as 'wasm' | 'webgpu',
      model: $<HTMLSelectElement>('model').value as 'softmax' | 'mlp',
      epochs: Number($<HTMLInputElement>('epochs').value),
      limit: Number($<HTMLInputElement>('limit').value),
      batchSize: Number($<HTMLInputElement>('batch').value),
    });
  } catch (e) {
    status(`error: ${(e as Error).message}`);
  } finally {
    button.disabled = false;
  }
};
$<HTMLButtonElement>('run').onclick = () => void runCode($<HTMLTextAreaElement>('code').value);
(window as unknown as { __playground: unknown }).__playground = { train: runTraining, runCell: runCode };
status('ready');
