/**
 * `npm run notebooks`: writes notebooks/<slug>.ipynb for each converted chapter program, in book
 * order, generated from the program's own source (chapters/<slug>.ts), so notebook and program
 * cannot drift. A chapter's header comment becomes the first markdown cell, its imports (rewritten
 * to the `d2l-ts` package) the first code cell, then one parameter cell: the seed and every
 * `const x = opts.key ?? bookDefault;` line of run() (the book's settings; the tests set small
 * data there). The module-level helpers and the body of `run(opts)` follow, split at their
 * `// ## Heading` comments into markdown and code cells, with `print(...)` as `console.log`, the
 * run's plumbing (startRun's `io`, `dev`, `dataOpts`) removed from the calls, and the final
 * `return` (results for the tests and the CLI) left out. docs/NOTEBOOKS.md "Program shape".
 *
 * Usage: node scripts/notebooks/build.mjs [--out notebooks] [--seed N] [slug...]
 */
import { readFileSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The chapters whose source has the shape this generator reads, in book order. */
export const CONVERTED = [
  'ndarray',
  'autograd',
  'linear-regression-scratch',
  'linear-regression-gluon',
  'softmax-regression',
  'fashion-mnist',
  'softmax-regression-scratch',
  'softmax-regression-gluon',
  'mlp',
  'mlp-scratch',
  'underfit-overfit',
  'weight-decay',
  'dropout',
  'backprop',
  'numerical-stability-and-init',
  'kaggle-house-price',
  'model-construction',
  'parameters',
  'deferred-init',
  'custom-layer',
  'read-write',
  'conv-layer',
  'padding-and-strides',
  'channels',
  'pooling',
  'lang-model',
  'rnn',
  'lang-model-dataset',
  'bptt',
  'bi-rnn',
  'gd-sgd',
  'minibatch-sgd',
  'momentum',
  'adagrad',
  'rmsprop',
  'adadelta',
  'adam',
  'approx-training',
  'fasttext',
  'attention',
];

let cellId = 0;
const nextId = () => `cell-${cellId++}`;
const markdown = (text) => ({ cell_type: 'markdown', id: nextId(), metadata: {}, source: lines(text) });
const code = (text) => ({
  cell_type: 'code',
  id: nextId(),
  execution_count: null,
  metadata: {},
  outputs: [],
  source: lines(text),
});
function lines(text) {
  const ls = text.replace(/\n+$/, '').split('\n');
  return ls.map((l, i) => (i < ls.length - 1 ? l + '\n' : l));
}

/** The index of the brace closing the one at `open` (the programs have no braces in strings). */
function matchingBrace(src, open) {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    if (src[i] === '{') depth++;
    else if (src[i] === '}' && --depth === 0) return i;
  }
  throw new Error(`notebooks: unbalanced braces after offset ${open}`);
}

// The run's plumbing statements at the top level of run(): gone from the notebook, where the
// kernel is fresh (layer names count from 0) and console.log prints.
const PLUMBING = [
  /^const \{[^}]*\} = startRun\(opts\);$/,
  /^const print = printer\(opts\);$/,
  /^if \(opts\.seed !== undefined\) nd\.random\.seed\(opts\.seed\);$/,
  /^gluon\.resetNameCounters\(\);/,
];
// startRun's plumbing objects (chapters/common.ts RunIO): a call's last argument `, io)`, or
// spread into its options `{ ...io, x }` / `{ x, ...dataOpts }`; in the notebook the call takes
// its defaults.
const PLUMBING_LAST_ARG = /,\s*(?:io|dev|dataOpts)\)/g;
const PLUMBING_ONLY_ARG = /\((?:io|dev|dataOpts)\)/g;
// A program that seeds itself by default (`nd.random.seed(opts.seed ?? 1);`): the seed cell's default.
const SELF_SEED = /^nd\.random\.seed\(opts\.seed \?\? (\d+)\);$/;
const PLUMBING_FIRST_SPREAD = /\{ \.\.\.(?:io|dev|dataOpts), /g;
const PLUMBING_LAST_SPREAD = /,\s*\.\.\.(?:io|dev|dataOpts),?(\s*)\}/g;
// A parameter: `const name = opts.key ?? bookDefault;` (or without a default: all the data).
const PARAM = /^const (\w+) = opts\.(\w+)(?: \?\? ([^;]+))?;(\s*\/\/.*)?$/;

/**
 * The body of run(opts) turned into the notebook's code: dedented, without the plumbing lines,
 * the parameters (returned apart, for the parameter cell) and the final return statement, with
 * `print(` as `console.log(`, the `io` argument removed from every call, and the device as the
 * book's `d2l.tryGpu()`. Throws when anything of `opts` or `io` is left.
 */
function notebookBody(rawBody, slug) {
  const params = [];
  const out = [];
  let returning = false;
  let defaultSeed = 0;
  for (const line of rawBody.split('\n').map((l) => l.replace(/^ {2}/, ''))) {
    if (returning || /^return\b/.test(line)) {
      // The final `return { ... };` (it may span lines) hands results to the tests and the CLI.
      returning = true;
      continue;
    }
    if (PLUMBING.some((re) => re.test(line))) continue;
    const selfSeed = SELF_SEED.exec(line);
    if (selfSeed) {
      defaultSeed = Number(selfSeed[1]);
      continue;
    }
    const p = PARAM.exec(line);
    if (p) {
      params.push({ name: p[1], key: p[2], dflt: p[3], comment: (p[4] ?? '').trim() });
      continue;
    }
    out.push(line);
  }
  let body = out
    .join('\n')
    .replace(/\bprint\(/g, 'console.log(')
    .replace(/const ctx = await trainingContext\(opts\);/g, 'const ctx = await d2l.tryGpu();')
    .replace(PLUMBING_LAST_ARG, ')')
    .replace(PLUMBING_ONLY_ARG, '()')
    .replace(PLUMBING_FIRST_SPREAD, '{ ')
    .replace(PLUMBING_LAST_SPREAD, '$1}');
  const optsLine = out.find((l) => /\bopts\b/.test(l) && !/^const ctx = await trainingContext\(opts\);$/.test(l));
  if (optsLine !== undefined)
    throw new Error(
      `notebooks: chapters/${slug}.ts's run body reads opts outside a parameter line (const x = opts.key ?? default;): ${optsLine.trim()}`,
    );
  const bare = body.split('\n').find((l) => /\bprint\b(?!\()/.test(l.replace(/\/\/.*$/, '')));
  if (bare !== undefined)
    throw new Error(`notebooks: chapters/${slug}.ts passes print as a value (pass io, whose print the notebook drops): ${bare.trim()}`);
  const left = /\b(io|dev|dataOpts)\b/.exec(body);
  if (left)
    throw new Error(`notebooks: chapters/${slug}.ts uses ${left[1]} other than as a call's last argument or a spread into its options`);
  if (/\btrainingContext\b/.test(body))
    throw new Error(`notebooks: chapters/${slug}.ts calls trainingContext other than as const ctx = await trainingContext(opts)`);
  return { params, body, defaultSeed };
}

/** The module-level code between the imports and run(): helpers, without meta, result types and run's doc comment. */
function notebookHelpers(text) {
  return text
    .replace(/^export const meta = \{[\s\S]*?\};\n/m, '')
    .replace(/^export interface \w+Result \{[\s\S]*?^\}\n/gm, '')
    .replace(/\/\*\*(?:(?!\*\/)[\s\S])*\*\/\s*$/, '')
    .replace(/^export /gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** JS source of a parameter value from the test's small-data settings. */
const literal = (v) => (typeof v === 'string' ? `'${v}'` : String(v));

/**
 * The notebook of chapter `slug` as a JSON-ready object; `small` sets parameters by their
 * ChapterOptions key (`{ limit: 512, epochs: 1 }`), the rest keep the book's values.
 *
 * @example
 * chapterNotebook(readFileSync('chapters/ndarray.ts', 'utf8'), 'ndarray', 0).cells[0].cell_type // 'markdown'
 */
export function chapterNotebook(src, slug, seed, small = {}) {
  const header = /^\/\*\*([\s\S]*?)\*\//.exec(src);
  if (!header) throw new Error(`notebooks: chapters/${slug}.ts has no header comment`);
  // The header without its "Run it: `d2l-ts run ...`" paragraph (the notebook is the way to run it here).
  const intro = header[1]
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, ''))
    .join('\n')
    .split(/\n\s*\n/)
    .filter((para) => !/^\s*Run it:/.test(para))
    .join('\n\n')
    .trim();
  cellId = 0;
  const cells = [markdown(intro)];

  const imports = [...src.matchAll(/^import [^;]*;$/gm)].map((m) => m[0]);
  const kept = imports
    .filter((i) => !/from '\.\/common\.js'/.test(i))
    .map((i) => i.replace(/from '\.\.\/src\/index\.js'/, "from 'd2l-ts'"))
    // The chapters' shared helpers ship in the package (dist/chapters/, the import map's d2l-ts/).
    .map((i) => i.replace(/from '\.\/([\w-]+)\.js'/, "from 'd2l-ts/chapters/$1.js'"))
    // Library modules the package root does not re-export (the import map's d2l-ts/src/...).
    .map((i) => i.replace(/from '\.\.\/src\/([\w/-]+)\.js'/, "from 'd2l-ts/src/$1.js'"));
  if (kept.some((i) => /from '\.\.?\//.test(i))) throw new Error(`notebooks: ${slug} imports a relative path`);

  const runMatch = /^export async function run\(.*\{$/m.exec(src);
  if (!runMatch) throw new Error(`notebooks: chapters/${slug}.ts has no run(opts)`);
  const open = runMatch.index + runMatch[0].length - 1;
  const { params, body, defaultSeed } = notebookBody(src.slice(open + 1, matchingBrace(src, open)), slug);
  const unknown = Object.keys(small).filter((k) => !params.some((p) => p.key === k));
  if (unknown.length) throw new Error(`notebooks: ${slug} has no parameter read from opts.${unknown.join(', opts.')}`);
  if (/\bd2l\.tryGpu\(\)/.test(body) && !kept.some((i) => /\bd2l\b/.test(i)))
    throw new Error(`notebooks: ${slug} picks a device but does not import d2l`);
  // The seed cell calls nd.random.seed: a program that does not use nd itself imports it here.
  if (!kept.some((i) => /^import \{[^}]*\bnd\b[^}]*\} from 'd2l-ts';$/.test(i))) {
    const root = kept.findIndex((i) => /^import \{[^}]*\} from 'd2l-ts';$/.test(i));
    if (root >= 0) kept[root] = kept[root].replace(/^import \{ /, 'import { nd, ');
    else kept.push("import { nd } from 'd2l-ts';");
  }
  cells.push(code(kept.join('\n')));

  const hasLimit = params.some((p) => p.key === 'limit');
  cells.push(
    markdown(
      `Parameters: the book's settings. The tests run this notebook on small data by changing this cell${
        hasLimit ? ' (`limit`: only the first examples; `undefined` reads them all)' : ''
      }.`,
    ),
  );
  const paramLines = [`const seed = ${seed ?? defaultSeed};`, 'nd.random.seed(seed);'];
  for (const p of params) {
    const value =
      p.key in small ? literal(small[p.key]) : p.dflt !== undefined ? p.dflt.replace(/\bmeta\.slug\b/g, `'${slug}'`) : 'undefined';
    const comment = p.comment || (p.dflt === undefined ? '// undefined: all of it' : '');
    paramLines.push(`const ${p.name} = ${value};${comment ? ' ' + comment : ''}`);
  }
  cells.push(code(paramLines.join('\n')));

  const lastImport = src.lastIndexOf(imports[imports.length - 1]) + imports[imports.length - 1].length;
  const helpers = notebookHelpers(src.slice(lastImport, runMatch.index));
  pushSections(cells, helpers);
  pushSections(cells, body);
  return {
    cells,
    metadata: {
      kernelspec: { display_name: 'Deno', language: 'typescript', name: 'deno' },
      language_info: { name: 'typescript', file_extension: '.ts', mimetype: 'text/x.typescript' },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

/** Splits `text` at its `// ## Heading` comments into markdown and code cells. */
function pushSections(cells, text) {
  let current = [];
  const flush = () => {
    const t = current.join('\n').trim();
    if (t) cells.push(code(t));
    current = [];
  };
  for (const line of text.split('\n')) {
    const h = /^\/\/ ## (.*)$/.exec(line);
    if (h) {
      flush();
      cells.push(markdown(`## ${h[1]}`));
    } else current.push(line);
  }
  flush();
}

/** Writes `text` to `file` through a temporary file and a rename, so a reader never sees half a notebook. */
function writeAtomic(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/**
 * Writes the notebooks of `slugs` into `outDir` (with the deno.json that resolves d2l-ts);
 * `small[slug]` sets that notebook's parameters (see chapterNotebook).
 */
export function buildNotebooks({ outDir = join(root, 'notebooks'), seed = undefined, slugs = CONVERTED, small = {} } = {}) {
  mkdirSync(outDir, { recursive: true });
  const distFromOut = join(root, 'dist');
  const denoJson = {
    nodeModulesDir: 'manual',
    imports: { 'd2l-ts': join(distFromOut, 'src', 'index.js'), 'd2l-ts/': distFromOut + '/' },
  };
  writeAtomic(join(outDir, 'deno.json'), JSON.stringify(denoJson, null, 2) + '\n');
  const written = [];
  for (const slug of slugs) {
    if (!CONVERTED.includes(slug)) throw new Error(`notebooks: '${slug}' is not converted yet; converted: ${CONVERTED.join(', ')}`);
    const src = readFileSync(join(root, 'chapters', `${slug}.ts`), 'utf8');
    const file = join(outDir, `${slug}.ipynb`);
    writeAtomic(file, JSON.stringify(chapterNotebook(src, slug, seed, small[slug] ?? {}), null, 1) + '\n');
    written.push(file);
  }
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const outDir = opt('--out');
  const seed = opt('--seed');
  const written = buildNotebooks({
    ...(outDir ? { outDir } : {}),
    ...(seed !== undefined ? { seed: Number(seed) } : {}),
    ...(args.length ? { slugs: args } : {}),
  });
  for (const f of written) console.log(`wrote ${f}`);
}
