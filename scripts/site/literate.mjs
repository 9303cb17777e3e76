// Reads a chapter program (chapters/<slug>.ts) as a literate document: its header comment is the
// section's introduction, each `// ## Heading` comment (and the comment lines right after it)
// is prose, and the code between them is shown as code. The book site renders these segments;
// the source stays the one place the text and the code live.
//
// Example:
//   const doc = parseChapter(readFileSync('chapters/mlp-scratch.ts', 'utf8'));
//   doc.title    // '3.9 Multilayer perceptron from scratch (多层感知机的从零开始实现)'
//   doc.segments // [{ kind: 'code', text }, { kind: 'prose', heading, text }, ...]

/**
 * @param {string} source the TypeScript source of a chapter program
 * @returns {{ title: string, intro: string, segments: Array<{kind: 'prose', heading: string, text: string} | {kind: 'code', text: string}> }}
 */
export function parseChapter(source) {
  if (typeof source !== 'string') throw new TypeError(`parseChapter: expected the source text, got ${typeof source}`);
  const lines = source.replace(/\r\n/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length && lines[i].trim() === '') i++;
  if (!lines[i]?.startsWith('/**')) throw new Error('parseChapter: a chapter program starts with its /** header comment */');
  const header = [];
  for (i++; i < lines.length && !lines[i].trim().startsWith('*/'); i++) header.push(lines[i].replace(/^\s*\* ?/, ''));
  i++;
  const titleAt = header.findIndex((l) => l.startsWith('# '));
  if (titleAt < 0) throw new Error('parseChapter: the header comment has no "# <number> <title>" line');
  const title = header[titleAt].slice(2).trim();
  const intro = header
    .slice(titleAt + 1)
    .join('\n')
    .trim();

  const body = stripBoilerplate(lines.slice(i));
  const segments = [];
  let code = [];
  const flushCode = () => {
    const text = dedent(code);
    if (text.trim()) segments.push({ kind: 'code', text });
    code = [];
  };
  for (let j = 0; j < body.length; j++) {
    const h = body[j].match(/^\s*\/\/ ## (.*)$/);
    if (!h) {
      code.push(body[j]);
      continue;
    }
    flushCode();
    const prose = [];
    while (j + 1 < body.length && /^\s*\/\/( |$)/.test(body[j + 1]) && !/^\s*\/\/ ## /.test(body[j + 1]))
      prose.push(body[++j].replace(/^\s*\/\/ ?/, ''));
    segments.push({ kind: 'prose', heading: h[1].trim(), text: prose.join('\n').trim() });
  }
  flushCode();
  return { title, intro, segments };
}

// Imports, the `meta` object and the `runIfMain` line are plumbing, not the section's code.
function stripBoilerplate(lines) {
  const out = [];
  for (let k = 0; k < lines.length; k++) {
    const l = lines[k];
    if (/^import\b/.test(l)) {
      while (k < lines.length && !/;\s*$/.test(lines[k])) k++;
      continue;
    }
    if (/^export const meta\b/.test(l)) {
      while (k < lines.length && !/^};?\s*$/.test(lines[k])) k++;
      continue;
    }
    if (/^runIfMain\(/.test(l)) continue;
    out.push(l);
  }
  return out;
}

function dedent(lines) {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start].trim() === '') start++;
  while (end > start && lines[end - 1].trim() === '') end--;
  const kept = lines.slice(start, end);
  const indents = kept.filter((l) => l.trim()).map((l) => l.match(/^ */)[0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return kept.map((l) => l.slice(cut)).join('\n');
}

/**
 * Reads a record written by `cli/record-results.ts` (docs/results/<slug>.txt): the `# key: value`
 * header, the book's printed lines, our output and the figure names.
 *
 * @param {string} text
 * @returns {{ info: Record<string, string>, book: string[], output: string[], figures: string[] }}
 */
export function parseRecord(text) {
  const info = {};
  const book = [];
  const output = [];
  let part = 'header';
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    if (part === 'output') {
      output.push(line);
      continue;
    }
    if (line === '# Our output:') {
      part = 'output';
      continue;
    }
    if (/^# The book printed/.test(line)) {
      part = 'book';
      info.book = line.slice(2).replace(/:$/, '');
      continue;
    }
    if (part === 'book' && line.startsWith('#   ')) {
      book.push(line.slice(4));
      continue;
    }
    const kv = line.match(/^# ([a-z ]+): (.*)$/);
    if (kv && part === 'header') info[kv[1]] = kv[2];
  }
  while (output.length && output[output.length - 1] === '') output.pop();
  const figures = info.figures ? info.figures.split(' ').filter(Boolean) : [];
  return { info, book, output, figures };
}
