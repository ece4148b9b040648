// Self-link invitations (shared/people/selfLink.ts): a JWT signed for one (tenant, site, accountId), expiring and
// single-use; every refusal is a readable 4xx page, on real Azurite. The sign-in itself runs in
// test/integration/chatAdmin.test.ts against the Entra fake.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { loadConfig } from '../../../shared/config.js';
import { resetStateKeyCache } from '../../../shared/identity/state.js';
import { memoryLogger } from '../../../shared/log.js';
import { invitationDays, selfLinkUrl, startSelfLink } from '../../../shared/people/selfLink.js';
import { MemorySecretStore } from '../../../shared/secrets/secretStore.js';
import { createTableAccess, insertEntity, tableNames } from '../../../shared/storage/tables.js';
import { storageConnectionString } from '../../support/storage.js';
import { resignedWithOtherKey, withChangedClaims } from '../../support/tokens.js';

const tenantId = '3f0e7a52-1b2c-4d3e-8f9a-0b1c2d3e4f5a';
const accountId = '712020:0e3b7a52-1b2c-4d3e-8f9a-0b1c2d3e4f5a';

function setup() {
  resetStateKeyCache();
  const config = loadConfig({ AzureWebJobsStorage: storageConnectionString(), PUBLIC_BASE_URL: 'https://bridge.example' });
  let offset = 0;
  const deps = { config, secrets: new MemorySecretStore(), tables: createTableAccess(config.storage), clock: { now: () => new Date(Date.now() + offset) }, log: memoryLogger() };
  return { deps, advance: (ms: number) => (offset += ms) };
}

async function invitation(deps: ReturnType<typeof setup>['deps']) {
  const url = await selfLinkUrl(deps, { tenantId, siteId: 'c1a2b3c4-d5e6-47f8-9a0b-1c2d3e4f5a6b', accountId, issueKey: 'OPS-6' });
  return { url, token: new URL(url).searchParams.get('invitation')! };
}

async function refusal(deps: ReturnType<typeof setup>['deps'], token: string | null) {
  const started = await startSelfLink(deps, token);
  assert.ok(!started.ok, 'refused');
  return started.page;
}

describe('self-link invitations', () => {
  it('the link is short and query-safe, and the token names its use, tenant, account, issue and expiry', async () => {
    const { deps } = setup();
    const { url, token } = await invitation(deps);
    assert.ok(url.startsWith('https://bridge.example/api/self-link/start?invitation='));
    assert.equal(`https://bridge.example/api/self-link/start?invitation=${token}`, url, 'no escaping needed');
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    assert.ok(url.length < 500, `${url.length} characters`);
    const claims = decodeJwt(token);
    assert.equal(claims.aud, 'self-link');
    assert.equal(claims.t, tenantId);
    assert.equal(claims.a, accountId);
    assert.equal(claims.k, 'OPS-6');
    assert.equal(Number(claims.exp) - Number(claims.iat), invitationDays * 86400);
    const second = await invitation(deps);
    assert.notEqual(decodeJwt(second.token).jti, claims.jti, 'two invitations for one account are two single-use invitations');
  });

  it('a tampered invitation (another account, another key, no signature) is refused as altered', async () => {
    const { deps } = setup();
    const { token } = await invitation(deps);
    for (const forged of [
      withChangedClaims(token, (c) => (c.a = '5b10ac8d82e05b22cc7d4ef5')),
      withChangedClaims(token, (c) => (c.exp = Number(c.exp) + 86400)),
      await resignedWithOtherKey(token),
    ]) {
      const page = await refusal(deps, forged);
      assert.equal(page.status, 400);
      assert.deepEqual(page.paragraphs, ['The link was altered. Open the link from the Jira issue again.']);
    }
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${token.split('.')[1]}.`;
    assert.deepEqual((await refusal(deps, unsigned)).paragraphs, ['The link is malformed. Open the link from the Jira issue again.']);
    assert.deepEqual((await refusal(deps, token.split('.').slice(0, 2).join('.'))).paragraphs, ['The link is incomplete. Open the whole link from the Jira issue.']);
    assert.deepEqual((await refusal(deps, null)).paragraphs, ['The link is incomplete. Open the whole link from the Jira issue.']);
  });

  it('an expired invitation is refused with what to do', async () => {
    const { deps, advance } = setup();
    const { token } = await invitation(deps);
    advance((invitationDays * 86400 + 1) * 1000);
    const page = await refusal(deps, token);
    assert.equal(page.status, 400);
    assert.deepEqual(page.paragraphs, ['The link has expired. Ask a Jira admin to run the chat action again for a new one.']);
  });

  it('an invitation already used (marked when a sign-in linked it) gets the used page', async () => {
    const { deps } = setup();
    const { token } = await invitation(deps);
    // What completeSelfLink writes when a sign-in consumes the invitation: PK invitation|<tenant>, RK its id.
    const table = await deps.tables.table(tableNames.userMappings);
    await insertEntity(table, `invitation|${tenantId}`, String(decodeJwt(token).jti), { accountId, entraObjectId: 'x', usedAt: new Date().toISOString() });
    const page = await refusal(deps, token);
    assert.equal(page.status, 410);
    assert.equal(page.title, 'This link has already been used');
    // Another invitation for the same account is its own single-use link.
    const other = await invitation(deps);
    // (It passes the used check and goes on to Microsoft sign-in, which this unit setup has no Entra app for.)
    const started = await startSelfLink(deps, other.token).catch(() => undefined);
    assert.notEqual(started && !started.ok ? started.page.status : undefined, 410, 'not marked used');
  });
});
