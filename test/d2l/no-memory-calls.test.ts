// The chapter programs and the d2l helpers read as the book's code: no nd.tidy, no dispose(), no
// `using` (the notebooks are generated from them, and the library keeps their memory flat). A
// memory call that comes back fails here with its file and line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const FOLDERS = ['chapters', join('src', 'd2l')];

/** Calls that free arrays by hand, or scope them: what the book's code never writes. */
const MEMORY_CALLS: [RegExp, string][] = [
  [/\btidy\s*\(/, 'tidy()'],
  [/\.dispose\s*\(/, '.dispose()'],
  [/\bnd\.dispose\b/, 'nd.dispose'],
  [/\[Symbol\.dispose\]\s*\(\s*\)\s*;/, '[Symbol.dispose]()'],
  [/(^|[^\w.])(await\s+)?using\s+[\w$]+\s*=/, 'a `using` declaration'],
];

/**
 * The source with comments and string contents blanked (line numbers kept), and with the bodies
 * of `dispose()` / `[Symbol.dispose]()` method definitions removed: a class may still offer
 * `dispose()` to those who manage memory by hand (d2l.Accumulator); nothing may call it.
 */
function codeOnly(src: string): string {
  let out = '';
  for (let i = 0; i < src.length;) {
    const c = src[i];
    const two = src.slice(i, i + 2);
    if (two === '//') {
      while (i < src.length && src[i] !== '\n') ((out += ' '), i++);
    } else if (two === '/*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      for (; i < stop; i++) out += src[i] === '\n' ? '\n' : ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      out += c;
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\') ((out += ' '), i++);
        out += src[i] === '\n' ? '\n' : ' ';
        i++;
      }
      out += c;
      i++;
    } else ((out += c), i++);
  }
  // A method definition `dispose(): void {` (or `[Symbol.dispose](): void {`) at the start of a
  // line: blank its body up to the matching brace.
  const def = /^\s*(dispose|\[Symbol\.dispose\])\s*\(\s*\)\s*(:\s*void\s*)?\{/gm;
  let m: RegExpExecArray | null;
  let chars = out.split('');
  while ((m = def.exec(out)) !== null) {
    let depth = 0;
    for (let j = m.index + m[0].length - 1; j < out.length; j++) {
      if (out[j] === '{') depth++;
      else if (out[j] === '}' && --depth === 0) break;
      else if (depth >= 1 && out[j] !== '\n') chars[j] = ' ';
    }
  }
  return chars.join('');
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

test('chapters/ and src/d2l/ make no memory calls (no tidy, dispose or using)', () => {
  const files = FOLDERS.flatMap((f) => sources(join(repo, f)));
  assert.ok(files.length >= 20, `expected the chapter and d2l sources, found ${files.length} files under ${repo}`);
  const found: string[] = [];
  for (const file of files) {
    codeOnly(readFileSync(file, 'utf8'))
      .split('\n')
      .forEach((line, i) => {
        for (const [re, what] of MEMORY_CALLS) if (re.test(line)) found.push(`${relative(repo, file)}:${i + 1}: ${what}`);
      });
  }
  assert.deepEqual(found, [], `memory calls the book's code does not have:\n${found.join('\n')}`);
});

test('the guard sees memory calls in code and ignores comments, strings and dispose() definitions', () => {
  const flagged = (src: string) =>
    codeOnly(src)
      .split('\n')
      .filter((l) => MEMORY_CALLS.some(([re]) => re.test(l))).length;
  assert.equal(flagged('const l = nd.tidy(() => f(x));'), 1);
  assert.equal(flagged('X.dispose();'), 1);
  assert.equal(flagged('  using a = nd.ones([2]);'), 1);
  assert.equal(flagged('await using b = open();'), 1);
  assert.equal(flagged('// nd.tidy(() => x) in a comment\nconst s = "x.dispose()";'), 0);
  assert.equal(flagged('/** call `acc.dispose()` */\nconst a = 1;'), 0);
  assert.equal(flagged('class A {\n  dispose(): void {\n    for (const s of this.sums) s.dispose();\n  }\n}'), 0);
  assert.equal(flagged('class A {\n  dispose(): void {\n    this.x = 1;\n  }\n  f() {\n    this.y.dispose();\n  }\n}'), 1);
});
