// Finds the checkout from compiled (dist/test/...) or source (test/...) files alike, and the read-only reference
// material that sits beside it (`../shared/...`: Graph contract checker, Jira fixtures).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

let cachedRoot: string | undefined;

/** The directory holding this project's package.json (walks up from this file). */
export function repoRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    // dist/ has no package.json, so the first one found walking up is the project's.
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'tsconfig.json'))) {
      cachedRoot = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** A path inside the reference folder beside the checkout, e.g. `sharedReferencePath('fixtures', 'jira')`. */
export function sharedReferencePath(...segments: string[]): string {
  const file = path.resolve(repoRoot(), '..', 'shared', ...segments);
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: the tests expect the read-only reference folder ../shared beside the checkout`);
  }
  return file;
}

/** File URL of the Graph v1.0 request checker (`../shared/contracts/graph/check.mjs`), for `import()`. */
export function graphCheckerUrl(): string {
  return pathToFileURL(sharedReferencePath('contracts', 'graph', 'check.mjs')).href;
}

/** Directory of the real Jira webhook payloads (`../shared/fixtures/jira`). */
export function jiraFixturesDir(): string {
  return sharedReferencePath('fixtures', 'jira');
}
