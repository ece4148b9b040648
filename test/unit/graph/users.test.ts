import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphRequestError } from '../../../shared/graph/client.js';
import { emailFilter, findUsersByEmail, getMyMailboxSettings, getMyProfile, getUsersByKey, listMyLicenseDetails } from '../../../shared/graph/users.js';
import { MemoryGraph } from '../../support/memoryGraph.js';

describe('shared/graph/users', () => {
  it('looks users up by object id or UPN in $batches of at most 20, each answer tied to its key', async () => {
    const graph = new MemoryGraph();
    const people = Array.from({ length: 23 }, (_, i) => graph.addUser({ displayName: `Person ${i}` }));
    const keys = [...people.map((p, i) => (i % 2 ? p.id : p.userPrincipalName)), 'nobody@contoso.example'];
    const answers = await getUsersByKey(graph, keys);
    assert.equal(graph.made('POST', /^\/\$batch$/).length, 2, 'two batches for 24 keys');
    assert.equal(answers.length, 24);
    for (const a of answers) {
      if (a.index === 23) assert.equal(a.status, 404);
      else assert.equal(a.body?.id, people[a.index]!.id);
    }
    assert.equal(graph.made('GET', /^\/users\//)[0]?.url, `/users/${encodeURIComponent(keys[0]!)}?$select=id,userPrincipalName,mail,displayName,userType`);
    graph.assertNoViolations();
  });

  it('finds users by mail, proxy address or other mail, and hands inner 429s back with their Retry-After', async () => {
    const graph = new MemoryGraph();
    const ana = graph.addUser({ displayName: 'Ana', mail: 'ana@contoso.example', proxyAddresses: ['SMTP:ana@contoso.example', 'smtp:ana.alias@contoso.example'], otherMails: ["o'hara@home.example"] });
    assert.equal((await findUsersByEmail(graph, 'mail', ['ana@contoso.example']))[0]?.body?.value?.[0]?.id, ana.id);
    assert.equal((await findUsersByEmail(graph, 'proxyAddresses', ['ana.alias@contoso.example']))[0]?.body?.value?.[0]?.id, ana.id);
    assert.equal((await findUsersByEmail(graph, 'otherMails', ["o'hara@home.example"]))[0]?.body?.value?.[0]?.id, ana.id);
    assert.deepEqual((await findUsersByEmail(graph, 'mail', ['nobody@contoso.example']))[0]?.body?.value, []);
    assert.equal(emailFilter('proxyAddresses', "o'hara@x.example"), "proxyAddresses/any(x:x eq 'smtp:o''hara@x.example')");

    graph.fail({ url: /^\/users\?/, status: 429, retryAfterSeconds: 7 });
    const [throttled] = await findUsersByEmail(graph, 'mail', ['ana@contoso.example']);
    assert.equal(throttled?.status, 429);
    assert.equal(throttled?.headers?.['retry-after'], '7');
    graph.assertNoViolations();
  });

  it('reads the signed-in user\'s profile, mailbox purpose and licences', async () => {
    const graph = new MemoryGraph();
    const me = graph.signIn(graph.addUser({ displayName: 'Bridge Service', accountEnabled: true }));
    graph.mailboxSettings.set(me.id, { userPurpose: 'user' });
    graph.licenceDetails.set(me.id, [{ skuPartNumber: 'SPE_E3', servicePlans: [{ servicePlanId: '57ff2da0-773e-42df-b2af-ffb7a2317929', provisioningStatus: 'Success' }] }]);
    const profile = await getMyProfile(graph);
    assert.deepEqual(profile, { id: me.id, userPrincipalName: me.userPrincipalName, displayName: 'Bridge Service', accountEnabled: true });
    assert.equal((await getMyMailboxSettings(graph)).userPurpose, 'user');
    assert.equal((await listMyLicenseDetails(graph))[0]?.servicePlans?.[0]?.provisioningStatus, 'Success');
    graph.mailboxSettings.clear();
    await assert.rejects(getMyMailboxSettings(graph), (e: unknown) => e instanceof GraphRequestError && e.status === 404);
    graph.assertNoViolations();
  });
});
