// Local stand-in for the Azure Functions host: finds the app's function files and imports them (in the worker
// process, ./worker.ts, or in a test process for static checks).

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { installCoreApi, listFunctions, type FunctionInfo } from './core.js';

/** Expands package.json `main` style globs: a file, or `dir/*.js` (one `*` in the last segment). */
export function expandGlob(root: string, pattern: string): string[] {
  const abs = path.resolve(root, pattern);
  const dir = path.dirname(abs);
  const base = path.basename(abs);
  if (!base.includes('*')) return existsSync(abs) ? [abs] : [];
  if (dir.includes('*')) throw new Error(`Only "dir/*.js" globs are supported, not "${pattern}".`);
  const re = new RegExp('^' + base.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => re.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/**
 * Supplies `@azure/functions-core`, imports the function files (package.json `main`, or `functionsGlob`) into this
 * process and returns what they registered. Registrations are process-wide: call it once per process.
 */
export async function loadFunctions(root: string = process.cwd(), functionsGlob?: string): Promise<FunctionInfo[]> {
  installCoreApi();
  const pattern =
    functionsGlob ?? (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { main?: string }).main;
  if (!pattern) throw new Error('package.json has no "main" naming the function files.');
  const files = expandGlob(root, pattern);
  if (files.length === 0) throw new Error(`No function files match "${pattern}" (did the build run?).`);
  for (const file of files) await import(pathToFileURL(file).href);
  return listFunctions();
}
