// functions/lib/http.ts `answer`: a configuration the app refused (ConfigError) is a 503 naming the setting, never
// a bare 500 and never the value; anything else unexpected stays a 500 that points at the logs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import functionsLibrary from '@azure/functions';
import { loadConfig } from '../../../shared/config.js';
import { answer } from '../../../functions/lib/http.js';

// The library is CommonJS and Node's ESM loader cannot see this class as a named export.
const { InvocationContext } = functionsLibrary;

function context(lines: string[]) {
  return new InvocationContext({ invocationId: 'inv-1', functionName: 'adminSites', logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')) });
}

describe('answer', () => {
  it('a refused configuration answers 503 configuration_error with the setting name and no value', async () => {
    const lines: string[] = [];
    const reference = '@Microsoft.KeyVault(SecretUri=https://kv-hidden.vault.azure.net/secrets/jira-token/)';
    const response = await answer(context(lines), async () => {
      loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', ENTRA_CLIENT_SECRET: reference });
      return { status: 200 };
    });
    assert.equal(response.status, 503);
    const body = JSON.parse(String(response.body)) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'configuration_error');
    assert.match(body.error.message, /ENTRA_CLIENT_SECRET/);
    assert.doesNotMatch(String(response.body) + lines.join('\n'), /kv-hidden|SecretUri/);
    assert.ok(lines.some((l) => l.includes('"event":"config.refused"')), 'logged with its event name');
  });

  it('any other unexpected error is still a 500 internal_error', async () => {
    const response = await answer(context([]), async () => {
      throw new TypeError('boom');
    });
    assert.equal(response.status, 500);
    assert.match(String(response.body), /internal_error/);
  });
});
