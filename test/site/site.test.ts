// The book site as a reader sees it: built with `npm run docs` (scripts/site/build.mjs), served
// locally and driven in Debian's Chromium. Every page loads without console errors or broken
// links, the search finds the softmax sections, every figure has loaded, the API reference has
// nd.dot with its example; screenshots of the home page and of 3.10 go to out/site/.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, openPage, serveDir } from '../browser/harness.js';
import { chapterSlugs } from '../../chapters/index.js';

const root = new URL('../../..', import.meta.url).pathname;
const dist = join(root, 'site', 'dist');
const shots = join(root, 'out', 'site');

test('book site: builds, every page loads cleanly in Chromium, search, figures and API page work', { timeout: 600_000 }, async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'site', 'build.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(built.status, 0, `site build failed:\n${built.stdout}\n${built.stderr}`);
  const server = await serveDir(dist);
  try {
    const toc = JSON.parse(readFileSync(join(root, 'site', 'toc.json'), 'utf8')) as {
      chapters: { sections: { slug: string; number: string }[] }[];
    };
    const slugs = chapterSlugs();
    const pages = ['/index.html', ...slugs.map((s) => `/${s}.html`)];
    // Every section of the table of contents with a program has a page, and no other one does.
    for (const ch of toc.chapters)
      for (const s of ch.sections)
        assert.equal(existsSync(join(dist, `${s.slug}.html`)), slugs.includes(s.slug), `page of ${s.number} ${s.slug}`);

    const links = new Set<string>();
    let figures = 0;
    for (const path of pages) {
      const { page, errors } = await openPage(browser, server.url + path);
      await page.waitForLoadState('networkidle');
      assert.deepEqual(errors, [], `console errors on ${path}`);
      for (const href of await page.$$eval('a[href]', (as) => as.map((a) => (a as HTMLAnchorElement).href)))
        if (href.startsWith(server.url)) links.add(href.split('#')[0]);
      const images = await page.$$eval('.vp-doc img', (imgs) =>
        imgs.map((i) => ({ src: (i as HTMLImageElement).src, w: (i as HTMLImageElement).naturalWidth })),
      );
      for (const img of images) assert.ok(img.w > 0, `image ${img.src} on ${path} did not load`);
      figures += images.length;
      if (path === '/index.html') {
        mkdirSync(shots, { recursive: true });
        await page.screenshot({ path: join(shots, 'home.png'), fullPage: false });
      }
      if (path === '/mlp-gluon.html') await page.screenshot({ path: join(shots, 'mlp-gluon.png'), fullPage: true });
      await page.close();
    }
    assert.ok(figures >= 5, `the section pages show the recorded figures (found ${figures})`);
    for (const href of links) {
      const r = await fetch(href);
      assert.equal(r.status, 200, `broken link ${href}`);
    }
    assert.deepEqual(server.missing, [], 'requests for files that do not exist');

    // Full-text search: "softmax" finds the softmax sections among its first 10 results.
    const { page, errors } = await openPage(browser, `${server.url}/index.html`);
    await page.click('.VPNavBarSearch button');
    // Type into the box once it is open (keys sent before it has focus would be lost).
    await page.fill('.VPLocalSearchBox input', 'softmax');
    await page.waitForSelector('.VPLocalSearchBox .result');
    // The list updates as each letter is typed (debounced): read it until it holds still.
    const read = () => page.$$eval('.VPLocalSearchBox .result', (rs) => rs.slice(0, 10).map((r) => (r as HTMLAnchorElement).href));
    let results = await read();
    for (let i = 0; i < 20; i++) {
      await page.waitForTimeout(300);
      const again = await read();
      if (JSON.stringify(again) === JSON.stringify(results)) break;
      results = again;
    }
    const wanted = ['softmax-regression', 'fashion-mnist', 'softmax-regression-scratch', 'softmax-regression-gluon'].filter((s) =>
      slugs.includes(s),
    );
    for (const s of wanted)
      assert.ok(
        results.some((r) => r.includes(`/${s}.html`)),
        `search 'softmax': ${s} is not in the first 10 results ${JSON.stringify(results)}`,
      );
    assert.deepEqual(errors, []);
    await page.close();

    // The API reference: nd.dot's page shows the example from its doc comment.
    const api = await fetch(`${server.url}/api/variables/nd.dot.html`);
    assert.equal(api.status, 200, 'API page of nd.dot');
    const apiText = (await api.text()).replace(/<[^>]+>/g, '');
    assert.match(apiText, /Example[\s\S]*nd\s*\.\s*dot\s*\(\s*X\s*,\s*Y\s*\.\s*T\s*\)/, 'nd.dot page shows its example');
  } finally {
    await server.close(); // the harness closes the browser when the test ends
  }
});
