// A real browser for the console's end-to-end tests: Debian's Chromium (`apt-get install chromium`; .ci/run
// installs it) driven by playwright-core, which downloads no browser of its own. A missing binary FAILS the test
// with what to do: a browser test that silently skips proves nothing.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from './repoRoot.js';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium is not installed at ${chromiumPath}: install it with "apt-get update && apt-get install -y chromium" (or set CHROMIUM_PATH). The console's browser tests cannot run without it.`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    // Nothing may leave the machine: no component updates, sync or background fetches.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Screenshots for a reviewer, under test-results/console/ (git-ignored). */
export const screenshotDir = path.join(repoRoot(), 'test-results', 'console');

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}
