// The README and docs/ are what a customer follows: every relative link in them must reach an existing file, and
// an anchor must name a heading of that file (GitHub's anchor rule: lower-case, punctuation dropped, spaces → -).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../../support/repoRoot.js';

const root = repoRoot();
const pages = ['README.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's heading anchors: lower-cased, characters other than letters, digits, spaces, - and _ dropped, spaces → -. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    const heading = !inFence && /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n ? `${base}-${n}` : base);
  }
  return anchors;
}

/** Markdown links `[text](target)` outside code fences and code spans. */
function linksOf(markdown: string): string[] {
  const out: string[] = [];
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) {
      inFence = !inFence;
      continue;
    }
    if (inFence) continue;
    const text = line.replace(/`[^`]*`/g, '');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) out.push(m[1]!);
  }
  return out;
}

describe('links in README.md and docs/', () => {
  it('finds the pages and their links', () => {
    assert.ok(pages.includes('docs/setup.md'), pages.join(', '));
    assert.ok(linksOf(readFileSync(path.join(root, 'README.md'), 'utf8')).includes('docs/setup.md'));
  });

  it('computes anchors as GitHub does', () => {
    assert.deepEqual([...anchorsOf('# A\n## Run it, deploy it\n## `$APP` and the key\n```\n# not\n```\n## A')], ['a', 'run-it-deploy-it', 'app-and-the-key', 'a-1']);
  });

  for (const page of pages) {
    it(`every relative link in ${page} resolves`, () => {
      const broken: string[] = [];
      for (const link of linksOf(readFileSync(path.join(root, page), 'utf8'))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:: not this test's business
        const [file, anchor] = link.split('#') as [string, string | undefined];
        const target = file ? path.resolve(path.dirname(path.join(root, page)), decodeURIComponent(file)) : path.join(root, page);
        if (!existsSync(target)) {
          broken.push(`${link} (no file ${path.relative(root, target)})`);
          continue;
        }
        if (anchor && !anchorsOf(readFileSync(target, 'utf8')).has(decodeURIComponent(anchor))) broken.push(`${link} (no heading #${anchor})`);
      }
      assert.deepEqual(broken, [], `${page}: broken links`);
    });
  }
});
