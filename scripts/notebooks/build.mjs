/**
 * `npm run notebooks`: writes notebooks/<slug>.ipynb for each converted chapter program, in book
 * order, generated from the program's own source (chapters/<slug>.ts), so notebook and program
 * cannot drift. A chapter's header comment becomes the first markdown cell, its imports (rewritten
 * to the `d2l-ts` package) the first code cell, a parameter cell seeds the random generator (the
 * test's small-data setting), its module-level helpers one cell, and the body of `run(opts)` the
 * rest: each `// ## Heading` comment opens a markdown cell, and `print(...)` becomes `console.log`.
 *
 * Usage: node scripts/notebooks/build.mjs [--out notebooks] [--seed N] [slug...]
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The chapters whose source has the shape this generator reads, in book order. */
export const CONVERTED = ['ndarray', 'autograd'];

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

/**
 * The notebook of chapter `slug` as a JSON-ready object.
 *
 * @example
 * chapterNotebook(readFileSync('chapters/ndarray.ts', 'utf8'), 'ndarray', 0).cells[0].cell_type // 'markdown'
 */
export function chapterNotebook(src, slug, seed) {
  const header = /^\/\*\*([\s\S]*?)\*\//.exec(src);
  if (!header) throw new Error(`notebooks: chapters/${slug}.ts has no header comment`);
  const intro = header[1]
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, ''))
    .filter((l) => !/^Run it:/.test(l))
    .join('\n')
    .trim();
  cellId = 0;
  const cells = [markdown(intro)];

  const imports = [...src.matchAll(/^import [^;]*;$/gm)].map((m) => m[0]);
  const kept = imports
    .filter((i) => !/from '\.\/common\.js'/.test(i))
    .map((i) => i.replace(/from '\.\.\/src\/index\.js'/, "from 'd2l-ts'"));
  if (kept.some((i) => /from '\.\.?\//.test(i))) throw new Error(`notebooks: ${slug} imports a relative path`);
  cells.push(code(kept.join('\n')));
  cells.push(markdown('Parameters: the seed of the random generator (set by the tests; change it freely).'));
  cells.push(code(`const seed = ${seed};\nnd.random.seed(seed);`));

  const runMatch = /^export async function run\(.*\{$/m.exec(src);
  if (!runMatch) throw new Error(`notebooks: chapters/${slug}.ts has no run(opts)`);
  const lastImport = src.lastIndexOf(imports[imports.length - 1]) + imports[imports.length - 1].length;
  let helpers = src.slice(lastImport, runMatch.index);
  helpers = helpers
    .replace(/^export const meta = \{[\s\S]*?^\};\n/m, '')
    .replace(/^export /gm, '')
    .trim();
  if (helpers) cells.push(code(helpers));

  const open = runMatch.index + runMatch[0].length - 1;
  const body = src
    .slice(open + 1, matchingBrace(src, open))
    .split('\n')
    .map((l) => l.replace(/^ {2}/, ''))
    .filter((l) => !/^const \{ print, lines \} = startRun\(opts\);$/.test(l) && !/^return \{ lines \};$/.test(l))
    .join('\n')
    .replace(/\bprint\(/g, 'console.log(');
  if (/\bopts\b/.test(body)) throw new Error(`notebooks: chapters/${slug}.ts's run body uses opts; not convertible yet`);
  let current = [];
  const flush = () => {
    const text = current.join('\n').trim();
    if (text) cells.push(code(text));
    current = [];
  };
  for (const line of body.split('\n')) {
    const h = /^\/\/ ## (.*)$/.exec(line);
    if (h) {
      flush();
      cells.push(markdown(`## ${h[1]}`));
    } else current.push(line);
  }
  flush();
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

/** Writes the notebooks of `slugs` into `outDir` (with the deno.json that resolves d2l-ts). */
export function buildNotebooks({ outDir = join(root, 'notebooks'), seed = 0, slugs = CONVERTED } = {}) {
  mkdirSync(outDir, { recursive: true });
  const distFromOut = join(root, 'dist');
  const denoJson = {
    nodeModulesDir: 'manual',
    imports: { 'd2l-ts': join(distFromOut, 'src', 'index.js'), 'd2l-ts/': distFromOut + '/' },
  };
  writeFileSync(join(outDir, 'deno.json'), JSON.stringify(denoJson, null, 2) + '\n');
  const written = [];
  for (const slug of slugs) {
    if (!CONVERTED.includes(slug)) throw new Error(`notebooks: '${slug}' is not converted yet; converted: ${CONVERTED.join(', ')}`);
    const src = readFileSync(join(root, 'chapters', `${slug}.ts`), 'utf8');
    const file = join(outDir, `${slug}.ipynb`);
    writeFileSync(file, JSON.stringify(chapterNotebook(src, slug, seed), null, 1) + '\n');
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
