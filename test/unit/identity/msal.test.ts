import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { InteractionRequiredAuthError, ServerError, type TokenCacheContext } from '@azure/msal-node';
import { loadConfig } from '../../../shared/config.js';
import { PermanentError } from '../../../shared/errors.js';
import { memoryLogger } from '../../../shared/log.js';
import {
  certificateFromPem,
  clientCredentialSecretName,
  describeAuthError,
  isReauthError,
  resolveClientCredential,
  SecretStoreCachePlugin,
  tokenCacheSecretName,
} from '../../../shared/identity/msal.js';
import { MemorySecretStore } from '../../../shared/secrets/secretStore.js';
import { generate } from 'selfsigned';
import { testTls } from '../../support/tls.js';

const baseEnv = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', ENTRA_CLIENT_ID: '0f1e2d3c-4b5a-4697-8877-665544332211' };

describe('msal helpers', () => {
  it('a PEM certificate becomes MSAL\'s SHA-256 thumbprint and private key; non-RSA or mismatched keys are refused', async () => {
    const { cert, private: key } = await generate([{ name: 'commonName', value: 'app' }], { keyType: 'rsa', keySize: 2048, algorithm: 'sha256' });
    const c = certificateFromPem(`${cert}\n${key}`);
    assert.equal(c.thumbprintSha256, createHash('sha256').update(new X509Certificate(cert).raw).digest('hex').toUpperCase());
    assert.match(c.privateKey, /PRIVATE KEY/);
    assert.throws(() => certificateFromPem(cert), PermanentError);
    const ec = testTls();
    assert.throws(() => certificateFromPem(`${ec.cert}${ec.key}`), /RSA private key/);
    const other = await generate([{ name: 'commonName', value: 'other' }], { keyType: 'rsa', keySize: 2048, algorithm: 'sha256' });
    assert.throws(() => certificateFromPem(`${cert}${other.private}`), /does not belong/);
  });

  it('resolves the client credential: certificate secret, then the admin-stored one, then ENTRA_CLIENT_SECRET', async () => {
    const secrets = new MemorySecretStore();
    const log = memoryLogger();
    const withSecret = loadConfig({ ...baseEnv, ENTRA_CLIENT_SECRET: 'from-app-settings' });
    assert.deepEqual(await resolveClientCredential({ config: withSecret, secrets, log }), { clientSecret: 'from-app-settings' });
    await secrets.set(clientCredentialSecretName, JSON.stringify({ kind: 'secret', clientSecret: 'from-admin-api' }));
    assert.deepEqual(await resolveClientCredential({ config: withSecret, secrets, log }), { clientSecret: 'from-admin-api' });
    const { cert, private: key } = await generate([{ name: 'commonName', value: 'app' }], { keyType: 'rsa', keySize: 2048, algorithm: 'sha256' });
    await secrets.set('app-cert', `${cert}${key}`);
    const withCert = loadConfig({ ...baseEnv, ENTRA_CLIENT_SECRET: 'x', ENTRA_CLIENT_CERTIFICATE_SECRET_NAME: 'app-cert' });
    assert.ok((await resolveClientCredential({ config: withCert, secrets, log })).clientCertificate);
    await assert.rejects(
      resolveClientCredential({ config: loadConfig(baseEnv), secrets: new MemorySecretStore(), log }),
      (e: unknown) => e instanceof PermanentError && e.code === 'client_credential_missing',
    );
  });

  it('the cache plugin loads before access and saves only when MSAL changed the cache', async () => {
    const secrets = new MemorySecretStore();
    const name = tokenCacheSecretName('tenant', 'user');
    await secrets.set(name, '{"old":true}');
    const plugin = new SecretStoreCachePlugin(secrets, name);
    let deserialized = '';
    const context = (changed: boolean) =>
      ({ cacheHasChanged: changed, tokenCache: { deserialize: (b: string) => (deserialized = b), serialize: () => '{"new":true}' } }) as unknown as TokenCacheContext;
    await plugin.beforeCacheAccess(context(false));
    assert.equal(deserialized, '{"old":true}');
    await plugin.afterCacheAccess(context(false));
    assert.equal(await secrets.get(name), '{"old":true}');
    await plugin.afterCacheAccess(context(true));
    assert.equal(await secrets.get(name), '{"new":true}');
  });

  it('token cache secret names are valid Key Vault names and distinct per tenant and user', () => {
    const a = tokenCacheSecretName('3f0e7a52-1b2c-4d3e-8f9a-0b1c2d3e4f5a', 'user-1');
    assert.match(a, /^[0-9a-zA-Z-]{1,127}$/);
    assert.notEqual(a, tokenCacheSecretName('3f0e7a52-1b2c-4d3e-8f9a-0b1c2d3e4f5a', 'user-2'));
  });

  it('recognises the errors that need the user again, and describes them without secrets', () => {
    // ServerError(errorCode, correlationId, errorMessage, subError, errorNo, status), as MSAL builds it from the token endpoint's error body.
    assert.ok(isReauthError(new ServerError('invalid_grant', 'corr', 'AADSTS50173: The provided grant has expired due to it being revoked.', '', '50173', 400)));
    assert.ok(isReauthError(new InteractionRequiredAuthError('interaction_required', 'c')));
    assert.ok(!isReauthError(new ServerError('temporarily_unavailable', 'corr', 'AADSTS50196: busy', '', '50196', 503)));
    assert.ok(!isReauthError(new Error('ECONNRESET')));
    assert.equal(describeAuthError(new ServerError('invalid_grant', 'corr', 'AADSTS50173: refresh_token=abc was revoked', '', '50173', 400)), 'invalid_grant AADSTS50173');
    assert.equal(describeAuthError(new ServerError('invalid_grant', 'corr', undefined, '', '700082', 400)), 'invalid_grant AADSTS700082');
  });
});
