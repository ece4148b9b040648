// shared/people/mapping.ts: Atlassian accountId → Entra user, with the typed in-memory Graph (each $batch and inner
// request checked against Microsoft's schema) and tables of the test's own. The decisions: a stored mapping needs no
// lookup; an e-mail is tried as mail, then proxy address, then other mail; a definite "nobody has it" is cached for a
// day (per address), a refusal or an inner 429 is not; guests are kept as guests; the unmapped are reported with why,
// without their e-mail; a responder team is reported, never skipped.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { ThrottledError } from '../../../shared/errors.js';
import { accountIdFor, listMappings, listUnmapped, mapPeople, saveMapping } from '../../../shared/people/mapping.js';
import { MemoryGraph } from '../../support/memoryGraph.js';
import { unitRuntime } from '../../support/unitRuntime.js';

function setUp() {
  const rt = unitRuntime();
  const graph = new MemoryGraph({ now: () => rt.clock.now().getTime() });
  graph.signIn(graph.addUser({ displayName: 'Bridge Service' }));
  const tenantId = randomUUID();
  const where = { siteId: 'site-a', issueKey: 'INC-1' };
  const lookups = () => graph.made('GET', /^\/users\?/).length;
  return { rt, graph, tenantId, where, lookups };
}

describe('people mapping', () => {
  it('maps by e-mail once, stores it both ways, and needs no lookup the next time', async () => {
    const { rt, graph, tenantId, where, lookups } = setUp();
    const ana = graph.addUser({ displayName: 'Ana Agent' });

    const first = await mapPeople(rt, graph, tenantId, [{ accountId: 'acc-ana', emailAddress: ana.mail!.toUpperCase() }], where);
    assert.deepEqual(first.mapped.map((m) => [m.accountId, m.entraObjectId, m.source, m.isGuest]), [['acc-ana', ana.id, 'email', false]]);
    assert.equal(await accountIdFor(rt, tenantId, ana.id), 'acc-ana', 'chat → Jira finds the person back');
    const before = lookups();

    const again = await mapPeople(rt, graph, tenantId, [{ accountId: 'acc-ana', emailAddress: ana.mail! }], where);
    assert.equal(again.mapped[0]?.entraObjectId, ana.id);
    assert.equal(lookups(), before, 'a stored mapping is not looked up again');
    assert.equal((await mapPeople(rt, graph, randomUUID(), [{ accountId: 'acc-ana', emailAddress: 'nobody@x.example' }], where)).mapped.length, 0, 'mappings are per tenant');
    graph.assertNoViolations();
  });

  it('falls back to proxy addresses and other mails, and keeps a guest a guest', async () => {
    const { rt, graph, tenantId, where } = setUp();
    const alias = graph.addUser({ displayName: 'Al Alias', proxyAddresses: ['SMTP:al@contoso.example', 'smtp:al.old@contoso.example'] });
    const guest = graph.addUser({ displayName: 'Gus Guest', userType: 'Guest', mail: 'gus@partner.example', otherMails: ['gus@home.example'] });

    const result = await mapPeople(rt, graph, tenantId, [{ accountId: 'acc-al', emailAddress: 'al.old@contoso.example' }, { accountId: 'acc-gus', emailAddress: 'gus@home.example' }], where);

    assert.deepEqual(
      result.mapped.map((m) => [m.accountId, m.entraObjectId, m.isGuest]).sort(),
      [['acc-al', alias.id, false], ['acc-gus', guest.id, true]],
    );
    assert.equal((await listMappings(rt, tenantId)).find((m) => m.accountId === 'acc-gus')?.isGuest, true, 'stored as a guest');
    graph.assertNoViolations();
  });

  it('caches "nobody has this e-mail" for a day, per address, and reports who and why without the address', async () => {
    const { rt, graph, tenantId, where, lookups } = setUp();
    const person = { accountId: 'acc-zed', displayName: 'Zed Nobody', emailAddress: 'zed@partner.example' };

    const first = await mapPeople(rt, graph, tenantId, [person], where);
    assert.deepEqual(first.unmapped, [{ accountId: 'acc-zed', displayName: 'Zed Nobody', reason: 'no Microsoft 365 user has their Jira e-mail address' }]);
    assert.equal(lookups(), 3, 'mail, then proxyAddresses, then otherMails');

    rt.clock.advance(23 * 3600);
    const cached = await mapPeople(rt, graph, tenantId, [person], where);
    assert.equal(cached.unmapped[0]?.reason, 'no Microsoft 365 user has their Jira e-mail address');
    assert.equal(lookups(), 3, 'within the day: not looked up again');

    await mapPeople(rt, graph, tenantId, [{ ...person, emailAddress: 'zed@new.example' }], where);
    assert.equal(lookups(), 6, 'a changed address is looked up at once');
    rt.clock.advance(25 * 3600);
    await mapPeople(rt, graph, tenantId, [{ ...person, emailAddress: 'zed@new.example' }], where);
    assert.equal(lookups(), 9, 'after a day: looked up again');

    const reported = await listUnmapped(rt, tenantId);
    assert.deepEqual(reported.map((r) => [r.accountId, r.displayName, r.siteId, r.lastIssueKey]), [['acc-zed', 'Zed Nobody', 'site-a', 'INC-1']]);
    assert.doesNotMatch(JSON.stringify(reported), /zed@/, 'the listing shows who and why, not the address');

    // Mapped later (a self-link, say): no longer reported.
    await saveMapping(rt, tenantId, { accountId: 'acc-zed', entraObjectId: randomUUID(), isGuest: false, source: 'self-link' });
    assert.deepEqual(await listUnmapped(rt, tenantId), []);
    graph.assertNoViolations();
  });

  it('two users with one address are not guessed between', async () => {
    const { rt, graph, tenantId, where } = setUp();
    graph.addUser({ displayName: 'Twin One', mail: 'twins@contoso.example' });
    graph.addUser({ displayName: 'Twin Two', mail: 'twins@contoso.example' });
    const result = await mapPeople(rt, graph, tenantId, [{ accountId: 'acc-t', emailAddress: 'twins@contoso.example' }], where);
    assert.equal(result.mapped.length, 0);
    assert.match(result.unmapped[0]!.reason, /2 Microsoft 365 users share their e-mail address; map them manually/);
  });

  it('a hidden e-mail is asked of Jira when it can be, else reported; responder teams are reported as teams', async () => {
    const { rt, graph, tenantId, where } = setUp();
    const ana = graph.addUser({ displayName: 'Ana Agent' });
    const asked: string[] = [];
    const emailOf = async (accountId: string) => (asked.push(accountId), accountId === 'acc-ana' ? ana.mail! : undefined);

    const result = await mapPeople(rt, graph, tenantId, [{ accountId: 'acc-ana' }, { accountId: 'acc-hid', displayName: 'Hidden Hal' }], {
      ...where,
      emailOf,
      teams: [{ id: 'team-1', name: 'Database' }],
    });

    assert.deepEqual(asked.sort(), ['acc-ana', 'acc-hid']);
    assert.deepEqual(result.mapped.map((m) => m.accountId), ['acc-ana']);
    assert.deepEqual(
      result.unmapped.map((u) => [u.accountId, u.displayName, u.team ?? false]),
      [['acc-hid', 'Hidden Hal', false], ['team:team-1', 'Team Database', true]],
    );
    assert.match(result.unmapped[0]!.reason, /Jira hides their e-mail address/);
  });

  it('a refused lookup (403) or an inner 429 is not remembered as "nobody": the person is looked up again', async () => {
    const { rt, graph, tenantId, where, lookups } = setUp();
    const ana = graph.addUser({ displayName: 'Ana Agent' });
    const person = { accountId: 'acc-ana', emailAddress: ana.mail! };

    graph.fail({ url: /^\/users\?/, status: 403, code: 'Authorization_RequestDenied', times: 3 });
    const refused = await mapPeople(rt, graph, tenantId, [person], where);
    assert.match(refused.unmapped[0]!.reason, /refused the user lookup \(403\): grant User\.ReadBasic\.All/);

    graph.fail({ url: /^\/users\?/, status: 429, code: 'TooManyRequests', retryAfterSeconds: 9 });
    await assert.rejects(mapPeople(rt, graph, tenantId, [person], where), (e: unknown) => e instanceof ThrottledError && e.retryAfterSeconds === 9);

    const before = lookups();
    const later = await mapPeople(rt, graph, tenantId, [person], where);
    assert.equal(lookups(), before + 1, 'looked up again, found by mail');
    assert.equal(later.mapped[0]?.entraObjectId, ana.id);
    graph.assertNoViolations();
  });

  it('a manual mapping saved by UPN is resolved to the object id once and stored with it', async () => {
    const { rt, graph, tenantId, where, lookups } = setUp();
    const ana = graph.addUser({ displayName: 'Ana Agent' });
    await saveMapping(rt, tenantId, { accountId: 'acc-ana', entraObjectId: ana.userPrincipalName, isGuest: false, source: 'manual' });

    const first = await mapPeople(rt, graph, tenantId, [{ accountId: 'acc-ana' }], where);
    assert.deepEqual(first.mapped.map((m) => [m.entraObjectId, m.source]), [[ana.id, 'manual']]);
    assert.equal(await accountIdFor(rt, tenantId, ana.id), 'acc-ana');
    assert.equal(await accountIdFor(rt, tenantId, ana.userPrincipalName), undefined, 'the UPN reverse row is replaced');

    const calls = graph.made().length;
    await mapPeople(rt, graph, tenantId, [{ accountId: 'acc-ana' }], where);
    assert.equal(graph.made().length, calls, 'resolved once');
    assert.equal(lookups(), 0);
    graph.assertNoViolations();
  });
});
