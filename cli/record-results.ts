#!/usr/bin/env node
/**
 * Records one full run of chapter programs into docs/results/<slug>.txt so a reader can compare
 * our numbers with the book's: a header (section, command, seed, date, machine, wall time), the
 * book's own output for the section, then everything the program printed.
 *
 *   node dist/cli/record-results.js [--seed N] [--out-dir docs/results] [slug ...]
 *
 * Without slugs it records every trained section of chapter 3. Image files go to ./out/<slug>.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../src/gluon/safetensors.js';
import { cpus, arch, loadavg, platform, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { loadChapter } from '../chapters/index.js';
import { BOOK_OUTPUT_CH3_CH4 } from './book-outputs.js';
import { BOOK_OUTPUT_CH5 } from './book-outputs-ch5.js';
import { BOOK_OUTPUT_CH7 } from './book-outputs-ch7.js';

/** The book's printed output (nb485, reference §4-§9) for the sections we record. */
export const BOOK_OUTPUT: Readonly<Record<string, string>> = {
  ...BOOK_OUTPUT_CH3_CH4,
  ...BOOK_OUTPUT_CH5,
  ...BOOK_OUTPUT_CH7,
  'linear-regression-scratch':
    'epoch 1, loss 0.040678\nepoch 2, loss 0.000152\nepoch 3, loss 0.000051\nw = [[1.9997706], [-3.3998365]], b = [4.1994095]',
  'linear-regression-gluon':
    'epoch 1, loss: 0.040749\nepoch 2, loss: 0.000158\nepoch 3, loss: 0.000050\ndense.weight = [[1.9998881 -3.399974]], dense.bias = [4.1996565]',
  'fashion-mnist':
    "(60000, 10000); feature (28, 28, 1) uint8; label 2; one epoch of reading: '1.22 sec'\n" +
    "(the book read Gluon's mirror, whose sample order differs: its first label is 2, Zalando's is 9)",
  'softmax-regression-scratch': [
    'evaluate_accuracy of the untrained model: 0.0925',
    'epoch 1, loss 0.7896, train acc 0.745, test acc 0.803',
    'epoch 2, loss 0.5728, train acc 0.812, test acc 0.818',
    'epoch 3, loss 0.5296, train acc 0.824, test acc 0.833',
    'epoch 4, loss 0.5057, train acc 0.829, test acc 0.832',
    'epoch 5, loss 0.4895, train acc 0.835, test acc 0.840',
  ].join('\n'),
  'softmax-regression-gluon': [
    'epoch 1, loss 0.7906, train acc 0.745, test acc 0.792',
    'epoch 2, loss 0.5725, train acc 0.812, test acc 0.827',
    'epoch 3, loss 0.5299, train acc 0.824, test acc 0.831',
    'epoch 4, loss 0.5048, train acc 0.830, test acc 0.836',
    'epoch 5, loss 0.4895, train acc 0.834, test acc 0.841',
  ].join('\n'),
  'mlp-scratch': [
    'epoch 1, loss 0.7748, train acc 0.710, test acc 0.833',
    'epoch 2, loss 0.4840, train acc 0.821, test acc 0.849',
    'epoch 3, loss 0.4292, train acc 0.840, test acc 0.849',
    'epoch 4, loss 0.3898, train acc 0.856, test acc 0.864',
    'epoch 5, loss 0.3669, train acc 0.864, test acc 0.861',
  ].join('\n'),
  // 10.6: the executed notebook chapter_natural-language-processing/similarity-analogy.ipynb in
  // d2l-ai/d2l-zh @ 4f0ecfd3b3477dec8614286ac8aa7f9b6d985ec4, with glove.6B.50d.txt.
  'similarity-analogy': [
    "dict_keys(['glove', 'fasttext'])",
    "['glove.42B.300d.txt', 'glove.6B.50d.txt', 'glove.6B.100d.txt', 'glove.6B.200d.txt', 'glove.6B.300d.txt', 'glove.840B.300d.txt', 'glove.twitter.27B.25d.txt', 'glove.twitter.27B.50d.txt', 'glove.twitter.27B.100d.txt', 'glove.twitter.27B.200d.txt']",
    '400001',
    "(3367, 'beautiful')",
    'cosine sim=0.856: chips',
    'cosine sim=0.749: intel',
    'cosine sim=0.749: electronics',
    'cosine sim=0.839: babies',
    'cosine sim=0.800: boy',
    'cosine sim=0.792: girl',
    'cosine sim=0.921: lovely',
    'cosine sim=0.893: gorgeous',
    'cosine sim=0.830: wonderful',
    "'daughter'",
    "'japan'",
    "'biggest'",
    "'went'",
    '(d2l-zh similarity-analogy.ipynb @ 4f0ecfd3, on glove.6B.50d.txt)',
  ].join('\n'),
  // 10.7: the executed sentiment-analysis-rnn.ipynb @ 4f0ecfd3 (two GPUs, the full aclImdb, GloVe
  // 100d). That version's vocabulary has no '<pad>' token; v1's d2lzh adds it (one more word).
  'sentiment-analysis-rnn': [
    "('# words in vocab:', 46151)",
    'X (64, 500) y (64,)',
    "('#batches:', 391)",
    'training on [gpu(0), gpu(1)]',
    'epoch 1, loss 0.5595, train acc 0.695, test acc 0.819, time 53.9 sec',
    'epoch 2, loss 0.3879, train acc 0.832, test acc 0.841, time 53.6 sec',
    'epoch 3, loss 0.3395, train acc 0.854, test acc 0.849, time 53.5 sec',
    'epoch 4, loss 0.3024, train acc 0.874, test acc 0.832, time 53.5 sec',
    'epoch 5, loss 0.2699, train acc 0.889, test acc 0.855, time 53.4 sec',
    "'positive'",
    "'negative'",
    "(d2l-zh sentiment-analysis-rnn.ipynb @ 4f0ecfd3: the full aclImdb, GloVe 100d, 2 GPUs; v1's '<pad>' makes 46152 words)",
  ].join('\n'),
  // 10.8: the executed sentiment-analysis-cnn.ipynb @ 4f0ecfd3 (two GPUs, the full aclImdb, GloVe
  // 100d). corr1d's two results are exact; the training lines are one unseeded run.
  'sentiment-analysis-cnn': [
    '[ 2.  5.  8. 11. 14. 17.]',
    '<NDArray 6 @cpu(0)>',
    '[ 2.  8. 14. 20. 26. 32.]',
    '<NDArray 6 @cpu(0)>',
    'training on [gpu(0), gpu(1)]',
    'epoch 1, loss 0.6017, train acc 0.720, test acc 0.834, time 19.5 sec',
    'epoch 2, loss 0.3606, train acc 0.844, test acc 0.854, time 18.9 sec',
    'epoch 3, loss 0.2647, train acc 0.891, test acc 0.866, time 19.1 sec',
    'epoch 4, loss 0.1787, train acc 0.932, test acc 0.861, time 19.1 sec',
    'epoch 5, loss 0.1066, train acc 0.961, test acc 0.865, time 19.1 sec',
    "'positive'",
    "'negative'",
    '(d2l-zh sentiment-analysis-cnn.ipynb @ 4f0ecfd3: the full aclImdb, GloVe 100d, 2 GPUs)',
  ].join('\n'),
  'mlp-gluon': [
    'epoch 1, loss 0.7917, train acc 0.708, test acc 0.813',
    'epoch 2, loss 0.4935, train acc 0.816, test acc 0.849',
    'epoch 3, loss 0.4317, train acc 0.840, test acc 0.861',
    'epoch 4, loss 0.4003, train acc 0.851, test acc 0.860',
    'epoch 5, loss 0.3763, train acc 0.860, test acc 0.872',
  ].join('\n'),
};

/** One line describing the machine. @example machineLine() // 'Linux 6.1 x86_64, Intel(R) Xeon(R) (2 cores), Node v20.20.2' */
export function machineLine(): string {
  const c = cpus();
  return `${platform()} ${release()} ${arch()}, ${c[0]?.model ?? 'unknown CPU'} (${c.length} cores), Node ${process.version}, backend cpu`;
}

/** Smaller settings for a record of a long section (the book's are the default). */
export interface RecordSettings {
  epochs?: number;
  limit?: number;
  resize?: number;
  batchSize?: number;
}

function settingsFlags(s: RecordSettings): string {
  const flag = { epochs: '--epochs', limit: '--limit', resize: '--resize', batchSize: '--batch-size' } as const;
  return (Object.keys(flag) as (keyof RecordSettings)[])
    .filter((k) => s[k] !== undefined)
    .map((k) => ` ${flag[k]} ${s[k]}`)
    .join('');
}

/**
 * Runs `slug` with `seed` and writes its record to `<dir>/<slug>.txt`; returns the text.
 *
 * @example
 * await recordResult('softmax-regression-scratch', 1, 'docs/results');
 */
export async function recordResult(slug: string, seed: number, dir: string, settings: RecordSettings = {}): Promise<string> {
  const chapter = await loadChapter(slug);
  const lines: string[] = [];
  // Figures go to a scratch folder first: only images are kept beside the record (the book site
  // shows them), not the parameter files some sections save.
  const scratch = mkdtempSync(join(tmpdir(), `d2l-record-${slug}-`));
  const load = loadavg()[0];
  const t0 = performance.now();
  // Lines that name the scratch folder say where a default run writes (out/<slug>).
  const print = (l: string) => lines.push(l.split(scratch).join(join('out', slug)));
  await chapter.run({ seed, progress: false, print, outDir: scratch, ...settings });
  const secs = (performance.now() - t0) / 1000;
  const figures = readdirSync(scratch)
    .filter((f) => /\.(png|svg)$/i.test(f))
    .sort();
  const figDir = join(dir, slug);
  rmSync(figDir, { recursive: true, force: true });
  if (figures.length) mkdirSync(figDir, { recursive: true });
  for (const f of figures) writeFileAtomic(join(figDir, f), readFileSync(join(scratch, f)));
  rmSync(scratch, { recursive: true, force: true });
  const book = BOOK_OUTPUT[slug];
  const text = [
    `# ${chapter.meta.title}`,
    `# command: d2l-ts run ${slug} --seed ${seed}${settingsFlags(settings)}`,
    ...(Object.keys(settings).length
      ? [`# settings: smaller than the book's (${settingsFlags(settings).trim()}); the book's settings take too long on this CPU`]
      : []),
    `# seed: ${seed}`,
    `# date: ${new Date().toISOString()}`,
    `# machine: ${machineLine()}`,
    `# wall time: ${secs.toFixed(1)} sec (load average ${load.toFixed(1)} on ${cpus().length} cores at the start${load > cpus().length * 0.75 ? ': other work shared the cores, so times here are inflated' : ''})`,
    ...(figures.length ? [`# figures: ${figures.map((f) => `${slug}/${f}`).join(' ')}`] : []),
    ...(book ? ['#', '# The book printed (d2l-zh nb485, MXNet on a GPU, unseeded):', ...book.split('\n').map((l) => `#   ${l}`)] : []),
    '#',
    '# Our output:',
    ...lines,
    '',
  ].join('\n');
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, `${slug}.txt`), new TextEncoder().encode(text)); // never a half-written record
  return text;
}

const TRAINED = [
  'linear-regression-scratch',
  'linear-regression-gluon',
  'fashion-mnist',
  'softmax-regression-scratch',
  'softmax-regression-gluon',
  'mlp-scratch',
  'mlp-gluon',
  'underfit-overfit',
  'weight-decay',
  'dropout',
  'kaggle-house-price',
];

async function cli(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      seed: { type: 'string' },
      'out-dir': { type: 'string' },
      epochs: { type: 'string' },
      limit: { type: 'string' },
      resize: { type: 'string' },
      'batch-size': { type: 'string' },
    },
    allowPositionals: true,
  });
  const seed = values.seed !== undefined ? Number(values.seed) : 1;
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got '${values.seed}'`);
  const dir = values['out-dir'] ?? join('docs', 'results');
  const settings: RecordSettings = {};
  for (const [flag, key] of [
    ['epochs', 'epochs'],
    ['limit', 'limit'],
    ['resize', 'resize'],
    ['batch-size', 'batchSize'],
  ] as const) {
    const v = values[flag];
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${flag} must be a positive integer, got '${v}'`);
    settings[key] = n;
  }
  for (const slug of positionals.length ? positionals : TRAINED) {
    await recordResult(slug, seed, dir, settings);
    console.log(`recorded ${join(dir, `${slug}.txt`)}`);
  }
}

const entry = process.argv[1];
if (entry && pathToFileURL(realpathSync(entry)).href === import.meta.url)
  cli().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
