// functions/lib/http.ts `answer`: a configuration the app refused (ConfigError) is a 503 naming the setting, never
// a bare 500 and never the value; anything else unexpected stays a 500 that points at the logs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import functionsLibrary from '@azure/functions';
import { loadConfig } from '../../../../shared/config.js';
import { answer, toResponse } from '../../../../functions/lib/http.js';

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

describe('toResponse (the one mapping from HttpOutcome)', () => {
  it('JSON, text, bytes and cookies: each as the host expects it', () => {
    const json = toResponse({ status: 400, body: { error: { code: 'x_invalid', message: 'm' } } });
    assert.equal(json.body, '{"error":{"code":"x_invalid","message":"m"}}');
    assert.equal((json.headers as Record<string, string>)['content-type'], 'application/json; charset=utf-8');
    const text = toResponse({ status: 200, body: '<p>hi</p>', headers: { 'content-type': 'text/html; charset=utf-8' } });
    assert.equal(text.body, '<p>hi</p>');
    assert.equal((text.headers as Record<string, string>)['content-type'], 'text/html; charset=utf-8');
    const bytes = Buffer.from('console.log(1)');
    const asset = toResponse({ status: 200, body: bytes, headers: { 'content-type': 'text/javascript' } });
    assert.equal(asset.body, bytes, 'bytes are sent as they are, not as JSON');
    const cookie = { name: 'bridge_session', value: 'v', path: '/api/console', maxAge: 60, httpOnly: true, secure: true, sameSite: 'Lax' as const };
    const signedIn = toResponse({ status: 303, headers: { location: '/api/console' }, cookies: [cookie] });
    assert.deepEqual(signedIn.cookies, [cookie]);
    assert.equal(toResponse({ status: 204 }).cookies, undefined);
  });
});
