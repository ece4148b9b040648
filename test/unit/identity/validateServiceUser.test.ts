// shared/identity/validateServiceUser.ts over the fake Graph (real HTTPS, every request schema-checked): the three
// reads now go through the Graph client and shared/graph/users.ts; the verdicts and their explanations are the
// ones the admin sees at sign-in and must not change.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig, type Config } from '../../../shared/config.js';
import { validateServiceUser } from '../../../shared/identity/validateServiceUser.js';
import { FakeGraph } from '../../fakes/graph.js';
import { storageConnectionString } from '../../support/storage.js';

describe('validating a service user through the Graph client', () => {
  const graph = new FakeGraph();
  let config: Config;
  let close: () => Promise<void>;

  before(async () => {
    const started = await graph.start();
    close = started.close;
    config = loadConfig({ AzureWebJobsStorage: storageConnectionString(), GRAPH_BASE_URL: started.baseUrl, PUBLIC_BASE_URL: 'https://bridge.example.test' });
  });
  after(async () => {
    graph.assertNoViolations();
    await close();
  });

  it('accepts a licensed user account and reads exactly its profile, mailbox and licences', async () => {
    const user = graph.addUser({ displayName: 'Bridge Service' });
    const result = await validateServiceUser({ config }, graph.delegatedToken(user, 'User.Read MailboxSettings.Read'), 'chats');
    assert.deepEqual(result, {
      ok: true,
      profile: { id: user.id, userPrincipalName: user.userPrincipalName, displayName: 'Bridge Service', accountEnabled: true },
      userPurpose: 'user',
    });
    const paths = graph.requests.filter((r) => r.tokenClaims?.oid === user.id).map((r) => r.path);
    assert.deepEqual(paths, ['/me', '/me/mailboxSettings', '/me/licenseDetails']);
  });

  it('refuses a shared mailbox and an unlicensed account with the reason an admin can act on', async () => {
    const shared = graph.addUser({ displayName: 'Support Desk', mailboxSettings: { userPurpose: 'shared' } });
    const sharedResult = await validateServiceUser({ config }, graph.delegatedToken(shared), 'chats');
    assert.ok(!sharedResult.ok && sharedResult.code === 'shared_mailbox');
    assert.match(sharedResult.reason, /is a shared mailbox; a service user must be a licensed user account/);

    const unlicensed = graph.addUser({ displayName: 'No Licence', licenseDetails: [] });
    const unlicensedResult = await validateServiceUser({ config }, graph.delegatedToken(unlicensed), 'chats');
    assert.ok(!unlicensedResult.ok && unlicensedResult.code === 'no_licence');
    assert.match(unlicensedResult.reason, /has no provisioned Microsoft Teams \(service plan TEAMS1\) licence, which the chats feature needs/);
  });

  it('says which read Graph refused, with its status and code, instead of judging the account', async () => {
    const user = graph.addUser({ displayName: 'Locked Out' });
    graph.failNext({ method: 'GET', pathPattern: '/me', status: 403, code: 'Authorization_RequestDenied' });
    const profile = await validateServiceUser({ config }, graph.delegatedToken(user), 'chats');
    assert.deepEqual(profile, { ok: false, code: 'not_verifiable', reason: 'reading the account\'s profile (GET /me) failed with 403 Authorization_RequestDenied' });

    graph.failNext({ method: 'GET', pathPattern: '/me/mailboxSettings', status: 404, code: 'MailboxNotEnabledForRESTAPI' });
    const mail = await validateServiceUser({ config }, graph.delegatedToken(user), 'mail');
    assert.ok(!mail.ok && mail.code === 'not_verifiable');
    assert.match(mail.reason, /could not be read \(404 MailboxNotEnabledForRESTAPI\); mail needs an Exchange Online mailbox/);

    graph.failNext({ method: 'GET', pathPattern: '/me/licenseDetails', status: 500, code: 'generalException' });
    const licences = await validateServiceUser({ config }, graph.delegatedToken(user), 'chats');
    assert.ok(!licences.ok && licences.code === 'not_verifiable');
    assert.match(licences.reason, /the licences of .+ could not be read \(500 generalException\)$/);
  });
});
