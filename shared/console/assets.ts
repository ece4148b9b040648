// The console's front-end files (console/ built by scripts/console.mjs with esbuild). They sit next to the code
// that serves them: dist/console-ui/ after `npm run build`, <bundle>/console-ui/ in the deployment package
// (scripts/bundle.mjs copies them beside main.js). Read once per process; served with a content hash as ETag.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

const types: Record<string, string> = {
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

/** Folders to look in: beside the bundle's main.js, then dist/console-ui from dist/shared/console/assets.js. */
function candidates(): string[] {
  return [new URL('./console-ui/', import.meta.url), new URL('../../console-ui/', import.meta.url)].map((u) => fileURLToPath(u));
}

const cache = new Map<string, Asset | undefined>();

export function consoleAsset(name: string): Asset | undefined {
  if (!(name in types)) return undefined;
  if (cache.has(name)) return cache.get(name);
  const dir = candidates().find((d) => existsSync(`${d}${name}`));
  const asset = dir
    ? (() => {
        const body = readFileSync(`${dir}${name}`);
        return { body, contentType: types[name]!, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
      })()
    : undefined;
  cache.set(name, asset);
  return asset;
}
