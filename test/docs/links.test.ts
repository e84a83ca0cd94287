import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import GithubSlugger from 'github-slugger';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PAGES = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The anchors GitHub gives a page's headings. */
function anchors(file: string): Set<string> {
  const slugger = new GithubSlugger();
  const text = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  const headings = [...text.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)].map((m) => m[1].replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'));
  return new Set(headings.map((heading) => slugger.slug(heading)));
}

/** Every Markdown link and image target in a page, outside code blocks and code spans. */
export function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
}

/** What is wrong with one relative link from a page: a missing file or heading. */
export function brokenLink(page: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined;
  const [file, anchor] = target.split('#');
  const resolved = file ? path.resolve(path.dirname(path.join(ROOT, page)), decodeURIComponent(file)) : path.join(ROOT, page);
  if (!existsSync(resolved)) return `${page}: ${target} points at a file that does not exist`;
  if (anchor && statSync(resolved).isFile() && resolved.endsWith('.md') && !anchors(resolved).has(anchor)) {
    return `${page}: ${target} points at a heading that does not exist`;
  }
  return undefined;
}

test('every relative link in README.md and docs/ resolves, headings included', () => {
  const broken = PAGES.flatMap((page) => linkTargets(readFileSync(path.join(ROOT, page), 'utf8')).map((t) => brokenLink(page, t)).filter(Boolean));
  assert.deepEqual(broken, []);
});

test('the checker finds a missing file and a missing heading, and lets good links and web addresses pass', () => {
  assert.deepEqual(linkTargets('see [a](docs/x.md), ![img](pic.png "t") and `[not](a-link.md)`\n```\n[nor](this.md)\n```'), ['docs/x.md', 'pic.png']);
  assert.equal(brokenLink('README.md', 'docs/no-such-page.md'), 'README.md: docs/no-such-page.md points at a file that does not exist');
  assert.equal(brokenLink('README.md', '#no-such-heading'), 'README.md: #no-such-heading points at a heading that does not exist');
  assert.equal(brokenLink('README.md', 'https://www.envoyproxy.io/docs/envoy/latest/'), undefined);
  assert.equal(brokenLink('README.md', 'docs/settings.md#npm-scripts'), undefined);
  assert.equal(brokenLink('docs/settings.md', '../services/config.ts'), undefined);
  assert.equal(brokenLink('docs/settings.md', '#the-service-servicesconfigts'), undefined);
});
