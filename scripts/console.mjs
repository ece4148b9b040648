// Builds the admin console's front-end (console/src, Preact) with esbuild into one script and one stylesheet:
// dist/console-ui/ by default (served by `npm start` and the tests from dist/), or --out DIR (scripts/bundle.mjs
// puts it beside the deployment bundle's main.js). No source maps or inline code: the page's Content-Security-
// Policy allows scripts and styles from the app only.
//
//   node scripts/console.mjs [--out DIR]
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export async function buildConsole(out = join(root, 'dist', 'console-ui')) {
  await mkdir(out, { recursive: true });
  await build({
    entryPoints: [join(root, 'console', 'src', 'main.tsx')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outfile: join(out, 'console.js'),
    legalComments: 'none',
    logLevel: 'warning',
  });
  await copyFile(join(root, 'console', 'src', 'console.css'), join(out, 'console.css'));
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--out');
  try {
    const out = await buildConsole(i > 0 ? resolve(process.argv[i + 1]) : undefined);
    console.log(`console: front-end built into ${out}`);
  } catch (error) {
    console.error(`console: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
