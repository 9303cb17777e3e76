// README's examples are executed: every ```ts block tagged `<!-- run -->` on the line before it is
// transpiled, its `from 'd2l-ts'` import pointed at this build, and run as a module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const entry = pathToFileURL(join(repo, 'dist', 'src', 'index.js')).href;
const readme = readFileSync(join(repo, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/<!-- run -->\s*```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

test('README has runnable examples', () => {
  assert.ok(blocks.length >= 2, `expected at least 2 runnable examples in README.md, found ${blocks.length}`);
});

blocks.forEach((code, i) => {
  test(`README example ${i + 1} runs`, async () => {
    const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
    const dir = mkdtempSync(join(tmpdir(), 'd2l-readme-'));
    const file = join(dir, `example${i + 1}.mjs`);
    writeFileSync(file, js.replaceAll(`'d2l-ts'`, `'${entry}'`).replaceAll(`"d2l-ts"`, `'${entry}'`));
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => lines.push(a.join(' '));
    try {
      await import(pathToFileURL(file).href);
    } finally {
      console.log = log;
    }
    assert.ok(lines.length > 0, 'the example printed nothing');
  });
});
