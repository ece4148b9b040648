// `npm start`: build, start Azurite (data under .azurite/, ignored by git) and the local stand-in Functions host
// (dist/dev/host.js) on http://localhost:7071. Core Tools are not needed.
//
//   npm start [-- --port 7072] [-- --no-build]      (or PORT=7072 npm start)
//
// If Azurite's default ports 10000-10002 are already taken, it assumes a storage emulator is running there and
// uses it (and says so), because `UseDevelopmentStorage=true` means exactly those ports.
//
// Routes with `authLevel: 'function'` (/api/manage/..., consent/start, service-user/start) need a function key, as
// in Azure. The local one is made once, kept in .local/function-key (git-ignored), and printed at every start.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildConsole } from './console.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const AZURITE_PORTS = { blob: 10000, queue: 10001, table: 10002 };

function argValue(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

/** True if something accepts connections on 127.0.0.1:port. */
function portInUse(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitForPorts(ports, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await Promise.all(ports.map(portInUse))).every(Boolean)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Azurite did not open ports ${ports.join(', ')} within ${timeoutMs} ms`);
}

/** The local function key: made once, then read from .local/function-key (only the owner may read it). */
function localFunctionKey() {
  const file = path.join(root, '.local', 'function-key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (key) return { key, file, created: false };
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const key = randomBytes(24).toString('base64url');
  writeFileSync(file, key + '\n', { mode: 0o600 });
  return { key, file, created: true };
}

let azurite; // ChildProcess
let host; // ChildProcess
let exiting = false;

function exitedPromise(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', resolve));
}

/** Stops the host first (it may still release queue leases in Azurite), then Azurite. */
async function stopAll(code) {
  if (exiting) return;
  exiting = true;
  const force = setTimeout(() => process.exit(code), 20_000);
  host?.kill('SIGTERM');
  await exitedPromise(host);
  azurite?.kill('SIGTERM');
  await exitedPromise(azurite);
  clearTimeout(force);
  process.exit(code);
}

async function main() {
  if (!process.argv.includes('--no-build')) {
    console.log('Building (tsc -p tsconfig.json)...');
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const buildCode = await run(process.execPath, [tsc, '-p', 'tsconfig.json']);
    if (buildCode !== 0) {
      console.error('Build failed; not starting. Fix the errors above (npm run build).');
      process.exit(buildCode);
    }
    await buildConsole();
  }

  const ports = Object.values(AZURITE_PORTS);
  const busy = await Promise.all(ports.map(portInUse));
  if (busy.every(Boolean)) {
    console.log(
      `Ports ${ports.join(', ')} are already in use: assuming Azurite (or another storage emulator) runs there and using it.`,
    );
  } else if (busy.some(Boolean)) {
    const taken = ports.filter((_, i) => busy[i]);
    console.error(
      `Port(s) ${taken.join(', ')} of Azurite's defaults (${ports.join(', ')}) are taken by something else. ` +
        'Stop that process, or set AzureWebJobsStorage in local.settings.json to a storage emulator you run yourself.',
    );
    process.exit(1);
  } else {
    const location = path.join(root, '.azurite');
    mkdirSync(location, { recursive: true });
    // Own process group (detached): Ctrl+C reaches only this script, which stops the children in order.
    // Azurite crashes when it gets a second shutdown signal, so it must not also get the terminal's SIGINT.
    azurite = spawn(
      process.execPath,
      [
        path.join(root, 'node_modules', 'azurite', 'dist', 'src', 'azurite.js'),
        '--location', location,
        '--blobPort', String(AZURITE_PORTS.blob),
        '--queuePort', String(AZURITE_PORTS.queue),
        '--tablePort', String(AZURITE_PORTS.table),
        // The Azure SDK packages may be newer than this Azurite's API version list.
        '--skipApiVersionCheck',
        // Azurite sends usage telemetry to Application Insights by default; nothing may leave this machine.
        '--disableTelemetry',
        '--silent',
      ],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], detached: true },
    );
    azurite.once('exit', (code) => {
      if (!exiting) {
        console.error(`Azurite exited (code ${code}); stopping.`);
        void stopAll(1);
      }
    });
    await waitForPorts(ports, 30_000);
    console.log(`Azurite is listening on 127.0.0.1:${ports.join(', ')} (data in .azurite/).`);
  }

  const port = argValue('--port') ?? process.env.PORT ?? '7071';
  const { key, file, created } = localFunctionKey();
  const where = path.relative(root, file);
  console.log(
    [
      '',
      `Function key (${created ? 'created now, ' : ''}kept in ${where}): ${key}`,
      'Admin routes need it, as in Azure, in the x-functions-key header or ?code=. For example:',
      `  KEY=$(cat ${where}); APP=http://localhost:${port}`,
      `  curl -H "x-functions-key: $KEY" $APP/api/manage/sites`,
      `  curl -H "x-functions-key: $KEY" $APP/api/manage/poison`,
      '',
    ].join('\n'),
  );
  // Embedded defaults: settings missing from the environment and local.settings.json come from the sample.
  const hostArgs = [path.join(root, 'dist', 'dev', 'host.js'), '--port', port, '--settings-defaults', 'local.settings.sample.json'];
  host = spawn(process.execPath, hostArgs, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, DEVHOST_FUNCTION_KEY: key },
    detached: true,
  });
  host.once('exit', (code) => {
    if (!exiting) void stopAll(code ?? 1);
  });
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  void stopAll(1);
});
