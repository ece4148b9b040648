// Builds the deployment package: one minified ESM file holding every function in functions/ and all their
// dependencies, plus host.json, a package.json whose `main` names that file, and the console's front-end
// (console-ui/console.js and .css, built by scripts/console.mjs). The Functions Node worker loads
// `main`, so a cold start reads one file instead of resolving thousands in node_modules (about 230 ms instead of
// 750 ms for the same imports on a 2-core machine; ../shared/HARNESS-NOTES.md, "Cold start").
//
//   node scripts/bundle.mjs [--out .deploy] [--verify] [--sourcemap]
//
// --sourcemap also writes main.js.map (about four times the bundle's size, so it is off for deployments).
// --verify loads the bundle with a stand-in for the worker's `@azure/functions-core`, prints the functions it
// registers and applies the real host's registration rules to them (dev/registration.ts, the same module the local
// host uses: reserved route prefixes `admin`/`runtime`, function and binding names, one route per method, NCRONTAB
// timers), so a bundle that registers nothing, throws at import, or has a function Azure would put "in error"
// fails here (and so `azd package` and `npm run check` fail) instead of answering 404 in Azure.
// azure.yaml runs this as the `prepackage` hook and ships the output folder (`dist: .deploy`).
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import Module from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildConsole } from './console.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bundleFile = 'main.js';

function parseArgs(argv) {
  const options = { out: join(repoRoot, '.deploy'), verify: false, sourcemap: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) options.out = resolve(argv[++i]);
    else if (argv[i] === '--verify') options.verify = true;
    else if (argv[i] === '--sourcemap') options.sourcemap = true;
    else throw new Error(`unknown argument ${argv[i]}: usage node scripts/bundle.mjs [--out DIR] [--verify] [--sourcemap]`);
  }
  return options;
}

/** One file per Azure Function directly under functions/ (STYLE.md); helpers live in functions/lib/ and are imported. */
export async function functionEntries(root = repoRoot) {
  const dir = join(root, 'functions');
  let names;
  try {
    names = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (error.code === 'ENOENT') return [];
    throw error;
  }
  return names
    .filter((d) => d.isFile() && /\.(ts|mts|js|mjs)$/.test(d.name) && !/\.(d|test)\.[mc]?[tj]s$/.test(d.name))
    .map((d) => join(dir, d.name))
    .sort();
}

// The bundle is ESM, but some dependencies are CommonJS and call `require`, `__filename` or `__dirname`, which do
// not exist in an ES module. The library also `require`s `@azure/functions-core`, a module the Functions worker
// injects at run time: it must stay external and be reached through a real `require`.
const banner = [
  "import { createRequire as __bundleCreateRequire } from 'node:module';",
  "import { fileURLToPath as __bundleFileURLToPath } from 'node:url';",
  "import { dirname as __bundleDirname } from 'node:path';",
  'const require = __bundleCreateRequire(import.meta.url);',
  'const __filename = __bundleFileURLToPath(import.meta.url);',
  'const __dirname = __bundleDirname(__filename);',
].join('\n');

export async function bundle({ out, root = repoRoot, sourcemap = false } = {}) {
  const entries = await functionEntries(root);
  // The output folder is emptied first; never let a mistyped --out empty the checkout or a folder above it.
  const fromOut = relative(out, root);
  if (fromOut === '' || !fromOut.startsWith('..')) {
    throw new Error(`refusing to use ${out} as the output folder: it contains the project`);
  }
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });

  const entrySource = entries.length
    ? entries.map((file) => `import ${JSON.stringify('./' + relative(root, file).split('\\').join('/'))};`).join('\n')
    : '// functions/ holds no function files yet: this bundle registers nothing.\nexport {};';

  const result = await build({
    stdin: { contents: entrySource, resolveDir: root, sourcefile: 'functions-entry.js', loader: 'js' },
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: sourcemap ? 'linked' : false,
    outfile: join(out, bundleFile),
    external: ['@azure/functions-core'],
    banner: { js: banner },
    tsconfig: join(root, 'tsconfig.json'),
    logLevel: 'warning',
    metafile: true,
  });

  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
  const deployPackage = {
    name: pkg.name,
    version: pkg.version,
    private: true,
    description: pkg.description,
    type: 'module',
    main: bundleFile,
    // Everything is inside the bundle; an empty dependency list also makes any remote build a no-op.
    dependencies: {},
  };
  await writeFile(join(out, 'package.json'), JSON.stringify(deployPackage, null, 2) + '\n');
  await copyFile(join(root, 'host.json'), join(out, 'host.json'));
  // The admin console's front-end, beside main.js where shared/console/assets.ts looks for it.
  await buildConsole(join(out, 'console-ui'));

  const outputs = Object.values(result.metafile.outputs);
  const bytes = outputs.reduce((n, o) => n + o.bytes, 0);
  // What the bundle still loads at run time: Node built-ins and the worker-injected core module, nothing else.
  const externals = [...new Set(outputs.flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path)))].sort();
  return { entries, out, bytes, externals, warnings: result.warnings };
}

/** Imports the bundle with a stand-in `@azure/functions-core` and returns the names of the functions it registers. */
export async function registeredFunctions(out) {
  return (await registrations(out)).map((r) => r.name);
}

/** What the bundle registers, as the worker reports it to the host: `{ name, bindings }` per function. */
export async function registrations(out) {
  const registered = [];
  const core = {
    setProgrammingModel() {},
    getProgrammingModel() {},
    registerHook() {
      return { dispose() {} };
    },
    registerFunction(metadata) {
      registered.push({ name: metadata.name, bindings: metadata.bindings });
      return { dispose() {} };
    },
    log() {},
  };
  // Function modules may read settings at import time; give them the local emulator's, which opens no connection.
  process.env.AzureWebJobsStorage ??= 'UseDevelopmentStorage=true';
  const originalLoad = Module._load;
  Module._load = function load(request, ...rest) {
    return request === '@azure/functions-core' ? core : originalLoad.call(this, request, ...rest);
  };
  try {
    await import(pathToFileURL(join(out, bundleFile)).href + `?t=${Date.now()}`);
  } finally {
    Module._load = originalLoad;
  }
  return registered;
}

/**
 * dev/registration.ts, the host's registration rules, transpiled in memory (this script runs before or without
 * `tsc`, e.g. in azd's prepackage hook or `npm run check`).
 */
export async function registrationRules() {
  const result = await build({
    entryPoints: [join(repoRoot, 'dev', 'registration.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  return import(`data:text/javascript;base64,${Buffer.from(result.outputFiles[0].text).toString('base64')}`);
}

/**
 * Names of the functions the bundle in `out` registers; throws if one of them would be "in error" in Azure (the
 * message lists each with the host's wording) or if functions/ has files but nothing registered.
 */
export async function verify(out, { expectFunctions = true } = {}) {
  const found = await registrations(out);
  if (expectFunctions && found.length === 0) throw new Error('the bundle registered no functions although functions/ has files');
  const rules = await registrationRules();
  // App settings are not known here: schedules written as %SETTING% are checked by the host at start-up instead.
  const { errors } = rules.validateRegistrations(found);
  if (errors.length > 0) {
    throw new Error(
      `${errors.length} function(s) would be in error in Azure and answer 404:\n` + errors.map((e) => `  ${rules.inErrorLine(e)}`).join('\n'),
    );
  }
  return found.map((r) => r.name);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const options = parseArgs(process.argv.slice(2));
    const { entries, out, bytes } = await bundle(options);
    const where = relative(process.cwd(), out) || '.';
    if (entries.length === 0) {
      console.warn(`bundle: functions/ has no function files; ${where}/${bundleFile} is valid but registers nothing`);
    } else {
      console.log(`bundle: ${entries.length} function file(s) -> ${where}/${bundleFile} (${(bytes / 1024).toFixed(0)} KiB)`);
    }
    if (options.verify) {
      const names = await verify(out, { expectFunctions: entries.length > 0 });
      console.log(`bundle: registers ${names.length} function(s)${names.length ? ': ' + names.join(', ') : ''}; the host's registration rules pass`);
    }
  } catch (error) {
    console.error(`bundle: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
