// Mail → Jira end to end over HTTP on the local Functions host: the real consent and service-user sign-in for the
// mail-in feature (fake Entra, scopes enforced by the fake Graph as Graph does), the manage API behind its function
// key, and an on-demand catch-up processed by the queue trigger.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBridge, type Bridge } from '../support/bridge.js';

describe('mail → Jira over HTTP', () => {
  let bridge: Bridge;
  before(async () => {
    bridge = await startBridge({ features: ['chats', 'mail-in'] });
  });
  after(async () => {
    // A source left in the shared Azurite table would be picked up by another test host's catch-up timer.
    await bridge?.admin('DELETE', `mail-in/${bridge.siteId}/HELP`);
    if (process.env.SHOW_APP_LOGS) console.log(bridge.app.logs.filter((l) => /"level":"(warn|error)"|mail-in|Executed .*Failed/.test(l)).join('\n'));
    bridge.graph.assertNoViolations();
    await bridge?.stop();
  });

  it('signs in for mail-in, saves a source, tests it, and turns a new mail into an issue on demand', async () => {
    const put = await bridge.admin('PUT', `mail-in/${bridge.siteId}/HELP`, { tenantId: bridge.tenantId });
    assert.equal(put.status, 200, JSON.stringify(put.body));

    const test = await bridge.admin('POST', `mail-in/${bridge.siteId}/HELP/test`);
    assert.equal(test.status, 200);
    assert.equal(test.body.ok, true, JSON.stringify(test.body));

    // Delivered after the source was saved (the first catch-up reads only newer mail).
    await new Promise((r) => setTimeout(r, 5));
    const mail = bridge.graph.mailIn.deliver(bridge.serviceUser, { subject: 'VPN refuses my password', from: { name: 'Robin', address: 'robin@customer.example' }, body: '<p>Since this morning.</p>' });
    const poll = await bridge.admin('POST', `mail-in/${bridge.siteId}/HELP/poll`);
    assert.equal(poll.status, 202, JSON.stringify(poll.body));
    await bridge.app.waitForIdle(undefined, 40_000);

    const created = [...bridge.jira.issues.values()].filter((i) => i.key.startsWith('HELP-'));
    assert.equal(created.length, 1, bridge.app.logs.filter((l) => /mail-in|error/.test(l)).join('\n'));
    assert.equal(created[0]!.fields.summary, 'VPN refuses my password');
    assert.equal(mail.isRead, true, 'marked read after handling');
    const source = await bridge.admin('GET', `mail-in/${bridge.siteId}/HELP`);
    assert.equal(source.body.caughtUp, true);
    assert.equal(source.body.deltaLink, undefined, 'the delta link is not shown');
    // The site's list (the console's Mail → Jira screen) shows the same, without the delta link either.
    const list = await bridge.admin('GET', `mail-in/${bridge.siteId}`);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.deepEqual(list.body.sources.map((s: { projectKey: string }) => s.projectKey), ['HELP']);
    assert.equal(list.body.sources[0].caughtUp, true);
    assert.equal(list.body.sources[0].deltaLink, undefined);
    assert.equal((await bridge.admin('DELETE', `mail-in/${bridge.siteId}`)).status, 405, 'the list is read-only');
  });

  it('deletes the source (204), then answers 404 for it', async () => {
    assert.equal((await bridge.admin('DELETE', `mail-in/${bridge.siteId}/GONE`)).status, 404);
    await bridge.admin('PUT', `mail-in/${bridge.siteId}/GONE`, { tenantId: bridge.tenantId });
    assert.equal((await bridge.admin('DELETE', `mail-in/${bridge.siteId}/GONE`)).status, 204);
    assert.equal((await bridge.admin('GET', `mail-in/${bridge.siteId}/GONE`)).status, 404);
  });

  it('answers 401 without the function key', async () => {
    const r = await fetch(`${bridge.app.baseUrl}/api/manage/mail-in/${bridge.siteId}/HELP`);
    assert.equal(r.status, 401);
    await r.arrayBuffer();
  });
});
