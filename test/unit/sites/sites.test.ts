// shared/sites/sites.ts: the site registry. The row holds references only; secrets go to the secret store (the API
// token before the row, so a row never points at nothing); a rotated webhook secret keeps exactly one previous
// generation valid, an Automation token is replaced outright; what the admin API shows carries no secret.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getSite, listSites, publicSite, putSite, rotateSiteSecret, siteInputSchema, siteSecretNames } from '../../../shared/sites/sites.js';
import { uniqueName } from '../../support/storage.js';
import { unitRuntime } from '../../support/unitRuntime.js';

const input = siteInputSchema.parse({ jiraBaseUrl: 'https://acme.atlassian.net/', jiraEmail: 'bot@acme.example', jiraApiToken: 'ATATT-secret-1' });

describe('site registry', () => {
  it('reads a Jira base URL without its trailing slash and refuses what is not http(s)', () => {
    assert.equal(input.jiraBaseUrl, 'https://acme.atlassian.net');
    assert.equal(siteInputSchema.safeParse({ ...input, jiraBaseUrl: 'javascript:alert(1)' }).success, false);
    assert.equal(siteInputSchema.safeParse({ ...input, jiraBaseUrl: 'ftp://acme.example' }).success, false);
    assert.equal(siteInputSchema.safeParse({ ...input, jiraEmail: 'not-an-email' }).success, false);
    assert.equal(siteInputSchema.safeParse({ ...input, jiraApiToken: '' }).success, false);
  });

  it('creates a site once, keeps its secrets out of the row, and updates it in place', async () => {
    const rt = unitRuntime();
    const siteId = uniqueName('site').toLowerCase();

    const created = await putSite(rt, siteId, input);
    assert.equal(created.created, true);
    assert.equal(await rt.secrets.get(siteSecretNames.jiraApiToken(siteId)), 'ATATT-secret-1');
    assert.doesNotMatch(JSON.stringify(await getSite(rt, siteId)), /ATATT/);

    rt.clock.advance(60);
    const updated = await putSite(rt, siteId, { ...input, jiraEmail: 'bot2@acme.example', jiraApiToken: 'ATATT-secret-2' });
    assert.equal(updated.created, false);
    assert.equal(updated.site.createdAt, created.site.createdAt);
    assert.notEqual(updated.site.updatedAt, created.site.updatedAt);
    assert.equal((await getSite(rt, siteId))?.jiraEmail, 'bot2@acme.example');
    assert.equal(await rt.secrets.get(siteSecretNames.jiraApiToken(siteId)), 'ATATT-secret-2');
    assert.deepEqual((await listSites(rt)).map((s) => s.siteId), [siteId]);
  });

  it('a webhook secret rotation keeps the previous generation valid and deletes older ones; an Automation token is replaced', async () => {
    const rt = unitRuntime();
    const siteId = uniqueName('site').toLowerCase();
    await putSite(rt, siteId, input);

    const one = await rotateSiteSecret(rt, siteId, 'webhook-secret');
    const two = await rotateSiteSecret(rt, siteId, 'webhook-secret');
    const three = await rotateSiteSecret(rt, siteId, 'webhook-secret');
    assert.deepEqual([one?.generation, two?.generation, three?.generation], [1, 2, 3]);
    assert.notEqual(two?.value, three?.value);
    assert.equal(await rt.secrets.get(siteSecretNames.webhookSecret(siteId, 1)), undefined);
    assert.equal(await rt.secrets.get(siteSecretNames.webhookSecret(siteId, 2)), two?.value, 'the one before stays, for deliveries signed before Jira was updated');
    assert.equal(await rt.secrets.get(siteSecretNames.webhookSecret(siteId, 3)), three?.value);

    const a1 = await rotateSiteSecret(rt, siteId, 'automation-token');
    const a2 = await rotateSiteSecret(rt, siteId, 'automation-token');
    assert.equal(await rt.secrets.get(siteSecretNames.automationToken(siteId, a1!.generation)), undefined);
    assert.equal(await rt.secrets.get(siteSecretNames.automationToken(siteId, a2!.generation)), a2?.value);
    assert.equal((await getSite(rt, siteId))?.webhookSecretGeneration, 3);

    assert.equal(await rotateSiteSecret(rt, uniqueName('nosite').toLowerCase(), 'webhook-secret'), undefined, 'no site, no secret made');
  });

  it('the public view says which secrets are set, never their values, and gives the URLs to paste into Jira', async () => {
    const rt = unitRuntime();
    const siteId = uniqueName('site').toLowerCase();
    const { site } = await putSite(rt, siteId, input);
    const before = publicSite(site, 'https://bridge.example.test');
    assert.equal(before.webhookSecret, 'not set');
    assert.equal(before.automationToken, 'not set');
    const token = await rotateSiteSecret(rt, siteId, 'automation-token');

    const view = publicSite((await getSite(rt, siteId))!, 'https://bridge.example.test');
    assert.equal(view.automationToken, 'set');
    assert.equal(view.jiraApiToken, 'set');
    assert.equal(view.webhookUrl, `https://bridge.example.test/api/jira/events?site=${siteId}`);
    assert.equal(view.automationUrlPattern, `https://bridge.example.test/api/jira/automation/{action}?site=${siteId}`);
    const text = JSON.stringify(view);
    assert.ok(!text.includes(token!.value) && !text.includes('ATATT'), text);
  });
});
