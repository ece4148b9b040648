// functions/adminSites.ts with the real @azure/functions HttpRequest and InvocationContext: the adapter turns the
// route, query and JSON body into shared/'s plain request and shared/'s outcome into status, headers and a JSON
// body; the API token an admin sends is stored and never answered back. Storage is Azurite.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { HttpRequest, invocation, invoke, useAppEnv } from '../../support/functionsAdapter.js';

const { secretsFile } = useAppEnv();
const { adminSites } = await import('../../../functions/adminSites.js');

const siteId = 'c1a2b3c4-d5e6-47f8-9a0b-1c2d3e4f5a6b';
const apiToken = 'ATATT3xFfGF0-unit-adapter-token-value';

describe('adminSites adapter', () => {
  before(() => assert.ok(secretsFile));

  it('PUT with a JSON body answers 201 with the site as JSON, no token; GET lists it', async () => {
    const put = new HttpRequest({
      method: 'PUT',
      url: `http://127.0.0.1:7071/api/manage/sites/${siteId}`,
      params: { siteId },
      headers: { 'content-type': 'application/json' },
      body: { string: JSON.stringify({ jiraBaseUrl: 'https://contoso.atlassian.net/', jiraEmail: 'bridge@contoso.example', jiraApiToken: apiToken }) },
    });
    const { context } = invocation('adminSites');
    const created = await invoke(adminSites, put, context);
    assert.equal(created.status, 201);
    assert.match(String(new Headers(created.headers as Record<string, string>).get('content-type')), /^application\/json/);
    const body = JSON.parse(String(created.body)) as Record<string, unknown>;
    assert.equal(body.siteId, siteId);
    assert.equal(body.jiraBaseUrl, 'https://contoso.atlassian.net', 'trailing slash dropped by shared/');
    assert.doesNotMatch(String(created.body), new RegExp(apiToken), 'the token is stored, not answered');

    const list = await invoke(adminSites, new HttpRequest({ method: 'GET', url: 'http://127.0.0.1:7071/api/manage/sites' }), invocation('adminSites').context);
    assert.equal(list.status, 200);
    const sites = (JSON.parse(String(list.body)) as { sites: Array<{ siteId: string }> }).sites;
    assert.ok(sites.some((s) => s.siteId === siteId), JSON.stringify(sites));
  });

  it('a body that is not JSON is a 400 JSON error naming the problem, before shared/ runs', async () => {
    const bad = new HttpRequest({
      method: 'PUT',
      url: `http://127.0.0.1:7071/api/manage/sites/${siteId}`,
      params: { siteId },
      headers: { 'content-type': 'application/json' },
      body: { string: '{"jiraBaseUrl":' },
    });
    const answer = await invoke(adminSites, bad, invocation('adminSites').context);
    assert.equal(answer.status, 400);
    const error = (JSON.parse(String(answer.body)) as { error: { code: string; message: string } }).error;
    assert.ok(error.code && error.message, JSON.stringify(error));
  });

  it('another method on the collection is a 405 with Allow', async () => {
    const answer = await invoke(adminSites, new HttpRequest({ method: 'DELETE', url: 'http://127.0.0.1:7071/api/manage/sites' }), invocation('adminSites').context);
    assert.equal(answer.status, 405);
    assert.equal(new Headers(answer.headers as Record<string, string>).get('allow'), 'GET');
  });
});
