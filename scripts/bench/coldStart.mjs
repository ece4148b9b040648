// One cold load of the app, run by scripts/bench.mjs in a fresh `node` process per sample:
//
//   node scripts/bench/coldStart.mjs unbundled          imports every dist/functions/*.js (package.json `main`)
//   node scripts/bench/coldStart.mjs bundle DIR/main.js imports the deployment bundle from scripts/bundle.mjs
//
// Prints one JSON line: { importMs, registered }. importMs is the time from just before the first import to
// after the last, i.e. what the Functions worker spends loading `main` before it can index the functions.
//
// The worker injects `@azure/functions-core`; without it the library warns and its registrations are no-ops. Both
// variants get the same minimal stand-in (the one `scripts/bundle.mjs --verify` uses), which counts registrations
// so a variant that loads nothing is caught. dev/host.js's `loadFunctions` is not used on purpose: it would add
// the dev host's own modules to the unbundled side only.
import Module from 'node:module';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const [mode, bundleFile] = process.argv.slice(2);

let registered = 0;
const core = {
  setProgrammingModel() {},
  getProgrammingModel() {},
  registerHook() {
    return { dispose() {} };
  },
  registerFunction() {
    registered++;
    return { dispose() {} };
  },
  log() {},
};
const originalLoad = Module._load;
Module._load = function load(request, ...rest) {
  return request === '@azure/functions-core' ? core : originalLoad.call(this, request, ...rest);
};
// Function modules read their settings when they load; the emulator shorthand opens no connection.
process.env.AzureWebJobsStorage ??= 'UseDevelopmentStorage=true';
process.env.FUNCTIONS_WORKER_RUNTIME ??= 'node';

let files;
if (mode === 'unbundled') {
  const dir = path.join(root, 'dist', 'functions');
  files = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.js'))
    .map((d) => path.join(dir, d.name))
    .sort();
} else if (mode === 'bundle' && bundleFile) {
  files = [path.resolve(bundleFile)];
} else {
  console.error('usage: node scripts/bench/coldStart.mjs unbundled | bundle FILE');
  process.exit(2);
}

const start = performance.now();
for (const file of files) await import(pathToFileURL(file).href);
const importMs = performance.now() - start;
process.stdout.write(`${JSON.stringify({ importMs, registered, files: files.length })}\n`);
// Some SDK clients keep sockets or timers; the sample is taken, so do not wait for them.
process.exit(0);
