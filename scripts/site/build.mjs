#!/usr/bin/env node
// Builds the book site (`npm run docs`): one page per section that has a chapter program, made
// from that program's literate source (scripts/site/literate.mjs) and its recorded run in
// docs/results/, a home page with the whole table of contents (site/toc.json; sections without a
// program are listed as not yet ported, never as stub pages), and the API reference from the doc
// comments (TypeDoc). VitePress renders it into site/dist.
//
//   node scripts/site/build.mjs            generate site/content, then `vitepress build site`
//   node scripts/site/build.mjs --no-api   skip TypeDoc (faster, for a look at the pages)
//   node scripts/site/build.mjs --serve    build, then serve site/dist on http://localhost:4173
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseChapter, parseRecord } from './literate.mjs';

const root = new URL('../..', import.meta.url).pathname;
const site = join(root, 'site');
const content = join(site, 'content');
const dist = join(site, 'dist');
const args = new Set(process.argv.slice(2));

const toc = JSON.parse(readFileSync(join(site, 'toc.json'), 'utf8'));
const settings = JSON.parse(readFileSync(join(site, 'site.config.json'), 'utf8'));
const ported = new Set(await portedSlugs());
// The project's atomic write (temp file + rename), from the build this script needs anyway.
const { writeFileAtomic } = await import(join(root, 'dist', 'src', 'gluon', 'safetensors.js'));
const writeText = (file, text) => writeFileAtomic(file, new TextEncoder().encode(text));

function log(msg) {
  console.log(`d2l-ts site: ${msg}`);
}

// The registry of chapter programs (chapters/index.ts) decides what is ported.
async function portedSlugs() {
  const index = join(root, 'dist', 'chapters', 'index.js');
  if (!existsSync(index)) throw new Error(`build-site: ${index} is missing; run \`npm run build\` first`);
  const { chapterSlugs } = await import(index);
  return chapterSlugs();
}

// Prose goes into Vue templates: angle brackets and mustaches outside code spans are escaped.
function escapeProse(text) {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 ? part : part.replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\{\{/g, '&#123;&#123;')))
    .join('');
}

function fence(lang, text) {
  const ticks = text.includes('```') ? '````' : '```';
  return `${ticks}${lang}\n${text}\n${ticks}`;
}

function discussUrl(section) {
  return settings.discussUrl.replace('{slug}', encodeURIComponent(section.slug)).replace('{title}', encodeURIComponent(section.zh));
}

function sectionPage(chapter, section) {
  const file = join(root, 'chapters', `${section.slug}.ts`);
  const doc = parseChapter(readFileSync(file, 'utf8'));
  const out = [];
  out.push('---', `title: "${section.number} ${section.zh}"`, '---', '');
  out.push(`# ${section.number} ${section.zh}`, '', `<p class="d2l-en">${section.en}</p>`, '');
  const links = [];
  if (existsSync(join(root, 'notebooks', `${section.slug}.ipynb`))) links.push(`[Open as notebook](/notebooks/${section.slug}.ipynb)`);
  links.push(`[View source](/source/${section.slug}.ts.txt)`);
  links.push(`[Discuss](${discussUrl(section)})`);
  out.push(`<p class="d2l-links">${links.join(' · ')}</p>`.replace(/\[([^\]]+)\]\(([^)]+)\)/g, '<a href="$2">$1</a>'), '');
  out.push(`Run it: \`d2l-ts run ${section.slug}\``, '');
  if (doc.intro) out.push(escapeProse(doc.intro.replace(/^Run it:.*$/m, '').trim()), '');
  for (const seg of doc.segments) {
    if (seg.kind === 'prose') {
      out.push(`## ${escapeProse(seg.heading)}`, '');
      if (seg.text) out.push(escapeProse(seg.text), '');
    } else out.push(fence('ts', seg.text), '');
  }
  out.push(...resultsPart(section), '');
  out.push(
    '---',
    '',
    `<p class="d2l-attribution">Chapter ${chapter.number}, ${chapter.zh} (${chapter.en}). The section follows <em>动手学深度学习</em> (Dive into Deep Learning, d2l-zh, MXNet/Gluon edition) by Aston Zhang, Mu Li, Zachary C. Lipton and Alexander J. Smola, licensed CC BY-SA 4.0; the text here is the program's own commentary, and the code is d2l-ts's (Apache-2.0).</p>`,
  );
  return out.join('\n');
}

function resultsPart(section) {
  const recordFile = join(root, 'docs', 'results', `${section.slug}.txt`);
  if (!existsSync(recordFile)) return ['## 运行结果 (output)', '', '_No recorded run yet for this section._'];
  const rec = parseRecord(readFileSync(recordFile, 'utf8'));
  const out = ['## 运行结果 (output of a recorded run)', ''];
  const facts = [
    rec.info.command && `command \`${rec.info.command}\``,
    rec.info.date && `on ${rec.info.date.slice(0, 10)}`,
    rec.info['wall time'] && `in ${rec.info['wall time']}`,
  ].filter(Boolean);
  if (facts.length) out.push(`Recorded ${facts.join(', ')}${rec.info.machine ? ` (${escapeProse(rec.info.machine)})` : ''}:`, '');
  out.push(fence('text', rec.output.join('\n') || '(no printed output)'), '');
  for (const f of rec.figures) {
    const src = join(root, 'docs', 'results', f);
    if (!existsSync(src)) throw new Error(`build-site: ${recordFile} names figure ${f}, which is missing`);
    cpSync(src, join(content, 'public', 'results', f));
    out.push(`![${f.split('/').pop()}](/results/${f})`, '');
  }
  if (rec.book.length) out.push(`${escapeProse(rec.info.book)}:`, '', fence('text', rec.book.join('\n')), '');
  return out;
}

function homePage() {
  const out = [
    '---',
    'layout: doc',
    'title: 动手学深度学习 in TypeScript',
    '# The contents list every title: searching finds the sections themselves.',
    'search: false',
    '---',
    '',
    '# 动手学深度学习 · d2l-ts',
    '',
    "The sections of *Dive into Deep Learning* (MXNet/Gluon edition) as d2l-ts programs: the explanation, the code and the output of a real run. Sections in plain text are not yet ported. The [API reference](/api/index.html) is generated from the library's doc comments.",
    '',
  ];
  for (const ch of toc.chapters) {
    out.push(`## ${ch.number}. ${ch.zh} <span class="d2l-en">${ch.en}</span>`, '');
    for (const s of ch.sections) {
      const name = `${s.number} ${s.zh} <span class="d2l-en">${s.en}</span>`;
      out.push(
        ported.has(s.slug)
          ? `- [${s.number} ${s.zh}](/${s.slug}) <span class="d2l-en">${s.en}</span>`
          : `- ${name} <span class="d2l-todo">not yet ported</span>`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

function sidebar() {
  return toc.chapters
    .map((ch) => ({
      text: `${ch.number}. ${ch.zh}`,
      collapsed: false,
      items: ch.sections.filter((s) => ported.has(s.slug)).map((s) => ({ text: `${s.number} ${s.zh}`, link: `/${s.slug}` })),
    }))
    .filter((g) => g.items.length > 0);
}

function generate() {
  rmSync(content, { recursive: true, force: true });
  mkdirSync(join(content, 'public', 'results'), { recursive: true });
  mkdirSync(join(content, 'public', 'source'), { recursive: true });
  const tocSlugs = new Set(toc.chapters.flatMap((c) => c.sections.map((s) => s.slug)));
  const orphans = [...ported].filter((s) => !tocSlugs.has(s));
  if (orphans.length) throw new Error(`build-site: chapter programs missing from site/toc.json: ${orphans.join(', ')}`);
  let pages = 0;
  for (const ch of toc.chapters)
    for (const s of ch.sections) {
      if (!ported.has(s.slug)) continue;
      writeText(join(content, `${s.slug}.md`), sectionPage(ch, s));
      cpSync(join(root, 'chapters', `${s.slug}.ts`), join(content, 'public', 'source', `${s.slug}.ts.txt`));
      pages++;
    }
  if (existsSync(join(root, 'notebooks'))) cpSync(join(root, 'notebooks'), join(content, 'public', 'notebooks'), { recursive: true });
  writeText(join(content, 'index.md'), homePage());
  writeText(join(content, 'sidebar.json'), JSON.stringify(sidebar(), null, 1));
  log(`${pages} section pages, ${toc.chapters.reduce((n, c) => n + c.sections.length, 0) - pages} sections listed as not yet ported`);
}

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`build-site: ${cmd} ${cmdArgs.join(' ')} failed (exit ${r.status})`);
}

generate();
const bin = (name) => join(root, 'node_modules', '.bin', name);
run(bin('vitepress'), ['build', 'site']);
if (!args.has('--no-api')) {
  log('API reference (TypeDoc)');
  run(bin('typedoc'), ['--options', join(site, 'typedoc.json')]);
}
log(`built ${dist}`);
if (args.has('--serve')) run(bin('vitepress'), ['preview', 'site', '--port', '4173']);
